"""The app started with El Salvador's country pack, in a real browser: its department map, its
series, its level names, help line and number format. The femicide figures are made up
(tests/conftest.py ``made_up_sv_femicides``); territories and boundaries are the real ones."""

from __future__ import annotations

import json

import pytest

from observatory.contract.settings import Settings
from tests.browser.conftest import DESKTOP, serving
from tests.browser.test_explore import MAP
from tests.conftest import needs_mirror

pytestmark = needs_mirror


@pytest.fixture(scope="module")
def server(sv_warehouse):
    from observatory.web.app import create_app

    settings = Settings.from_env(environ={}, warehouse=str(sv_warehouse), country="SV")
    app = create_app(settings)  # boundaries from the warehouse's geo/ folder, as in production
    with serving(app.server) as url:
        yield url


def test_el_salvador_opens_on_its_department_map_and_series(server, context, screenshots):
    page = context.new_page()
    page.set_viewport_size(DESKTOP)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{server}/?ind=sv_feminicidios&from=2019&to=2024")
    page.wait_for_selector("#kf-total")

    # The map draws El Salvador's 14 departments (MapLibre loaded them from /geo/sv-department.geojson).
    page.wait_for_function(
        f"""(want) => {{
            const g = {MAP};
            if (!g || !g.data || !g.data[0] || !g._fullLayout.map) return false;
            const m = g._fullLayout.map._subplot && g._fullLayout.map._subplot.map;
            return !!m && m.loaded() && JSON.stringify(Array.from(g.data[0].locations).sort()) === want;
        }}""",
        arg=json.dumps([f"{i:02d}" for i in range(1, 15)], separators=(",", ":")),
    )
    # The series: El Salvador's yearly line, 2019-2024.
    page.wait_for_function(
        """() => { const g = document.querySelector('#series .js-plotly-plot');
                   return !!g && g.data && g.data.length > 0 && g.data[0].x.length === 6 }"""
    )
    # Its own level names, help line and number marks (a comma between thousands).
    assert page.locator("#f-department-label").inner_text().strip() == "Departamento"
    assert page.locator("#f-municipality-label").inner_text().strip() == "Municipio"
    assert page.locator("#f-province-wrap").is_hidden()
    footer = page.locator(".site-footer").inner_text()
    assert "126" in footer and "100" not in footer.replace("100 000", "")
    assert "El Salvador" in page.locator(".brand__tagline").inner_text()
    total = page.locator("#kf-total").inner_text()
    assert total.strip()[0].isdigit() and "\u00a0" not in total
    page.screenshot(path=str(screenshots / "el-salvador-departments.png"), full_page=True)

    # Choosing a department draws its municipalities (the 5 of San Salvador since 2024).
    page.goto(f"{server}/?ind=sv_feminicidios&area=06&from=2024&to=2024")
    page.wait_for_function(
        f"""() => {{ const g = {MAP};
            return !!g && g.data && g.data[0] && g.data[0].locations.length === 5 }}"""
    )
    assert "San Salvador" in page.locator("#breadcrumb").inner_text()
    assert errors == []
    page.close()
