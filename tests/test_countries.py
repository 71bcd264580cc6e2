"""Country packs side by side: Peru and El Salvador from one warehouse, and El Salvador's 2024
reform lining up series before and after May 2024 through a (made-up) crosswalk."""

from __future__ import annotations

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


@needs_mirror
def test_el_salvador_departments_and_municipalities_sit_beside_peru(real_warehouse):
    con = duckdb.connect(str(real_warehouse), read_only=True)
    levels = dict(
        con.execute("SELECT level, count(*) FROM territories WHERE country = 'SV' GROUP BY 1").fetchall()
    )
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
    assert levels == {"country": 1, "department": 14, "municipality": 262}
    assert names["09"] == "Cabañas" and names["14"] == "La Unión" and names["01"] == "Ahuachapán"
    assert women == 3_024_742  # 2007 census, PROVENANCE.txt
    assert peru == 26


def made_up_reform(data: Path, former: pd.DataFrame) -> dict[str, str]:
    """Invented codes 'T01'.. grouping each department's former municipalities in threes-ish:
    NOT official codes; only the shape of the real files."""
    mapping, municipalities = {}, []
    for dept, group in former.groupby("parent_code"):
        codes = sorted(group["code"])
        size = max(1, len(codes) // 3)
        for i, code in enumerate(codes):
            new = f"T{dept}{min(i // size, 2)}"
            mapping[code] = new
        for j in sorted({mapping[c] for c in codes}):
            municipalities.append({"code": j, "name": f"Municipio de prueba {j}", "department": dept})
    folder = data / "countries" / "sv"
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(municipalities).to_csv(folder / "municipios_2024.csv", index=False)
    pd.DataFrame({"former_code": list(mapping), "municipality_code": list(mapping.values())}).to_csv(
        folder / "crosswalk_2024.csv", index=False
    )
    return mapping


@needs_mirror
def test_series_before_and_after_the_2024_reform_line_up_through_the_crosswalk(tmp_path, real_warehouse):
    data = tmp_path / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("cache", "warehouse"))
    con = duckdb.connect(str(real_warehouse), read_only=True)
    former = con.execute(
        "SELECT code, parent_code FROM territories WHERE country = 'SV' AND level = 'municipality'"
    ).df()
    con.close()
    mapping = made_up_reform(data, former)
    settings = Settings.from_env(
        environ={}, data_dir=str(data), warehouse=str(tmp_path / "wh" / "o.duckdb"), mirror=str(MIRROR)
    )
    build(settings, log=lambda _: None)

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
    path = tmp_path / "sv.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    ingest(settings, "generic", path, country="SV", release="prueba", log=lambda _: None)

    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    levels = dict(
        con.execute("SELECT level, count(*) FROM territories WHERE country = 'SV' GROUP BY 1").fetchall()
    )
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
    assert levels["district"] == 262 and levels["municipality"] == len(set(mapping.values()))
    expected: dict[str, float] = {}
    for i, code in enumerate(sorted(mapping)[:40]):
        expected[mapping[code]] = expected.get(mapping[code], 0) + i % 4
    for year in (2023, 2025):
        got = {code: value for y, code, value in by_new if y == year}
        assert got == {k: v for k, v in expected.items() if k in got} and set(got) == set(expected)
    assert national[2023] == national[2025] == sum(i % 4 for i in range(40))


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
