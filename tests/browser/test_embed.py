"""The embed route and the download menu in real headless Chromium (tiny warehouse)."""

from __future__ import annotations

import http.server
import threading
import urllib.request
from contextlib import contextmanager


@contextmanager
def serve_page(body: str):
    """A one-page web server on another port: a news site that pastes the embed snippet."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            data = body.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/article"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_embed_draws_the_chart_with_its_source_line(page):
    response = page.goto(page.base + "/embed/map?from=2024-01")
    assert response.status == 200
    assert "frame-ancestors *" in response.headers["content-security-policy"]
    assert "x-frame-options" not in response.headers
    page.wait_for_selector("#chart[data-ready='1']")
    assert page.locator("#chart .js-plotly-plot, #chart.js-plotly-plot").count() >= 1
    source = page.locator("#embed-source").inner_text()
    assert "Fuente: Ministerio del Interior" in source and "tiny-1" in source
    link = page.locator("#embed-link")
    assert link.inner_text() == "Ver en el observatorio"
    assert link.get_attribute("href").endswith("/?from=2024-01&to=2025-02")
    assert page.evaluate("document.getElementById('chart').data[0].locations.length") == 2
    assert page.errors == []


def test_embed_is_responsive_and_framable(new_page):
    phone = new_page({"width": 360, "height": 480})
    phone.goto(phone.base + "/embed/series?area=01&from=2024-01&lang=en")
    phone.wait_for_selector("#chart[data-ready='1']")
    width = phone.evaluate("document.querySelector('#chart .main-svg').getBoundingClientRect().width")
    assert 300 <= width <= 360
    assert "Source:" in phone.locator("#embed-source").inner_text()
    # A page on another site can frame it: the snippet's iframe loads the chart.
    host = new_page()
    article = f'<p>News</p><iframe id="f" src="{host.base}/embed/ranking?from=2024-01" width="600" height="400"></iframe>'
    with serve_page(article) as other:  # another origin: the same address, another port
        host.goto(other)
        frame = host.frame_locator("#f")
        frame.locator("#chart[data-ready='1']").wait_for()
        assert "tiny-1" in frame.locator("#embed-source").inner_text()
    assert phone.errors == [] and host.errors == []


def test_explore_page_menus_link_to_the_view(page):
    page.goto(page.base + "/?area=01&from=2024-01")
    page.wait_for_selector("#kf-total")
    page.wait_for_function(
        "() => (document.getElementById('map-dl-png') || {}).getAttribute('href', '').includes('area=01')"
    )
    page.locator("#map-dl > summary").focus()
    page.keyboard.press("Enter")  # a <details> opens from the keyboard
    assert page.locator("#map-dl").get_attribute("open") is not None
    href = page.locator("#table-dl-csv").get_attribute("href")
    assert href == "/download/table.csv?area=01&from=2024-01&to=2025-02"
    with urllib.request.urlopen(page.base + href) as r:
        assert r.status == 200 and r.headers["Content-Type"] == "application/zip"
    assert "<iframe" in page.locator("#map-embed").input_value()
    assert "consultado el" in page.locator("#ranking-cite").input_value()
    assert page.errors == []
