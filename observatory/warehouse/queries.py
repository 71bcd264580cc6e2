"""Typed wrappers, one per ``sql/explore_*.sql`` file, returning DataFrames.

Every value is a bound parameter; nothing here builds SQL text. Results are remembered by the
warehouse's snapshot (``observatory.warehouse.snapshot``), so a rebuilt warehouse is read afresh and a
view's several cards share one query. ``wh`` is a ``Warehouse`` or the request's ``Snapshot``.
Callers get a copy they may change.

A view of one country without breakdowns (most views) is answered from the indicator's totals
held in memory (``observatory.warehouse.totals``), the same answer as its SQL file without the planning;
``FAST = False`` sends every question to DuckDB (the tests compare both).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import pandas as pd

from observatory.contract.schema import BREAKDOWNS
from observatory.warehouse import snapshot, totals
from observatory.warehouse.db import Warehouse
from observatory.warehouse.snapshot import Snapshot

FAST = True


def run(wh: Warehouse | Snapshot | Snapshot, name: str, **params) -> pd.DataFrame:
    """``sql/NAME.sql`` with ``params``, remembered by the warehouse's current snapshot."""
    return snapshot.current(wh).run(name, **params)


def _in_memory(country: str | None, breakdowns: Mapping[str, str] | None) -> bool:
    return FAST and country is not None and _breakdowns(breakdowns)["all_total"]


def _areas(snap: Snapshot, country: str, level: str, parent: str | None) -> pd.DataFrame:
    """The areas of one level under ``parent`` (remembered with the snapshot's queries)."""
    return snap.run("explore_areas", country=country, level=level, parent=parent)


def _breakdowns(values: Mapping[str, str] | None) -> dict:
    """The breakdown parameters of a roll-up query, and ``all_total``: every one is 'total', so
    the query reads ``rollup_total`` (a fraction of the roll-up, sorted by area and period)."""
    values = values or {}
    chosen = {b: values.get(b, "total") or "total" for b in BREAKDOWNS}
    return {**chosen, "all_total": all(v == "total" for v in chosen.values())}


def _date(value) -> dt.date:
    return pd.Timestamp(value).date()


def indicators(wh: Warehouse | Snapshot, country: str) -> pd.DataFrame:
    """The catalogue for ``country`` (and '*' series) with source release, load date and coverage."""
    return run(wh, "explore_indicators", country=country)


def territories(wh: Warehouse | Snapshot, country: str) -> pd.DataFrame:
    """The country's territories (and every country): code, level, name, parent_code, has_boundary..."""
    return run(wh, "explore_territories", country=country)


def breakdown_values(wh: Warehouse | Snapshot, indicator: str, country: str) -> pd.DataFrame:
    """(breakdown, value) pairs the indicator has in ``country``, besides 'total'."""
    return run(wh, "explore_breakdown_values", indicator=indicator, country=country)


def area_values(
    wh: Warehouse | Snapshot,
    *,
    indicator: str,
    country: str | None,
    level: str,
    parent: str | None,
    start,
    end,
    granularity: str,
    breakdowns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per area at ``level`` under ``parent``: country, code, name, has_boundary, value
    (summed over start..end; NaN where the area has no rows) and provisional."""
    if _in_memory(country, breakdowns):
        snap = snapshot.current(wh)
        held = totals.load(snap, indicator, country, granularity)
        return held.area_values(_areas(snap, country, level, parent), level, start, end)
    return run(
        wh,
        "explore_area_values",
        indicator=indicator,
        country=country,
        level=level,
        parent=parent,
        start=_date(start),
        end=_date(end),
        granularity=granularity,
        **_breakdowns(breakdowns),
    )


def area_total(
    wh: Warehouse | Snapshot,
    *,
    indicator: str,
    country: str,
    level: str,
    code: str,
    start,
    end,
    previous_start,
    previous_end,
    granularity: str,
    breakdowns: Mapping[str, str] | None = None,
) -> dict:
    """value and provisional in start..end, previous and previous_provisional a year earlier (a
    value is NaN where the area has no rows)."""
    if _in_memory(country, breakdowns):
        held = totals.load(snapshot.current(wh), indicator, country, granularity)
        value, provisional = held.total(level, code, start, end)
        previous, previous_provisional = held.total(level, code, previous_start, previous_end)
        return {
            "value": value,
            "provisional": provisional,
            "previous": previous,
            "previous_provisional": previous_provisional,
        }
    frame = run(
        wh,
        "explore_area_total",
        indicator=indicator,
        country=country,
        level=level,
        code=code,
        start=_date(start),
        end=_date(end),
        previous_start=_date(previous_start),
        previous_end=_date(previous_end),
        granularity=granularity,
        **_breakdowns(breakdowns),
    )
    return {
        "value": float(frame["value"].iloc[0]),
        "provisional": bool(frame["provisional"].iloc[0]),
        "previous": float(frame["previous"].iloc[0]),
        "previous_provisional": bool(frame["previous_provisional"].iloc[0]),
    }


def series(
    wh: Warehouse | Snapshot,
    *,
    indicator: str,
    country: str | None,
    codes: Iterable[str],
    start,
    end,
    granularity: str,
    step: str,
    breakdowns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """country, code, period (first day of the month or year), value, provisional; absent periods absent."""
    if step not in ("month", "year"):
        raise ValueError(f"step must be month or year, not {step!r}")
    if _in_memory(country, breakdowns):
        held = totals.load(snapshot.current(wh), indicator, country, granularity)
        return held.series(country, codes, start, end, step)
    return run(
        wh,
        "explore_series",
        indicator=indicator,
        country=country,
        codes=sorted(set(codes)),
        start=_date(start),
        end=_date(end),
        granularity=granularity,
        step=step,
        **_breakdowns(breakdowns),
    )


def population(
    wh: Warehouse | Snapshot, *, country: str | None, codes: Iterable[str], years: Iterable[int], sex: str
) -> pd.DataFrame:
    """The denominator per area and year: code, year, population, population_source, population_year."""
    return run(
        wh,
        "explore_population",
        country=country,
        codes=sorted(set(codes)),
        years=sorted({int(y) for y in years}),
        sex=sex,
    )


def sources(wh: Warehouse | Snapshot) -> pd.DataFrame:
    """name, title, publisher, url, licence, release, loaded_at, has_indicators of every declared source."""
    return run(wh, "site_sources")


# --------------------------------------------------------------------------- services (sql/services_*.sql)


def service_types(wh: Warehouse | Snapshot, country: str) -> pd.DataFrame:
    """The loaded service directory by type: type, is_shelter, points, public_points, release."""
    return run(wh, "services_types", country=country)


def service_counts(
    wh: Warehouse | Snapshot, *, country: str, codes: Iterable[str], types: Iterable[str]
) -> pd.DataFrame:
    """Points (all, public, shelters) of ``types`` (empty: every type) inside each area of ``codes``."""
    return run(wh, "services_counts", country=country, codes=sorted(set(codes)), types=sorted(set(types)))


def service_points(
    wh: Warehouse | Snapshot, *, country: str, area: str, types: Iterable[str]
) -> pd.DataFrame:
    """The public points (never shelters) inside ``area``: id, type, name, territory_code, district,
    province and department names, lat, lon, open_24h."""
    return run(wh, "services_points", country=country, area=area, types=sorted(set(types)))


def service_farthest(wh: Warehouse | Snapshot, *, country: str, area: str, limit: int) -> pd.DataFrame:
    """The ``limit`` districts of ``area`` farthest from a public service point, farthest first."""
    return run(wh, "services_farthest", country=country, area=area, limit=int(limit))


def service_districts(
    wh: Warehouse | Snapshot, *, country: str, area: str, types: Iterable[str], level: str = "district"
) -> pd.DataFrame:
    """Every territory at ``level`` inside ``area``: code, name and its points of ``types``."""
    return run(wh, "services_districts", country=country, area=area, types=sorted(set(types)), level=level)


def group_members(wh: Warehouse | Snapshot, country: str) -> pd.DataFrame:
    """The country's territory groups, one row per group and member code."""
    return run(wh, "groups_members", country=country)
