"""The bad-file corpus (tests/fixtures/bad/manifest.toml) on a copy of the real warehouse.

Each file is a mistake an observatory makes with real exports. Either it is refused, the message
naming the file and (where the mistake has one) the row and column, and the warehouse file stays
byte-for-byte as it was; or it loads, and the indicator then holds exactly the file's cells.
"""

from __future__ import annotations

import shutil
import tomllib

import duckdb
import pytest

from observatory.build.errors import IngestError
from observatory.build.sources import sha256_of
from observatory.build.warehouse import CheckError, ingest
from observatory.contract.settings import Settings
from tests.conftest import FIXTURES, MIRROR, needs_mirror

pytestmark = needs_mirror
BAD = FIXTURES / "bad"
MANIFEST = tomllib.loads((BAD / "manifest.toml").read_text(encoding="utf-8"))["file"]
REFUSED = [f for f in MANIFEST if "refused" in f]
LOADED = [f for f in MANIFEST if "cells" in f]


def test_the_corpus_is_complete():
    """At least 40 files, each described once in the manifest, each with one expected outcome."""
    names = [f["name"] for f in MANIFEST]
    assert len(names) >= 40 and len(set(names)) == len(names)
    assert set(names) == {p.name for p in BAD.iterdir() if p.name != "manifest.toml"}
    assert all(("refused" in f) != ("cells" in f) and f["mistake"] for f in MANIFEST)


@pytest.fixture(scope="module")
def shared(real_warehouse, tmp_path_factory) -> Settings:
    """One copy of the real warehouse for every refusal: none may change it."""
    folder = tmp_path_factory.mktemp("bad")
    shutil.copyfile(real_warehouse, folder / "observatory.duckdb")
    return Settings.from_env(environ={}, warehouse=str(folder / "observatory.duckdb"), mirror=str(MIRROR))


@pytest.mark.parametrize("case", REFUSED, ids=[f["name"] for f in REFUSED])
def test_a_bad_file_is_refused_naming_file_row_and_column(shared, case):
    before = sha256_of(shared.warehouse_path)
    with pytest.raises((IngestError, CheckError)) as info:
        ingest(shared, case["source"], BAD / case["name"], release=case.get("release"), log=lambda _: None)
    text = str(info.value)
    assert text.startswith(case["name"] + ": "), text
    assert case["refused"] in text, text
    if "row" in case and "column" in case:
        assert f"row {case['row']}, column {case['column']!r}" in text, text
    elif "row" in case:
        assert f"row {case['row']}" in text, text
    assert sha256_of(shared.warehouse_path) == before


@pytest.mark.parametrize("case", LOADED, ids=[f["name"] for f in LOADED])
def test_a_file_that_loads_holds_exactly_its_cells(live, case):
    result = ingest(live, case["source"], BAD / case["name"], release=case.get("release"), log=lambda _: None)
    assert result.status == "ok"
    con = duckdb.connect(str(live.warehouse_path), read_only=True)
    try:
        fmt = "%Y-%m" if case["indicator"] == "pe_denuncias_vcm" else "%Y"
        rows = con.execute(
            "SELECT territory_code, strftime(period, $fmt), value, provisional FROM observations "
            "WHERE indicator_id = $i AND load_id = $load ORDER BY 1, 2",
            {"fmt": fmt, "i": case["indicator"], "load": result.load_id},
        ).fetchall()
        held = con.execute(
            "SELECT count(*) FROM observations WHERE indicator_id = $i AND load_id <> $load",
            {"i": case["indicator"], "load": result.load_id},
        ).fetchone()[0]
    finally:
        con.close()
    assert [(c, p, v) for c, p, v, _ in rows] == sorted((c, p, float(v)) for c, p, v in case["cells"])
    if case["source"] == "generic":
        assert held > 0  # merged: the indicator's other cells stay
    else:
        assert held == 0  # a declared source's release replaces the source
        last = max(p for _, p, _, _ in rows)
        assert [p for _, p, _, provisional in rows if provisional] == [p for _, p, _, _ in rows if p == last]
