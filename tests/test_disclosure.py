"""Disclosure control: no visible count in 1..k-1, no hidden cell recoverable from what is shown."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from observatory.views.stats import present, recoverable, suppress_table


def test_primary_suppression_and_the_lone_sibling():
    values = {"PE": 30.0, "01": 2.0, "02": 20.0, "03": 8.0}
    hidden = suppress_table(values, [("PE", ["01", "02", "03"])], k=5)
    # 01 alone could be recovered as 30 - 20 - 8: the smallest visible sibling goes with it.
    assert hidden == {"01", "03"}


def test_a_total_of_only_zeros_and_one_small_cell_hides_the_total():
    values = {"PE": 3.0, "01": 3.0, "02": 0.0}
    hidden = suppress_table(values, [("PE", ["01", "02"])], k=5)
    assert hidden == {"01", "PE"}


def test_hiding_reaches_up_the_hierarchy():
    """Two hidden departments are safe only while neither can be rebuilt from its provinces."""
    values = {"PE": 100.0, "A": 10.0, "B": 12.0, "a1": 2.0, "a2": 8.0, "b1": 6.0, "b2": 6.0}
    constraints = [("PE", ["A", "B"]), ("A", ["a1", "a2"]), ("B", ["b1", "b2"])]
    hidden = suppress_table(values, constraints, k=5)
    assert "a1" in hidden and not recoverable(values, hidden, constraints)


def test_bounds_attack_is_closed():
    """Two hidden cells adding up to 2 must both be 1: that is a disclosure too."""
    values = {"T": 12.0, "x": 1.0, "y": 1.0, "z": 10.0}
    hidden = suppress_table(values, [("T", ["x", "y", "z"])], k=5)
    assert {"x", "y"} <= hidden and len(hidden) >= 3


@st.composite
def hierarchical_tables(draw):
    """A country, 2-5 departments, 0-4 provinces each, optionally split in two breakdown values."""
    counts = st.integers(0, 30) | st.integers(0, 6)
    values, constraints = {}, []
    with_breakdown = draw(st.booleans())
    parts = ["a", "b"] if with_breakdown else [None]

    def cell(code, part):
        return code if part is None else f"{code}|{part}"

    departments = [f"D{i}" for i in range(draw(st.integers(2, 5)))]
    tree = {d: [f"{d}P{j}" for j in range(draw(st.integers(0, 4)))] for d in departments}
    leaves = [p for d in departments for p in tree[d]] + [d for d in departments if not tree[d]]
    for part in parts:
        for leaf in leaves:
            values[cell(leaf, part)] = float(draw(counts))
    for part in parts:
        for d in departments:
            if tree[d]:
                values[cell(d, part)] = sum(values[cell(p, part)] for p in tree[d])
                constraints.append((cell(d, part), [cell(p, part) for p in tree[d]]))
        values[cell("PE", part)] = sum(values[cell(d, part)] for d in departments)
        constraints.append((cell("PE", part), [cell(d, part) for d in departments]))
    if with_breakdown:
        for code in ["PE", *departments, *[p for d in departments for p in tree[d]]]:
            values[code] = values[f"{code}|a"] + values[f"{code}|b"]
            constraints.append((code, [f"{code}|a", f"{code}|b"]))
    return values, constraints


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=hierarchical_tables(), k=st.integers(2, 10))
def test_no_hidden_cell_can_be_recovered_and_no_small_count_is_shown(table, k):
    values, constraints = table
    hidden = suppress_table(values, constraints, k=k)
    visible = {c: v for c, v in values.items() if c not in hidden}
    assert not any(0 < v < k for v in visible.values())
    assert recoverable(values, hidden, constraints) == set()
    # The attacker's own check, independent of the implementation: solve for every hidden cell.
    unknown = sorted(hidden)
    if unknown:
        index = {c: i for i, c in enumerate(unknown)}
        rows = []
        for parent, kids in constraints:
            r = np.zeros(len(unknown))
            for c, sign in [(parent, -1), *((x, 1) for x in kids)]:
                if c in index:
                    r[index[c]] += sign
            if r.any():
                rows.append(r)
        if rows:
            a = np.array(rows)
            for i in range(len(unknown)):
                e = np.zeros(len(unknown))
                e[i] = 1
                assert np.linalg.matrix_rank(np.vstack([a, e])) > np.linalg.matrix_rank(a)
    assert all(values[c] > 0 for c in hidden)


def test_present_marks_no_data_zero_suppressed_and_rates_with_exact_intervals():
    frame = pd.DataFrame(
        {"code": ["a", "b", "c", "d"], "value": [np.nan, 0, 3, 40], "population": [1000, 1000, 1000, 20000]}
    )
    siblings = present(frame, disclosure="suppress", k=5, measure="rate")
    # Taken as siblings of a published total, the lone small cell takes the smallest visible one with it.
    assert siblings["status"].tolist() == ["no_data", "zero", "suppressed", "suppressed"]
    out = present(frame, disclosure="suppress", k=5, measure="rate", hidden={"c"})
    assert out["status"].tolist() == ["no_data", "zero", "suppressed", "value"]
    assert out["count_shown"].isna().tolist() == [True, False, True, False]
    assert out.loc[3, "rate"] == 200.0
    # Exact (Garwood) 95% interval for 40 events, from published tables: 28.58 .. 54.47;
    # the population is 20,000, so per 100,000 it is five times that.
    assert (round(out.loc[3, "ci_low"] / 5, 2), round(out.loc[3, "ci_high"] / 5, 2)) == (28.58, 54.47)
    assert out["unreliable"].tolist() == [False, True, False, False]


def test_hidden_cells_over_the_whole_hierarchy_of_the_tiny_warehouse(tiny_warehouse):
    """Femicides 2015 in the tiny warehouse: Amazonas 1 (hidden), Lima 12, Peru 13.

    Amazonas alone would be Peru minus Lima, so Lima is hidden too; Peru stays visible.
    """
    import datetime as dt

    from observatory.views.disclosure import hidden_codes
    from observatory.warehouse.db import Warehouse

    wh = Warehouse(tiny_warehouse)
    codes = hidden_codes(
        wh, indicator="pe_feminicidios", country="PE", start=dt.date(2015, 1, 1), end=dt.date(2015, 1, 1), k=5
    )
    assert codes == {"01", "15"}
    both_years = hidden_codes(
        wh, indicator="pe_feminicidios", country="PE", start=dt.date(2015, 1, 1), end=dt.date(2016, 1, 1), k=5
    )
    assert both_years == {"01", "15"}  # Amazonas 1 + 0 = 1 over 2015-2016, Lima 21


def test_empirical_bayes_pulls_small_areas_towards_the_mean():
    from observatory.views.stats import empirical_bayes

    count = pd.Series([1, 50, 400, np.nan])
    population = pd.Series([100, 10_000, 50_000, 1_000])
    smoothed = empirical_bayes(count, population, rate_per=1)
    overall = 451 / 60_100
    raw = count / population
    assert np.isnan(smoothed[3])
    # The tiny area (raw 1%) moves most of the way to the overall rate; larger ones move less.
    pulled = (smoothed[:3] - raw[:3]).abs() / (raw[:3] - overall).abs()
    assert pulled[0] > 0.5 and pulled[0] > pulled[1] > pulled[2]
    # Hand computation of Marshall's estimator for these figures.
    r = raw[:3]
    s2 = (population[:3] * (r - overall) ** 2).sum() / 60_100
    a = s2 - overall / (60_100 / 3)
    assert smoothed[1] == pytest.approx(overall + a / (a + overall / 10_000) * (r[1] - overall))
