"""The warehouse's snapshot: one per version, swapped when a build renames a new file into place,
and the one memo (sizes from the settings)."""

from __future__ import annotations

import os
import shutil
import threading
import time

import duckdb
import pytest

from observatory.contract.settings import Settings
from observatory.contract.site import load_site
from observatory.views import explore
from observatory.warehouse import queries, snapshot
from observatory.warehouse.db import Warehouse, WarehouseUnavailable
from observatory.warehouse.snapshot import Memo


def test_memo_keeps_the_last_entries_asked():
    memo = Memo(2)
    calls = []

    def compute(key):
        calls.append(key)
        return key * 10

    assert memo.get(1, lambda: compute(1)) == 10
    assert memo.get(2, lambda: compute(2)) == 20
    assert memo.get(1, lambda: compute(1)) == 10  # remembered, and now the most recent
    assert memo.get(3, lambda: compute(3)) == 30  # 2 is the least recent: dropped
    assert memo.get(2, lambda: compute(2)) == 20
    assert calls == [1, 2, 3, 2]
    assert len(memo) == 2 and 1 not in memo
    assert (memo.hits, memo.misses) == (1, 4)


def test_memo_of_size_zero_remembers_nothing_and_unbounded_keeps_all():
    zero, unbounded = Memo(0), Memo(None)
    calls = []
    for _ in range(2):
        zero.get("a", lambda: calls.append("a"))
    assert calls == ["a", "a"] and len(zero) == 0
    for i in range(100):
        unbounded.get(i, lambda i=i: i)
    assert len(unbounded) == 100


def test_a_key_asked_by_several_threads_at_once_is_computed_once():
    memo = Memo(8)
    calls = []
    gate = threading.Event()

    def slow():
        calls.append(1)
        gate.wait(5)
        return "done"

    results = []
    threads = [threading.Thread(target=lambda: results.append(memo.get("k", slow))) for _ in range(4)]
    for th in threads:
        th.start()
    time.sleep(0.2)
    gate.set()
    for th in threads:
        th.join(5)
    assert results == ["done"] * 4
    assert calls == [1]


def test_a_failed_computation_is_not_remembered():
    memo = Memo(8)

    def broken():
        raise ValueError("no")

    with pytest.raises(ValueError):
        memo.get("k", broken)
    assert memo.get("k", lambda: "second try") == "second try"


@pytest.fixture
def live(tiny_warehouse, tmp_path):
    path = tmp_path / "observatory.duckdb"
    shutil.copy(tiny_warehouse, path)
    return path


def _rebuilt(live, tmp_path, name: str):
    """A copy of the warehouse with Ancón renamed, renamed into place as a build does."""
    new = tmp_path / "next.duckdb"
    shutil.copy(live, new)
    con = duckdb.connect(str(new))
    con.execute("UPDATE territories SET name = $name WHERE code = '150102'", {"name": name})
    con.close()
    os.replace(new, live)


def test_one_snapshot_per_version_swapped_when_a_build_renames_a_new_file_into_place(live, tmp_path):
    wh = Warehouse(live)
    first = snapshot.current(wh)
    assert snapshot.current(wh) is first  # the same version: the same object
    assert snapshot.current(first) is first
    names = queries.territories(wh, "PE").set_index("code")["name"]
    assert names["150102"] == "Ancón"

    _rebuilt(live, tmp_path, "Ancón (rebuilt)")
    second = snapshot.current(wh)
    assert second is not first and second.version != first.version
    assert len(second.memo) == 0  # nothing carried over from the old version
    names = queries.territories(wh, "PE").set_index("code")["name"]
    assert names["150102"] == "Ancón (rebuilt)"
    # A request that took the old snapshot keeps reading what it remembered.
    assert queries.territories(first, "PE").set_index("code")["name"]["150102"] == "Ancón"


def test_a_pinned_context_reads_one_version_for_the_whole_request(live, tmp_path):
    settings = Settings.from_env(environ={}, warehouse=str(live))
    ctx = explore.Context(Warehouse(live), settings, load_site(settings.site_path))
    pinned = explore.pin(ctx)
    assert explore.pin(pinned) is pinned
    assert explore.territories(pinned).name("150102") == "Ancón"
    _rebuilt(live, tmp_path, "Ancón (rebuilt)")
    assert explore.territories(pinned).name("150102") == "Ancón"  # this request's version
    assert explore.territories(ctx).name("150102") == "Ancón (rebuilt)"  # the next request's


def test_the_memo_sizes_come_from_the_settings(live):
    wh = Warehouse(live)
    snapshot.configure(
        wh, Settings.from_env(environ={"OBSERVATORY_MEMO_ENTRIES": "3", "OBSERVATORY_MEMO_TOTALS": "1"})
    )
    snap = snapshot.current(wh)
    assert (snap.memo.size, snap.totals.size, snap.kept.size) == (3, 1, None)
    for level in ("department", "province", "district", "country"):
        queries.run(wh, "explore_areas", country="PE", level=level, parent=None)
    assert len(snap.memo) == 3


def test_a_missing_warehouse_is_unavailable(tmp_path):
    with pytest.raises(WarehouseUnavailable, match="none.duckdb"):
        snapshot.current(Warehouse(tmp_path / "none.duckdb"))
