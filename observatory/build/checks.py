"""Cell checks shared by the adapters. Each returns clean values or raises one IngestError
listing every offending row, so a person can fix the file in one go."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection

import pandas as pd

from observatory.build.errors import IngestError, Problem
from observatory.build.readers import ROW, read_counts


def _fail(
    file: str, message: str, df: pd.DataFrame, bad: pd.Series, column: str, why: str, shown=None
) -> None:
    rows = df.loc[bad]
    values = (shown if shown is not None else df[column]).loc[bad]
    problems = [
        Problem(int(r), column, v, why) for r, v in zip(rows[ROW].head(50), values.head(50), strict=False)
    ]
    raise IngestError(file, message, problems, total=int(bad.sum()))


def counts(
    df: pd.DataFrame, column: str, file: str, *, label: str | None = None, thousands: str | None = None
) -> pd.Series:
    """Whole, non-negative numbers written one unambiguous way (``readers.read_count``)."""
    return read_counts(df, column, file, label=label, thousands=thousands)


def years(df: pd.DataFrame, column: str, file: str, *, first: int = 1990) -> pd.Series:
    value = pd.to_numeric(df[column].astype(str).str.strip(), errors="coerce")
    bad = value.isna() | (value < first) | (value > 2100) | (value % 1 != 0)
    if bad.any():
        _fail(file, f"invalid years in {column}", df, bad, column, "not a year")
    return value.astype("int64")


def months(df: pd.DataFrame, column: str, file: str) -> pd.Series:
    value = pd.to_numeric(df[column].astype(str).str.strip(), errors="coerce")
    bad = value.isna() | (value < 1) | (value > 12) | (value % 1 != 0)
    if bad.any():
        _fail(file, f"invalid months in {column}", df, bad, column, "not a month 1-12")
    return value.astype("int64")


def not_future(
    df: pd.DataFrame, periods: pd.Series, column: str, file: str, today: dt.date | None = None
) -> None:
    """A period that has not started yet cannot have been counted."""
    today = today or dt.date.today()
    start = pd.to_datetime(periods).dt.date
    bad = start > today
    if bad.any():
        _fail(
            file,
            f"periods in the future (after {today.isoformat()})",
            df,
            bad,
            column,
            "future period",
            periods,
        )


def codes(
    df: pd.DataFrame,
    column: str,
    file: str,
    known: Collection[str],
    *,
    width: int,
    what: str = "territory code",
    hint: str = "",
) -> pd.Series:
    """Official codes, left-padded with zeros to ``width`` (spreadsheets drop them), and known."""
    text = df[column].astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
    malformed = ~text.str.fullmatch(rf"\d{{1,{width}}}")
    if malformed.any():
        _fail(file, f"malformed {what}s in {column}", df, malformed, column, f"not a {width}-digit code")
    padded = text.str.zfill(width)
    unknown = ~padded.isin(set(known))
    if unknown.any():
        _fail(file, f"unknown {what}s in {column}{hint}", df, unknown, column, f"unknown {what}", padded)
    return padded


def mapped(
    df: pd.DataFrame, column: str, file: str, mapping: Callable[[str], str | None], what: str
) -> pd.Series:
    value = df[column].map(mapping)
    bad = value.isna()
    if bad.any():
        _fail(file, f"unknown {what}s in {column}", df, bad, column, f"unknown {what}")
    return value


def no_duplicates(df: pd.DataFrame, key: list[str], file: str, columns: list[str]) -> None:
    """Two rows for the same cell would silently add up or overwrite: stop instead."""
    dup = df.duplicated(key, keep=False)
    if dup.any():
        first = df.loc[dup].sort_values(key).head(50)
        problems = [
            Problem(int(r[ROW]), ", ".join(columns), " / ".join(str(r[c]) for c in key), "duplicate key")
            for _, r in first.iterrows()
        ]
        raise IngestError(
            file, f"duplicate rows for the same {' + '.join(columns)}", problems, total=int(dup.sum())
        )


def slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", value.lower()).strip("_")
