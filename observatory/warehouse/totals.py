"""One indicator's totals roll-up held in memory: the views without breakdowns (issue 6).

Most readers never choose a breakdown, so most views read ``rollup_total``. Asking DuckDB costs
4-7 ms per question at any scale, mostly planning; a view asks three (the map's areas, the
series, the key figure). Here the rows of one indicator and country (every level, sorted by
level, area and period) are read once per warehouse version into arrays, and a view's sums
are a few slices. The size is bounded by areas x periods, never by observations: the 10M-row
benchmark's indicator is 541,167 rows, 9 MB; a worker keeps the last ``Settings.memo_totals``
asked, with the warehouse's snapshot (``observatory.warehouse.snapshot``).

The answers are those of ``sql/explore_area_values.sql``, ``explore_series.sql`` and
``explore_area_total.sql`` (tests/test_totals.py asks both for the same views).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from observatory.warehouse.snapshot import Snapshot


def _days(value) -> int:
    """A date as days since 1970-01-01 (how the arrays hold periods)."""
    return int(np.datetime64(pd.Timestamp(value).date(), "D").astype(np.int64))


@dataclass(frozen=True, eq=False)
class Totals:
    """Rows sorted by level, area and period; ``spans`` gives each (level, code) its rows."""

    spans: dict[tuple[str, str], tuple[int, int]]
    levels: dict[str, tuple[str, ...]]  # code -> the levels it has rows at
    period: np.ndarray  # int64 days
    value: np.ndarray  # float64
    provisional: np.ndarray  # bool

    def _rows(self, level: str, code: str, start: int, end: int) -> tuple[int, int]:
        lo, hi = self.spans.get((level, code), (0, 0))
        periods = self.period[lo:hi]
        return lo + int(np.searchsorted(periods, start, "left")), lo + int(
            np.searchsorted(periods, end, "right")
        )

    def total(self, level: str, code: str, start, end) -> tuple[float, bool]:
        """Sum and any-provisional of one area's rows in start..end; (NaN, False) without rows."""
        lo, hi = self._rows(level, code, _days(start), _days(end))
        if hi <= lo:
            return np.nan, False
        return float(self.value[lo:hi].sum()), bool(self.provisional[lo:hi].any())

    def area_values(self, areas: pd.DataFrame, level: str, start, end) -> pd.DataFrame:
        """``areas`` (country, code, name, has_boundary) with value and provisional added."""
        first, last = _days(start), _days(end)
        values = np.full(len(areas), np.nan)
        provisional = np.zeros(len(areas), dtype=bool)
        for i, code in enumerate(areas["code"].tolist()):
            lo, hi = self._rows(level, code, first, last)
            if hi > lo:
                values[i] = self.value[lo:hi].sum()
                provisional[i] = self.provisional[lo:hi].any()
        out = areas.copy()
        out["value"], out["provisional"] = values, provisional
        return out

    def series(self, country: str, codes: Iterable[str], start, end, step: str) -> pd.DataFrame:
        """country, code, period (the month or year it falls in), value, provisional; by code, period."""
        first, last = _days(start), _days(end)
        unit = "datetime64[Y]" if step == "year" else "datetime64[M]"
        out_code, out_period, out_value, out_provisional = [], [], [], []
        for code in sorted(set(codes)):
            spans = [self._rows(level, code, first, last) for level in self.levels.get(code, ())]
            rows = np.concatenate([np.arange(lo, hi) for lo, hi in spans]) if spans else np.zeros(0, int)
            if not len(rows):
                continue
            periods = self.period[rows].astype("datetime64[D]").astype(unit).astype("datetime64[D]")
            keys, inverse = np.unique(periods, return_inverse=True)
            sums = np.bincount(inverse, weights=self.value[rows], minlength=len(keys))
            flags = np.bincount(inverse, weights=self.provisional[rows], minlength=len(keys)) > 0
            out_code += [code] * len(keys)
            out_period.append(keys)
            out_value.append(sums)
            out_provisional.append(flags)
        return pd.DataFrame(
            {
                "country": np.array([country] * len(out_code), dtype=object),
                "code": np.array(out_code, dtype=object),
                "period": np.concatenate(out_period).astype("datetime64[us]")
                if out_period
                else np.array([], dtype="datetime64[us]"),
                "value": np.concatenate(out_value) if out_value else np.array([], dtype=float),
                "provisional": np.concatenate(out_provisional)
                if out_provisional
                else np.array([], dtype=bool),
            }
        )


def load(snap: Snapshot, indicator: str, country: str, granularity: str) -> Totals:
    """The indicator's ``rollup_total`` rows in ``country``, held by the snapshot (``snap.totals``)."""
    return snap.totals.get(
        ("totals", indicator, country, granularity), lambda: _read(snap, indicator, country, granularity)
    )


def _read(snap: Snapshot, indicator: str, country: str, granularity: str) -> Totals:
    # The areas (a few thousand rows), then the cells as plain arrays keyed by area, sorted here
    # by area and period: a Python string per cell, or DuckDB sorting them, cost a worker 40 to
    # 150 MB at 10M rows (bench/interactions.py).
    params = {"indicator": indicator, "country": country, "granularity": granularity}
    areas = snap.warehouse.run("totals_areas", **params)  # read once: the totals keep what they need
    rows = snap.warehouse.arrays("totals_rows", **params)
    keys = areas["area_key"].to_numpy(dtype=np.uint64)
    by_key = np.argsort(keys)
    area = (
        by_key[np.searchsorted(keys[by_key], rows["area_key"])] if len(keys) else np.zeros(0, dtype=np.int64)
    )
    counts = np.bincount(area, minlength=len(keys))
    if len(np.unique(keys)) != len(keys) or not np.array_equal(
        counts, areas["rows"].to_numpy(dtype=np.int64)
    ):
        raise RuntimeError(
            f"the totals of {indicator} in {country} could not be read consistently: ask again"
        )
    days = rows["period"].astype("datetime64[D]").astype(np.int64)
    order = np.lexsort((days, area))
    ends = np.cumsum(counts).tolist()
    spans: dict[tuple[str, str], tuple[int, int]] = {}
    levels: dict[str, list[str]] = {}
    start = 0
    for level, code, end in zip(areas["level"].tolist(), areas["territory_code"].tolist(), ends, strict=True):
        spans[(level, code)] = (start, end)
        levels.setdefault(code, []).append(level)
        start = end
    return Totals(
        spans=spans,
        levels={c: tuple(v) for c, v in levels.items()},
        period=days[order],
        value=rows["value"].astype(float)[order],
        provisional=rows["provisional"].astype(bool)[order],
    )
