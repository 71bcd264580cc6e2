"""A municipal and a district observatory, in a real browser: each site's home page opens on its
territory (data/sites/el-alto.toml: El Alto, Bolivia, INE 020105; data/sites/independencia.toml:
Independencia, Lima, ubigeo 150112), drawn among its neighbours and highlighted on the map, with the
territory in the breadcrumb. El Alto's figures are made up (tests/conftest.py
``made_up_bo_femicides``); Independencia's are the real SIDPOL complaints."""

from __future__ import annotations

import shutil

import pytest

from observatory.contract.settings import ROOT, Settings
from tests.browser.conftest import DESKTOP, PHONE, serving
from tests.browser.test_explore import MAP
from tests.conftest import needs_mirror

pytestmark = needs_mirror
SITES = ROOT / "data" / "sites"


@pytest.fixture(scope="module")
def el_alto(bo_warehouse):
    from observatory.web.app import create_app

    settings = Settings.from_env(
        environ={}, warehouse=str(bo_warehouse), country="BO", site=str(SITES / "el-alto.toml")
    )
    with serving(create_app(settings).server) as url:
        yield url


@pytest.fixture(scope="module")
def independencia(real_warehouse, tmp_path_factory):
    """The real warehouse with Peru's district layer built beside it (the only one the home needs)."""
    from observatory.build.boundaries import build_boundaries
    from observatory.build.boundaries_step import declared_layers
    from observatory.web.app import create_app

    folder = tmp_path_factory.mktemp("independencia")
    shutil.copyfile(real_warehouse, folder / "observatory.duckdb")
    settings = Settings.from_env(
        environ={}, warehouse=str(folder / "observatory.duckdb"), site=str(SITES / "independencia.toml")
    )
    layers = declared_layers(settings, log=lambda _: None)
    build_boundaries({"pe-district": layers["pe-district"]}, settings.geo_dir)
    with serving(create_app(settings).server) as url:
        yield url


def open_home(context, url: str, viewport) -> object:
    page = context.new_page()
    page.set_default_timeout(60_000)  # a shared, busy machine
    page.set_viewport_size(viewport)
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.goto(url + "/")
    page.wait_for_selector("#kf-total")
    return page


def wait_highlighted(page, code: str) -> None:
    """Until MapLibre has drawn the map and its highlight trace (trace 2) holds ``code``."""
    page.wait_for_function(
        f"""(code) => {{
            const g = {MAP};
            if (!g || !g._fullData || g._fullData.length < 3 || !g._fullLayout.map) return false;
            const m = g._fullLayout.map._subplot && g._fullLayout.map._subplot.map;
            return !!m && m.loaded() && JSON.stringify(Array.from(g._fullData[2].locations)) === JSON.stringify([code]);
        }}""",
        arg=code,
    )


@pytest.mark.parametrize(
    "site, code, crumbs, neighbours",
    [
        ("el_alto", "020105", ["Bolivia", "La Paz", "Murillo", "El Alto"], 5),
        ("independencia", "150112", ["Perú", "Lima", "Lima", "Independencia"], 43),
    ],
)
def test_a_local_sites_home_shows_its_territory(
    request, context, screenshots, site, code, crumbs, neighbours
):
    url = request.getfixturevalue(site)
    for viewport, suffix in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page = open_home(context, url, viewport)
        wait_highlighted(page, code)
        # The home is the territory: breadcrumb down to it, among the areas of its parent.
        assert [li.inner_text().strip() for li in page.locator("#breadcrumb li").all()] == crumbs
        assert page.locator("#breadcrumb [aria-current]").inner_text().strip() == crumbs[-1]
        drawn = page.evaluate(f"() => {MAP}._fullData[0].locations.length")
        assert drawn == neighbours
        assert page.evaluate("() => window.location.search") == ""  # the site's default: a bare URL
        if viewport is DESKTOP:
            assert crumbs[-1] in page.locator(".brand__name").inner_text()
        page.screenshot(path=str(screenshots / f"site-{site.replace('_', '-')}-{suffix}.png"), full_page=True)
        assert page.errors == []
        page.close()
