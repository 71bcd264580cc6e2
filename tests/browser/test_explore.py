"""The explore page in real headless Chromium on the tiny warehouse (exact values: tests/fixtures/tiny.py)."""

from __future__ import annotations

import json

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import PHONE
from tests.browser.tiny_geo import centre

MAP = "document.querySelector('#map .js-plotly-plot')"


def open_view(page, query: str = "") -> None:
    page.goto(page.base + "/" + query)
    page.wait_for_selector("#kf-total")


def wait_text(page, selector: str, text: str) -> None:
    page.wait_for_function(
        "([s, want]) => { const e = document.querySelector(s); return !!e && e.textContent.trim() === want }",
        arg=[selector, text],
    )


def wait_map(page, codes: list[str]) -> None:
    """Until the map draws exactly these areas (and MapLibre has loaded them)."""
    page.wait_for_function(
        f"""(want) => {{
            const g = {MAP};
            if (!g || !g.data || !g.data[0] || !g._fullLayout.map) return false;
            const m = g._fullLayout.map._subplot && g._fullLayout.map._subplot.map;
            return !!m && m.loaded() && JSON.stringify(Array.from(g.data[0].locations)) === want;
        }}""",
        arg=json.dumps(codes, separators=(",", ":")),
    )


def wait_url(page, query: str) -> None:
    page.wait_for_function("(want) => window.location.search === want", arg=query)


def settle(page) -> None:
    """Until no Dash callback is in flight (Dash marks the components it is updating)."""
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")
    page.wait_for_timeout(100)


def choose(page, control: str, text: str) -> None:
    """Open a dropdown, type to search, pick the option (as a reader would with a mouse). First
    the page settles (no callback in flight: one may redraw the control and close its list), and
    the control is scrolled to the top of the window, so that its list opens inside it. The text
    goes into the list's own search box once it is open (typed keys follow the focus, which a
    redraw can move)."""
    option = page.get_by_role("option", name=text, exact=True)
    search = page.locator(".dash-dropdown-content .dash-dropdown-search")
    for attempt in range(4):
        settle(page)
        page.locator(f"#{control}").evaluate("e => e.scrollIntoView({block: 'start'})")
        page.click(f"#{control}")
        try:
            search.last.wait_for(state="visible", timeout=3000)
            search.last.fill(text)
            option.wait_for(timeout=4000)
            option.click(timeout=4000)
            return
        except PlaywrightTimeout:
            if attempt == 3:
                html = page.locator(f"#{control}").evaluate("e => e.outerHTML")
                shown = page.get_by_role("option").all_inner_texts()
                raise AssertionError(
                    f"no option {text!r} in #{control}: {shown[:20]}; {html[:2000]}"
                ) from None
            # A redraw closed the list, or the page moved under it (a graph resizing): again.
            page.keyboard.press("Escape")


def click_area(page, level: str, code: str) -> None:
    """Click the middle of an area's polygon on the map."""
    page.locator("#map").scroll_into_view_if_needed()
    lon, lat = centre(level, code)
    x, y = page.evaluate(
        f"""([lon, lat]) => {{
            const m = {MAP}._fullLayout.map._subplot.map;
            const p = m.project([lon, lat]);
            const r = m.getCanvas().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y];
        }}""",
        [lon, lat],
    )
    page.mouse.move(x - 4, y - 4)
    page.mouse.move(x, y)
    page.wait_for_timeout(150)
    page.mouse.click(x, y)


def no_errors(page) -> None:
    assert page.errors == [], page.errors


def test_page_loads_without_console_errors(page, screenshots):
    open_view(page)
    wait_text(page, "#kf-total", "1\u00a0464")  # 122 a month, March 2024 to February 2025
    wait_map(page, ["01", "15"])
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("h1").inner_text().startswith("Denuncias policiales")
    assert "No especificado" in page.locator("#map-unmapped").inner_text()  # no polygon, still listed
    page.wait_for_selector("#area-table tbody tr")
    page.wait_for_timeout(500)  # let the charts finish their transitions
    page.screenshot(path=str(screenshots / "explore-1366x768.png"), full_page=True)
    no_errors(page)


def test_choosing_a_department_turns_the_map_into_its_provinces(page):
    open_view(page)
    wait_map(page, ["01", "15"])
    choose(page, "f-department", "Lima")
    wait_url(page, "?area=15")
    wait_map(page, ["1501", "1502"])
    wait_text(page, "#kf-total", "1\u00a0320")  # 110 a month in Lima, 12 months
    assert [li.inner_text() for li in page.locator("#breadcrumb li").all()] == ["Perú", "Lima"]
    assert page.locator("#breadcrumb [aria-current]").inner_text() == "Lima"
    no_errors(page)


def test_clicking_a_province_on_the_map_shows_its_districts(page):
    open_view(page, "?area=15")
    wait_map(page, ["1501", "1502"])
    click_area(page, "province", "1502")
    wait_url(page, "?area=1502")
    wait_map(page, ["150201"])  # Paramonga has no polygon ...
    assert "Paramonga" in page.locator("#map-unmapped").inner_text()  # ... and is listed under the map
    assert page.locator("#f-province").inner_text().strip() == "Barranca"
    no_errors(page)


def test_changing_the_period_changes_the_key_figure(page):
    open_view(page, "?area=01")
    wait_text(page, "#kf-total", "144")  # 12 a month, March 2024 to February 2025
    choose(page, "f-from", "ene. 2024")
    wait_url(page, "?area=01&from=2024-01")
    wait_text(page, "#kf-total", "168")  # the fixture's 2024-01..2025-02 total for Amazonas
    assert page.locator("#kf-total").inner_text().strip() == "168"
    no_errors(page)


def test_a_copied_url_gives_the_same_view(page, new_page):
    open_view(page, "?area=15")
    wait_map(page, ["1501", "1502"])
    click_area(page, "province", "1501")
    wait_url(page, "?area=1501")
    wait_map(page, ["150101", "150102"])
    choose(page, "f-from", "ene. 2024")
    wait_url(page, "?area=1501&from=2024-01")
    wait_text(page, "#kf-total", "1\u00a0400")
    url = page.input_value("#share-url")
    assert url == page.base + "/?area=1501&from=2024-01&to=2025-02"  # the period is pinned in a link to cite

    other = new_page()
    other.goto(url)
    wait_text(other, "#kf-total", "1\u00a0400")
    wait_map(other, ["150101", "150102"])
    for selector in ("#view-subtitle", "#breadcrumb", "#f-department", "#f-province", "#f-from", "#kf-rate"):
        assert other.locator(selector).inner_text() == page.locator(selector).inner_text(), selector
    no_errors(page)
    no_errors(other)


def test_the_back_button_steps_back_through_views(page):
    open_view(page)
    wait_map(page, ["01", "15"])
    choose(page, "f-department", "Lima")
    wait_url(page, "?area=15")
    wait_map(page, ["1501", "1502"])
    click_area(page, "province", "1501")
    wait_url(page, "?area=1501")
    wait_map(page, ["150101", "150102"])
    page.go_back()
    wait_url(page, "?area=15")
    wait_map(page, ["1501", "1502"])
    wait_text(page, "#f-department", "Lima")
    assert page.evaluate("window.location.search") == "?area=15"
    page.go_back()
    wait_url(page, "")
    assert page.evaluate("window.location.search") == ""
    wait_map(page, ["01", "15"])
    no_errors(page)


def test_switching_to_english_translates_the_interface(page):
    open_view(page, "?area=15")
    wait_text(page, "#kf-total", "1\u00a0320")
    page.click("#lang-switch")
    wait_url(page, "?area=15&lang=en")
    wait_text(page, "#kf-total", "1,320")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text().startswith("Police complaints")
    assert page.locator("#f-department-label").inner_text() == "Department"
    assert [a.inner_text() for a in page.locator(".site-header nav a").all()][1:4] == [
        "Indicators",
        "Institutions",
        "Methodology",
    ]
    assert page.locator("#map-unit").inner_text() == "complaints per 100,000 women"
    no_errors(page)


def test_controls_work_with_the_keyboard(page):
    open_view(page)
    wait_map(page, ["01", "15"])
    settle(page)  # a callback still in flight could redraw the dropdown and close its list
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "f-department":
            break
    assert page.evaluate("document.activeElement.id") == "f-department"
    page.keyboard.press("Enter")  # opens the list, focus in its search box
    page.wait_for_function("() => document.activeElement.classList.contains('dash-dropdown-search')")
    page.keyboard.type("Amaz")
    page.get_by_role("option", name="Amazonas", exact=True).wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    wait_url(page, "?area=01")
    wait_text(page, "#kf-total", "144")
    no_errors(page)


def test_the_page_works_on_a_375px_phone(new_page, screenshots):
    phone = new_page(PHONE)
    open_view(phone, "?area=15")
    wait_map(phone, ["1501", "1502"])
    wait_text(phone, "#kf-total", "1\u00a0320")
    phone.wait_for_selector("#area-table tbody tr")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways: {width}px wide"
    box = phone.locator("#map").bounding_box()
    assert box["width"] >= 300 and box["height"] >= 300
    choose(phone, "f-province", "Barranca")
    wait_url(phone, "?area=1502")
    wait_map(phone, ["150201"])
    phone.evaluate("window.scrollTo(0, 0)")
    phone.wait_for_timeout(500)
    phone.screenshot(path=str(screenshots / "explore-375x812.png"), full_page=True)
    no_errors(phone)


def test_the_smoothed_rate_is_chosen_labelled_and_kept_in_the_url(page):
    """Choosing "Tasa suavizada" on a district map: the URL says so, the units and the table name
    the smoothed rate, the series keeps the raw one; back to the plain rate undoes it."""
    open_view(page, "?area=0101")
    wait_map(page, ["010101", "010102"])
    page.get_by_label("Tasa suavizada en distritos (Bayes empírico)").check()
    wait_url(page, "?area=0101&measure=smoothed")
    page.wait_for_function("() => document.querySelector('#map-unit').textContent.includes('suavizada')")
    assert page.locator("#ranking-unit").inner_text().endswith("tasa suavizada (Bayes empírico)")
    assert "suavizada" not in page.locator("#series-unit").inner_text()
    # The table is the ranking callback's, which may answer after the units: wait for it.
    page.wait_for_function(
        "() => (document.querySelector('#area-table thead') || {}).textContent?.includes('Tasa suavizada')"
    )
    page.get_by_label("Tasa por 100 000", exact=True).check()
    wait_url(page, "?area=0101")
    page.wait_for_function("() => !document.querySelector('#map-unit').textContent.includes('suavizada')")
    page.wait_for_function(
        "() => !document.querySelector('#area-table thead').textContent.includes('Tasa suavizada')"
    )
    no_errors(page)


def test_the_series_table_is_built_when_opened_and_follows_the_view(page):
    """The series card's table alternative: nothing sent while closed; opened with the mouse or the
    keyboard it shows the lines drawn, and it follows the view while open."""
    open_view(page, "?area=01&compare=15")
    wait_map(page, ["0101"])
    settle(page)
    assert page.locator("#series-table table").count() == 0
    page.locator("#series-table-toggle").scroll_into_view_if_needed()
    page.click("#series-table-toggle")
    page.wait_for_selector("#series-table table")
    heads = [th.inner_text() for th in page.locator("#series-table thead th").all()]
    assert heads[1:] == ["Amazonas", "Perú", "Lima"]
    assert "feb. 2025" in page.locator("#series-table tbody").inner_text()
    click_area(page, "province", "0101")  # still open: the table follows the new view
    wait_url(page, "?area=0101&compare=15")
    page.wait_for_function(
        "() => { const h = document.querySelectorAll('#series-table thead th');"
        " return h.length === 5 && h[2].textContent === 'Amazonas' }"
    )
    page.click("#series-table-toggle")  # closed: emptied
    page.wait_for_function("() => !document.querySelector('#series-table table')")
    page.focus("#series-table-toggle")
    page.keyboard.press("Enter")  # the keyboard opens it too
    page.wait_for_selector("#series-table table")
    assert page.evaluate("document.querySelector('details.as-table').open")
    no_errors(page)


# --------------------------------------------------------------------------- one round trip


VIEW = "..url.search..."  # the view callback's outputs begin with the URL


def callbacks_during(page, action, *done) -> list[str]:
    """The callback requests sent (each by its outputs) from ``action()`` until every ``done()``
    holds and no callback is in flight."""
    sent: list[str] = []

    def note(request):
        if request.method == "POST" and "/_dash-update-component" in request.url.split("?")[0]:
            body = json.loads(request.post_data)
            sent.append(body["output"][:40] + " " + ",".join(body.get("changedPropIds", [])))

    settle(page)
    page.on("request", note)
    try:
        action()
        for wait in done:
            wait()
        settle(page)
        page.wait_for_timeout(400)  # anything a response would set off has left by now
        settle(page)
    finally:
        page.remove_listener("request", note)
    return sent


def add_comparison(page, typed: str, label: str) -> None:
    page.locator("#f-compare").scroll_into_view_if_needed()
    page.click("#f-compare")
    search = page.locator(".dash-dropdown-content .dash-dropdown-search").last
    search.wait_for(state="visible")
    search.fill(typed)
    page.get_by_role("option", name=label, exact=True).click()


def test_each_interaction_is_one_callback_request(page):
    """One request per interaction (two where a control's options come from the server: the
    comparison's search), never one for Dash Pages' page content; the same numbers as before."""
    open_view(page)
    wait_map(page, ["01", "15"])
    counts = {}
    counts["department"] = callbacks_during(
        page,
        lambda: choose(page, "f-department", "Lima"),
        lambda: wait_url(page, "?area=15"),
        lambda: wait_map(page, ["1501", "1502"]),
        lambda: wait_text(page, "#kf-total", "1\u00a0320"),
    )
    counts["period"] = callbacks_during(
        page,
        lambda: choose(page, "f-from", "ene. 2024"),
        lambda: wait_url(page, "?area=15&from=2024-01"),
    )
    counts["drill"] = callbacks_during(
        page,
        lambda: click_area(page, "province", "1501"),
        lambda: wait_url(page, "?area=1501&from=2024-01"),
        lambda: wait_map(page, ["150101", "150102"]),
        lambda: wait_text(page, "#kf-total", "1\u00a0400"),
    )
    counts["measure"] = callbacks_during(
        page,
        lambda: page.get_by_label("Número", exact=True).check(),
        lambda: wait_url(page, "?area=1501&from=2024-01&measure=count"),
        lambda: page.wait_for_function(
            "() => document.querySelector('#map-unit').textContent === 'denuncias'"
        ),
    )
    counts["compare"] = callbacks_during(
        page,
        lambda: add_comparison(page, "Amaz", "Amazonas"),
        lambda: wait_url(page, "?area=1501&from=2024-01&measure=count&compare=01"),
        lambda: page.wait_for_function(
            "() => Array.from(document.querySelector('#series .js-plotly-plot').data).some(t => t.name === 'Amazonas')"
        ),
    )
    counts["sort"] = callbacks_during(
        page,
        lambda: page.locator("#area-table thead button").first.click(),
        lambda: page.wait_for_function(
            "() => document.querySelector('#area-table thead th').getAttribute('aria-sort') === 'ascending'"
        ),
    )
    counts["breadcrumb"] = callbacks_during(
        page,
        lambda: page.click("#crumb-15"),
        lambda: wait_url(page, "?area=15&from=2024-01&measure=count&compare=01"),
        lambda: wait_map(page, ["1501", "1502"]),
    )
    counts["back"] = callbacks_during(
        page,
        lambda: page.go_back(),
        lambda: wait_url(page, "?area=1501&from=2024-01&measure=count&compare=01"),
        lambda: wait_map(page, ["150101", "150102"]),
        lambda: wait_text(page, "#kf-total", "1\u00a0400"),
    )
    assert {k: len(v) for k, v in counts.items()} == {
        "department": 1,
        "period": 1,
        "drill": 1,
        "measure": 1,
        "compare": 2,
        "sort": 1,
        "breadcrumb": 1,
        "back": 1,
    }, counts
    for name, sent in counts.items():
        assert sent[-1].startswith(VIEW), (name, sent)
        assert not any("_pages_content" in s for s in sent), (name, sent)
    assert counts["compare"][0].startswith("f-compare.options@")  # the search for names, then the view
    no_errors(page)


def test_the_next_level_boundaries_are_in_the_browser_before_the_click(page):
    """On a map of provinces the district layer is fetched ahead; the click draws the districts
    without asking for it."""
    geo_requests: list[str] = []
    page.on("request", lambda r: geo_requests.append(r.url) if "/geo/" in r.url else None)
    open_view(page, "?area=15")
    wait_map(page, ["1501", "1502"])
    page.wait_for_function(
        "() => { const a = (window.PlotlyGeoAssets || {})['/geo/pe-district.geojson'];"
        " return !!a && a.type === 'FeatureCollection' }"
    )
    fetched = len(geo_requests)
    assert [u.rsplit("/", 1)[1] for u in geo_requests].count("pe-district.geojson") == 1
    click_area(page, "province", "1501")
    wait_map(page, ["150101", "150102"])
    assert len(geo_requests) == fetched  # drawn from what was fetched ahead
    no_errors(page)
