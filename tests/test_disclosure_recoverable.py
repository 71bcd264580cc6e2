"""stats.recoverable finds a hidden cell recoverable exactly when the former rank-per-cell test did."""

from __future__ import annotations

import random

import pytest

from bench.disclosure import naive_recoverable
from observatory.views import stats


def hierarchy(rng: random.Random):
    """A made-up country -> departments -> districts table with small counts, and its constraints."""
    values, constraints = {}, []
    departments = []
    for d in range(rng.randint(2, 5)):
        kids = [f"d{d}-{i}" for i in range(rng.randint(1, 6))]
        for kid in kids:
            values[kid] = float(rng.choice([0, 1, 1, 2, 3, 4, 6, 9, 15]))
        values[f"d{d}"] = sum(values[k] for k in kids)
        constraints.append((f"d{d}", kids))
        departments.append(f"d{d}")
    values["PE"] = sum(values[d] for d in departments)
    constraints.append(("PE", departments))
    return values, constraints


@pytest.mark.parametrize("seed", range(60))
def test_the_null_space_test_agrees_with_the_rank_per_cell_test(seed):
    rng = random.Random(seed)
    values, constraints = hierarchy(rng)
    positive = [c for c, v in values.items() if v > 0]
    hidden = set(rng.sample(positive, rng.randint(1, len(positive))))
    assert stats.recoverable(values, hidden, constraints) == naive_recoverable(values, hidden, constraints)


def test_a_lone_hidden_child_is_recoverable_and_two_are_not():
    values = {"P": 10.0, "a": 3.0, "b": 7.0, "c": 0.0}
    constraints = [("P", ["a", "b", "c"])]
    assert stats.recoverable(values, {"a"}, constraints) == {"a"}
    assert stats.recoverable(values, {"a", "b"}, constraints) == set()
