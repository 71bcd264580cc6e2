"""Imports never erase by accident (issue 17), on a copy of the real warehouse.

Each case of the issue as a new user met it: a one-row generic file, an older release, comma
decimals, an unknown country, a dry run, history and rollback, UTF-16 and tab-separated files,
and ``info --json`` after a generic import.
"""

from __future__ import annotations

import json
import threading

import duckdb
import pytest

from observatory.__main__ import main
from observatory.build.errors import IngestError
from observatory.build.history import RollbackError, kept, rollback
from observatory.build.sources import sha256_of
from observatory.build.warehouse import ingest
from observatory.warehouse.db import Warehouse
from tests.conftest import FIXTURES, MIRROR, needs_mirror

pytestmark = needs_mirror
FILES = FIXTURES / "files"
SIDPOL_MARCH = (
    MIRROR / "real/pe-mininter-denuncias-vcm/Base_datos_Violencia_contra_la_mujer_IGF_a_marzo_2025.xlsx"
)


def quiet(_: str) -> None:
    pass


def query(settings, sql: str, **params) -> list[tuple]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def totals(settings, indicator: str) -> dict[int, float]:
    return dict(
        query(
            settings,
            "SELECT year(period), sum(value) FROM observations WHERE indicator_id = $i GROUP BY 1 ORDER BY 1",
            i=indicator,
        )
    )


def test_a_one_row_generic_file_for_a_declared_source_is_refused_naming_it(live, tmp_path):
    """The issue's `15,2023,pe_cem_casos,5`: CEM cases are fed by the declared source pe_cem_casos."""
    path = tmp_path / "uno.csv"
    path.write_text("territory_code,period,indicator,value\n15,2023,pe_cem_casos,5\n")
    before, cem = sha256_of(live.warehouse_path), totals(live, "pe_cem_casos")
    with pytest.raises(IngestError) as info:
        ingest(live, "generic", path, log=quiet)
    text = str(info.value)
    assert "pe_cem_casos is fed by the declared source pe_cem_casos" in text
    assert "row 2, column 'indicator'" in text and "accepts_generic" in text
    assert sha256_of(live.warehouse_path) == before
    assert totals(live, "pe_cem_casos") == cem and cem[2020] == 114_490


def test_a_one_row_generic_file_changes_exactly_its_cell(live, tmp_path):
    """pe_feminicidios takes generic rows (accepts_generic): one row adds one cell, the rest stays."""
    path = tmp_path / "uno.csv"
    path.write_text("territory_code,period,indicator,value\n15,2016,pe_feminicidios,9\n")
    before = query(live, "SELECT * EXCLUDE (load_id) FROM observations ORDER BY ALL")
    lima_2016 = query(
        live,
        "SELECT value FROM observations WHERE indicator_id = 'pe_feminicidios' AND territory_code = '15' AND year(period) = 2016",
    )
    result = ingest(live, "generic", path, log=quiet)
    changes = result.changes
    assert (changes.mode, changes.added, changes.changed, changes.removed) == ("merge", 0, 1, 0)
    after = query(live, "SELECT * EXCLUDE (load_id) FROM observations ORDER BY ALL")
    assert len(after) == len(before)
    differ = set(before) ^ set(after)
    assert len(differ) == 2 and lima_2016 and lima_2016[0][0] != 9  # one cell, old value and new
    assert {r[2] for r in differ} == {"15"} and {r[-4] for r in differ} == {lima_2016[0][0], 9.0}


def test_replace_says_first_how_many_published_cells_go(live, tmp_path):
    path = tmp_path / "uno.csv"
    path.write_text("territory_code,period,indicator,value\n15,2016,pe_feminicidios,9\n")
    cells = query(live, "SELECT count(*) FROM observations WHERE indicator_id = 'pe_feminicidios'")[0][0]
    said = []
    result = ingest(live, "generic", path, replace=True, log=said.append)
    assert (
        said[0]
        == f"--replace: all {cells:,} published cells of pe_feminicidios go; the file's cells take their place"
    )
    assert result.changes.removed == cells - 1 and result.changes.changed == 1
    assert totals(live, "pe_feminicidios") == {2016: 9.0}


def test_an_older_release_is_refused_with_both_labels(live):
    """The issue: the March-2025 SIDPOL workbook after the November release (2025 fell to 58,483)."""
    before = sha256_of(live.warehouse_path)
    with pytest.raises(IngestError) as info:
        ingest(live, "pe_sidpol_vcm", SIDPOL_MARCH, log=quiet)  # its release comes from sources.toml
    assert "release 2025-03 is older than release 2025-11 of pe_sidpol_vcm" in str(info.value)
    assert "--allow-older" in str(info.value)
    assert sha256_of(live.warehouse_path) == before
    assert totals(live, "pe_denuncias_vcm")[2025] == 200_593


def test_allow_older_loads_an_older_release(live):
    with pytest.raises(IngestError, match="older than release 2025-11"):
        ingest(live, "pe_sidpol_vcm", FILES / "sidpol_ok.csv", release="2024-02", log=quiet)
    result = ingest(
        live, "pe_sidpol_vcm", FILES / "sidpol_ok.csv", release="2024-02", allow_older=True, log=quiet
    )
    assert result.status == "ok" and totals(live, "pe_denuncias_vcm") == {2024: 12 + 340 + 310 + 9 + 55 + 4}


@pytest.mark.parametrize("value", ["12,0", "1,5", "1.5", "1,234"])
def test_counts_with_a_comma_or_a_dot_are_refused(live, tmp_path, value):
    """The issue: "12,0" was stored as 120 and "1,5" as 15."""
    path = tmp_path / "decimales.csv"
    path.write_text(
        f'territory_code,period,indicator,value\n01,2016,pe_feminicidios,3\n15,2016,pe_feminicidios,"{value}"\n'
    )
    before = sha256_of(live.warehouse_path)
    with pytest.raises(IngestError) as info:
        ingest(live, "generic", path, log=quiet)
    assert "decimales.csv: non-numeric values in value\n  row 3, column 'value': " in str(info.value)
    assert f"(value {value!r})" in str(info.value)
    assert sha256_of(live.warehouse_path) == before


@pytest.mark.parametrize("country", ["CO", "XX"])
def test_an_unknown_country_is_refused_naming_the_packs(live, country, capsys):
    before = sha256_of(live.warehouse_path)
    code = main(
        [
            "--warehouse",
            str(live.warehouse_path),
            "ingest",
            "generic",
            str(FILES / "generic_ok.csv"),
            "--country",
            country,
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert f"unknown country {country!r}" in err and all(
        p in err for p in ("available:", "PE (Peru)", "SV (El Salvador)")
    )
    assert sha256_of(live.warehouse_path) == before


def test_info_json_after_a_generic_import_is_json(live, tmp_path, capsys):
    path = tmp_path / "inst.csv"
    path.write_bytes((FILES / "femicides_by_institution.csv").read_bytes())
    ingest(live, "generic", path, log=quiet)
    capsys.readouterr()
    assert main(["--warehouse", str(live.warehouse_path), "info", "--json"]) == 0

    def no_nan(word):
        raise AssertionError(f"{word} is not JSON")

    info = json.loads(capsys.readouterr().out, parse_constant=no_nan)
    release = {s["name"]: s["release"] for s in info["sources"]}
    assert release["pe_observatorio"] is None and release["pe_sidpol_vcm"] == "2025-11"


def test_a_dry_run_says_what_would_change_and_writes_nothing(live, tmp_path):
    folder = live.warehouse_path.parent
    before = sha256_of(live.warehouse_path), sorted(p.name for p in folder.rglob("*"))
    said = []
    result = ingest(
        live, "pe_sidpol_vcm", FILES / "sidpol_ok.csv", release="2025-12", dry_run=True, log=said.append
    )
    assert (sha256_of(live.warehouse_path), sorted(p.name for p in folder.rglob("*"))) == before
    assert result.status == "dry-run"
    text = "\n".join(said)
    assert text.startswith("dry run, nothing written: pe_sidpol_vcm 2025-12: 6 rows read from sidpol_ok.csv")
    cells = query(live, "SELECT count(*) FROM observations WHERE indicator_id = 'pe_denuncias_vcm'")[0][0]
    c = result.changes
    assert c.added + c.changed == 6 and c.removed == cells - c.changed and c.changed > 0
    assert f"cells: {c.added} added, {c.changed} changed, {c.removed:,} removed (source)" in text
    assert "pe_denuncias_vcm totals by year: 2018 " in text and "2025 200,593 -> -" in text
    assert "2024 " in text and "-> 730" in text  # 12 + 340 + 310 + 9 + 55 + 4
    assert "rows dropped: none" in text


def test_a_refused_dry_run_is_not_a_failed_load(live):
    before = sha256_of(live.warehouse_path)
    with pytest.raises(IngestError):
        ingest(
            live, "pe_sidpol_vcm", FILES / "sidpol_negative.csv", release="2025-12", dry_run=True, log=quiet
        )
    assert sha256_of(live.warehouse_path) == before and not live.failed_loads_path.exists()


def test_history_lists_loads_and_rollback_brings_back_the_file(live, tmp_path, capsys):
    original = sha256_of(live.warehouse_path)
    path = tmp_path / "uno.csv"
    path.write_text("territory_code,period,indicator,value\n15,2016,pe_feminicidios,9\n")
    ingest(live, "generic", path, release="2017", log=quiet)
    loaded = sha256_of(live.warehouse_path)
    assert main(["--warehouse", str(live.warehouse_path), "history"]) == 0
    out = capsys.readouterr().out
    assert "ok        pe_feminicidio_dpto      2017         uno.csv  1 rows" in out
    assert "rollback target  " in out and "as it was before generic 2017 uno.csv" in out
    assert main(["--warehouse", str(live.warehouse_path), "rollback"]) == 0
    assert sha256_of(live.warehouse_path) == original
    assert [k.rolled_back for k in kept(live)] == [True]
    with pytest.raises(RollbackError, match="no earlier warehouse kept"):
        rollback(live)
    assert sha256_of(live.warehouse_path) == original
    assert loaded != original


def test_only_the_last_n_files_are_kept(live, tmp_path):
    settings = live.model_copy(update={"history_keep": 2})
    for year in (2017, 2018, 2019):
        path = tmp_path / f"f{year}.csv"
        path.write_text(f"territory_code,period,indicator,value\n15,{year},pe_feminicidios,{year % 7}\n")
        ingest(settings, "generic", path, log=quiet)
    assert [k.replaced_by["file_name"] for k in kept(settings)] == ["f2018.csv", "f2019.csv"]
    rollback(settings)
    assert (
        totals(settings, "pe_feminicidios").get(2019) is None
        and totals(settings, "pe_feminicidios")[2018] == 2018 % 7
    )


def test_a_rollback_under_load_fails_no_read(live, tmp_path):
    """Readers go on through db.Warehouse (the app's door) while the warehouse is rolled back and
    forth: every read succeeds and sees either the file before or the file after."""
    path = tmp_path / "uno.csv"
    path.write_text("territory_code,period,indicator,value\n15,2019,pe_feminicidios,4\n")
    ingest(live, "generic", path, log=quiet)
    warehouse = Warehouse(live.warehouse_path)

    def count() -> int:
        return int(warehouse.run("health").iloc[0]["observations"])

    after = count()
    rollback(live)
    before = count()
    ingest(live, "generic", path, log=quiet)
    assert count() == after  # the load again, on the file the rollback brought back
    seen, errors, stop = set(), [], threading.Event()

    def read():
        while not stop.is_set():
            try:
                seen.add(count())
            except Exception as exc:  # noqa: BLE001 - any failure is what this test looks for
                errors.append(repr(exc))

    readers = [threading.Thread(target=read) for _ in range(4)]
    for t in readers:
        t.start()
    try:
        for _ in range(3):
            rollback(live)
            ingest(live, "generic", path, log=quiet)
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert errors == []
    # every read saw a whole file: the one before the one-row load or the one after it (which of
    # them a reader caught depends on the scheduler)
    assert seen and seen <= {before, after}


@pytest.mark.parametrize(
    ("encoding", "sep"),
    [("utf-16", "\t"), ("utf-16", ","), ("utf-8-sig", ";"), ("cp1252", "\t"), ("utf-8", "\t")],
)
def test_excel_exports_in_any_encoding_and_separator_load_the_same_cells(live, tmp_path, encoding, sep):
    """The issue: a UTF-16 "Unicode text" export was refused as binary; tabs were not recognised."""
    text = (FILES / "sidpol_ok.csv").read_text(encoding="utf-8").replace(",", sep)
    path = tmp_path / "denuncias.txt"
    path.write_bytes(text.encode(encoding))
    ingest(live, "pe_sidpol_vcm", path, release="2025-12", log=quiet)
    rows = query(
        live,
        "SELECT territory_code, strftime(period, '%Y-%m'), value FROM observations WHERE indicator_id = 'pe_denuncias_vcm' ORDER BY 1, 2",
    )
    assert rows == [
        ("010101", "2024-01", 12.0),
        ("050116", "2024-03", 4.0),
        ("070101", "2024-02", 55.0),
        ("150101", "2024-01", 340.0),
        ("150101", "2024-02", 310.0),
        ("150201", "2024-02", 9.0),
    ]
