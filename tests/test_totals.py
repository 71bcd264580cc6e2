"""Views without breakdowns are answered from the totals held in memory (``observatory.warehouse.totals``):
the same frames, dtypes included, as the SQL files give for the same questions."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from observatory.warehouse import queries, snapshot
from observatory.warehouse.db import Warehouse
from tests.conftest import needs_mirror


def both(monkeypatch, ask, *args, **kwargs):
    """``ask(*args, **kwargs)`` answered in memory, then by DuckDB (each on a fresh snapshot)."""
    snapshot.forget()
    monkeypatch.setattr(queries, "FAST", True)
    fast = ask(*args, **kwargs)
    snapshot.forget()
    monkeypatch.setattr(queries, "FAST", False)
    slow = ask(*args, **kwargs)
    return fast, slow


MONTHS = [
    (dt.date(2024, 1, 1), dt.date(2025, 2, 1)),
    (dt.date(2024, 6, 1), dt.date(2024, 6, 1)),
    (dt.date(2010, 1, 1), dt.date(2010, 12, 1)),  # before the data: no rows
]


@pytest.mark.parametrize(("start", "end"), MONTHS)
@pytest.mark.parametrize(
    ("level", "parent"), [("district", "1501"), ("province", "15"), ("department", "PE"), ("country", None)]
)
def test_area_values_in_memory_match_the_sql(tiny_warehouse, monkeypatch, level, parent, start, end):
    wh = Warehouse(tiny_warehouse)
    fast, slow = both(
        monkeypatch,
        lambda: queries.area_values(
            wh, indicator="pe_denuncias_vcm", country="PE", level=level, parent=parent,
            start=start, end=end, granularity="month",
        ),
    )  # fmt: skip
    pd.testing.assert_frame_equal(fast, slow)
    assert len(fast)


@pytest.mark.parametrize(("start", "end"), MONTHS)
@pytest.mark.parametrize("step", ["month", "year"])
@pytest.mark.parametrize("codes", [["PE", "15", "1501", "150101"], ["01", "15"], ["999999"], []])
def test_series_in_memory_match_the_sql(tiny_warehouse, monkeypatch, codes, step, start, end):
    wh = Warehouse(tiny_warehouse)
    fast, slow = both(
        monkeypatch,
        lambda: queries.series(
            wh, indicator="pe_denuncias_vcm", country="PE", codes=codes, start=start, end=end,
            granularity="month", step=step,
        ),
    )  # fmt: skip
    pd.testing.assert_frame_equal(fast, slow, check_index_type=False)


@pytest.mark.parametrize(("level", "code"), [("department", "15"), ("district", "150101"), ("country", "PE")])
@pytest.mark.parametrize(("start", "end"), MONTHS)
def test_area_total_in_memory_matches_the_sql(tiny_warehouse, monkeypatch, level, code, start, end):
    wh = Warehouse(tiny_warehouse)
    fast, slow = both(
        monkeypatch,
        lambda: queries.area_total(
            wh, indicator="pe_denuncias_vcm", country="PE", level=level, code=code, start=start, end=end,
            previous_start=start.replace(year=start.year - 1), previous_end=end.replace(year=end.year - 1),
            granularity="month",
        ),
    )  # fmt: skip
    assert fast.keys() == slow.keys()
    for key, value in fast.items():
        assert value == slow[key] or (np.isnan(value) and np.isnan(slow[key])), key


def test_breakdowns_and_several_countries_still_ask_duckdb(tiny_warehouse, monkeypatch):
    wh = Warehouse(tiny_warehouse)
    monkeypatch.setattr(queries, "FAST", True)
    common = {
        "indicator": "pe_denuncias_vcm",
        "start": "2024-01-01",
        "end": "2024-12-01",
        "granularity": "month",
    }
    queries.area_values(
        wh, country="PE", level="district", parent="1501", breakdowns={"sex": "female"}, **common
    )
    queries.series(wh, country=None, codes=["PE"], step="year", **common)
    assert len(snapshot.current(wh).totals) == 0
    queries.series(wh, country="PE", codes=["PE"], step="year", **common)
    assert len(snapshot.current(wh).totals) == 1


@needs_mirror
def test_every_real_indicator_reads_alike_in_memory_and_in_duckdb(real_warehouse, monkeypatch):
    """Each indicator of the real warehouse, yearly and monthly, at each of its levels."""
    wh = Warehouse(real_warehouse)
    shapes = wh.run("explore_indicators", country="PE")
    checked = 0
    for ind in shapes.itertuples():
        if ind.first_period is None or pd.isna(ind.first_period):
            continue
        start, end = pd.Timestamp(ind.first_period).date(), pd.Timestamp(ind.last_period).date()
        common = {
            "indicator": ind.id,
            "country": "PE",
            "start": start,
            "end": end,
            "granularity": ind.granularity,
        }
        for level, parent in [
            ("country", None),
            ("department", "PE"),
            ("province", "15"),
            ("district", "1501"),
        ]:
            fast, slow = both(monkeypatch, queries.area_values, wh, level=level, parent=parent, **common)
            pd.testing.assert_frame_equal(fast, slow)
        codes = ["PE", "15", "1501", "150101", "08", "0801"]
        for step in ("month", "year"):
            fast, slow = both(monkeypatch, queries.series, wh, codes=codes, step=step, **common)
            pd.testing.assert_frame_equal(fast, slow, check_index_type=False)
            checked += len(fast)
    assert checked > 500
