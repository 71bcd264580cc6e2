"""python -m bench.disclosure [--warehouse W] [--runs N]: complementary suppression on a real table.

Times ``stats.suppress_table`` over the table of the 2019 femicide case list by district (the
largest table the disclosure rule protects: 131 districts with victims, most of them 1-2, and
every province and department above) with the null-space test for recoverable cells (one SVD per
round), against the naive peer in the same run: the former test, one rank computation per hidden
cell and round. Both must hide exactly the same cells. Prints medians and the ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from pathlib import Path
from unittest import mock

import numpy as np

from observatory.views import disclosure, stats
from observatory.warehouse.db import Warehouse

INDICATOR = "pe_feminicidios_distrito_2019"


def naive_recoverable(values, hidden, constraints):
    """The former test: a hidden cell is recoverable when adding its unit vector keeps the rank."""
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
    rank = np.linalg.matrix_rank(matrix)
    found = set()
    for cell, i in index.items():
        probe = np.zeros(len(unknown))
        probe[i] = 1.0
        if np.linalg.matrix_rank(np.vstack([matrix, probe])) == rank:
            found.add(cell)
    for coeffs, total in zip(matrix, rhs, strict=True):
        members = [unknown[i] for i in np.flatnonzero(coeffs)]
        if (coeffs[coeffs != 0] > 0).all() and abs(total - len(members)) < 1e-9:
            found.update(members)
    return found


def _hide(wh: Warehouse, k: int) -> tuple[frozenset, float]:
    disclosure._hidden.cache_clear()
    started = time.perf_counter()
    cells = disclosure.hidden_cells(
        wh, indicator=INDICATOR, country="PE", start=dt.date(2019, 1, 1), end=dt.date(2019, 12, 31), k=k
    )
    return cells, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.disclosure")
    parser.add_argument("--warehouse", default="data/warehouse/observatory.duckdb")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args()
    wh = Warehouse(Path(args.warehouse))
    ours, naive = [], []
    for _ in range(args.runs):
        cells, seconds = _hide(wh, args.k)
        ours.append(seconds)
        with mock.patch.object(stats, "recoverable", naive_recoverable):
            naive_cells, seconds = _hide(wh, args.k)
        naive.append(seconds)
        assert cells == naive_cells, "the two tests hide different cells"
    a, b = statistics.median(ours), statistics.median(naive)
    print(f"{INDICATOR}, k={args.k}: {len(cells)} cells hidden (the same with both tests)")
    print(f"null-space test (one SVD per round): median {a:.3f} s over {args.runs} runs")
    print(f"naive peer (one rank per hidden cell): median {b:.3f} s over {args.runs} runs")
    print(f"ratio: {b / a:.1f}x faster")


if __name__ == "__main__":
    main()
