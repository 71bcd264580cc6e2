"""A regional observatory instance in real headless Chromium: a site file with a scope (Lima, 15,
on the tiny warehouse) opens on its region, with its own name and colours, and keeps the country."""

from __future__ import annotations

import pytest

from observatory.contract.settings import ROOT, Settings
from tests.browser.conftest import DESKTOP, _page, serving
from tests.browser.test_explore import no_errors, wait_map, wait_text, wait_url
from tests.browser.tiny_geo import boundaries_for, write_layers
from tests.fixtures import tiny

NAME = "Observatorio Regional de la Violencia contra las Mujeres y los Integrantes del Grupo Familiar de Lima"
PRIMARY = "#0b4f6c"


@pytest.fixture(scope="module")
def regional_server(tmp_path_factory):
    """The app on the tiny warehouse with data/sites/piura.toml re-scoped to Lima (15)."""
    from observatory.web.app import create_app

    folder = tmp_path_factory.mktemp("regional")
    warehouse = tiny.build(folder / "observatory.duckdb")
    text = (ROOT / "data" / "sites" / "piura.toml").read_text(encoding="utf-8")
    text = text.replace('scope = "20"', 'scope = "15"').replace("Familiar de Piura", "Familiar de Lima")
    assert f'primary = "{PRIMARY}"' in text and NAME in text
    site = folder / "lima.toml"
    site.write_text(text, encoding="utf-8")
    settings = Settings.from_env(environ={}, warehouse=str(warehouse), site=str(site))
    app = create_app(settings, boundaries=boundaries_for(write_layers(folder / "geo")))
    with serving(app.server) as url:
        yield url


@pytest.fixture
def page(context, regional_server):
    page = _page(context, regional_server, DESKTOP)
    yield page
    page.close()


def rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def test_a_regional_instance_opens_on_its_region(page, screenshots):
    page.goto(page.base + "/")
    page.wait_for_selector("#kf-total")
    wait_map(page, ["1501", "1502"])  # the region's provinces
    wait_text(page, "#kf-total", "1\u00a0320")  # Lima's 110 a month, 12 months
    assert page.locator(".brand__name").inner_text() == NAME
    assert page.locator(".brand__logo").get_attribute("src") == "/assets/logo-piura.svg"
    header = page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor")
    assert header == rgb(PRIMARY)
    assert [li.inner_text() for li in page.locator("#breadcrumb li").all()] == ["Perú", "Lima"]
    assert page.locator("#f-department").inner_text().strip() == "Lima"
    assert page.evaluate("window.location.search") == ""  # the region is the default view
    # The national comparison stays: the country is a line of the series.
    page.wait_for_function(
        "() => { const g = document.querySelector('#series .js-plotly-plot');"
        " return !!g && !!g.data && g.data.some(t => t.legendgroup === 'country-PE'); }"
    )
    page.wait_for_timeout(400)
    page.screenshot(path=str(screenshots / "regional-1366x768.png"), full_page=True)
    no_errors(page)


def test_the_country_stays_one_click_away(page):
    page.goto(page.base + "/")
    wait_map(page, ["1501", "1502"])
    page.click("#crumb-PE")
    wait_url(page, "?area=PE")
    wait_map(page, ["01", "15"])
    wait_text(page, "#kf-total", "1\u00a0464")
    page.go_back()
    wait_url(page, "")
    wait_map(page, ["1501", "1502"])
    assert [li.inner_text() for li in page.locator("#breadcrumb li").all()] == ["Perú", "Lima"]
    no_errors(page)


def test_the_services_page_opens_on_the_region_too(page):
    page.goto(page.base + "/servicios")
    page.wait_for_selector("#svc-none")  # no directory in this warehouse: said, not an error
    wait_text(page, "#svc-subtitle", "Lima")
    assert [li.inner_text() for li in page.locator("#svc-breadcrumb li").all()] == ["Perú", "Lima"]
    assert "ingest pe_servicios" in page.locator("#svc-none").inner_text()
    no_errors(page)


def test_the_institutions_page_opens_on_the_region_too(page):
    page.goto(page.base + "/instituciones")
    page.wait_for_selector("#inst-area")
    assert page.locator("#inst-area").input_value() == "15"
    page.goto(page.base + "/instituciones?area=PE")
    page.wait_for_selector("#inst-area")
    assert page.locator("#inst-area").input_value() == "PE"
    no_errors(page)
