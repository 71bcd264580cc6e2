"""The services page (/servicios) in real headless Chromium: the tiny warehouse with a made-up
directory (tests/fixtures/services.py), case map with points on top, type filter, tables."""

from __future__ import annotations

import pytest

from observatory.contract.settings import Settings
from tests.browser.conftest import DESKTOP, _page, serving
from tests.browser.test_explore import choose, no_errors, wait_text, wait_url
from tests.browser.tiny_geo import boundaries_for, write_layers
from tests.fixtures import services as fixture

MAP = "document.querySelector('#svc-map .js-plotly-plot')"


@pytest.fixture(scope="module")
def services_server(tmp_path_factory):
    from observatory.web.app import create_app

    folder = tmp_path_factory.mktemp("browser-services")
    warehouse = fixture.build(folder / "observatory.duckdb")
    settings = Settings.from_env(environ={}, warehouse=str(warehouse))
    app = create_app(settings, boundaries=boundaries_for(write_layers(folder / "geo")))
    with serving(app.server) as url:
        yield url


@pytest.fixture
def page(context, services_server):
    page = _page(context, services_server, DESKTOP)
    yield page
    page.close()


def wait_points(page, areas: list[str], dots: int) -> None:
    """Until the map draws these areas and ``dots`` public points, MapLibre loaded."""
    page.wait_for_function(
        f"""([areas, dots]) => {{
            const g = {MAP};
            if (!g || !g.data || !g.data[0] || !g._fullLayout.map) return false;
            const m = g._fullLayout.map._subplot && g._fullLayout.map._subplot.map;
            const n = g.data.filter(t => t.type === 'scattermap').reduce((s, t) => s + t.lat.length, 0);
            return !!m && m.loaded() && JSON.stringify(Array.from(g.data[0].locations)) === areas && n === dots;
        }}""",
        arg=[str(areas).replace("'", '"').replace(" ", ""), dots],
    )


def test_services_page_shows_points_over_the_case_map(page, screenshots):
    page.goto(page.base + "/servicios?area=15")
    wait_text(page, "#svc-total", "3")
    wait_points(page, ["1501", "1502"], 2)  # CEM-1 and SAR-1; the shelter is never drawn
    wait_text(page, "#svc-cases-per-point", "440")
    assert page.locator("h1").inner_text() == "Servicios de atención"
    assert [li.inner_text() for li in page.locator("#svc-breadcrumb li").all()] == ["Perú", "Lima"]
    assert "Barranca" in page.locator("#svc-without-list").inner_text()
    rows = page.locator("#svc-farthest-table tbody tr").all()
    assert rows[0].inner_text().split("\t")[:3] == ["Paramonga", "Barranca", "Lima"]
    body = page.locator("main").inner_text()
    assert "Hogar Temporal Secreto" not in body and "HRT-1" not in body
    assert page.locator(".site-header nav a.is-active").inner_text().startswith("Servicios")
    assert page.get_attribute("#lang-switch", "href") == "/servicios?area=15&lang=en"
    page.wait_for_timeout(400)
    page.screenshot(path=str(screenshots / "services-1366x768.png"), full_page=True)
    no_errors(page)


def test_filtering_by_type_changes_points_figures_and_url(page):
    page.goto(page.base + "/servicios?area=15")
    wait_points(page, ["1501", "1502"], 2)
    page.get_by_label("SAR (Servicio de Atención Rural)").uncheck()
    wait_url(page, "?area=15&type=CEM,HOGAR_REFUGIO")
    wait_text(page, "#svc-total", "2")
    wait_points(page, ["1501", "1502"], 1)
    assert "SAR Lima Norte" not in page.locator("#svc-points").inner_text()
    page.go_back()
    wait_url(page, "?area=15")
    wait_text(page, "#svc-total", "3")
    assert page.get_by_label("SAR (Servicio de Atención Rural)").is_checked()
    no_errors(page)


def test_choosing_an_area_and_going_back_to_the_country(page):
    page.goto(page.base + "/servicios")
    wait_points(page, ["01", "15"], 3)
    wait_text(page, "#svc-total", "4")
    choose(page, "svc-area", "Amazonas")
    wait_url(page, "?area=01")
    wait_text(page, "#svc-total", "1")
    wait_text(page, "#svc-cases-per-point", "144")
    page.click("#svc-crumb-PE")
    wait_url(page, "")
    wait_text(page, "#svc-total", "4")
    assert page.evaluate("window.location.search") == ""
    assert page.locator("#svc-total").inner_text().strip() == "4"
    no_errors(page)


def test_the_services_page_works_on_a_375px_phone(context, services_server, screenshots):
    from tests.browser.conftest import PHONE

    phone = _page(context, services_server, PHONE)
    try:
        phone.goto(phone.base + "/servicios?area=15")
        wait_points(phone, ["1501", "1502"], 2)
        wait_text(phone, "#svc-total", "3")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page scrolls sideways: {width}px wide"
        phone.screenshot(path=str(screenshots / "services-375x812.png"), full_page=True)
        no_errors(phone)
    finally:
        phone.close()
