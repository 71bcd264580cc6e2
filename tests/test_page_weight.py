"""What the first load carries (issue 19): the partial plotly.js where dcc.Graph and the embeds look
for it, the map traces on their own URL, no dash_table loader, and a valid robots.txt."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from observatory.contract import plotly_bundles
from observatory.contract.settings import ROOT, Settings
from observatory.web import plotlyjs

SUITE_PLOTLY = "/_dash-component-suites/plotly/package_data/plotly.min.js"


@pytest.fixture(scope="module")
def client(tiny_warehouse):
    from observatory.web.app import create_app
    from tests.browser.tiny_geo import boundaries_for, write_layers

    folder = tiny_warehouse.parent
    app = create_app(
        Settings.from_env(environ={}, warehouse=str(tiny_warehouse)),
        boundaries=boundaries_for(write_layers(folder / "geo-weight")),
    )
    return app.server.test_client()


@pytest.fixture(scope="module")
def bundles():
    if not plotly_bundles.built():
        if os.environ.get("CI"):
            pytest.fail(f"{plotly_bundles.PAGE} is missing: make setup must run `npm run build:plotly`")
        pytest.skip("the plotly.js bundles are not built (npm ci && npm run build:plotly)")


def test_robots_txt_is_plain_text_with_rules(client):
    r = client.get("/robots.txt")
    assert r.status_code == 200
    assert r.mimetype == "text/plain"
    lines = r.get_data(as_text=True).splitlines()
    assert lines[0] == "User-agent: *"
    assert all(re.fullmatch(r"(User-agent|Allow|Disallow): \S+", line) for line in lines)


def test_the_page_shell_leaves_dash_table_off(client):
    html = client.get("/").get_data(as_text=True)
    assert "dash_core_components" in html  # the scripts are there ...
    assert "/dash_table/" not in html  # ... but not the DataTable loader


def test_no_page_uses_a_datatable():
    """dash_table's script is left off the page: nothing may need it."""
    users = [
        p.relative_to(ROOT)
        for p in (ROOT / "observatory").rglob("*.py")
        if re.search(r"\bdash_table\b|DataTable", p.read_text())
    ]
    # serving lists its files to precompress and web.app keeps its loader off the page: neither renders one
    assert sorted(users) == [Path("observatory/web/app.py"), Path("observatory/web/serving.py")]


def test_dcc_graph_and_embeds_get_the_partial_bundle(client, bundles):
    for url in (SUITE_PLOTLY, "/embed/assets/plotly.min.js"):
        r = client.get(url, headers={"Accept-Encoding": "identity"})
        assert r.status_code == 200, url
        body = r.get_data()
        assert body == plotly_bundles.PAGE.read_bytes(), url
        assert b"core + scatter + bar" in body[:300]


def test_the_map_traces_come_compressed_on_their_own_url(client, bundles):
    import brotli

    r = client.get(plotlyjs.MAP_URL, headers={"Accept-Encoding": "br, gzip"})
    assert r.status_code == 200
    assert r.headers["Content-Encoding"] == "br"
    assert brotli.decompress(r.get_data()) == plotly_bundles.MAP.read_bytes()
    again = client.get(
        plotlyjs.MAP_URL, headers={"Accept-Encoding": "br", "If-None-Match": r.headers["ETag"]}
    )
    assert again.status_code == 304


def test_kaleido_gets_every_trace_in_one_file(bundles):
    head = plotly_bundles.export_path().read_bytes()[:300]
    assert b"core + scatter, bar, choroplethmap, scattermap" in head
