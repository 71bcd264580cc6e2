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

from observatory.build.sources import sha256_of
from observatory.build.warehouse import build, ingest
from observatory.contract import i18n
from observatory.contract.countries import PackError, load_pack, pack
from observatory.contract.settings import Settings
from observatory.web import dashboard
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
    from observatory.build.territories import groups

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
    from observatory.web.app import create_app

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


# --- Bolivia: a third country pack (data/countries/bo.toml) ---------------------------------


def test_the_bolivia_pack_has_departments_provinces_and_municipalities():
    bo = pack(str(DATA), "BO")
    assert bo.levels == ("department", "province", "municipality")
    assert bo.code_widths == {"department": 2, "province": 4, "municipality": 6}
    assert (bo.label("province", "es"), bo.label("municipality", "en")) == ("Provincia", "Municipality")
    assert bo.child_level("province") == "municipality" and bo.child_level("municipality") is None
    assert bo.pad("20105", "municipality") == "020105"
    assert bo.boundaries == {
        "department": "bo-department",
        "province": "bo-province",
        "municipality": "bo-municipality",
    }


def bo_levels(con) -> dict[str, int]:
    return dict(
        con.execute("SELECT level, count(*) FROM territories WHERE country = 'BO' GROUP BY 1").fetchall()
    )


@needs_mirror
def test_bolivia_9_departments_113_provinces_343_municipalities_and_2012_women(real_warehouse):
    con = duckdb.connect(str(real_warehouse), read_only=True)
    levels = bo_levels(con)
    rows = {
        code: (level, name, parent, note)
        for code, level, name, parent, note in con.execute(
            "SELECT code, level, name, parent_code, vintage_note FROM territories WHERE country = 'BO'"
        ).fetchall()
    }
    women = dict(
        con.execute(
            """SELECT t.level, sum(p.value) FROM population p
               JOIN territories t ON t.country = p.country AND t.code = p.territory_code
               WHERE p.country = 'BO' AND p.sex = 'female' AND p.year = 2012 GROUP BY 1"""
        ).fetchall()
    )
    counted = {
        r[0]
        for r in con.execute(
            "SELECT territory_code FROM population WHERE country = 'BO' AND length(territory_code) = 6"
        ).fetchall()
    }
    national = con.execute(
        """SELECT sex, value FROM population
           WHERE country = 'BO' AND territory_code = 'BO' AND source = 'censo_2012' ORDER BY sex"""
    ).fetchall()
    source = con.execute(
        "SELECT publisher, licence, url FROM sources WHERE name = 'bo_municipios'"
    ).fetchone()
    con.close()
    assert levels == {"country": 1, "department": 9, "province": 113, "municipality": 343}
    # El Alto (INE 020105) in the province of Murillo (0201), department of La Paz (02).
    assert rows["020105"][:3] == ("municipality", "El Alto", "0201")
    assert rows["0201"][:3] == ("province", "Murillo", "02") and rows["02"][:3] == (
        "department",
        "La Paz",
        "BO",
    )
    assert rows["05"][1] == "Potosí"
    # Every code sits inside its parent's code, as the INE nests them.
    assert all(
        parent == "BO" or code.startswith(parent) for code, (_, _, parent, _) in rows.items() if parent
    )
    # 2012 census (PROVENANCE.txt): women 5,040,409 at every level; 339 municipalities counted.
    assert women == dict.fromkeys(("country", "department", "province", "municipality"), 5_040_409)
    assert national == [("female", 5_040_409), ("male", 5_019_447), ("total", 10_059_856)]
    created = {"031304", "050405", "051204", "080901"}
    assert len(counted) == 339 and counted == {c for c, r in rows.items() if r[0] == "municipality"} - created
    assert all("después del censo 2012" in rows[c][3] for c in created)
    # Credited: CC BY 4.0, Lab TecnoSocial.
    assert "Lab TecnoSocial" in source[0] and source[1] == "CC BY 4.0" and "alex-roc" in source[2]


@needs_mirror
def test_cepal_national_series_covers_bolivia_2015_to_2021(real_warehouse):
    con = duckdb.connect(str(real_warehouse), read_only=True)
    series = con.execute(
        """SELECT year(period), value FROM rollup
           WHERE indicator_id = 'cepal_feminicidios' AND country = 'BO' AND territory_code = 'BO'
             AND level = 'country' ORDER BY 1"""
    ).fetchall()
    con.close()
    years = [y for y, _ in series]
    assert years == list(range(2015, 2022))
    # The figures of the CEPALSTAT export (indicator 2780) for Bolivia.
    assert [int(v) for _, v in series] == [96, 104, 110, 130, 117, 113, 108]


def test_a_population_code_that_is_not_a_territory_is_refused(tmp_path):
    from observatory.build.territories import declarative
    from observatory.contract.countries import Pack

    places = tmp_path / "places.csv"
    places.write_text("dep,prov,mun,name\n01,01,01,Uno\n01,01,02,Dos\n", encoding="utf-8")
    people = tmp_path / "people.csv"
    people.write_text("code,women\n010101,10\n010199,5\n", encoding="utf-8")
    files = {"places": places, "people": people}
    zz = Pack(
        code="ZZ",
        name_es="ZZ",
        name_en="ZZ",
        levels=("department", "province", "municipality"),
        code_widths={"department": 2, "province": 4, "municipality": 6},
        default_indicator="x",
        loader="declarative",
        boundaries={},
        bbox=(0, 0, 1, 1),
        labels={},
        numbers={},
        help={},
        territories=[
            {"file": {"source": "s", "key": "places"}, "level": "department", "code": "dep", "name": "dep"},
            {
                "file": {"source": "s", "key": "places"},
                "level": "province",
                "code": ["dep", "prov"],
                "name": "prov",
                "parent": "dep",
            },
            {
                "file": {"source": "s", "key": "places"},
                "level": "municipality",
                "code": ["dep", "prov", "mun"],
                "name": "name",
                "parent": ["dep", "prov"],
            },
        ],
        population=[
            {
                "file": {"source": "s", "key": "people"},
                "code": "code",
                "year": 2012,
                "source": "c",
                "columns": {"female": "women"},
            }
        ],
    )
    with pytest.raises(ValueError) as info:
        declarative(zz, lambda source, key: files[key], tmp_path)
    assert str(info.value) == "people.csv: population codes that are not territories: ['010199']"
    people.write_text("code,women\n010101,10\n010102,5\n", encoding="utf-8")
    territories, population = declarative(zz, lambda source, key: files[key], tmp_path)
    below = territories[territories["level"] != "country"]
    assert dict(zip(below["code"], below["parent_code"], strict=True)) == {
        "01": "ZZ",
        "0101": "01",
        "010101": "0101",
        "010102": "0101",
    }
    assert dict(zip(population["territory_code"], population["value"], strict=True)) == {
        "010101": 10,
        "010102": 5,
        "0101": 15,
        "01": 15,
        "ZZ": 15,
    }


@needs_mirror
def test_bolivia_boundaries_are_built_from_the_municipal_layer_and_match_the_territories(
    tmp_path, real_warehouse
):
    import json

    import shapely

    from observatory.build.boundaries import bolivia_layers, build_boundaries

    geo = MIRROR / "geo" / "bo"
    layers = bolivia_layers(geo / "municipios_bolivia_2024.geojson", geo / "municipios_bolivia_2024.csv")
    summary = build_boundaries(layers, tmp_path)
    assert {k: v["features"] for k, v in summary.items()} == {
        "bo-municipality": 343,
        "bo-province": 113,
        "bo-department": 9,
    }
    con = duckdb.connect(str(real_warehouse), read_only=True)
    codes = dict(
        con.execute(
            "SELECT level, list(code ORDER BY code) FROM territories WHERE country = 'BO' GROUP BY 1"
        ).fetchall()
    )
    con.close()
    shapes = {}
    for level in ("municipality", "province", "department"):
        collection = json.loads((tmp_path / f"bo-{level}.geojson").read_text(encoding="utf-8"))
        ids = [f["id"] for f in collection["features"]]
        assert ids == sorted(codes[level])  # one polygon per territory, keyed by the INE code
        shapes[level] = {f["id"]: shapely.geometry.shape(f["geometry"]) for f in collection["features"]}
        west, south, east, north = pack(str(DATA), "BO").bbox
        bounds = shapely.union_all(list(shapes[level].values())).bounds
        assert west <= bounds[0] and south <= bounds[1] and bounds[2] <= east and bounds[3] <= north
    assert shapes["municipality"]["020105"].is_valid and shapes["municipality"]["020105"].area > 0
    # A province is exactly the union of its municipalities (dissolved, not simplified again).
    murillo = shapely.union_all([g for c, g in shapes["municipality"].items() if c.startswith("0201")])
    assert murillo.symmetric_difference(shapes["province"]["0201"]).area < 1e-9
    la_paz = sum(g.area for c, g in shapes["province"].items() if c.startswith("02"))
    assert abs(la_paz - shapes["department"]["02"].area) < 1e-6 * la_paz


def _fold_name(name: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(plain.casefold().split())


def _explained_spellings() -> set[tuple[str, str, str, str]]:
    """The rows of PROVENANCE.md's table of spellings: (code, level, ours, independent list)."""
    text = (REFORM / "PROVENANCE.md").read_text(encoding="utf-8")
    section = text.split("## Cross-check against an independent list", 1)[1]
    rows = set()
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].isdigit():
            rows.add(tuple(cells))
    return rows


@needs_mirror
def test_the_2024_municipalities_agree_with_the_independent_list():
    """Every municipality's code, name, department and districts, against the mirror's independent
    list (geo/sv/reform-2024-crosscheck/); every spelling difference is explained in PROVENANCE.md."""
    import json

    listed = json.loads(
        (MIRROR / "geo/sv/reform-2024-crosscheck/localization.json").read_text(encoding="utf-8")
    )
    theirs = {}
    for department in listed:
        if department["code"] == "00":  # "Otro (para extranjeros)": not a territory
            continue
        for m in department["municipios"]:
            districts = [d["nombre"] for d in m.get("distritos", [])]
            theirs[department["code"] + m["code"]] = (m["nombre"], department["code"], districts)
    municipalities = pd.read_csv(REFORM / "municipios_2024.csv", dtype=str)
    links = pd.read_csv(REFORM / "crosswalk_2024.csv", dtype=str)
    ours = {
        r.code: (r.name, r.department, list(links.loc[links["municipality_code"] == r.code, "former_name"]))
        for r in municipalities.itertuples()
    }
    assert len(ours) == len(theirs) == 44
    assert sum(len(d) for *_, d in theirs.values()) == len(links) == 262
    disagree = []
    spellings = set()
    for code in sorted(set(ours) | set(theirs)):
        if code not in ours or code not in theirs:
            disagree.append((code, "only in one list", ours.get(code), theirs.get(code)))
            continue
        (name, department, districts), (their_name, their_department, their_districts) = (
            ours[code],
            theirs[code],
        )
        if department != their_department or _fold_name(name) != _fold_name(their_name):
            disagree.append((code, "name or department", (name, department), (their_name, their_department)))
        if sorted(map(_fold_name, districts)) != sorted(map(_fold_name, their_districts)):
            disagree.append((code, "districts", sorted(districts), sorted(their_districts)))
            continue
        if name.casefold() != their_name.casefold():
            spellings.add((code, "municipality", name, their_name))
        spelled = {_fold_name(d): d for d in their_districts}
        for d in districts:
            if d.casefold() != spelled[_fold_name(d)].casefold():
                spellings.add((code, "district", d, spelled[_fold_name(d)]))
    assert disagree == []
    assert spellings == _explained_spellings()
    # The difference fixed after the first cross-check: Cabañas Oeste is 0910 and Este 0911.
    assert ours["0910"][0] == "Cabañas Oeste" and "Ilobasco" in ours["0910"][2]
    assert ours["0911"][0] == "Cabañas Este" and "Sensuntepeque" in ours["0911"][2]
