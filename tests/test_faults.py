"""Faults during writes: a killed import leaves the previous warehouse intact, the next build
works, and the ledger records the interrupted attempt."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import duckdb

from observatory.build.sources import sha256_of
from observatory.build.warehouse import ingest
from observatory.contract.settings import ROOT, Settings
from observatory.warehouse.ledger import interrupted_loads
from tests.conftest import FIXTURES, MIRROR, needs_mirror

pytestmark = needs_mirror

SLOW_INGEST = """
import sys, time
from observatory.contract.settings import Settings
from observatory.build import warehouse
real = warehouse.rebuild_rollup
def slow(con):
    real(con)
    print("midway", flush=True)
    time.sleep(60)  # killed here: the new file is written but not yet renamed into place
warehouse.rebuild_rollup = slow
settings = Settings.from_env(warehouse=sys.argv[1])
warehouse.ingest(settings, "pe_sidpol_vcm", sys.argv[2], release="killed")
"""


def test_an_import_killed_midway_leaves_the_warehouse_and_the_next_import_works(tmp_path, real_warehouse):
    live = tmp_path / "observatory.duckdb"
    shutil.copyfile(real_warehouse, live)
    before = sha256_of(live)
    env = {**os.environ, "OBSERVATORY_MIRROR": str(MIRROR), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_INGEST, str(live), str(FIXTURES / "files" / "sidpol_ok.csv")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.time() + 120
        line = ""
        while time.time() < deadline and "midway" not in line:
            line = proc.stdout.readline()
        assert "midway" in line
        assert list(tmp_path.glob(".observatory.duckdb.*.tmp"))  # the half-done copy exists
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert sha256_of(live) == before
    settings = Settings.from_env(environ={}, warehouse=str(live), mirror=str(MIRROR))
    pending = interrupted_loads(settings)
    assert [(p["source"], p["release"], p["file_name"]) for p in pending] == [
        ("pe_sidpol_vcm", "killed", "sidpol_ok.csv")
    ]
    assert "interrupted" in pending[0]["error"]

    ingest(
        settings, "pe_sidpol_vcm", FIXTURES / "files" / "sidpol_ok.csv", release="after", log=lambda _: None
    )
    con = duckdb.connect(str(live), read_only=True)
    ledger = con.execute(
        "SELECT release, status, error FROM loads WHERE release IN ('killed', 'after') ORDER BY release"
    ).fetchall()
    total = con.execute(
        "SELECT sum(value) FROM observations WHERE indicator_id = 'pe_denuncias_vcm'"
    ).fetchone()[0]
    con.close()
    assert [(r, s) for r, s, _ in ledger] == [("after", "ok"), ("killed", "failed")]
    assert "interrupted" in ledger[1][2]
    assert total == 12 + 340 + 310 + 9 + 55 + 4
    assert not list(tmp_path.glob(".observatory.duckdb.*"))  # markers and half-written files cleaned
