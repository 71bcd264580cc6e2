"""The page draws with the partial plotly.js: dcc.Graph takes the page bundle (scatter, bar) and the
map traces arrive on their own once the map is drawn; nothing else is registered."""

from __future__ import annotations

import pytest

from bench.audit import settled, show_maps
from observatory.contract import plotly_bundles
from observatory.web import plotlyjs


def test_the_page_registers_only_the_observatorys_traces(page):
    if not plotly_bundles.built():
        pytest.skip("the plotly.js bundles are not built (npm ci && npm run build:plotly)")
    page.goto(page.base + "/?from=2024-01")
    settled(page, "/")
    show_maps(page)
    traces = page.evaluate("window.__plotlySrc['registry.js'].allTypes.slice().sort()")
    assert traces == ["bar", "choroplethmap", "scatter", "scattermap"]
    scripts = page.evaluate("performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)")
    assert "/_dash-component-suites/plotly/package_data/plotly.min.js" in scripts
    assert plotlyjs.MAP_URL in scripts
    drawn = page.evaluate(
        "[...document.querySelectorAll('.js-plotly-plot')].map(g => g._fullData.map(t => t.type)).flat()"
    )
    assert {"choroplethmap", "scatter", "bar"} <= set(drawn)
    assert page.errors == []
