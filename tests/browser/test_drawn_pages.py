"""The maintenance and not-found pages as Chromium draws them: the stylesheet applies, the help
line is the country's, an unknown address shows the site's own not-found view with HTTP 404."""

from __future__ import annotations

from observatory.contract.settings import Settings
from tests.browser.conftest import PHONE, serving


def test_the_maintenance_page_is_styled_and_names_the_country_s_help_line(context, tmp_path):
    from observatory.web.app import create_app

    app = create_app(Settings.from_env(environ={}, warehouse=str(tmp_path / "none.duckdb"), country="SV"))
    page = context.new_page()
    try:
        with serving(app.server) as url:
            response = page.goto(url + "/")
            assert response.status == 503
            rules = page.evaluate("Array.from(document.styleSheets[0].cssRules).length")
            assert rules >= 8, f"only {rules} CSS rules parsed"
            assert page.evaluate("getComputedStyle(document.body).maxWidth") == "640px"
            assert page.evaluate("getComputedStyle(document.querySelector('h1')).fontSize") == "24px"
            assert "Línea 126" in page.locator("#help-es").inner_text()
            assert "Línea 100" not in page.locator("body").inner_text()
            assert page.locator("section[lang='en'] h2").inner_text() == "We are updating the data"
    finally:
        page.close()


def test_an_unknown_page_answers_404_with_the_site_s_not_found_view(new_page):
    for viewport in (None, PHONE):
        page = new_page(viewport) if viewport else new_page()
        response = page.goto(page.base + "/no-such-page")
        assert response.status == 404
        page.wait_for_selector("h1")
        assert page.locator("h1").inner_text() == "Página no encontrada"
        assert page.locator(".site-header").count() == 1  # the site's own page, with its navigation
        # Chromium logs the document's own 404; nothing else may fail.
        others = [e for e in page.errors if "status of 404" not in e]
        assert len(page.errors) - len(others) == 1 and others == [], page.errors


def test_a_printed_view_keeps_each_card_s_context_and_drops_the_controls(page, screenshots):
    page.goto(page.base + "/?from=2024-01")
    page.wait_for_selector("#map-legend .legend__item")
    page.wait_for_selector("#ranking-unranked:not(:empty)")
    page.emulate_media(media="print")
    try:
        visible = {
            sel: page.locator(sel).first.is_visible()
            for sel in (
                "#map-legend .legend__item",
                "#map-unit",
                "#ranking-unit",
                "#ranking-unranked",
                "#map-meta .card__meta",
                ".table-notes",
                "#view-subtitle",
            )
        }
        assert all(visible.values()), visible
        hidden = {sel: page.locator(sel).first.is_visible() for sel in (".filters", ".dl-menu", ".nav")}
        assert not any(hidden.values()), hidden
        assert "Ministerio del Interior" in page.locator("#ranking-card .card__meta").inner_text()
        page.pdf(path=str(screenshots / "explore-print.pdf"))  # to look at
    finally:
        page.emulate_media(media="screen")
