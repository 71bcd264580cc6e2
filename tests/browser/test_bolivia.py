"""The app started with Bolivia's country pack, in a real browser: the map at each of its three
levels (departments, provinces, municipalities), in Spanish and English, its level names, help line
and number marks. The femicide figures by municipality are made up (tests/conftest.py
``made_up_bo_femicides``); territories, boundaries and the 2012 census are the real ones."""

from __future__ import annotations

import pytest

from observatory.contract.settings import Settings
from tests.browser.conftest import DESKTOP, PHONE, serving
from tests.browser.test_explore import MAP
from tests.conftest import needs_mirror
from tests.test_country_app import bo_expected

pytestmark = needs_mirror


@pytest.fixture(scope="module")
def server(bo_warehouse):
    from observatory.web.app import create_app

    settings = Settings.from_env(environ={}, warehouse=str(bo_warehouse), country="BO")
    app = create_app(settings)  # boundaries from the warehouse's geo/ folder, as in production
    with serving(app.server) as url:
        yield url


def wait_drawn(page, count: int, layer: str) -> None:
    """Until the map draws ``count`` areas of ``layer`` and MapLibre has loaded them."""
    page.wait_for_function(
        f"""([n, layer]) => {{
            const g = {MAP};
            if (!g || !g.data || !g.data[0] || !g._fullLayout.map) return false;
            const m = g._fullLayout.map._subplot && g._fullLayout.map._subplot.map;
            return !!m && m.loaded() && g.data[0].locations.length === n
                && String(g.data[0].geojson).endsWith(layer);
        }}""",
        arg=[count, f"/geo/{layer}.geojson"],
    )


def wait_series(page) -> None:
    """Until plotly has drawn the series (2019-2024: six years)."""
    page.wait_for_function(
        """() => { const g = document.querySelector('#series .js-plotly-plot');
                   return !!g && g._fullData && g._fullData.length > 0 && g._fullData[0].x.length === 6 }"""
    )


def open_page(context, viewport):
    page = context.new_page()
    page.set_default_timeout(60_000)  # a shared, busy machine: Bolivia's layers load on first use
    page.set_viewport_size(viewport)
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    return page


@pytest.mark.parametrize(
    "lang, labels",
    [("es", ("Departamento", "Provincia", "Municipio")), ("en", ("Department", "Province", "Municipality"))],
)
def test_bolivia_maps_departments_provinces_and_municipalities(
    server, bo_warehouse, context, screenshots, lang, labels
):
    page = open_page(context, DESKTOP)
    suffix = "" if lang == "es" else "&lang=en"
    steps = [
        ("", 9, "bo-department", "departments"),
        ("&area=02", 20, "bo-province", "la-paz-provinces"),
        ("&area=0201", 5, "bo-municipality", "murillo-municipalities"),
    ]
    for area, count, layer, name in steps:
        page.goto(f"{server}/?ind=bo_feminicidios&from=2019&to=2024&measure=count{area}{suffix}")
        page.wait_for_selector("#kf-total")
        wait_drawn(page, count, layer)
        if not area:  # Bolivia's total of the made-up figures, in the language's marks
            total = sum(sum(years.values()) for years in bo_expected(bo_warehouse, "department").values())
            want = f"{total:,}".replace(",", "." if lang == "es" else ",")
            page.wait_for_function(
                "(want) => document.querySelector('#kf-total').textContent.trim() === want", arg=want
            )
        wait_series(page)
        page.screenshot(path=str(screenshots / f"bolivia-{name}-{lang}.png"), full_page=True)
    # The map drew what the warehouse has: Murillo's five municipalities, El Alto among them.
    drawn = page.evaluate(f"() => Array.from({MAP}.data[0].locations).sort()")
    assert drawn == ["020101", "020102", "020103", "020104", "020105"]
    crumbs = page.locator("#breadcrumb").inner_text()
    assert "Bolivia" in crumbs and "La Paz" in crumbs and "Murillo" in crumbs
    for level, label in zip(("department", "province", "municipality"), labels, strict=True):
        assert page.locator(f"#f-{level}-label").inner_text().strip() == label
    assert page.locator("#f-district-wrap").is_hidden()
    footer = page.locator(".site-footer").inner_text()
    assert "110" in footer and "Lab TecnoSocial" in footer and "CC BY 4.0" in footer
    assert "Bolivia" in page.locator(".brand__tagline").inner_text()
    assert page.errors == []
    page.close()


def test_bolivia_on_a_phone(server, context, screenshots):
    page = open_page(context, PHONE)
    page.goto(f"{server}/?ind=bo_feminicidios&area=02&from=2019&to=2024")
    page.wait_for_selector("#kf-total")
    wait_drawn(page, 20, "bo-province")
    wait_series(page)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"
    page.screenshot(path=str(screenshots / "bolivia-la-paz-phone.png"), full_page=True)
    # The national CEPAL series, 2015-2021.
    page.goto(f"{server}/?ind=cepal_feminicidios&from=2015&to=2021")
    page.wait_for_function(
        """() => { const g = document.querySelector('#series .js-plotly-plot');
                   return !!g && g._fullData && g._fullData.length > 0 && g._fullData[0].y.length >= 7 }"""
    )
    drawn = page.evaluate(
        "() => Array.from(document.querySelector('#series .js-plotly-plot')._fullData[0].y).slice(-7)"
    )
    assert [round(v) for v in drawn] == [96, 104, 110, 130, 117, 113, 108]
    page.screenshot(path=str(screenshots / "bolivia-cepal-phone.png"), full_page=True)
    assert page.errors == []
    page.close()
