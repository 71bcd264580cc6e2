"""Which cells of a view are hidden: ``stats.suppress_table`` over the whole table the view is part of.

A view (indicator, period range, breakdown) shows a few cells of a larger table: every level
of the territorial hierarchy and every breakdown value. Hiding must hold over that whole table,
or a hidden district could be rebuilt from its province and its visible neighbours, or from a
breakdown total. So the table is read whole, protected once, and remembered by the warehouse's
snapshot per view (``observatory.warehouse.snapshot``).
"""

from __future__ import annotations

import datetime as dt

from observatory.contract.schema import BREAKDOWNS, TOTAL
from observatory.views.stats import suppress_table
from observatory.warehouse import snapshot
from observatory.warehouse.db import Warehouse
from observatory.warehouse.snapshot import Snapshot


def hidden_cells(
    warehouse: Warehouse | Snapshot,
    *,
    indicator: str,
    country: str,
    start: dt.date,
    end: dt.date,
    k: int,
) -> frozenset[tuple[str, tuple[str, ...]]]:
    """(territory code, breakdown values) of every hidden cell; remembered per snapshot and view."""
    snap = snapshot.current(warehouse)
    key = ("hidden", indicator, country, start, end, k)
    return snap.memo.get(key, lambda: _hidden(snap.warehouse, indicator, country, start, end, k))


def hidden_codes(
    warehouse: Warehouse | Snapshot,
    *,
    indicator: str,
    country: str,
    start: dt.date,
    end: dt.date,
    k: int,
    breakdown: dict[str, str] | None = None,
) -> set[str]:
    """Territory codes hidden for one breakdown selection (default: all totals)."""
    wanted = tuple((breakdown or {}).get(b, TOTAL) for b in BREAKDOWNS)
    cells = hidden_cells(warehouse, indicator=indicator, country=country, start=start, end=end, k=k)
    return {code for code, parts in cells if parts == wanted}


def _hidden(warehouse: Warehouse, indicator, country, start, end, k):
    frame = warehouse.run("disclosure_cells", indicator=indicator, country=country, start=start, end=end)
    if frame.empty:
        return frozenset()
    values, parent_of = {}, {}
    for row in frame.itertuples(index=False):
        parts = tuple(getattr(row, b) for b in BREAKDOWNS)
        values[(row.code, parts)] = float(row.value)
        parent_of[row.code] = row.parent_code
    constraints = []
    # Territorial: parent = sum of its children, for every breakdown combination.
    children: dict[tuple, list] = {}
    for code, parts in values:
        parent = parent_of.get(code)
        if parent is not None and (parent, parts) in values:
            children.setdefault((parent, parts), []).append((code, parts))
    constraints += [(p, kids) for p, kids in children.items()]
    # Breakdowns: the 'total' of one dimension = sum over its values, the others held fixed.
    for i, _ in enumerate(BREAKDOWNS):
        groups: dict[tuple, list] = {}
        for code, parts in values:
            if parts[i] != TOTAL:
                total = (code, parts[:i] + (TOTAL,) + parts[i + 1 :])
                if total in values:
                    groups.setdefault(total, []).append((code, parts))
        constraints += [(t, kids) for t, kids in groups.items()]
    return frozenset(suppress_table(values, constraints, k=k))
