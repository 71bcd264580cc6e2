"""The consistency checks at build time stop a build whose levels do not add up, with a message
naming the indicator, the parent and the period, and leave the live warehouse as it was."""

from __future__ import annotations

import pytest

from observatory.build import warehouse
from observatory.build.sources import sha256_of
from tests.conftest import needs_mirror

pytestmark = needs_mirror


def test_a_parent_that_differs_from_its_children_stops_the_build(live, monkeypatch):
    """A roll-up that lost track of one district-month (simulated: one more complaint in Chachapoyas,
    010101, January 2024, than its province 0101 received) fails the build."""
    before = sha256_of(live.warehouse_path)
    real = warehouse.rebuild_rollup

    def corrupted(con):
        real(con)
        changed = con.execute(
            """UPDATE rollup SET value = value + 1 WHERE indicator_id = 'pe_denuncias_vcm'
               AND territory_code = '010101' AND period = DATE '2024-01-01'"""
        ).fetchall()[0][0]
        assert changed == 1

    monkeypatch.setattr(warehouse, "rebuild_rollup", corrupted)
    with pytest.raises(warehouse.CheckError) as info:
        warehouse.build(live, log=lambda _: None)
    message = str(info.value)
    assert message.startswith("consistency check failed, a parent differs from the sum of its children: ")
    assert "pe_denuncias_vcm 0101 2024-01-01: children minus parent 1.0" in message
    assert sha256_of(live.warehouse_path) == before
    assert not list(live.warehouse_path.parent.glob(".*.tmp"))
