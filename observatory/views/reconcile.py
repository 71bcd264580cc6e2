"""One count, several institutions: each institution's figure side by side, and the gaps.

Equivalent indicators share a ``group`` in the catalogue (e.g. ``feminicidio``); each names its
``institution`` and how its definition differs (``group_note_es/en``). An indicator reported by
several institutions carries the institution per observation instead. Homologated figures (agreed
between institutions) are observations with ``status = 'homologated'``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from observatory.views.disclosure import hidden_codes
from observatory.warehouse.db import Warehouse


def figures(
    wh: Warehouse, *, group: str, country: str, code: str, first: int, last: int, k: int
) -> pd.DataFrame:
    """Long table: indicator_id, institution, year, value (NaN when hidden), status, hidden, provisional.

    Counts of indicators whose policy is to suppress go through the same disclosure rule as
    everywhere else (``disclosure.hidden_codes`` over the indicator's whole table for that year).
    """
    frame = wh.run("institution_figures", group=group, country=country, code=code, first=first, last=last)
    frame = frame.rename(columns={"reporter": "institution"})
    # One institution may publish the same count twice (MIMP: a department table and a national
    # series): per year keep the series published at this area's level, never their sum.
    frame = (
        frame.sort_values(["institution", "year", "published_here"], ascending=[True, True, False])
        .drop_duplicates(["institution", "year"])
        .drop(columns=["published_here"])
        .reset_index(drop=True)
    )
    hidden = []
    for row in frame.itertuples(index=False):
        if row.disclosure != "suppress":
            hidden.append(False)
            continue
        start = dt.date(int(row.year), 1, 1)
        end = dt.date(int(row.year), 12, 31)
        codes = hidden_codes(wh, indicator=row.indicator_id, country=country, start=start, end=end, k=k)
        hidden.append(code in codes)
    frame["hidden"] = hidden
    frame.loc[frame["hidden"], "value"] = np.nan
    return frame.drop(columns=["disclosure"])


HOMOLOGATED = "homologated"


def institutions(long: pd.DataFrame) -> list[str]:
    """The institutions whose own figures ``long`` holds (sorted): not the body that homologates."""
    return sorted(long.loc[long["status"] != HOMOLOGATED, "institution"].unique())


def gaps(long: pd.DataFrame) -> pd.DataFrame:
    """Per year: each institution's own figure as a column, the gap between them (max - min) and the
    gap in % of the min, and the homologated figure in its own ``homologated`` column.

    A homologated figure is the institutions' agreed count, not one more institution: it is never an
    institution column and never enters the gap. Years where fewer than two institutions' figures
    are visible have no gap; a year with only a homologated figure still has a row.
    """
    if long.empty:
        return pd.DataFrame(columns=["year", "gap", "gap_pct", HOMOLOGATED])
    agreed_rows = long["status"] == HOMOLOGATED
    own = long[~agreed_rows]
    years = sorted(long["year"].unique())
    # min_count=1: a hidden figure (NaN) stays missing, never a 0 that would enter the gap.
    wide = own.groupby(["year", "institution"])["value"].sum(min_count=1).unstack("institution")
    wide = wide.reindex(years)
    wide.columns.name = None
    visible = wide.notna().sum(axis=1)
    high, low = wide.max(axis=1), wide.min(axis=1)
    out = wide.copy()
    out["gap"] = (high - low).where(visible >= 2)
    out["gap_pct"] = ((high - low) / low * 100).where((visible >= 2) & (low > 0))
    agreed = long[agreed_rows].groupby("year")["value"].max()
    out[HOMOLOGATED] = agreed.reindex(out.index)
    out.index.name = "year"
    return out.reset_index()


def panel(wh: Warehouse, *, group: str, country: str, k: int) -> pd.DataFrame:
    """A group's figures where each indicator is published (one distrito fiscal, say), by year:
    indicator_id, territory_code, year, value (NaN when hidden), provisional, hidden.

    For sources that cover one area only, so they are never shown as the country's figure. The
    disclosure rule applies as everywhere (``disclosure.hidden_codes``).
    """
    frame = wh.run("institution_panel", group=group, country=country)
    hidden = []
    for row in frame.itertuples(index=False):
        if row.disclosure != "suppress":
            hidden.append(False)
            continue
        start, end = dt.date(int(row.year), 1, 1), dt.date(int(row.year), 12, 31)
        codes = hidden_codes(wh, indicator=row.indicator_id, country=country, start=start, end=end, k=k)
        hidden.append(row.territory_code in codes)
    frame["hidden"] = hidden
    frame.loc[frame["hidden"], "value"] = np.nan
    return frame.drop(columns=["disclosure"])
