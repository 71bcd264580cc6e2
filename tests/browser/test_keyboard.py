"""The map's areas by keyboard: the table of values lists them, each name a link to its own view
(what a click on the map does), and Enter on it opens that view."""

from __future__ import annotations

from bench.audit import settled


def test_an_area_opens_from_the_table_by_keyboard(page):
    page.goto(page.base + "/?from=2024-01")
    settled(page, "/")
    link = page.locator("#area-table tbody th a", has_text="Lima")
    assert link.get_attribute("href").startswith("/?area=15")
    link.focus()
    assert page.evaluate("document.activeElement.textContent") == "Lima"
    page.keyboard.press("Enter")
    page.wait_for_function("() => new URLSearchParams(location.search).get('area') === '15'")
    page.wait_for_function(
        "() => document.querySelector('#breadcrumb [aria-current]')?.textContent === 'Lima'"
    )
    assert page.errors == []
