"""A territory group in a real browser on the real warehouse: picking it outlines its areas on the
map, keeps only them in the ranking and table, and goes into the URL."""

from __future__ import annotations

import pytest

from observatory.contract.settings import Settings
from tests.browser.conftest import DESKTOP, serving
from tests.browser.test_explore import MAP, choose, wait_url
from tests.conftest import needs_mirror

pytestmark = needs_mirror


@pytest.fixture(scope="module")
def server(real_warehouse):
    from observatory.web.app import create_app

    app = create_app(Settings.from_env(environ={}, warehouse=str(real_warehouse)))
    with serving(app.server) as url:
        yield url


def test_choosing_a_group_outlines_it_and_filters_the_ranking(server, context, screenshots):
    page = context.new_page()
    page.set_viewport_size(DESKTOP)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "/")
    page.wait_for_selector("#kf-total")
    # The departments (the shipped Natural Earth layer: the fixture builds no boundaries).
    page.wait_for_function(
        f"() => {{ const g = {MAP}; return !!g && g.data && g.data[0] && g.data[0].locations.length >= 25 }}"
    )
    departments = page.evaluate(f"() => {MAP}.data[0].locations.length")

    choose(page, "f-group", "Lima Metropolitana y Callao")
    wait_url(page, "?group=lima_callao")
    # The map keeps every department and outlines those holding the group's provinces.
    page.wait_for_function(
        f"""(n) => {{ const g = {MAP};
            return g.data[0].locations.length === n && g.data[1] && g.data[1].name === 'group'
                && JSON.stringify(Array.from(g.data[1].locations)) === '["07","15"]' }}""",
        arg=departments,
    )
    page.wait_for_function(
        """() => { const g = document.querySelector('#ranking .js-plotly-plot');
                   return !!g && g.data && g.data[0] && g.data[0].y.length === 2 }"""
    )
    assert "Lima Metropolitana y Callao" in page.locator("#view-subtitle").inner_text()
    page.screenshot(path=str(screenshots / "group-lima-callao.png"), full_page=True)
    assert errors == []
    page.close()
