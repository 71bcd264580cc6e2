"""Honest statistics: one disclosure rule, rates with exact Poisson intervals, reliability flags.

``present`` is applied to every set of figures the observatory publishes (map, ranking, table,
key figures, downloads, API), so the same cell is suppressed everywhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import gammaincinv

STATUSES = ("value", "zero", "suppressed", "no_data")
UNRELIABLE_BELOW = 20  # events: rates on fewer are flagged (coefficient of variation above ~22%)


def poisson_ci(count: pd.Series | np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) confidence interval for a Poisson count; NaN where the count is NaN.

    The bounds are chi-square quantiles, chi2.ppf(a/2, 2x)/2 and chi2.ppf(1-a/2, 2x+2)/2, taken as
    the inverse regularised gamma function they equal (scipy.special: a worker without scipy.stats
    is 45 MB lighter)."""
    x = np.asarray(count, dtype=float)
    alpha = 1 - level
    with np.errstate(invalid="ignore"):
        low = np.where(x > 0, gammaincinv(np.maximum(x, 1e-300), alpha / 2), 0.0)
        high = gammaincinv(x + 1, 1 - alpha / 2)
    low = np.where(np.isnan(x), np.nan, low)
    high = np.where(np.isnan(x), np.nan, high)
    return low, high


def classify(value: pd.Series, *, disclosure: str, k: int) -> pd.Series:
    """'no_data' (NaN), 'zero' (a true 0), 'suppressed' (1..k-1 where the policy suppresses), 'value'."""
    return pd.Series(
        _statuses(value.to_numpy(dtype=float, na_value=np.nan), disclosure, k), index=value.index
    )


def _statuses(value: np.ndarray, disclosure: str, k: int) -> np.ndarray:
    """``classify`` on an array of floats: an object array of the statuses."""
    status = np.full(len(value), "value", dtype=object)
    status[np.isnan(value)] = "no_data"
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


def suppress_table(values: dict[str, float], constraints: list[tuple[str, list[str]]], *, k: int) -> set[str]:
    """Cells to hide so that no hidden cell can be worked out from the visible ones.

    ``values`` maps cell ids to counts (NaN = no data, never hidden); ``constraints`` say
    ``parent = sum(children)``: the territorial hierarchy and breakdown totals alike.
    Primary: counts 1..k-1. Complementary, until an attacker who knows every constraint and that
    hidden cells are at least 1 can pin down none of them:
    - exact recovery by linear algebra (a hidden cell in the row space of the constraints), and
    - recovery by bounds (a known total whose hidden cells add up to exactly their number).
    Each round hides, in a constraint that leaks, the smallest positive visible child, else the
    parent; true zeros are never hidden, so 'hidden' always means 'at least 1'.
    """
    cells = {c: float(v) for c, v in values.items()}
    hidden = {c for c, v in cells.items() if not np.isnan(v) and 0 < v < k}
    constraints = [(p, [c for c in kids if c in cells]) for p, kids in constraints if p in cells]
    for _ in range(len(cells) + 1):
        leaked = recoverable(cells, hidden, constraints)
        if not leaked:
            return hidden
        choice = _complement_for(cells, hidden, constraints, leaked)
        if choice is None:
            return hidden
        hidden.add(choice)
    return hidden


def _complement_for(cells, hidden, constraints, leaked) -> str | None:
    """The cell to hide next: in a constraint that leaks, the smallest positive visible child, else its parent."""
    children, parents = [], []
    for parent, kids in constraints:
        if not leaked & {parent, *kids}:
            continue
        children += [c for c in kids if c not in hidden and cells[c] > 0]
        if parent not in hidden and cells[parent] > 0:
            parents.append(parent)
    # Nothing visible left where it leaks: widen to any positive visible cell (once every positive
    # cell is hidden, the constraints only hold zeros and can pin nothing down).
    pool = children or parents or [c for c, v in cells.items() if c not in hidden and v > 0]
    return min(pool, key=lambda c: (cells[c], c)) if pool else None


def recoverable(
    values: dict[str, float], hidden: set[str], constraints: list[tuple[str, list[str]]]
) -> set[str]:
    """Hidden cells an attacker can work out exactly (linear algebra, then bounds with hidden >= 1)."""
    unknown = sorted(hidden)
    if not unknown:
        return set()
    index = {c: i for i, c in enumerate(unknown)}
    rows, rhs = [], []
    for parent, kids in constraints:
        coeffs = np.zeros(len(unknown))
        known = 0.0
        for cell, sign in [(parent, -1.0), *((c, 1.0) for c in kids)]:
            if cell in index:
                coeffs[index[cell]] += sign
            else:
                known += sign * values[cell]
        if coeffs.any():
            rows.append(coeffs)
            rhs.append(-known)
    if not rows:
        return set()
    matrix = np.array(rows)
    # A hidden cell is pinned down exactly when its unit vector lies in the constraints' row
    # space, i.e. when every vector of their null space is 0 there: one SVD for all the cells
    # (adding each unit vector and recomputing the rank was one SVD per cell).
    _, singular, vt = np.linalg.svd(matrix)
    tol = singular.max(initial=0.0) * max(matrix.shape) * np.finfo(float).eps
    rank = int((singular > tol).sum())
    null = vt[rank:]
    free = np.abs(null).max(axis=0) > 1e-9 if len(null) else np.zeros(len(unknown), dtype=bool)
    found = {cell for cell, i in index.items() if not free[i]}
    # Bounds: a row whose unknowns all enter with +1 (a known total) and whose residual equals
    # their number forces each of them to 1.
    for coeffs, total in zip(matrix, rhs, strict=True):
        members = [unknown[i] for i in np.flatnonzero(coeffs)]
        if (coeffs[coeffs != 0] > 0).all() and abs(total - len(members)) < 1e-9:
            found.update(members)
    return found


def present(
    frame: pd.DataFrame,
    *,
    disclosure: str,
    k: int,
    measure: str,
    rate_per: int = 100_000,
    hidden: set[str] | None = None,
) -> pd.DataFrame:
    """Add status, count_shown, rate, ci_low, ci_high, unreliable and shown to a frame of areas.

    Input columns: ``code``, ``value`` (count; NaN = no data) and ``population`` (NaN = no
    denominator). ``hidden`` is the set of codes that ``suppress_table`` hid over the whole table
    the view belongs to; without it, the rows are taken as siblings whose total is published.
    """
    columns = present_columns(
        frame["value"].to_numpy(dtype=float, na_value=np.nan),
        frame["population"].to_numpy(dtype=float, na_value=np.nan) if "population" in frame else None,
        frame["code"].tolist(),
        disclosure=disclosure,
        k=k,
        measure=measure,
        rate_per=rate_per,
        hidden=hidden,
    )
    kept = {c: frame[c].to_numpy() for c in frame.columns if c not in columns}
    return pd.DataFrame({**kept, **columns}, index=frame.index)


def present_columns(
    value: np.ndarray,
    population: np.ndarray | None,
    codes: list[str],
    *,
    disclosure: str,
    k: int,
    measure: str,
    rate_per: int = 100_000,
    hidden: set[str] | None = None,
) -> dict[str, np.ndarray]:
    """``present`` on plain arrays (counts, denominators, codes): its new columns by name.

    A view's tables are small, and pandas' per-operation overhead was most of their time
    (bench/interactions.py): the explore tables are assembled from these arrays at once."""
    if measure not in ("count", "rate"):
        raise ValueError(f"measure must be 'count' or 'rate', not {measure!r}")
    status = _statuses(value, disclosure, k)
    if disclosure == "suppress":
        if hidden is None:
            status = complement(pd.Series(value), pd.Series(status)).to_numpy(dtype=object)
        elif hidden:
            status[np.fromiter((c in hidden for c in codes), dtype=bool, count=len(codes))] = "suppressed"
    visible = (status == "value") | (status == "zero")
    if population is None:
        population = np.full(len(value), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        has_pop = visible & (population > 0)
        count_shown = np.where(visible, value, np.nan)
        rate = np.where(has_pop, value / population * rate_per, np.nan)
        low, high = poisson_ci(np.where(has_pop, value, np.nan))
        return {
            "status": status,
            "count_shown": count_shown,
            "rate": rate,
            "ci_low": low / population * rate_per,
            "ci_high": high / population * rate_per,
            "unreliable": has_pop & (value < UNRELIABLE_BELOW),
            "shown": count_shown if measure == "count" else rate,
        }


def empirical_bayes(count: pd.Series, population: pd.Series, rate_per: int = 100_000) -> pd.Series:
    """Marshall's global empirical Bayes smoothed rates, for maps of many small areas.

    Each area's raw rate is pulled towards the overall rate in proportion to how little its
    population can tell: small districts move a lot, large ones hardly at all. Areas without
    a count or a population come back NaN. Label the result "smoothed rate" wherever shown.
    """
    y = np.asarray(count, dtype=float)
    n = np.asarray(population, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = ~np.isnan(y) & (n > 0)
        out = np.full(len(y), np.nan)
        if ok.sum() < 2:
            out[ok] = y[ok] / n[ok] * rate_per
            return pd.Series(out, index=getattr(count, "index", None))
        yo, no = y[ok], n[ok]
        m = yo.sum() / no.sum()
        r = yo / no
        s2 = (no * (r - m) ** 2).sum() / no.sum()
        a = max(s2 - m / no.mean(), 0.0)
        weight = a / (a + m / no)
        out[ok] = (m + weight * (r - m)) * rate_per
    return pd.Series(out, index=getattr(count, "index", None))
