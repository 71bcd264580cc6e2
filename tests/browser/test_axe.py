"""axe-core (WCAG 2.0 and 2.1, A and AA) finds nothing on any page or state, at desktop and phone
sizes: the same states and the same axe pass as ``make audit`` (bench/audit.py), on the tiny
warehouse. axe-core comes from npm (package.json pins it; ``npm ci``); without it the test is
skipped outside CI and fails in CI.
"""

from __future__ import annotations

import os

import pytest

from bench.audit import AXE, STATES, axe_violations, settled, show_maps, with_view
from tests.browser.conftest import DESKTOP, PHONE


@pytest.fixture(scope="module")
def axe_script() -> str:
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{AXE} is missing: .ci/run must run `npm ci` (make setup)")
        pytest.skip(f"{AXE} is missing: run `npm ci`")
    return AXE.read_text()


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize(("name", "path"), STATES, ids=[s[0] for s in STATES])
def test_no_axe_violations(new_page, axe_script, size, name, path):
    page = new_page(size)
    page.goto(
        page.base + with_view(path).replace("ind=pe_denuncias_vcm", "ind=pe_denuncias_vcm&from=2024-01")
    )
    settled(page, path)
    show_maps(page)  # the map traces load once a map is on screen
    found = axe_violations(page, axe_script)
    assert found == [], "\n".join(f"{v['id']} ({v['impact']}) x{v['count']}: {v['nodes']}" for v in found)
