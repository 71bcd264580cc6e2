"""The explore page's callbacks, called directly on the tiny warehouse with its boundary rectangles.

Each callback body is a plain function of (context, inputs) in observatory.web.dashboard; the
Dash wiring only passes values through. Exact values come from tests/fixtures/tiny.py.
"""

from __future__ import annotations

import base64
import io
import re
import zipfile

import pandas as pd
import pytest
from dash import Patch, no_update
from dash.exceptions import PreventUpdate

from observatory.contract.i18n import NBSP
from observatory.contract.settings import Settings
from observatory.contract.site import load_site
from observatory.views import explore
from observatory.warehouse.db import Warehouse
from observatory.web import dashboard
from tests.browser.tiny_geo import boundaries_for, write_layers


@pytest.fixture(scope="module")
def ctx(tiny_warehouse, tmp_path_factory) -> explore.Context:
    settings = Settings.from_env(environ={}, warehouse=str(tiny_warehouse))
    geo = write_layers(tmp_path_factory.mktemp("geo"))
    return explore.Context(
        Warehouse(tiny_warehouse), settings, load_site(settings.site_path), boundaries_for(geo)
    )


def text(component) -> str:
    """All the text inside a Dash component tree."""
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return re.sub(" +", " ", " ".join(text(c) for c in component)).strip()
    return text(getattr(component, "children", None))


def find(component, cid):
    """The component with id ``cid`` inside a tree (or a list of trees), or None."""
    if isinstance(component, list | tuple):
        return next((hit for c in component if (hit := find(c, cid)) is not None), None)
    if getattr(component, "id", None) == cid:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            hit = find(child, cid)
            if hit is not None:
                return hit
    return None


def header(ctx, search):
    out = dashboard.on_header(ctx, search, "http://example.org/")
    keys = ("title", "subtitle", "breadcrumb", "notices", "key", "lang", "share")
    keys += tuple(f"unit-{c}" for c in dashboard.MENU_CARDS) + tuple(
        f"meta-{c}" for c in dashboard.MENU_CARDS
    )
    return dict(zip(keys, out, strict=True))


# --------------------------------------------------------------------------- URL -> page


def test_default_view_key_figures(ctx):
    h = header(ctx, "")
    # Default period: the latest 12 months, 2024-03..2025-02; 122 complaints a month in the country.
    assert text(find(h["key"], "kf-total")) == f"1{NBSP}464"
    assert h["title"].startswith("Denuncias policiales")
    assert h["subtitle"] == "Perú · marzo de 2024 a febrero de 2025"
    assert h["share"] == "http://example.org/?from=2024-03&to=2025-02"  # a link to cite pins its period
    assert h["lang"] == "/?lang=en"


def test_changing_the_period_changes_the_key_figure(ctx):
    out = dashboard.on_sync(ctx, "f-from", "?area=01", start="2024-01")
    assert out["search"] == "?area=01&from=2024-01"
    assert text(find(header(ctx, out["search"])["key"], "kf-total")) == "168"
    lima = header(ctx, "?area=15&from=2024-01&to=2025-02")
    assert text(find(lima["key"], "kf-total")) == f"1{NBSP}540"
    assert text(find(header(ctx, "?from=2024-01&to=2025-02")["key"], "kf-total")) == f"1{NBSP}708"


def test_choosing_a_department_fills_the_provinces(ctx):
    out = dashboard.on_sync(ctx, "f-department", "", department="15")
    assert out["search"] == "?area=15"
    assert [o["label"] for o in out["province.options"]] == ["Barranca", "Lima"]
    assert out["province.value"] is None and out["province.disabled"] is False
    assert out["district.disabled"] is True
    # The page holds the options of the view it showed: those that stay are not sent again.
    assert out["department.options"] is no_update and out["start.options"] is no_update
    later = dashboard.on_sync(ctx, "f-from", out["search"], start="2024-01")
    assert later["province.options"] is no_update and later["start.value"] == "2024-01"
    assert dashboard.on_sync(ctx, "url", out["search"])["department.options"] is not no_update


def test_clearing_a_level_goes_back_up(ctx):
    assert dashboard.on_sync(ctx, "f-province", "?area=1502", province=None)["search"] == "?area=15"
    assert dashboard.on_sync(ctx, "f-department", "?area=150102", department=None)["search"] == ""


def test_a_url_sets_every_control(ctx):
    out = dashboard.on_sync(ctx, "url", "?area=150102&from=2024-01&measure=count&lang=en")
    assert out["search"] is no_update
    assert (out["department.value"], out["province.value"], out["district.value"]) == ("15", "1501", "150102")
    assert [o["label"] for o in out["district.options"]] == ["Ancón", "Lima"]
    assert (out["start.value"], out["end.value"], out["measure.value"]) == ("2024-01", "2025-02", "count")
    assert out["start.options"][0] == {"label": "Feb 2025", "value": "2025-02"}
    assert out["b_risk_level.hidden"] is True and out["step.hidden"] is False


def test_switching_indicator_resets_period_and_keeps_the_area_it_can(ctx):
    out = dashboard.on_sync(ctx, "f-indicator", "?area=150102&from=2024-01", indicator="pe_cem_casos")
    assert out["search"] == "?ind=pe_cem_casos&area=15"  # department-level data: Lima, latest year
    assert out["b_risk_level.hidden"] is False
    assert [o["value"] for o in out["b_risk_level.options"]] == ["total", "leve", "severo"]
    assert out["province.hidden"] is True and out["step.hidden"] is True


def test_clicking_a_province_on_the_map_drills_down(ctx):
    click = {"points": [{"location": "1502", "curveNumber": 0}]}
    out = dashboard.on_sync(ctx, "map", "?area=15", click=click)
    assert out["search"] == "?area=1502"
    assert out["province.value"] == "1502"
    with pytest.raises(PreventUpdate):
        dashboard.on_sync(ctx, "map", "?area=15", click={"points": []})


def test_compare_is_capped(ctx):
    out = dashboard.on_sync(ctx, "f-compare", "", compare=["01", "15", "1501", "1502", "150101", "150102"])
    assert out["search"] == "?compare=01,15,1501,1502,150101"


# --------------------------------------------------------------------------- map


def geo(country, level):
    return f"/geo/{country.lower()}-{level}.geojson"


def map_out(ctx, search, drawn=None):
    keys = (
        "figure",
        "key",
        "wrap_hidden",
        "hint_hidden",
        "message",
        "message_hidden",
        "legend",
        "summary",
        "unmapped",
    )
    return dict(zip(keys, dashboard.on_map(ctx, search, drawn, geo_url_of=geo), strict=True))


def test_country_map_shows_departments(ctx):
    m = map_out(ctx, "?from=2024-01&to=2025-02&measure=count")
    trace = m["figure"].data[0]
    assert list(trace.locations) == ["01", "15"]
    assert trace.geojson == "/geo/pe-department.geojson"
    assert m["key"] == "PE|department|PE|596x480"
    assert "No especificado" in text(m["unmapped"])  # no polygon: listed, with its value
    assert text(m["summary"]) == (
        f"3 áreas. Valor más alto: Lima (1{NBSP}540 denuncias). Más bajo: No especificado (0 denuncias). "
        "Con cero (1): No especificado."
    )


def test_department_map_shows_provinces_and_province_map_its_districts(ctx):
    assert list(map_out(ctx, "?area=15")["figure"].data[0].locations) == ["1501", "1502"]
    m = map_out(ctx, "?area=1502&measure=count")
    assert list(m["figure"].data[0].locations) == ["150201"]
    assert "Paramonga : 36 denuncias" in text(m["unmapped"])  # 3 a month, 12 months
    m = map_out(ctx, "?area=1501&measure=count")
    assert list(m["figure"].data[0].z) == [3, 2]  # Lima in a value class, Ancón a true zero
    assert "Con cero (1): Ancón." in text(m["summary"])


def test_a_district_is_shown_among_its_siblings(ctx):
    m = map_out(ctx, "?area=150102")
    assert list(m["figure"].data[0].locations) == ["150101", "150102"]
    assert list(m["figure"].data[2].locations) == ["150102"]  # outlined


def test_same_areas_send_only_values(ctx):
    first = map_out(ctx, "?area=15")
    patched = map_out(ctx, "?area=15&measure=count", drawn=first["key"])
    assert isinstance(patched["figure"], Patch)
    assert patched["key"] == first["key"]


def test_no_map_for_country_only_series(ctx):
    m = map_out(ctx, "?ind=cepal_feminicidios")
    assert m["wrap_hidden"] is True and m["message_hidden"] is False


# --------------------------------------------------------------------------- cards


def test_ranking_and_table_show_the_same_values(ctx):
    fig, table = dashboard.on_ranking(ctx, "?from=2024-01&to=2025-02&measure=count", None)
    # Highest first on a category axis; 'No especificado' is not a place: named under the chart.
    assert list(fig.data[0].y) == ["15", "01"] and fig.layout.yaxis.type == "category"
    note = dashboard.on_ranking_note(ctx, "?from=2024-01&to=2025-02&measure=count", None)
    assert "No especificado (0 denuncias)" in note[0]
    rows = [text([r]) for r in table.children[2].children]
    assert rows[0].startswith("Lima 15") and f"1{NBSP}540" in rows[0]
    assert rows[1].startswith("Amazonas 01") and "168" in rows[1]
    assert rows[2].startswith("No especificado 99")


def test_table_rows_are_sent_as_dash_would_send_its_own_components():
    """The table's rows skip Dash's constructors (``components.Element``): the browser gets the
    same JSON, and ``children`` reads the same."""
    from dash import html
    from dash._utils import to_json

    from observatory.present.components import Element

    ours = Element(
        "Tr",
        [
            Element("Th", ["Lima", Element("Span", " 15", className="code")], scope="row"),
            Element("Td", "7", className="num"),
        ],
        className=None,
    )
    dash = html.Tr(
        [html.Th(["Lima", html.Span(" 15", className="code")], scope="row"), html.Td("7", className="num")],
        className=None,
    )
    assert to_json(ours) == to_json(dash)
    assert text(ours) == text(dash) == "Lima 15 7"


def test_sorting_the_table(ctx):
    # The order itself is chosen in the browser (dashboard.SORT_JS, tests/browser/test_explore.py).
    by_name = {"col": "name", "desc": False}
    _, table = dashboard.on_ranking(ctx, "?from=2024-01&to=2025-02&measure=count", by_name)
    assert [text([r]).split(" ")[0] for r in table.children[2].children] == ["Amazonas", "Lima", "No"]
    out = dashboard.on_view(ctx, "table-sort", "?from=2024-01&to=2025-02&measure=count", sort=by_name)
    assert text(out["area-table.children"]) == text(table)
    # the ranking follows the table's order (issue 16); nothing else is sent again
    changed = {k for k, v in out.items() if v is not no_update}
    assert changed == {"ranking.figure", "area-table.children", "ranking-unranked.children"}


def test_series_card(ctx):
    search = "?area=01&compare=15&measure=count"
    fig = dashboard.on_series(ctx, search)
    names = [tr.name for tr in fig.data if tr.showlegend is not False]
    assert names[:3] == ["Amazonas", "Perú (país)", "Lima"]
    assert "provisional o incompleto" in names
    # The table alternative is built only while its details are open (odd clicks on the summary).
    assert dashboard.on_series_table(ctx, search, 0) is None
    table = dashboard.on_series_table(ctx, search, 1)
    assert "feb. 2025" in text(table)
    assert [th.children for th in table.children[1].children.children[1:]] == ["Amazonas", "Perú", "Lima"]
    assert dashboard.on_series_table(ctx, search, 2) is None
    assert dashboard.on_series_table(ctx, search, "1") is None  # whatever a client sends


def test_download_button_gives_the_menu_file_of_the_table_shown(ctx):
    search = "?from=2024-01&to=2025-02&measure=count"
    data = dashboard.on_download(ctx, search, "http://example.org/")
    assert data["filename"] == "pe_denuncias_vcm_PE_2024-01_2025-02_table.csv.zip"
    assert data["base64"] is True
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(data["content"]))) as z:
        names = sorted(z.namelist())
        lines = z.read(names[1]).decode("utf-8-sig").splitlines()
        readme = z.read("README.txt").decode("utf-8")
    assert names == ["README.txt", "pe_denuncias_vcm_PE_2024-01_2025-02_table.csv"]
    assert lines[0].startswith("país,código,nombre,nivel,estado,número")  # the view's language
    assert any(line.startswith("PE,01,Amazonas,department,value,168,84.0,") for line in lines)
    assert "http://example.org/?from=2024-01&to=2025-02&measure=count" in readme


def test_english(ctx):
    h = header(ctx, "?lang=en&measure=count")
    assert h["title"].startswith("Police complaints")
    assert h["unit-map"] == "complaints"
    assert text(find(h["key"], "kf-total")) == "1,464"
    assert header(ctx, "?lang=en")["unit-map"] == "complaints per 100,000 women"
    assert h["lang"] == "/?measure=count"


def test_bad_input_gives_notices_not_errors(ctx):
    h = header(ctx, "?ind=nope&area=zz&from=2099-13&measure=rate&compare=01,xx&lang=fr")
    notes = text(h["notices"])
    assert "«nope» no existe" in notes and "«zz» no existe" in notes
    assert "«xx» no se puede comparar" in notes
    assert h["title"].startswith("Denuncias policiales")
    out = dashboard.on_sync(ctx, "f-department", "?area=zz", department="no-such-code")
    assert out["search"] == ""  # an unknown area resolves to the default view


def test_the_layout_reads_its_url(tiny_warehouse, tmp_path):
    from observatory.web.app import create_app

    settings = Settings.from_env(environ={}, warehouse=str(tiny_warehouse))
    app = create_app(settings, boundaries=boundaries_for(write_layers(tmp_path / "geo")))
    with app.server.test_request_context("/?area=1501&lang=en"):
        page = dashboard.layout(lang="en", area="1501")
    assert find(page, "f-department").value == "15"
    assert find(page, "f-province").value == "1501"
    assert find(page, "lang-switch").href == "/?area=1501"
    assert "Explore" in text(find(page, "main")) or "Explore" in text(page)
    client = app.server.test_client()
    assert client.get("/geo/pe-province.geojson").status_code == 200
    assert client.get("/geo/pe-province.geojson").headers["Cache-Control"].startswith("public, max-age=")
    sneaky = client.get("/geo/pe-..%2F..%2Fetc%2Fpasswd")  # never a file outside the layers
    assert sneaky.mimetype != "application/geo+json" and b"root:" not in sneaky.data
    assert client.get("/geo/xx-nothing.geojson").status_code == 404


def test_the_router_leaves_the_page_alone_on_an_in_page_change(tiny_warehouse, tmp_path):
    """Dash Pages re-runs layout() on every query-string change; an in-page change must not rebuild the
    page (focus and the map's geometry stay), while a new path or a first load builds it."""
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    from observatory.web.app import create_app

    settings = Settings.from_env(environ={}, warehouse=str(tiny_warehouse))
    app = create_app(settings, boundaries=boundaries_for(write_layers(tmp_path / "geo")))

    def router(*props):
        token = context_value.set(
            AttributeDict(triggered_inputs=[{"prop_id": p, "value": ""} for p in props])
        )
        try:
            with app.server.test_request_context("/?area=15"):
                return dashboard.layout(area="15")
        finally:
            context_value.reset(token)

    assert router("_pages_location.search") is no_update
    first_load = router("_pages_location.pathname", "_pages_location.search")
    assert find(first_load, "f-department").value == "15"


def test_the_site_comes_from_its_configuration(tiny_warehouse, tmp_path):
    """Name, logo, colours and default region are configuration, not code."""
    from observatory.contract.site import SiteError
    from observatory.web.app import create_app

    text_ = (Settings.from_env(environ={}).site_path).read_text(encoding="utf-8")
    custom = tmp_path / "site.toml"
    custom.write_text(
        text_.replace("Observatorio de la Violencia contra las Mujeres", "Observatorio Regional de Lima")
        .replace('primary = "#4b1f6f"', 'primary = "#123456"')
        .replace('default_area = "PE"', 'default_area = "15"'),
        encoding="utf-8",
    )
    settings = Settings.from_env(environ={}, warehouse=str(tiny_warehouse), site=str(custom))
    app = create_app(settings, boundaries=boundaries_for(write_layers(tmp_path / "geo")))
    client = app.server.test_client()
    assert "--primary:#123456" in client.get("/").get_data(as_text=True)
    with app.server.test_request_context("/"):
        page = dashboard.layout()
    assert "Observatorio Regional de Lima" in text(page.children[0])  # the header
    assert find(page, "f-department").value == "15"  # the default region

    custom.write_text(text_.replace('primary = "#4b1f6f"', 'primary = "purple"'), encoding="utf-8")
    with pytest.raises(SiteError, match="primary"):
        create_app(Settings.from_env(environ={}, warehouse=str(tiny_warehouse), site=str(custom)))


def test_switching_indicator_changes_every_card_source_line(ctx):
    """The cards' source, release and update date follow the indicator the URL names (the page is
    not rebuilt when only the query string changes)."""
    police, cem = header(ctx, ""), header(ctx, "?ind=pe_cem_casos")
    for card in dashboard.MENU_CARDS:
        assert text(police[f"meta-{card}"]) == text(police["meta-map"])
        assert text(cem[f"meta-{card}"]) == text(cem["meta-map"])
    assert text(police["meta-map"]) != text(cem["meta-map"])
    for h, ind in ((police, "pe_denuncias_vcm"), (cem, "pe_cem_casos")):
        publisher = explore.catalogue(ctx)[ind].get("publisher")
        assert publisher and publisher in text(h["meta-map"])


def test_smoothed_rate_on_a_district_map_is_shown_labelled_and_kept_in_the_url(ctx):
    """measure=smoothed: district maps, ranking and table show the empirical Bayes rate (labelled
    as such, beside the raw rate); the series and other levels keep the raw rate."""
    out = dashboard.on_sync(ctx, "f-measure", "?area=0101", measure="smoothed")
    assert out["search"] == "?area=0101&measure=smoothed"
    assert dashboard.on_sync(ctx, "url", out["search"])["measure.value"] == "smoothed"
    view = dashboard.view_of(ctx, out["search"])
    assert view.smoothing and view.state.measure == "rate"
    table = explore.area_table(ctx, view).set_index("code")
    raw = explore.area_table(ctx, dashboard.view_of(ctx, "?area=0101")).set_index("code")
    # Chachapoyas 010101 (10 a month, 15,000 women) and Asunción 010102 (2 a month, 1,000 women):
    # the small district's rate is pulled towards the mean, the shown value is the smoothed one.
    assert list(table["shown"]) == list(table["smoothed"]) and list(raw["shown"]) == list(raw["rate"])
    assert raw.loc["010102", "rate"] > table.loc["010102", "shown"] > raw.loc["010101", "rate"]
    h = header(ctx, out["search"])
    assert h["unit-map"] == h["unit-ranking"] == h["unit-table"]
    assert h["unit-map"].endswith("tasa suavizada (Bayes empírico)")
    assert "suavizada" not in h["unit-series"]
    _, component = dashboard.on_ranking(ctx, out["search"], None)
    assert "Tasa suavizada" in text(component)
    # One level up the map shows provinces: the raw rate, the choice kept for the way back down.
    up = dashboard.view_of(ctx, "?area=01&measure=smoothed")
    assert not up.smoothing and explore.canonical_search(ctx, up) == "?area=01&measure=smoothed"
    assert "suavizada" not in header(ctx, "?area=01&measure=smoothed")["unit-map"]
    # Back to a plain rate or to counts drops it.
    assert (
        dashboard.on_sync(ctx, "f-measure", out["search"], measure="count")["search"]
        == "?area=0101&measure=count"
    )
    assert dashboard.on_sync(ctx, "f-measure", out["search"], measure="rate")["search"] == "?area=0101"


def test_population_read_once_per_year_equals_the_query_for_the_codes(ctx):
    """The per-year denominators kept per warehouse version give what the query gives the codes."""
    from observatory.warehouse import queries

    view = dashboard.view_of(ctx, "?area=0101")
    codes, years = ["010101", "010102", "0101", "01", "PE"], [2017, 2024, 2025]
    kept = explore._population(ctx, view, codes, years, "PE")
    asked = queries.population(ctx.warehouse, country="PE", codes=codes, years=years, sex="female")
    order = ["code", "year"]
    pd.testing.assert_frame_equal(
        kept.sort_values(order).reset_index(drop=True), asked.sort_values(order).reset_index(drop=True)
    )
    assert len(kept) >= 3 * len(years)  # the districts and the department in the tiny warehouse


def test_a_yearly_series_shows_every_year_to_the_period_end_with_the_period_shaded(ctx):
    """One year chosen (2016): the map and key figures cover 2016; the series shows the years up
    to it (2015, 2016), the chosen one shaded, the suppressed 2015 count still hidden."""
    search = "?ind=pe_feminicidios&area=15&from=2016&to=2016&measure=count"
    view = dashboard.view_of(ctx, search)
    table = explore.series_table(ctx, view)
    lima = table[table["code"] == "15"].set_index(table["period"].dt.year[table["code"] == "15"])
    assert list(lima.index) == [2015, 2016]
    assert lima.loc[2016, "count"] == 9 and lima.loc[2016, "status"] == "value"
    assert lima.loc[2015, "status"] == "suppressed"  # 12, but Amazonas' 1 would be recovered
    fig = dashboard.on_series(ctx, search)
    (band,) = fig["layout"]["shapes"]
    assert (band["x0"], band["x1"]) == ("2015-07-03", "2016-07-01")
    assert fig["layout"]["annotations"][0]["text"] == "Periodo elegido"
    assert explore.area_table(ctx, view).set_index("code").loc["15", "count"] == 9
    # The whole coverage chosen: nothing to shade.
    whole = dashboard.on_series(ctx, "?ind=pe_feminicidios&area=15&from=2015&to=2016&measure=count")
    assert "shapes" not in whole["layout"]


# --------------------------------------------------------------------------- one round trip


def view_out(ctx, trigger, search, **kwargs):
    kwargs.setdefault("viewport", [1366, 768])
    return dashboard.on_view(ctx, trigger, search, host_url="http://example.org/", geo_url_of=geo, **kwargs)


def test_one_response_carries_the_url_the_controls_and_every_card(ctx):
    out = view_out(ctx, "f-department", "", department="15")
    assert set(out) == set(dashboard.VIEW_OUTPUTS)
    assert out["search"] == "?area=15"
    assert out["province.options"] == [
        {"label": "Barranca", "value": "1502"},
        {"label": "Lima", "value": "1501"},
    ]
    # The same cards, to the value, as each card's body gives for the new URL.
    h = header(ctx, "?area=15")
    assert text(out["key-figures"]) == text(h["key"]) and text(find(out["key-figures"], "kf-total")) != ""
    assert out["view-subtitle"] == h["subtitle"]
    assert out["share-url"] == h["share"]
    m = map_out(ctx, "?area=15")
    fig = out["map.figure"]
    assert list(fig.data[0].locations) == list(m["figure"].data[0].locations) == ["1501", "1502"]
    assert list(fig.data[0].z) == list(m["figure"].data[0].z)
    assert out["map-key.data"] == m["key"]
    assert [tr.name for tr in out["series.figure"].data] == [
        tr.name for tr in dashboard.on_series(ctx, "?area=15").data
    ]
    rank, table = dashboard.on_ranking(ctx, "?area=15", None)
    assert out["ranking.figure"] == rank  # the same figure, to the last property
    assert text(out["area-table.children"]) == text(table)
    assert out["series-table.children"] is None  # its details are closed
    assert out["map-dl-csv"] == dashboard.on_downloads(ctx, "?area=15", "http://example.org/")["map-dl-csv"]
    assert [o["value"] for o in out["compare.options"]][:1] == ["01"]  # the department's neighbours
    # The level the next click opens (Lima's provinces -> their districts) is fetched ahead.
    assert out["geo-next.data"] == ["/geo/pe-district.geojson"]
    assert view_out(ctx, "url", "?area=1501")["geo-next.data"] == []  # districts: nothing below


def test_a_change_that_keeps_the_map_areas_sends_only_their_values(ctx):
    first = view_out(ctx, "url", "?area=15")
    out = view_out(ctx, "f-from", "?area=15", drawn=first["map-key.data"], start="2024-06")
    assert out["search"] == "?area=15&from=2024-06"
    assert isinstance(out["map.figure"], Patch)
    assert out["map-key.data"] == first["map-key.data"]


def test_a_link_or_the_back_button_sets_every_control_and_card_and_keeps_the_url(ctx):
    out = view_out(ctx, "url", "?area=150102&from=2024-01&measure=count&lang=en")
    assert out["search"] is no_update  # the browser shows that URL already
    assert out["district.value"] == "150102" and out["measure.value"] == "count"
    assert out["view-title"].startswith("Police complaints")
    assert not isinstance(out["map.figure"], Patch)
    assert dashboard.on_view(ctx, None, "?area=15")["search"] is no_update  # the page's first call


def test_a_control_that_leaves_the_view_as_it_is_sends_no_card(ctx):
    out = view_out(ctx, "f-department", "?area=15", department="15")
    assert out["search"] is no_update
    cards = [
        k for k in ("map.figure", "series.figure", "ranking.figure", "area-table.children", "key-figures")
    ]
    assert all(out[k] is no_update for k in cards)


def test_opening_the_series_table_sends_it_alone(ctx):
    out = view_out(ctx, "series-table-toggle", "?area=01&compare=15&measure=count", table_clicks=1)
    assert "feb. 2025" in text(out["series-table.children"])
    assert [k for k, v in out.items() if v is not no_update] == ["series-table.children"]


def test_the_page_location_pushes_the_url_without_dash_pages(tiny_warehouse, tmp_path):
    """The explore page's Location is refresh=False (no event for Dash Pages' router) and starts on
    the address the router laid the page out for (it sends nothing when it mounts)."""
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    from observatory.web.app import create_app

    settings = Settings.from_env(environ={}, warehouse=str(tiny_warehouse))
    app = create_app(settings, boundaries=boundaries_for(write_layers(tmp_path / "geo")))
    inputs = {"_pages_location.pathname": "/", "_pages_location.search": "?area=15"}
    token = context_value.set(
        AttributeDict(
            triggered_inputs=[{"prop_id": p, "value": v} for p, v in inputs.items()],
            input_values=inputs,
        )
    )
    try:
        with app.server.test_request_context("/?area=15"):
            page = dashboard.layout(area="15")
    finally:
        context_value.reset(token)
    location = find(page, dashboard.LOCATION)
    assert (location.refresh, location.pathname, location.search, location.hash) == (
        False,
        "/",
        "?area=15",
        "",
    )
    # One server callback listens to the URL and writes it; the others run in the browser.
    on_url = [
        cb
        for cb in app._callback_list
        if any(i["id"] == "url" and i["property"] == "search" for i in cb["inputs"])
    ]
    server = [cb for cb in on_url if not cb.get("clientside_function")]
    assert len(server) == 1 and "..url.search..." in server[0]["output"]
    assert len(on_url) == 2  # and the browser's note of the URL shown (dashboard.HISTORY_JS reads it)
