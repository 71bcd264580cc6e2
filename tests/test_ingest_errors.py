"""Malformed files: each is refused with a message naming the problem (file, row, column),
the live warehouse stays byte-for-byte as it was, and the ledger records the failure."""

from __future__ import annotations

import json

import pytest

from observatory.build.errors import IngestError
from observatory.build.sources import sha256_of
from observatory.build.warehouse import ingest
from tests.conftest import FIXTURES, needs_mirror

FILES = FIXTURES / "files"

pytestmark = needs_mirror


@pytest.fixture
def live(live):
    """The shared live copy (tests/conftest.py) and its hash before the test."""
    return live, sha256_of(live.warehouse_path)


CASES = [
    # (file, source, expected fragments of the message)
    ("sidpol_empty.csv", "pe_sidpol_vcm", ["sidpol_empty.csv", "the file is empty"]),
    ("sidpol_header_only.csv", "pe_sidpol_vcm", ["sidpol_header_only.csv", "no data rows"]),
    (
        "sidpol_missing_column.csv",
        "pe_sidpol_vcm",
        ["missing column(s): count (one of CANTIDAD", "Columns found: AÑO, MES"],
    ),
    (
        "sidpol_unknown_ubigeo.csv",
        "pe_sidpol_vcm",
        ["unknown district ubigeo", "row 3, column 'ubigeo'", "'999999'"],
    ),
    (
        "sidpol_non_numeric.csv",
        "pe_sidpol_vcm",
        ["non-numeric values in CANTIDAD", "row 3, column 'count'", "'doce'"],
    ),
    (
        "sidpol_negative.csv",
        "pe_sidpol_vcm",
        ["negative values in CANTIDAD", "row 3, column 'count'", "'-3'"],
    ),
    (
        "sidpol_duplicate.csv",
        "pe_sidpol_vcm",
        ["duplicate rows for the same year + month + ubigeo", "row 2", "row 4"],
    ),
    ("sidpol_future.csv", "pe_sidpol_vcm", ["periods in the future", "row 3, column 'year'"]),
    ("sidpol_bad_month.csv", "pe_sidpol_vcm", ["invalid months", "row 2, column 'month'", "'13'"]),
    (
        "sidpol_label_mismatch.csv",
        "pe_sidpol_vcm",
        ["contradict their ubigeo", "row 3", "LIMA METROPOLITANA / 040101"],
    ),
    ("sidpol_binary.csv", "pe_sidpol_vcm", ["binary file, not a CSV or XLSX"]),
    ("sidpol_corrupt.xlsx", "pe_sidpol_vcm", ["cannot be read as an XLSX workbook"]),
    (
        "personal_data.csv",
        "pe_sidpol_vcm",
        ["personal data", "column 'NOMBRES'", "column 'DNI'", "aggregates only"],
    ),
    (
        "generic_ok.csv",
        "pe_sidpol_vcm",
        ["missing column(s): year (one of AÑO", "does not look like a MININTER SIDPOL"],
    ),
    (
        "generic_unknown_indicator.csv",
        "generic",
        ["not in the catalogue", "row 3, column 'indicator'", "casos_inventados"],
    ),
    ("generic_bad_period.csv", "generic", ["periods of pe_cem_casos must be YYYY", "row 3, column 'period'"]),
    (
        "sidpol_ok.csv",
        "pe_cem_casos",
        ["missing column(s): department (one of DEPARTAMENTO", "CEM cases table"],
    ),
]


@pytest.mark.parametrize(("name", "source", "fragments"), CASES, ids=[c[0] + ">" + c[1] for c in CASES])
def test_bad_file_is_refused_and_nothing_changes(live, name, source, fragments):
    settings, before = live
    with pytest.raises(IngestError) as info:
        ingest(settings, source, FILES / name, release="test", log=lambda _: None)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    assert sha256_of(settings.warehouse_path) == before
    ledger = [json.loads(line) for line in settings.failed_loads_path.read_text().splitlines()]
    assert [(r["file_name"], r["status"], r["source"]) for r in ledger] == [(name, "failed", source)]
    assert ledger[0]["error"].startswith(name)


def test_a_declared_encoding_that_does_not_fit_is_refused(live):
    """Windows-1252 is detected when no encoding is given; a wrong one given is refused with the row."""
    settings, before = live
    with pytest.raises(IngestError) as info:
        ingest(settings, "pe_sidpol_vcm", FILES / "sidpol_latin1.csv", encoding="utf-8", log=lambda _: None)
    assert "not utf-8 encoded (byte 0xd1 at row 1)" in str(info.value)
    assert "declare its encoding" in str(info.value)
    assert sha256_of(settings.warehouse_path) == before


def test_failures_reach_the_ledger_at_the_next_good_import(live):
    settings, _ = live
    with pytest.raises(IngestError):
        ingest(settings, "pe_sidpol_vcm", FILES / "sidpol_negative.csv", release="bad", log=lambda _: None)
    ingest(settings, "pe_sidpol_vcm", FILES / "sidpol_ok.csv", release="good", log=lambda _: None)
    import duckdb

    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    rows = con.execute(
        "SELECT file_name, status, rows_rejected FROM loads WHERE release IN ('bad', 'good') ORDER BY status"
    ).fetchall()
    con.close()
    assert rows == [("sidpol_negative.csv", "failed", 1), ("sidpol_ok.csv", "ok", None)] or rows == [
        ("sidpol_negative.csv", "failed", 1),
        ("sidpol_ok.csv", "ok", 0),
    ]
    assert not settings.failed_loads_path.exists()


def test_a_failed_check_leaves_the_warehouse_untouched(live, monkeypatch):
    """A file that passes its adapter but breaks a build check is not put in place either."""
    from observatory.build import warehouse

    settings, before = live

    def broken(con):
        raise warehouse.CheckError("consistency check failed (simulated)")

    monkeypatch.setattr(warehouse, "check", broken)
    with pytest.raises(warehouse.CheckError):
        ingest(settings, "pe_sidpol_vcm", FILES / "sidpol_ok.csv", release="x", log=lambda _: None)
    assert sha256_of(settings.warehouse_path) == before
    assert not list(settings.warehouse_path.parent.glob(".*.tmp"))
