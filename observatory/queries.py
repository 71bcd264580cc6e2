"""Typed wrappers, one per ``sql/explore_*.sql`` file, returning DataFrames.

Every value is a bound parameter; nothing here builds SQL text. Results are cached per
warehouse file version (inode and modification time), so a rebuilt warehouse is read afresh
and a view's several cards share one query. Callers get a copy they may change.

A view of one country without breakdowns (most views) is answered from the indicator's totals
held in memory (``observatory.totals``), the same answer as its SQL file without the planning;
``FAST = False`` sends every question to DuckDB (the tests compare both).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from functools import lru_cache

import pandas as pd

from observatory import totals
from observatory.db import Warehouse, WarehouseUnavailable
from observatory.schema import BREAKDOWNS

CACHE_SIZE = 1024
FAST = True


def stamp(wh: Warehouse) -> tuple[int, int]:
    """The warehouse file's version: changes when a build renames a new file into place."""
    try:
        st = os.stat(wh.path)
    except FileNotFoundError:
        raise WarehouseUnavailable(f"no warehouse at {wh.path}: run `make build`") from None
    return st.st_ino, st.st_mtime_ns


def _freeze(value):
    return tuple(value) if isinstance(value, list | tuple) else value


@lru_cache(maxsize=CACHE_SIZE)
def _cached(wh: Warehouse, version: tuple[int, int], name: str, params: tuple) -> pd.DataFrame:
    bound = {k: list(v) if isinstance(v, tuple) else v for k, v in params}
    return wh.run(name, **bound)


def run(wh: Warehouse, name: str, **params) -> pd.DataFrame:
    """``wh.run(name, **params)`` through the cache; lists become tuples in the key."""
    key = tuple(sorted((k, _freeze(v)) for k, v in params.items()))
    return _cached(wh, stamp(wh), name, key).copy()


def clear_cache() -> None:
    _cached.cache_clear()


def _in_memory(country: str | None, breakdowns: Mapping[str, str] | None) -> bool:
    return FAST and country is not None and _breakdowns(breakdowns)["all_total"]


@lru_cache(maxsize=256)
def _areas(wh: Warehouse, version: tuple[int, int], country: str, level: str, parent: str | None):
    """The areas of one level under ``parent``: reference data, read once per warehouse version."""
    return wh.run("explore_areas", country=country, level=level, parent=parent)


def _breakdowns(values: Mapping[str, str] | None) -> dict:
    """The breakdown parameters of a roll-up query, and ``all_total``: every one is 'total', so
    the query reads ``rollup_total`` (a fraction of the roll-up, sorted by area and period)."""
    values = values or {}
    chosen = {b: values.get(b, "total") or "total" for b in BREAKDOWNS}
    return {**chosen, "all_total": all(v == "total" for v in chosen.values())}


def _date(value) -> dt.date:
    return pd.Timestamp(value).date()


def indicators(wh: Warehouse, country: str) -> pd.DataFrame:
    """The catalogue for ``country`` (and '*' series) with source release, load date and coverage."""
    return run(wh, "explore_indicators", country=country)


def territories(wh: Warehouse, country: str) -> pd.DataFrame:
    """The country's territories (and every country): code, level, name, parent_code, has_boundary..."""
    return run(wh, "explore_territories", country=country)


def breakdown_values(wh: Warehouse, indicator: str, country: str) -> pd.DataFrame:
    """(breakdown, value) pairs the indicator has in ``country``, besides 'total'."""
    return run(wh, "explore_breakdown_values", indicator=indicator, country=country)


def area_values(
    wh: Warehouse,
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
        version = stamp(wh)
        held = totals.load(wh, version, indicator, country, granularity)
        return held.area_values(_areas(wh, version, country, level, parent), level, start, end)
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
    wh: Warehouse,
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
        held = totals.load(wh, stamp(wh), indicator, country, granularity)
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
    wh: Warehouse,
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
        held = totals.load(wh, stamp(wh), indicator, country, granularity)
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
    wh: Warehouse, *, country: str | None, codes: Iterable[str], years: Iterable[int], sex: str
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


def sources(wh: Warehouse) -> pd.DataFrame:
    """name, title, publisher, url, licence, release, loaded_at, has_indicators of every declared source."""
    return run(wh, "site_sources")


# --------------------------------------------------------------------------- services (sql/services_*.sql)


def service_types(wh: Warehouse, country: str) -> pd.DataFrame:
    """The loaded service directory by type: type, is_shelter, points, public_points, release."""
    return run(wh, "services_types", country=country)


def service_counts(
    wh: Warehouse, *, country: str, codes: Iterable[str], types: Iterable[str]
) -> pd.DataFrame:
    """Points (all, public, shelters) of ``types`` (empty: every type) inside each area of ``codes``."""
    return run(wh, "services_counts", country=country, codes=sorted(set(codes)), types=sorted(set(types)))


def service_points(wh: Warehouse, *, country: str, area: str, types: Iterable[str]) -> pd.DataFrame:
    """The public points (never shelters) inside ``area``: id, type, name, territory_code, district,
    province and department names, lat, lon, open_24h."""
    return run(wh, "services_points", country=country, area=area, types=sorted(set(types)))


def service_farthest(wh: Warehouse, *, country: str, area: str, limit: int) -> pd.DataFrame:
    """The ``limit`` districts of ``area`` farthest from a public service point, farthest first."""
    return run(wh, "services_farthest", country=country, area=area, limit=int(limit))


def service_districts(
    wh: Warehouse, *, country: str, area: str, types: Iterable[str], level: str = "district"
) -> pd.DataFrame:
    """Every territory at ``level`` inside ``area``: code, name and its points of ``types``."""
    return run(wh, "services_districts", country=country, area=area, types=sorted(set(types)), level=level)


def group_members(wh: Warehouse, country: str) -> pd.DataFrame:
    """The country's territory groups, one row per group and member code."""
    return run(wh, "groups_members", country=country)
