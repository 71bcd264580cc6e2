"""The real declared files: warehouse totals equal file totals to the unit, releases revise
each other, every district code is kept, levels add up."""

from __future__ import annotations

import csv
import json
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from observatory.__main__ import main
from observatory.build.sources import load_declared, locate, sha256_of
from observatory.build.warehouse import Writer, build, ingest, load_reference, refresh_catalogue
from observatory.contract.settings import Settings
from tests.conftest import MIRROR, needs_mirror

pytestmark = needs_mirror

# The 14 district ubigeos of the 2018-2025 complaints that the 2016 boundary set lacks (PROVENANCE.txt).
NEWER_THAN_2016 = {
    "050116", "050509", "070107", "080914", "080915", "100608", "160801",
    "160803", "190308", "200115", "211105", "230111", "250304", "250305",
}  # fmt: skip


def file_totals(path: Path) -> dict[int, int]:
    """Per-year totals computed straight from the CSV, independently of the adapter."""
    totals: Counter = Counter()
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            totals[int(row["AÑO"])] += int(row["CANTIDAD"])
    return dict(totals)


def file_codes(path: Path) -> set[str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return {row["UBIGEO_HECHO"].zfill(6) for row in csv.DictReader(fh)}


def warehouse_totals(path: Path) -> dict[int, int]:
    con = duckdb.connect(str(path), read_only=True)
    rows = con.execute(
        "SELECT year(period), sum(value) FROM observations WHERE indicator_id = 'pe_denuncias_vcm' GROUP BY 1"
    ).fetchall()
    con.close()
    return {int(y): int(v) for y, v in rows}


def sidpol(release: str) -> Path:
    settings = Settings.from_env(environ={}, mirror=str(MIRROR))
    return locate(settings, load_declared(settings).file("pe_sidpol_vcm", release=release))


@pytest.fixture(scope="module")
def oct_then_nov(tmp_path_factory):
    """A warehouse with only reference data, then the Oct-2025 release, then Nov-2025 imported on top."""
    folder = tmp_path_factory.mktemp("releases")
    settings = Settings.from_env(environ={}, warehouse=str(folder / "observatory.duckdb"), mirror=str(MIRROR))
    declared = load_declared(settings)
    with Writer(settings, fresh=True, declared=declared) as con:
        refresh_catalogue(con, settings, declared)
        load_reference(con, settings, declared, log=lambda _: None)
    ingest(settings, "pe_sidpol_vcm", sidpol("2025-10"), release="2025-10", log=lambda _: None)
    after_oct = warehouse_totals(settings.warehouse_path)
    result = ingest(settings, "pe_sidpol_vcm", sidpol("2025-11"), release="2025-11", log=lambda _: None)
    return settings, after_oct, result


def test_october_totals_equal_the_file_to_the_unit(oct_then_nov):
    _, after_oct, _ = oct_then_nov
    expected = file_totals(sidpol("2025-10"))
    assert after_oct == expected
    assert after_oct[2024] == 243_915


def test_november_totals_equal_the_file_to_the_unit(oct_then_nov):
    settings, _, _ = oct_then_nov
    expected = file_totals(sidpol("2025-11"))
    assert warehouse_totals(settings.warehouse_path) == expected
    assert expected[2024] == 243_952


def test_november_after_october_records_the_revisions(oct_then_nov):
    settings, after_oct, result = oct_then_nov
    nov = file_totals(sidpol("2025-11"))
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    rows = con.execute(
        "SELECT year, old_release, total_before, total_after FROM revisions WHERE source = 'pe_sidpol_vcm' "
        "AND new_release = '2025-11' ORDER BY year"
    ).fetchall()
    con.close()
    expected = [(y, "2025-10", after_oct[y], nov[y]) for y in sorted(nov) if after_oct.get(y) != nov[y]]
    assert rows == expected
    assert (2024, "2025-10", 243_915, 243_952) in rows
    assert {r["year"] for r in result.revisions} == {r[0] for r in rows}


def test_the_same_file_twice_changes_nothing(oct_then_nov):
    settings, _, _ = oct_then_nov
    before = sha256_of(settings.warehouse_path)
    result = ingest(settings, "pe_sidpol_vcm", sidpol("2025-11"), release="2025-11", log=lambda _: None)
    assert result.status == "unchanged"
    assert sha256_of(settings.warehouse_path) == before


def test_every_district_code_of_the_files_is_a_territory(real_warehouse):
    codes = file_codes(sidpol("2025-11")) | file_codes(sidpol("2025-10"))
    con = duckdb.connect(str(real_warehouse), read_only=True)
    known = {
        r[0]
        for r in con.execute(
            "SELECT code FROM territories WHERE country = 'PE' AND level = 'district'"
        ).fetchall()
    }
    con.close()
    assert codes - known == set()
    assert NEWER_THAN_2016 <= codes


def test_districts_newer_than_the_2016_layer_are_kept_with_a_note(tmp_path):
    """With the older boundary layer, the 14 newer districts have no polygon but keep their counts."""
    settings = Settings.from_env(
        environ={},
        warehouse=str(tmp_path / "o.duckdb"),
        mirror=str(MIRROR),
        boundary_layer="peru-geojson-2016",
    )
    build(settings, log=lambda _: None)
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    no_polygon = con.execute(
        """SELECT t.code, t.vintage_note, sum(o.value) FROM territories t
           JOIN observations o ON o.country = t.country AND o.territory_code = t.code
           WHERE t.level = 'district' AND NOT t.has_boundary AND o.indicator_id = 'pe_denuncias_vcm'
           GROUP BY ALL"""
    ).fetchall()
    con.close()
    assert {code for code, _, _ in no_polygon} == NEWER_THAN_2016
    assert all("no polygon in the boundary layer peru-geojson-2016" in note for _, note, _ in no_polygon)
    assert all(total > 0 for _, _, total in no_polygon)


def test_national_total_is_the_sum_over_districts_every_month(real_warehouse):
    con = duckdb.connect(str(real_warehouse), read_only=True)
    rows = con.execute(
        """SELECT n.period, n.value, d.s FROM rollup n
           JOIN (SELECT period, sum(value) AS s FROM rollup WHERE indicator_id = 'pe_denuncias_vcm'
                 AND level = 'district' GROUP BY period) d USING (period)
           WHERE n.indicator_id = 'pe_denuncias_vcm' AND n.level = 'country'"""
    ).fetchall()
    by_level = con.execute(
        """SELECT level, sum(value) FROM rollup WHERE indicator_id = 'pe_denuncias_vcm' GROUP BY level"""
    ).fetchall()
    con.close()
    assert len(rows) == 95  # 2018-01 .. 2025-11
    assert all(national == districts for _, national, districts in rows)
    totals = dict(by_level)
    assert totals["country"] == totals["department"] == totals["province"] == totals["district"]
    assert totals["country"] == sum(file_totals(sidpol("2025-11")).values())


def test_the_latest_month_is_provisional(real_warehouse):
    con = duckdb.connect(str(real_warehouse), read_only=True)
    rows = con.execute(
        "SELECT strftime(period, '%Y-%m'), bool_and(provisional), bool_or(provisional) FROM observations "
        "WHERE indicator_id = 'pe_denuncias_vcm' GROUP BY 1 HAVING bool_or(provisional)"
    ).fetchall()
    con.close()
    assert rows == [("2025-11", True, True)]


def test_lima_metropolitana_region_lima_and_callao_add_up_to_their_departments(real_warehouse):
    """MININTER's 'LIMA METROPOLITANA' is province 1501, 'REGION LIMA' the rest of department 15."""
    path = sidpol("2025-11")
    units: Counter = Counter()
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["AÑO"] == "2024":
                units[row["DPTO_HECHO"]] += int(row["CANTIDAD"])
    con = duckdb.connect(str(real_warehouse), read_only=True)
    value = dict(
        con.execute(
            """SELECT territory_code, sum(value) FROM rollup WHERE indicator_id = 'pe_denuncias_vcm'
               AND year(period) = 2024 AND territory_code IN ('15', '1501', '07') GROUP BY 1"""
        ).fetchall()
    )
    con.close()
    assert value["1501"] == units["LIMA METROPOLITANA"]
    assert value["15"] == units["LIMA METROPOLITANA"] + units["REGION LIMA"]
    assert value["07"] == units["PROV. CONST. DEL CALLAO"]


def test_the_xlsx_release_reads_the_same_way():
    """The March-2025 release comes as XLSX with the ubigeo stored as a number."""
    from observatory.build import recipe_runner
    from observatory.build.warehouse import context

    settings = Settings.from_env(environ={}, mirror=str(MIRROR))
    path = sidpol("2025-03")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        s = Settings.from_env(environ={}, warehouse=f"{tmp}/o.duckdb", mirror=str(MIRROR))
        declared = load_declared(s)
        with Writer(s, fresh=True, declared=declared) as con:
            refresh_catalogue(con, s, declared)
            load_reference(con, s, declared, log=lambda _: None)
            recipe, recipe_file = recipe_runner.for_source(Path(s.data_dir), "pe_sidpol_vcm")
            batch = recipe_runner.run(
                recipe, path, context(con, settings), recipe_name=recipe_file.name
            ).batch
    obs = batch.observations
    assert batch.rows_read == 80_073
    assert int(obs.loc[obs["period"].dt.year == 2024, "value"].sum()) == 243_274
    assert obs["period"].max().strftime("%Y-%m") == "2025-03"
    assert obs.loc[obs["provisional"], "period"].dt.strftime("%Y-%m").unique().tolist() == ["2025-03"]


def test_other_declared_sources_load_with_their_known_totals(real_warehouse):
    con = duckdb.connect(str(real_warehouse), read_only=True)
    fem = dict(
        con.execute(
            "SELECT indicator_id, sum(value) FROM observations WHERE indicator_id LIKE 'pe_%feminicidio%' "
            "OR indicator_id LIKE 'pe_%mimp_nacional' GROUP BY 1"
        ).fetchall()
    )
    cem = dict(
        con.execute(
            "SELECT year(period), sum(value) FROM observations WHERE indicator_id = 'pe_cem_casos' GROUP BY 1"
        ).fetchall()
    )
    cepal = dict(
        con.execute(
            "SELECT year(period), value FROM observations WHERE indicator_id = 'cepal_feminicidios' AND territory_code = 'PE'"
        ).fetchall()
    )
    sv = con.execute(
        "SELECT count(*) FROM observations WHERE indicator_id = 'cepal_feminicidios' AND territory_code = 'SV'"
    ).fetchone()[0]
    con.close()
    assert fem == {  # PROVENANCE.txt totals
        "pe_feminicidios": 812,
        "pe_tentativas_feminicidio": 921,
        "pe_feminicidios_distrito_2019": 166,  # MIMP's 2019 case list, counted (issue 20)
        "pe_mp_feminicidio": 123,  # Ministerio Público, Lambayeque, 108-B 2019-2023 (issue 20)
        "pe_feminicidios_mimp_nacional": 1_822,
        "pe_tentativas_mimp_nacional": 3_319,
    }
    assert cem == {2020: 114_490, 2021: 163_790, 2022: 154_197, 2023: 166_309, 2024: 168_489, 2025: 169_536}
    assert [cepal[y] for y in range(2009, 2022)] == [
        154,
        139,
        123,
        122,
        111,
        100,
        103,
        105,
        116,
        150,
        148,
        137,
        136,
    ]
    assert sv == 8


def test_info_json_prints_sources_totals_and_territories(real_warehouse, capsys, monkeypatch):
    monkeypatch.setenv("OBSERVATORY_WAREHOUSE", str(real_warehouse))
    assert main(["info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    sidpol_info = next(s for s in info["sources"] if s["name"] == "pe_sidpol_vcm")
    assert sidpol_info["release"] == "2025-11"
    assert sidpol_info["rows"] == 87_502
    assert (sidpol_info["first_period"], sidpol_info["last_period"]) == ("2018-01", "2025-11")
    assert sidpol_info["totals_by_year"]["2024"] == 243_952
    assert info["territories"]["department"] == 26  # 25 + 'No especificado'
    assert info["territories"]["province"] == 196
    assert info["territories"]["district"] >= 1_891


def test_a_build_that_fails_leaves_the_previous_warehouse(tmp_path, real_warehouse):
    """A declared file that is not in the mirror stops the build before anything is replaced."""
    import tomllib

    data = tmp_path / "data"
    shutil.copytree(
        Path(Settings.from_env(environ={}).data_dir),
        data,
        ignore=shutil.ignore_patterns("cache", "warehouse"),
    )
    text = (data / "sources.toml").read_text(encoding="utf-8")
    (data / "sources.toml").write_text(
        text.replace("Base_Datos_Denuncias_Violencia_2018_Nov2025.csv", "missing.csv")
    )
    assert "missing.csv" in str(tomllib.loads((data / "sources.toml").read_text())["files"])
    warehouse = tmp_path / "wh" / "observatory.duckdb"
    warehouse.parent.mkdir()
    shutil.copyfile(real_warehouse, warehouse)
    before = sha256_of(warehouse)
    settings = Settings.from_env(environ={}, data_dir=str(data), warehouse=str(warehouse), mirror=str(MIRROR))
    from observatory.build.sources import FetchError

    with pytest.raises(FetchError) as info:
        build(settings, log=lambda _: None)
    assert "missing.csv" in str(info.value) and "put it at" in str(info.value)
    assert sha256_of(warehouse) == before


# Exact (Garwood) 95% Poisson interval for n = 10 events, as tabulated in textbooks
# (e.g. Ulm 1990, Am J Epidemiol 131:373; Breslow & Day vol. II, table 2.11): 4.7954 to 18.3904.
N_EVENTS, TEXTBOOK_LOW, TEXTBOOK_HIGH = 10, 4.7954, 18.3904
RELATIVE_TOLERANCE = 1e-4  # the table's 5 significant figures


def test_a_small_district_rate_carries_the_textbook_poisson_interval(real_warehouse):
    """A district with exactly 10 complaints in 2024: the published rate per 100,000 women and its
    95% interval are the textbook exact bounds for 10 events over the denominator the rate uses."""
    from observatory.contract.site import load_site
    from observatory.views import explore
    from observatory.views.urlstate import parse
    from observatory.warehouse.db import Warehouse

    con = duckdb.connect(str(real_warehouse), read_only=True)
    code, n, women = con.execute(
        """SELECT r.territory_code, sum(r.value), any_value(d.value) FROM rollup r
           JOIN denominators d ON d.country = r.country AND d.territory_code = r.territory_code
            AND d.year = 2024 AND d.sex = 'female'
           WHERE r.indicator_id = 'pe_denuncias_vcm' AND r.level = 'district' AND year(r.period) = 2024
           GROUP BY r.territory_code HAVING sum(r.value) = $n ORDER BY r.territory_code LIMIT 1""",
        {"n": N_EVENTS},
    ).fetchone()
    con.close()
    assert n == N_EVENTS and women > 0

    settings = Settings.from_env(environ={}, warehouse=str(real_warehouse))
    ctx = explore.Context(Warehouse(real_warehouse), settings, load_site(settings.site_path), None)
    view = explore.resolve(
        ctx, parse(f"?ind=pe_denuncias_vcm&area={code[:4]}&from=2024-01&to=2024-12&measure=rate")
    )
    row = explore.area_table(ctx, view).set_index("code").loc[code]

    assert (row["status"], row["count"], row["population"]) == ("value", N_EVENTS, women)
    assert row["unreliable"]  # fewer than 20 events
    per = 100_000 / women
    assert row["rate"] == pytest.approx(N_EVENTS * per, rel=1e-12)
    assert row["ci_low"] == pytest.approx(TEXTBOOK_LOW * per, rel=RELATIVE_TOLERANCE)
    assert row["ci_high"] == pytest.approx(TEXTBOOK_HIGH * per, rel=RELATIVE_TOLERANCE)


def test_districts_changed_in_2014_carry_their_vintage(real_warehouse):
    """data/crosswalks/pe_district_changes.csv dates the creation of the province of Putumayo to 2014:
    Teniente Manuel Clavero took the new code 160803 (160114 before), and the district of Putumayo
    (160109) was split, 160801 being one of its parts. No other Peruvian code is dated."""
    con = duckdb.connect(str(real_warehouse), read_only=True)
    rows = con.execute(
        """SELECT code, valid_from, valid_to FROM territories WHERE country = 'PE'
           AND (valid_from IS NOT NULL OR valid_to IS NOT NULL OR code = '010101') ORDER BY code"""
    ).fetchall()
    con.close()
    assert [(c, str(f) if f else None, str(t) if t else None) for c, f, t in rows] == [
        ("010101", None, None),
        ("160109", None, "2014-12-31"),
        ("160114", None, "2014-12-31"),
        ("160801", "2014-01-01", None),
        ("160803", "2014-01-01", None),
    ]
