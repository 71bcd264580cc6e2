"""Honest statistics: one disclosure rule, rates with exact Poisson intervals, reliability flags.

``present`` is applied to every set of figures the observatory publishes (map, ranking, table,
key figures, downloads, API), so the same cell is suppressed everywhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import chi2

STATUSES = ("value", "zero", "suppressed", "no_data")
UNRELIABLE_BELOW = 20  # events: rates on fewer are flagged (coefficient of variation above ~22%)


def poisson_ci(count: pd.Series | np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) confidence interval for a Poisson count; NaN where the count is NaN."""
    x = np.asarray(count, dtype=float)
    alpha = 1 - level
    with np.errstate(invalid="ignore"):
        low = np.where(x > 0, chi2.ppf(alpha / 2, 2 * x) / 2, 0.0)
        high = chi2.ppf(1 - alpha / 2, 2 * (x + 1)) / 2
    low = np.where(np.isnan(x), np.nan, low)
    high = np.where(np.isnan(x), np.nan, high)
    return low, high


def classify(value: pd.Series, *, disclosure: str, k: int) -> pd.Series:
    """'no_data' (NaN), 'zero' (a true 0), 'suppressed' (1..k-1 where the policy suppresses), 'value'."""
    status = pd.Series("value", index=value.index, dtype=object)
    status[value.isna()] = "no_data"
    status[value == 0] = "zero"
    if disclosure == "suppress":
        status[(value > 0) & (value < k)] = "suppressed"
    return status


def complement(value: pd.Series, status: pd.Series) -> pd.Series:
    """Complementary suppression among siblings whose total is published.

    One suppressed cell could be recovered as total minus the visible cells, so while exactly
    one cell is suppressed, the smallest visible non-zero sibling is suppressed with it.
    """
    status = status.copy()
    suppressed = status == "suppressed"
    if suppressed.sum() == 1:
        visible = value[(status == "value")]
        if len(visible):
            status[visible.idxmin()] = "suppressed"
    return status


def present(
    frame: pd.DataFrame, *, disclosure: str, k: int, measure: str, rate_per: int = 100_000
) -> pd.DataFrame:
    """Add status, count_shown, rate, ci_low, ci_high, unreliable and shown to a frame of sibling areas.

    Input columns: ``value`` (count; NaN = no data) and ``population`` (NaN = no denominator).
    """
    if measure not in ("count", "rate"):
        raise ValueError(f"measure must be 'count' or 'rate', not {measure!r}")
    out = frame.copy()
    value = out["value"].astype(float)
    status = (
        complement(value, classify(value, disclosure=disclosure, k=k))
        if disclosure == "suppress"
        else classify(value, disclosure=disclosure, k=k)
    )
    out["status"] = status
    visible = status.isin(["value", "zero"])
    out["count_shown"] = value.where(visible)
    population = (
        out["population"].astype(float) if "population" in out else pd.Series(np.nan, index=out.index)
    )
    has_pop = visible & (population > 0)
    out["rate"] = (value / population * rate_per).where(has_pop)
    low, high = poisson_ci(value.where(has_pop))
    out["ci_low"] = low / population * rate_per
    out["ci_high"] = high / population * rate_per
    out["unreliable"] = has_pop & (value < UNRELIABLE_BELOW)
    out["shown"] = out["count_shown"] if measure == "count" else out["rate"]
    return out
