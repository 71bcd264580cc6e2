"""Country packs side by side: Peru and El Salvador from one warehouse, and El Salvador's 2024
reform (Decreto Legislativo 762: 44 municipalities of 262 districts) lining up series before and
after May 2024 through its crosswalk (data/countries/sv/)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from observatory import dashboard, i18n
from observatory.config import Settings
from observatory.countries import PackError, load_pack, pack
from observatory.ingest.sources import sha256_of
from observatory.ingest.warehouse import build, ingest
from tests.conftest import MIRROR, needs_mirror
from tests.test_callbacks import text

DATA = Path(Settings.from_env(environ={}).data_dir)
REFORM = DATA / "countries" / "sv"


def test_both_packs_load_with_their_levels_labels_and_help_lines():
    pe, sv = pack(str(DATA), "PE"), pack(str(DATA), "SV")
    assert pe.levels == ("department", "province", "district")
    assert sv.levels == ("department", "municipality", "district")
    assert (pe.label("province", "es"), sv.label("municipality", "es"), sv.label("municipality", "en")) == (
        "Provincia",
        "Municipio",
        "Municipality",
    )
    assert pe.help["phone"] == "100" and sv.help["phone"] == "126"
    assert pe.child_level("country") == "department" and sv.child_level("department") == "municipality"
    assert pe.pad("50104", "district") == "050104" and sv.pad("614", "municipality") == "0614"


def test_a_pack_with_a_missing_label_is_refused(tmp_path):
    text = (
        (DATA / "countries" / "sv.toml")
        .read_text(encoding="utf-8")
        .replace('municipality = "Municipality"\n', "")
    )
    path = tmp_path / "xx.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PackError) as info:
        load_pack(path)
    assert "[labels.en] lacks municipality" in str(info.value)


@pytest.mark.parametrize(
    "old, new, message",
    [
        ('name = "Línea 126"\n', "", "xx.toml: [help] lacks name"),
        (
            'decimal = "."',
            'decimal = ","',
            "xx.toml: [numbers] takes thousands and decimal, two different marks",
        ),
    ],
)
def test_a_pack_without_help_line_name_or_with_equal_number_marks_is_refused(tmp_path, old, new, message):
    text = (DATA / "countries" / "sv.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "xx.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(PackError) as info:
        load_pack(path)
    assert str(info.value) == message


def sv_levels(con) -> dict[str, int]:
    return dict(
        con.execute("SELECT level, count(*) FROM territories WHERE country = 'SV' GROUP BY 1").fetchall()
    )


@needs_mirror
def test_el_salvador_departments_municipalities_and_districts_sit_beside_peru(real_warehouse):
    con = duckdb.connect(str(real_warehouse), read_only=True)
    levels = sv_levels(con)
    names = dict(
        con.execute(
            "SELECT code, name FROM territories WHERE country = 'SV' AND level = 'department'"
        ).fetchall()
    )
    women = con.execute(
        "SELECT value FROM population WHERE country = 'SV' AND territory_code = 'SV' AND sex = 'female'"
    ).fetchone()[0]
    peru = con.execute(
        "SELECT count(*) FROM territories WHERE country = 'PE' AND level = 'department'"
    ).fetchone()[0]
    con.close()
    assert levels == {"country": 1, "department": 14, "municipality": 44, "district": 262}
    assert names["09"] == "Cabañas" and names["14"] == "La Unión" and names["01"] == "Ahuachapán"
    assert women == 3_024_742  # 2007 census, PROVENANCE.txt
    assert peru == 26


@needs_mirror
def test_each_district_sits_in_the_municipality_the_decree_gives_it(real_warehouse):
    con = duckdb.connect(str(real_warehouse), read_only=True)
    rows = con.execute(
        """SELECT d.code, d.name, m.code, m.name, m.parent_code, d.vintage_note
           FROM territories d JOIN territories m ON m.country = d.country AND m.code = d.parent_code
           WHERE d.country = 'SV' AND d.level = 'district'"""
    ).fetchall()
    women = dict(
        con.execute(
            """SELECT t.level, sum(p.value) FROM population p
               JOIN territories t ON t.country = p.country AND t.code = p.territory_code
               WHERE p.country = 'SV' AND p.sex = 'female' GROUP BY 1"""
        ).fetchall()
    )
    con.close()
    parent = {code: (name, municipality, m_name) for code, name, municipality, m_name, _, _ in rows}
    assert len(parent) == 262 and len({m for _, m, _ in parent.values()}) == 44
    assert parent["0614"] == ("San Salvador", "0623", "San Salvador Centro")
    assert parent["0511"] == ("Santa Tecla", "0528", "La Libertad Sur")
    assert parent["0619"] == ("Ciudad Delgado", "0623", "San Salvador Centro")
    assert parent["0427"] == ("San José Cancasque", "0436", "Chalatenango Sur")
    assert parent["1213"] == ("San Antonio del Mosco", "1221", "San Miguel Norte")
    assert parent["1415"] == ("San José La Fuente", "1419", "La Unión Norte")
    assert parent["0301"] == ("Acajutla", "0320", "Sonsonate Oeste")
    assert parent["0210"] == ("Santa Ana", "0215", "Santa Ana Centro")
    # A district stays in its department; every level adds up to the 2007 census.
    assert all(code[:2] == department for code, _, _, _, department, _ in rows)
    assert all("distrito desde entonces" in note for *_, note in rows)
    assert women == dict.fromkeys(("country", "department", "municipality", "district"), 3_024_742)


@needs_mirror
def test_the_reform_files_are_what_make_reform_derives_from_the_decree():
    spec = importlib.util.spec_from_file_location("make_reform", REFORM / "make_reform.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    former = pd.read_csv(MIRROR / "geo/sv/sv_municipios_munA_attributes_pop2007.csv", dtype=str)
    municipalities, crosswalk = module.derive(
        {
            (r.COD_DPTO, module.fold(r.NOM_MUN)): r.COD_MUN4
            for r in former.dropna(subset=["COD_MUN4"]).itertuples()
        }
    )
    committed = {
        name: pd.read_csv(REFORM / name, dtype=str) for name in ("municipios_2024.csv", "crosswalk_2024.csv")
    }
    assert committed["municipios_2024.csv"].to_dict("records") == municipalities
    assert committed["crosswalk_2024.csv"].to_dict("records") == crosswalk
    assert len(municipalities) == 44 and len(crosswalk) == len({r["former_code"] for r in crosswalk}) == 262
    # New codes continue each department's numbers in the decree's order (Hacienda's CAT-013).
    assert [m["code"] for m in municipalities[:3]] == ["0113", "0114", "0115"]


@needs_mirror
def test_series_before_and_after_the_2024_reform_line_up_through_the_crosswalk(live):
    links = pd.read_csv(REFORM / "crosswalk_2024.csv", dtype=str)
    mapping = dict(zip(links["former_code"], links["municipality_code"], strict=True))
    # The same made-up femicide figures keyed by the former codes: 2023 (municipalities then) and
    # 2025 (districts now). Codes lost their leading zero, as spreadsheets do.
    rows = []
    for year in (2023, 2025):
        for i, code in enumerate(sorted(mapping)[:40]):
            rows.append(
                {
                    "territory_code": code.lstrip("0"),
                    "period": str(year),
                    "indicator": "sv_feminicidios",
                    "value": i % 4,
                }
            )
    path = live.warehouse_path.parent / "sv.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    ingest(live, "generic", path, country="SV", release="prueba", log=lambda _: None)

    con = duckdb.connect(str(live.warehouse_path), read_only=True)
    by_new = con.execute(
        """SELECT year(period), territory_code, value FROM rollup
           WHERE indicator_id = 'sv_feminicidios' AND level = 'municipality' ORDER BY 1, 2"""
    ).fetchall()
    national = dict(
        con.execute(
            "SELECT year(period), value FROM rollup WHERE indicator_id = 'sv_feminicidios' AND level = 'country'"
        ).fetchall()
    )
    con.close()
    expected: dict[str, float] = {}
    for i, code in enumerate(sorted(mapping)[:40]):
        expected[mapping[code]] = expected.get(mapping[code], 0) + i % 4
    for year in (2023, 2025):
        got = {code: value for y, code, value in by_new if y == year}
        assert got == {k: v for k, v in expected.items() if k in got} and set(got) == set(expected)
    assert national[2023] == national[2025] == sum(i % 4 for i in range(40))


@needs_mirror
def test_without_the_reform_files_the_262_stay_municipalities_and_national_totals_are_the_same(
    tmp_path, real_warehouse
):
    data = tmp_path / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("cache", "warehouse", "*_2024.csv"))
    settings = Settings.from_env(
        environ={}, data_dir=str(data), warehouse=str(tmp_path / "wh" / "o.duckdb"), mirror=str(MIRROR)
    )
    build(settings, log=lambda _: None)
    national = """SELECT 'population', sex, value FROM population WHERE country = 'SV' AND territory_code = 'SV'
                  UNION ALL SELECT indicator_id, CAST(period AS VARCHAR), value FROM rollup
                  WHERE country = 'SV' AND level = 'country' ORDER BY ALL"""
    departments = """SELECT territory_code, sex, value FROM population WHERE country = 'SV'
                     AND length(territory_code) = 2 AND territory_code <> 'SV' ORDER BY ALL"""
    totals = []
    for path in (settings.warehouse_path, real_warehouse):
        con = duckdb.connect(str(path), read_only=True)
        totals.append((sv_levels(con), con.execute(national).fetchall(), con.execute(departments).fetchall()))
        con.close()
    (before, national_before, depts_before), (after, national_after, depts_after) = totals
    assert before == {"country": 1, "department": 14, "municipality": 262}
    assert after == {"country": 1, "department": 14, "municipality": 44, "district": 262}
    assert len(national_before) > 3 and national_before == national_after
    assert len(depts_before) == 14 * 3 and depts_before == depts_after


@needs_mirror
def test_territory_groups_are_loaded_and_unknown_members_refused(real_warehouse, tmp_path):
    from observatory.ingest.territories import groups

    con = duckdb.connect(str(real_warehouse), read_only=True)
    rows = con.execute("SELECT group_id, territory_code FROM territory_groups ORDER BY 2").fetchall()
    territories = con.execute("SELECT country, code FROM territories").df()
    con.close()
    assert rows == [("lima_callao", "0701"), ("lima_callao", "1501")]
    (tmp_path / "bad.toml").write_text(
        'id = "x"\ncountry = "SV"\nname_es = "x"\nname_en = "x"\nmembers = ["0614", "9999"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ValueError) as info:
        groups(tmp_path, territories)
    assert "bad.toml: unknown territory codes ['9999'] for SV" in str(info.value)


ZZ_PACK = """
code = "ZZ"
name_es = "País de prueba"
name_en = "Test country"
levels = ["department", "municipality"]
code_widths = { department = 2, municipality = 4 }
default_indicator = "zz_casos"
loader = "declarative"
bbox = [-10.0, -10.0, 10.0, 10.0]
tagline_es = "Datos inventados de un país de prueba"
tagline_en = "Made-up data of a test country"

[labels.es]
country = "País"
department = "Región"
municipality = "Comuna"

[labels.en]
country = "Country"
department = "Region"
municipality = "Commune"

[numbers]
thousands = "."
decimal = ","

[help]
name = "Línea 999"
es = "Línea 999, gratuita."
en = "Line 999, free."
phone = "999"

[[territories]]
file = { source = "zz_registro", key = "communes" }
level = "department"
code = "REG"
name = "REGION"

[[territories]]
file = { source = "zz_registro", key = "communes" }
level = "municipality"
code = "COD"
name = "COMUNA"
parent = "REG"
name_case = "title"

[[population]]
file = { source = "zz_registro", key = "communes" }
code = "COD"
year = 2020
source = "censo_2020"
columns = { total = "POB", female = "MUJERES" }
"""

ZZ_COMMUNES = """REG,REGION,COD,COMUNA,POB,MUJERES
1,NORTE,101,VILLA DEL NORTE,12000,6100
1,NORTE,102,SAN PEDRO,8000,4000
2,SUR,201,PUERTO SUR,20000,10400
"""

ZZ_INDICATOR = """
[zz_casos]
kind = "case"
country = "ZZ"
source = "zz_observatorio"
granularity = "year"
finest_level = "municipality"
zero_fill = false
disclosure = "publish"
denominator = "female"
rate_per = 100000
unit_es = "casos"
unit_en = "cases"
title_es = "Casos inventados"
title_en = "Made-up cases"
definition_es = "Casos inventados para probar un tercer país."
definition_en = "Made-up cases to test a third country."
numerator_es = "Casos."
numerator_en = "Cases."
denominator_es = "Mujeres."
denominator_en = "Women."
publisher = "Prueba"
source_url = "https://example.org/"
licence = "CC0"
frequency_es = "Anual."
frequency_en = "Yearly."
caveats_es = "Inventado."
caveats_en = "Made up."
"""


@needs_mirror
def test_a_third_country_is_a_pack_and_data_files_not_code(tmp_path):
    """A made-up country 'ZZ': a pack, a declared territory file, an indicator entry and a CSV
    through the generic importer; the app then serves it with its own level names and numbers."""
    from app import create_app

    data = tmp_path / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("cache", "warehouse"))
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for child in MIRROR.iterdir():
        (mirror / child.name).symlink_to(child)
    (mirror / "zz").mkdir()
    communes = mirror / "zz" / "comunas.csv"
    communes.write_text(ZZ_COMMUNES, encoding="utf-8")
    (data / "countries" / "zz.toml").write_text(ZZ_PACK, encoding="utf-8")
    with (data / "sources.toml").open("a", encoding="utf-8") as f:
        f.write(
            '\n[sources.zz_registro]\ntitle = "Comunas de prueba"\npublisher = "Prueba"\nlicence = "CC0"\n'
            'adapter = "reference"\n\n[sources.zz_observatorio]\ntitle = "Casos de prueba"\n'
            'publisher = "Prueba"\nlicence = "CC0"\nadapter = "generic"\n\n'
            f'[[files]]\nsource = "zz_registro"\nkey = "communes"\nmirror_path = "zz/comunas.csv"\n'
            f'url = "https://example.org/comunas.csv"\nsha256 = "{sha256_of(communes)}"\n'
        )
    with (data / "indicators.toml").open("a", encoding="utf-8") as f:
        f.write(ZZ_INDICATOR)
    settings = Settings.from_env(
        environ={},
        data_dir=str(data),
        mirror=str(mirror),
        warehouse=str(tmp_path / "wh" / "o.duckdb"),
        country="ZZ",
    )
    build(settings, log=lambda _: None)
    cases = tmp_path / "zz.csv"
    cases.write_text(
        "territory_code,period,indicator,value\n101,2023,zz_casos,3\n102,2023,zz_casos,5\n201,2023,zz_casos,12\n",
        encoding="utf-8",
    )
    ingest(settings, "generic", cases, country="ZZ", release="prueba", log=lambda _: None)

    client = create_app(settings).server.test_client()
    body = client.get("/api/v1/observations?area=01").get_json()
    rows = {r["code"]: r for r in body["data"]}
    assert body["indicator"] == "zz_casos" and set(rows) == {"0101", "0102"}
    assert rows["0101"]["name"] == "Villa del Norte" and rows["0102"]["count"] == 5
    national = client.get("/api/v1/observations").get_json()
    assert {r["code"]: r["count"] for r in national["data"]} == {"01": 8, "02": 12}
    assert round(next(r for r in national["data"] if r["code"] == "02")["rate"], 1) == round(
        12 / 10400 * 1e5, 1
    )
    ctx = client.application.extensions["observatory"]
    assert ctx.site.help_phone == "999" and ctx.site.tagline["es"] == "Datos inventados de un país de prueba"
    words = text(dashboard.build(ctx, dashboard.view_of(ctx, "?area=01")))
    assert "Región" in words and "Comuna" in words and "Provincia" not in words
    assert i18n.number(1234.5, "es", 1) == "1.234,5"
