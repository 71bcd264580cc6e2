"""``rollup_total``: the roll-up's all-'total' rows, where most views read, kept apart and sorted.

The same question asked through either table gives the same answer; an older warehouse without
the table is completed by the next import and rebuilt by ``build --if-missing``."""

from __future__ import annotations

import argparse
import datetime as dt

import duckdb
import pandas as pd
import pytest

from observatory.build.warehouse import ingest, missing_tables
from observatory.contract.schema import BREAKDOWNS
from observatory.warehouse import queries
from observatory.warehouse.db import Warehouse
from tests.conftest import FIXTURES, needs_mirror

TOTAL = {b: "total" for b in BREAKDOWNS}


def test_rollup_total_holds_exactly_the_all_total_rows(tiny_warehouse):
    con = duckdb.connect(str(tiny_warehouse), read_only=True)
    try:
        where = " AND ".join(f"{b} = 'total'" for b in BREAKDOWNS)
        cols = "indicator_id, country, level, territory_code, period, granularity, institution, value, provisional"
        theirs = con.execute(f"SELECT {cols} FROM rollup WHERE {where} ORDER BY ALL").fetchall()
        ours = con.execute(f"SELECT {cols} FROM rollup_total ORDER BY ALL").fetchall()
        assert ours == theirs and len(ours) > 100
        broken_down = con.execute(f"SELECT count(*) FROM rollup WHERE NOT ({where})").fetchone()[0]
        assert broken_down > 0  # the fixture has breakdowns, which stay in the roll-up only
    finally:
        con.close()


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("explore_area_values", {"country": "PE", "level": "district", "parent": "1501"}),
        ("explore_area_values", {"country": "PE", "level": "department", "parent": "PE"}),
        ("explore_series", {"country": "PE", "codes": ["PE", "15", "1501", "150101"], "step": "month"}),
        ("explore_series", {"country": "PE", "codes": ["01", "15"], "step": "year"}),
        (
            "explore_area_total",
            {
                "country": "PE",
                "level": "department",
                "code": "15",
                "previous_start": dt.date(2023, 1, 1),
                "previous_end": dt.date(2023, 12, 1),
            },
        ),
    ],
)
def test_both_tables_answer_a_total_view_alike(tiny_warehouse, name, params):
    wh = Warehouse(tiny_warehouse)
    common = {
        "indicator": "pe_denuncias_vcm",
        "granularity": "month",
        "start": dt.date(2024, 1, 1),
        "end": dt.date(2025, 2, 1),
        **TOTAL,
        **params,
    }
    fast = wh.run(name, **common, all_total=True)
    full = wh.run(name, **common, all_total=False)
    pd.testing.assert_frame_equal(fast, full)
    assert fast.select_dtypes("number").notna().any().any()  # a question with an answer


def test_queries_read_rollup_total_only_when_every_breakdown_is_total():
    assert queries._breakdowns(None)["all_total"] is True
    assert queries._breakdowns({"sex": "total"})["all_total"] is True
    chosen = queries._breakdowns({"violence_type": "fisica"})
    assert chosen["all_total"] is False and chosen["violence_type"] == "fisica" and chosen["sex"] == "total"


@needs_mirror
def test_an_older_warehouse_gains_the_table_at_the_next_import(live):
    con = duckdb.connect(str(live.warehouse_path))
    con.execute("DROP TABLE rollup_total")
    con.close()
    assert missing_tables(live.warehouse_path) == ["rollup_total"]
    result = ingest(
        live,
        "generic",
        FIXTURES / "files" / "femicides_by_institution.csv",
        release="2025",
        log=lambda _: None,
    )
    assert result.status == "ok"
    assert missing_tables(live.warehouse_path) == []
    con = duckdb.connect(str(live.warehouse_path), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM rollup_total").fetchone()[0] > 0
    finally:
        con.close()


@needs_mirror
def test_build_if_missing_rebuilds_a_warehouse_older_than_the_schema(live, capsys):
    """``make run`` builds only when needed: an older warehouse counts as needing it."""
    from observatory.__main__ import _build

    args = argparse.Namespace(if_missing=True, skip_boundaries=True)
    con = duckdb.connect(str(live.warehouse_path))
    con.execute("DROP TABLE rollup_total")
    con.close()
    assert _build(live, args) == 0
    assert "older version (no rollup_total): rebuilding" in capsys.readouterr().out
    assert missing_tables(live.warehouse_path) == []
    assert _build(live, args) == 0
    assert "warehouse present" in capsys.readouterr().out
