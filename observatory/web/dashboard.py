"""The explore page (home): its layout from the URL, and the callbacks that keep page and URL in step.

The URL is the single source of truth, and an interaction is one request. One server callback
(``view``, its body ``on_view``) turns a reader's change of a control, a click on the map, or a
new query string (a link inside the page, the back button) into the new query string, the
controls and every card of the new view (a ``Patch`` of the map's values when its areas stay).
In the browser, clientside callbacks keep the address in step (the page's own ``dcc.Location``
pushes the query string; in-page links and the back button reach only that Location, never
Dash Pages' router), sort the table and fetch the next level's boundaries ahead of the click.
The page is laid out once per visit; ``layout`` still declines (``no_update``) if Dash Pages'
router runs for a change of the query string alone.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import dash
import flask
import pandas as pd
from dash import ALL, Input, Output, Patch, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from observatory.contract.i18n import lang_or_default, number, percent, period_range_label, t
from observatory.contract.schema import BREAKDOWNS
from observatory.present import components as ui
from observatory.present import controls, exports, figures
from observatory.views import explore, urlstate
from observatory.views.explore import Context, View
from observatory.warehouse.db import WarehouseUnavailable

PAGES_LOCATION = "_pages_location"  # Dash Pages' own dcc.Location, watched by its router
LOCATION = "url"  # this page's dcc.Location: its callbacks exist only while the page does
log = logging.getLogger("observatory.web.dashboard")


def context() -> Context:
    return flask.current_app.extensions["observatory"]


# --------------------------------------------------------------------------- layout


def _search_only_change() -> bool:
    """Whether the router runs because only the query string changed (an in-page change)."""
    try:
        props = dash.ctx.triggered_prop_ids
    except Exception:  # called outside a callback (tests, validation layout)
        return False
    return bool(props) and set(props) == {f"{PAGES_LOCATION}.search"}


def layout(lang: str = "es", **query):
    """The explore page for a URL's query parameters (Dash Pages passes them as keywords)."""
    if _search_only_change():
        return no_update
    ctx = context()
    lang = lang_or_default(lang)
    try:
        view = explore.resolve(ctx, urlstate.parse({**query, "lang": lang}))
        return build(ctx, view)
    except WarehouseUnavailable as exc:
        log.error("warehouse unavailable: %s", exc)
        return maintenance(ctx, lang)


def maintenance(ctx: Context, lang: str):
    body = html.Div(
        [html.H1(t("maintenance.title", lang)), html.P(t("maintenance.text", lang))], className="maintenance"
    )
    return ui.page(ctx.site, lang, "explore", ui.href("/", "en" if lang == "es" else "es"), body)


def lang_href(ctx: Context, view: View) -> str:
    other = "en" if view.lang == "es" else "es"
    return "/" + urlstate.to_search(view.state.with_(lang=other), explore.defaults(ctx, view.indicator))


def _dropdown(fid: str, lang: str, **kwargs) -> dcc.Dropdown:
    labels = {
        "search": t("dropdown.search", lang),
        "clear_search": t("dropdown.clear_search", lang),
        "clear_selection": t("dropdown.clear_selection", lang),
        "no_options_found": t("dropdown.no_options", lang),
        "select_all": t("dropdown.select_all", lang),
        "deselect_all": t("dropdown.deselect_all", lang),
        "selected_count": t("dropdown.selected_count", lang),
    }
    return dcc.Dropdown(
        id=fid, labels=labels, className="dropdown", optionHeight="auto", maxHeight=320, **kwargs
    )


def _field(label: str, control, fid: str, hidden: bool = False, hint: str | None = None, wide: bool = False):
    return html.Div(
        [html.Label(label, htmlFor=fid, className="field__label", id=f"{fid}-label"), control]
        + ([html.P(hint, className="field__hint")] if hint else []),
        className="field" + (" field--wide" if wide else ""),
        id=f"{fid}-wrap",
        hidden=hidden,
    )


MENU_CARDS = ("map", "series", "ranking", "table")  # card id == export chart name


def menu(card_id: str, title: str, lang: str):
    """The card's download and share menu (``ui.download_menu``); ``on_downloads`` fills it."""
    formats = exports.formats_for(card_id)
    return ui.download_menu(card_id, title, lang, formats, embed=card_id in exports.IMAGE_CHARTS)


def build(ctx: Context, view: View):
    """The whole page for a resolved view; the cards are filled by the callbacks."""
    lang, ind = view.lang, view.indicator
    c = controls.values(ctx, view)
    terr = explore.territories(ctx)
    level_label = {lv: ctx.level_label(lv, lang) for lv in controls.TERRITORY_LEVELS}

    filters = html.Section(
        [
            html.H2(t("filters.title", lang), className="visually-hidden"),
            html.Div(
                [
                    _field(
                        t("filters.indicator", lang),
                        _dropdown("f-indicator", lang, clearable=False, **c["indicator"]),
                        "f-indicator",
                        wide=True,
                    ),
                    html.Div(
                        [
                            html.Span(
                                t("filters.measure", lang), className="field__label", id="f-measure-label"
                            ),
                            dcc.RadioItems(
                                id="f-measure",
                                className="radios",
                                inputClassName="radios__input",
                                labelClassName="radios__label",
                                **c["measure"],
                            ),
                        ],
                        className="field",
                        id="f-measure-wrap",
                        role="radiogroup",
                        **{"aria-labelledby": "f-measure-label"},
                    ),
                ],
                className="filters__row",
            ),
            html.Div(
                [
                    _field(
                        t("filters.from", lang),
                        _dropdown("f-from", lang, clearable=False, **c["start"]),
                        "f-from",
                    ),
                    _field(
                        t("filters.to", lang), _dropdown("f-to", lang, clearable=False, **c["end"]), "f-to"
                    ),
                    html.Div(
                        [
                            html.Span(t("filters.step", lang), className="field__label", id="f-step-label"),
                            dcc.RadioItems(
                                id="f-step",
                                className="radios",
                                inputClassName="radios__input",
                                labelClassName="radios__label",
                                options=c["step"]["options"],
                                value=c["step"]["value"],
                            ),
                        ],
                        className="field",
                        id="f-step-wrap",
                        hidden=c["step"]["hidden"],
                        role="radiogroup",
                        **{"aria-labelledby": "f-step-label"},
                    ),
                ]
                + [
                    _field(
                        t(f"breakdowns.{b}", lang),
                        _dropdown(
                            f"f-b-{b}",
                            lang,
                            clearable=False,
                            options=c[f"b_{b}"]["options"],
                            value=c[f"b_{b}"]["value"],
                        ),
                        f"f-b-{b}",
                        hidden=c[f"b_{b}"]["hidden"],
                    )
                    for b in BREAKDOWNS
                ],
                className="filters__row",
            ),
            html.Div(
                [
                    _field(
                        ctx.level_label("country", lang),
                        _dropdown(
                            "f-country",
                            lang,
                            clearable=False,
                            options=c["country"]["options"],
                            value=c["country"]["value"],
                        ),
                        "f-country",
                        hidden=c["country"]["hidden"],
                    )
                ]
                + [
                    _field(
                        level_label[lv],
                        _dropdown(
                            f"f-{lv}",
                            lang,
                            options=c[lv]["options"],
                            value=c[lv]["value"],
                            disabled=c[lv].get("disabled", False),
                            placeholder=t("filters.all", lang),
                        ),
                        f"f-{lv}",
                        hidden=c[lv]["hidden"],
                    )
                    for lv in controls.TERRITORY_LEVELS
                ]
                + [
                    _field(
                        t("filters.compare", lang),
                        _dropdown(
                            "f-compare",
                            lang,
                            multi=True,
                            options=c["compare"]["options"],
                            value=c["compare"]["value"],
                            placeholder=t("filters.compare_placeholder", lang),
                        ),
                        "f-compare",
                        hint=t("filters.compare_hint", lang, n=urlstate.MAX_COMPARE),
                        wide=True,
                    ),
                    _field(
                        t("filters.group", lang),
                        _dropdown(
                            "f-group",
                            lang,
                            options=c["group"]["options"],
                            value=c["group"]["value"],
                            placeholder=t("filters.group_placeholder", lang),
                        ),
                        "f-group",
                        hint=t("filters.group_hint", lang),
                        hidden=c["group"]["hidden"],
                    ),
                ],
                className="filters__row",
            ),
        ],
        className="filters",
        **{"aria-label": t("filters.title", lang)},
    )

    map_card = ui.card(
        "map",
        t("map.title", lang),
        ui.chart_unit(view, "map"),
        [
            html.Div(
                dcc.Graph(
                    id="map",
                    className="graph",
                    config={"displaylogo": False, "scrollZoom": False, "modeBarButtonsToRemove": ["toImage"]},
                    figure=figures.empty_figure(""),
                    responsive=True,
                ),
                id="map-wrap",
                className="graph-box graph-box--map",
                role="figure",  # the map in words: its summary below (ui.map_summary)
                **{"aria-labelledby": "map-title", "aria-describedby": "map-summary"},
            ),
            html.P(t("map.hint", lang), className="map-hint", id="map-hint"),
            html.P(id="map-message", className="notice", hidden=True),
            html.Div(id="map-legend"),
            html.Div(id="map-summary", className="map-summary", **{"aria-live": "polite"}),
            html.Div(id="map-unmapped"),
        ],
        ui.card_meta(ind, lang),
        actions=menu("map", t("map.title", lang), lang),
    )
    series_card = ui.card(
        "series",
        t("series.title", lang),
        ui.chart_unit(view, "series"),
        [
            html.Div(
                dcc.Graph(
                    id="series",
                    className="graph",
                    config={
                        "displaylogo": False,
                        "scrollZoom": False,
                        "modeBarButtonsToRemove": ["select2d", "lasso2d"],
                    },
                    figure=figures.empty_figure(""),
                    responsive=True,
                ),
                className="graph-box graph-box--series",
            ),
            html.Details(
                [
                    # Built when opened (a click or Enter on the summary): most readers never
                    # open it, and it is the largest part of a series update.
                    html.Summary(t("series.as_table", lang), id="series-table-toggle", n_clicks=0),
                    html.Div(id="series-table", className="table-scroll"),
                ],
                className="as-table",
            ),
        ],
        ui.card_meta(ind, lang),
        actions=menu("series", t("series.title", lang), lang),
    )
    ranking_card = ui.card(
        "ranking",
        t("ranking.title", lang),
        ui.chart_unit(view, "ranking"),
        [
            html.Div(
                dcc.Graph(
                    id="ranking",
                    config={"displaylogo": False, "staticPlot": False},
                    figure=figures.empty_figure(""),
                ),
                role="figure",  # ranks the map's values: the map's summary in words, and the table below
                **{"aria-labelledby": "ranking-title", "aria-describedby": "map-summary"},
            ),
            html.P(id="ranking-unranked", className="ranking-note"),
        ],
        ui.card_meta(ind, lang),
        actions=menu("ranking", t("ranking.title", lang), lang),
    )
    table_card = ui.card(
        "table",
        t("table.title", lang),
        ui.chart_unit(view, "table"),
        [
            html.Div(id="area-table", className="table-scroll"),
            html.P(t("table.notes", lang), className="table-notes"),
        ],
        ui.card_meta(ind, lang),
        actions=[
            html.Button(t("table.download", lang), id="download-button", className="button", n_clicks=0),
            dcc.Download(id="download"),
            menu("table", t("table.title", lang), lang),
        ],
    )

    body = [
        html.Div(
            [
                html.H1(ind.text("title", lang), id="view-title"),
                html.P(id="view-subtitle", className="view-subtitle"),
                html.Nav(
                    id="breadcrumb", className="breadcrumb", **{"aria-label": t("breadcrumb.label", lang)}
                ),
            ],
            className="view-head",
        ),
        html.Div(id="notices", className="notices", role="status", **{"aria-live": "polite"}),
        filters,
        html.Section(
            id="key-figures",
            className="key-figures",
            **{"aria-label": t("key.title", lang), "aria-live": "polite"},
        ),
        html.Div([map_card, series_card, ranking_card, table_card], className="cards"),
        html.Div(
            [
                html.Label(t("share.label", lang), htmlFor="share-url", className="field__label"),
                html.Div(
                    [
                        dcc.Input(
                            id="share-url", type="url", readOnly=True, className="share__input", value=""
                        ),
                        dcc.Clipboard(
                            target_id="share-url",
                            className="share__copy",
                            title=t("share.copy", lang),
                        ),
                    ],
                    className="share__row",
                ),
            ],
            className="share",
        ),
        # The page's own Location: it pushes the query strings the view callback returns into
        # the browser's history without telling Dash Pages (refresh=False), so an interaction
        # never lays the page out again. Its props are those of the address the page was laid
        # out for, so it sends nothing when it mounts (the view callback's first call fills the cards).
        dcc.Location(id=LOCATION, refresh=False, **_address()),
        dcc.Store(id="geo-next"),
        dcc.Store(id="url-seen"),
        dcc.Store(id="compare-search"),
        dcc.Store(id="map-key"),
        dcc.Store(id="viewport"),
        dcc.Store(id="table-sort", data={"col": "shown", "desc": True}),
        html.Div(terr.country, id="site-country", hidden=True),
    ]
    sources = None
    try:
        from observatory.web import reference

        sources = reference.published_sources(ctx)
    except WarehouseUnavailable:
        pass
    return ui.page(ctx.site, lang, "explore", lang_href(ctx, view), body, sources)


def _address() -> dict:
    """pathname, search and hash of the address Dash Pages lays the page out for (as the browser
    holds them); empty outside a request (tests, the validation layout)."""
    try:
        inputs = dash.ctx.inputs
    except Exception:  # called outside a callback
        inputs = {}
    pathname = inputs.get(f"{PAGES_LOCATION}.pathname")
    search = inputs.get(f"{PAGES_LOCATION}.search")
    return {
        "pathname": pathname if isinstance(pathname, str) else "/",
        "search": search if isinstance(search, str) else "",
        "hash": "",
    }


# --------------------------------------------------------------------------- view pieces


def breadcrumb(ctx: Context, view: View) -> html.Ol:
    terr = explore.territories(ctx)
    defaults = explore.defaults(ctx, view.indicator)
    chain = terr.ancestors(view.state.area)
    items = []
    for i, code in enumerate(chain):
        if i == len(chain) - 1:
            items.append(html.Li(html.Span(terr.name(code), **{"aria-current": "location"})))
        else:
            target = view.state.with_(area=code)
            items.append(
                html.Li(
                    dcc.Link(
                        terr.name(code), href="/" + urlstate.to_search(target, defaults), id=f"crumb-{code}"
                    )
                )
            )
    return html.Ol(items)


def key_figure_tiles(ctx: Context, view: View) -> list:
    lang, ind = view.lang, view.indicator
    k = explore.key_figures(ctx, view)
    unit = ind.text("unit", lang)
    period = period_range_label(view.start, view.end, ind.granularity, lang) if view.has_data else "—"
    status = k["status"]
    count_text = figures.format_value(k["count"], "count", lang) if status in ("value", "zero") else "—"
    tiles = [
        html.Div(
            [
                html.P(t("key.total", lang, area=k["name"]), className="kf__label"),
                html.P(count_text, className="kf__value", id="kf-total"),
                html.P(
                    [unit, " · ", period]
                    + ([" · ", t("status.provisional", lang)] if k.get("provisional") else [])
                    + ([" · ", t(f"status.{status}", lang)] if status in ("suppressed", "no_data") else []),
                    className="kf__note",
                ),
            ],
            className="kf",
        )
    ]
    if ind.has_rate:
        rate = k.get("rate")
        if pd.notna(rate):
            src = t(
                f"population.{k['population_source']}",
                lang,
                year=k["population_year"],
            )
            note = [
                t(
                    "key.ci",
                    lang,
                    low=figures.format_value(k["ci_low"], "rate", lang),
                    high=figures.format_value(k["ci_high"], "rate", lang),
                ),
                " · ",
                t("key.denominator", lang, source=src, population=number(k["population"], lang)),
            ]
            if k.get("unreliable"):
                note += [" · ", t("status.unreliable", lang)]
        else:
            note = [t("key.no_rate", lang)]
        tiles.append(
            html.Div(
                [
                    html.P(
                        t(
                            "key.rate",
                            lang,
                            per=number(ind.rate_per, lang),
                            who=t(f"denominator.{ind.denominator}", lang),
                        ),
                        className="kf__label",
                    ),
                    html.P(
                        figures.format_value(rate, "rate", lang) if pd.notna(rate) else "—",
                        className="kf__value",
                        id="kf-rate",
                    ),
                    html.P(note, className="kf__note"),
                ],
                className="kf",
            )
        )
    change = k.get("change")
    if change is not None:
        prev_label = period_range_label(k["previous_start"], k["previous_end"], ind.granularity, lang)
        basis = "rate" if view.state.measure == "rate" and pd.notna(k.get("previous_rate")) else "count"
        prev_value = figures.format_value(k["previous_" + basis], basis, lang)
        change_note = t("key.change_note", lang, period=prev_label, value=prev_value)
        arrow = "▲ " if change > 0 else ("▼ " if change < 0 else "")
        change_text = arrow + percent(change, lang, 1, signed=True)
    else:
        change_text = "—"
        change_note = t("key.change_none", lang)
    tiles.append(
        html.Div(
            [
                html.P(t("key.change", lang), className="kf__label"),
                html.P(change_text, className="kf__value", id="kf-change"),
                html.P(change_note, className="kf__note"),
            ],
            className="kf",
        )
    )
    return tiles


def _bounds(ctx: Context, view: View, codes: list[str]):
    if ctx.boundaries is None or not codes:
        return None
    try:
        b = ctx.boundaries.bounds(view.map_country, view.map_level, codes)
    except Exception:  # a layer without these codes: fall back to the default view
        log.exception("no bounds for %s %s", view.map_country, view.map_level)
        return None
    if b is None:
        return None
    if isinstance(b, dict):
        return (b["west"], b["south"], b["east"], b["north"])
    return tuple(float(x) for x in b)


def geo_url(country: str, level: str) -> str:
    return dash.get_relative_path(f"/geo/{country.lower()}-{level}.geojson")


# --------------------------------------------------------------------------- callback bodies
# Plain functions of (context, inputs) -> outputs, so tests call them directly; the one Dash
# callback registered below (``view``) passes the inputs in and every card's outputs out.


SYNC_OUTPUTS = {"search": Output(LOCATION, "search")}
for _name, _cid in controls.CONTROL_IDS:
    SYNC_OUTPUTS[f"{_name}.value"] = Output(_cid, "value")
    if _name not in ("indicator", "compare"):
        SYNC_OUTPUTS[f"{_name}.options"] = Output(_cid, "options")
    if _name not in ("indicator", "measure", "start", "end", "compare"):
        SYNC_OUTPUTS[f"{_name}.hidden"] = Output(f"{_cid}-wrap", "hidden")
    if _name in controls.TERRITORY_LEVELS:
        SYNC_OUTPUTS[f"{_name}.disabled"] = Output(_cid, "disabled")


def view_of(ctx: Context, search: str | None) -> View:
    # A request may carry anything as the query string: only a string is read.
    return explore.resolve(ctx, urlstate.parse(search if isinstance(search, str) else ""))


def on_sync(ctx: Context, trigger, search: str | None, click=None, **values) -> dict:
    """A control or a map click -> a new query string; a new query string -> the controls.

    ``trigger`` is the id of what changed (``url`` for a link or the back button). Returns a
    dict keyed like ``SYNC_OUTPUTS``; ``search`` is ``no_update`` when the URL stays, and so
    are the options a control change leaves as they were (the page holds them already).
    """
    view = view_of(ctx, search)
    shown = None  # the controls the page holds, when known: options that stay are not sent again
    if trigger == LOCATION:
        new_search = no_update
    else:
        shown = controls.values(ctx, view)
        name = next((n for n, cid in controls.CONTROL_IDS if cid == trigger), None)
        if trigger == "map":
            code = controls.clicked_code(click)
            if code is None:
                raise PreventUpdate
            state = controls.apply(ctx, view, "map", code)
        elif name is not None:
            state = controls.apply(ctx, view, name, values.get(name))
        else:
            raise PreventUpdate
        view = explore.resolve(ctx, state)
        new_search = explore.canonical_search(ctx, view)
        if new_search == (search or ""):
            new_search = no_update
    c = controls.values(ctx, view)
    out = {"search": new_search}
    for name, _ in controls.CONTROL_IDS:
        for prop in ("value", "options", "hidden", "disabled"):
            if f"{name}.{prop}" in SYNC_OUTPUTS:
                out[f"{name}.{prop}"] = c[name].get(prop, False if prop in ("hidden", "disabled") else None)
        if (
            shown is not None
            and f"{name}.options" in out
            and shown[name].get("options") == out[f"{name}.options"]
        ):
            # A control changed on a page that shows ``search``: its pickers hold that view's
            # options (the layout, a link or the back button sent them whole).
            out[f"{name}.options"] = no_update
    return out


def on_header(ctx: Context, search: str | None, host_url: str = "") -> tuple:
    """Title, subtitle, breadcrumb, notices, key figures, language link, share link, card units and
    source lines (an indicator change within the page changes the source, release and update date)."""
    view = view_of(ctx, search)
    lang, ind = view.lang, view.indicator
    terr = explore.territories(ctx)
    period = period_range_label(view.start, view.end, ind.granularity, lang) if view.has_data else ""
    group = explore.groups(ctx).get(view.state.group)
    parts = (terr.name(view.state.area), period, group.name(lang) if group else "")
    subtitle = " · ".join(p for p in parts if p)
    base = (ctx.settings.base_url or host_url).rstrip("/")
    share = base + "/" + explore.permalink_search(ctx, view)
    return (
        ind.text("title", lang),
        subtitle,
        breadcrumb(ctx, view),
        ui.notices(view.notices, lang),
        key_figure_tiles(ctx, view),
        lang_href(ctx, view),
        share,
        *(ui.chart_unit(view, card) for card in MENU_CARDS),
        *(ui.card_meta(ind, lang),) * len(MENU_CARDS),
    )


def map_size(viewport) -> tuple[int, int]:
    """The map's width and height in pixels for a browser window (the page's CSS grid, mirrored)."""
    try:
        width = int(viewport[0]) if viewport else 1366
    except (TypeError, ValueError, KeyError, IndexError, OverflowError):
        width = 1366
    width = min(max(width, 240), 4000)
    if width >= 1000:
        return int(min(width, 1320) / 2 - 64), 480
    if width > 600:
        return width - 64, 480
    return width - 42, 360


def on_map(ctx: Context, search: str | None, drawn: str | None, geo_url_of=None, viewport=None) -> tuple:
    """The map: a full figure when its areas change, else a ``Patch`` of values only; plus the
    legend, the text summary and the areas without a polygon. ``viewport`` is the browser
    window's [width, height], so the map fits its areas at the size it is drawn."""
    geo_url_of = geo_url_of or geo_url
    colours = figures.Colours.from_site(ctx.site)
    view = view_of(ctx, search)
    table = explore.area_table(ctx, view)
    lang, measure = view.lang, view.state.measure
    unit = ui.chart_unit(view, "map")
    summary = ui.map_summary(table, measure, unit, lang)
    listed = ui.unmapped(table, measure, unit, lang)
    if not explore.map_available(ctx, view) or table.empty or not table["has_polygon"].any():
        message = (
            explore.map_unavailable_text(ctx, view) if view.has_data else t("notice.no_data_indicator", lang)
        )
        return (no_update, None, True, True, message, False, None, summary, listed)
    edges = figures.class_breaks(table["shown"])
    legend = ui.legend(figures.legend_items(edges, colours, measure, lang), unit, lang)
    width, height = map_size(viewport)
    key = f"{view.map_country}|{view.map_level}|{view.map_parent}|{width}x{height}"
    mapped = set(table.loc[table["has_polygon"], "code"])
    highlight = [view.highlight] if view.highlight in mapped else []
    group = sorted(c for c in explore.group_status(ctx, view.state.group, mapped)) if view.state.group else []
    if drawn == key:
        # Same areas: send only the values (the geometry stays in the browser).
        patch = Patch()
        for prop, value in figures.map_values(table, edges, colours, measure, lang).items():
            patch["data"][0][prop] = value
        patch["data"][0]["hovertemplate"] = figures.map_hovertemplate(unit)
        patch["data"][1]["locations"] = group
        patch["data"][1]["z"] = [0] * len(group)
        patch["data"][2]["locations"] = highlight
        patch["data"][2]["z"] = [0] * len(highlight)
        return (patch, key, False, False, None, True, legend, summary, listed)
    fig = figures.choropleth(
        table,
        geojson=geo_url_of(view.map_country, view.map_level),
        edges=edges,
        colours=colours,
        measure=measure,
        unit=unit,
        lang=lang,
        view=figures.map_view(_bounds(ctx, view, sorted(mapped)), width, height),
        highlight=view.highlight,
        group=group,
    )
    return (fig, key, False, False, None, True, legend, summary, listed)


def on_series(ctx: Context, search: str | None):
    """The time series figure."""
    view = view_of(ctx, search)
    if explore.series_table(ctx, view).empty:
        return figures.empty_figure(t("summary.none", view.lang))
    return exports.series_chart(ctx, view)


def on_series_table(ctx: Context, search: str | None, clicks=0):
    """The series as a table, once its details are open: ``clicks`` on the summary, odd = open.
    Closed, nothing is sent (a stale table never shows when it opens again)."""
    if not isinstance(clicks, int) or clicks % 2 == 0:
        return None
    view = view_of(ctx, search)
    table = explore.series_table(ctx, view)
    if table.empty:
        return None
    return ui.series_table_component(table, view.state.measure, view.state.step, view.lang)


def on_ranking(ctx: Context, search: str | None, sort: dict | None) -> tuple:
    """The ranking figure (``exports.ranking_chart``: the one the embed and downloads draw) and
    the sortable table of the same values."""
    sort = sort if isinstance(sort, dict) else None
    view = view_of(ctx, search)
    table = explore.in_group(ctx, view, explore.area_table(ctx, view))
    lang, measure = view.lang, view.state.measure
    if table.empty:
        return figures.empty_figure(t("summary.none", lang)), html.P(t("summary.none", lang))
    fig, _ = exports.ranking_chart(ctx, view, sort)
    defaults = explore.defaults(ctx, view.indicator)
    table_component = ui.area_table_component(
        table,
        view.indicator,
        measure,
        lang,
        sort,
        view.highlight,
        smoothed=view.smoothing,
        area_href=lambda code: "/" + urlstate.to_search(view.state.with_(area=code), defaults),
    )
    return fig, table_component


def on_ranking_note(ctx: Context, search: str | None, sort: dict | None):
    """The line under the ranking: the areas it does not draw and, for a long ranking, how many
    it leaves out, with a link to the table that lists them all."""
    view = view_of(ctx, search)
    ranking, _ = exports.ranking_view(ctx, view, sort if isinstance(sort, dict) else None)
    text = figures.unranked_text(ranking, view.state.measure, ui.chart_unit(view, "ranking"), view.lang)
    if not text:
        return None
    link = (
        [" ", html.A(t("ranking.see_all", view.lang), href="#table-card", className="ranking-note__link")]
        if ranking.left_out
        else []
    )
    return [text, *link]


def on_download(ctx: Context, search: str | None, host_url: str = "") -> dict:
    """The table card's download button: the same file as its menu's CSV (``dcc.Download`` data):
    the rows shown with their suppression, columns in the view's language, and a README with the
    definition, source, licence, filters and how to cite."""
    view = view_of(ctx, search)
    permalink = (ctx.settings.base_url or host_url).rstrip("/") + "/" + explore.permalink_search(ctx, view)
    today = pd.Timestamp.today().date()
    data = exports.export(ctx, view, "table", "csv", exports.DEFAULT_SIZE, permalink, today)
    return dcc.send_bytes(data, exports.filename(view, "table", "csv"))


DOWNLOAD_OUTPUTS: dict[str, Output] = {}
for _card in MENU_CARDS:
    for _suffix, *_ in ui.download_links(exports.formats_for(_card)):
        DOWNLOAD_OUTPUTS[f"{_card}-dl-{_suffix}"] = Output(f"{_card}-dl-{_suffix}", "href")
    DOWNLOAD_OUTPUTS[f"{_card}-link"] = Output(f"{_card}-link", "value")
    if _card in exports.IMAGE_CHARTS:
        DOWNLOAD_OUTPUTS[f"{_card}-embed"] = Output(f"{_card}-embed", "value")
    DOWNLOAD_OUTPUTS[f"{_card}-cite"] = Output(f"{_card}-cite", "value")


def on_downloads(ctx: Context, search: str | None, host_url: str = "", path_of=lambda p: p) -> dict:
    """The download menus of every card for the URL: file links, permalink, embed snippet, citation.

    Keys are those of ``DOWNLOAD_OUTPUTS``. The files are plain GET routes (``observatory.web.api``)
    keyed by the view's pinned query string, so they are linkable and cacheable.
    """
    view = view_of(ctx, search)
    base = (ctx.settings.base_url or host_url).rstrip("/")
    params = urlstate.to_params(view.state, explore.defaults(ctx, view.indicator).with_(start="", end=""))
    if view.lang != "es":
        params["lang"] = view.lang
    query = urlencode(params, safe=",:")
    permalink = base + "/" + explore.permalink_search(ctx, view)
    today = pd.Timestamp.today().date()
    title = view.indicator.text("title", view.lang)
    citation = exports.cite(ctx, view, permalink, today)  # as each card's export metadata cites it
    out: dict = {}
    for card in MENU_CARDS:
        for suffix, fmt, size, _ in ui.download_links(exports.formats_for(card)):
            q = query + (("&" if query else "") + f"size={size}" if size else "")
            out[f"{card}-dl-{suffix}"] = path_of(f"/download/{card}.{fmt}") + ("?" + q if q else "")
        out[f"{card}-link"] = permalink
        if card in exports.IMAGE_CHARTS:
            src = base + f"/embed/{card}" + ("?" + query if query else "")
            out[f"{card}-embed"] = exports.embed_snippet(
                src, f"{title} — {t(f'export.chart.{card}', view.lang)}"
            )
        out[f"{card}-cite"] = citation
    return out


HEADER_KEYS = (
    "view-title",
    "view-subtitle",
    "breadcrumb",
    "notices",
    "key-figures",
    "lang-switch",
    "share-url",
    *(f"{card}-unit" for card in MENU_CARDS),
    *(f"{card}-meta" for card in MENU_CARDS),
)
MAP_KEYS = (
    "map.figure",
    "map-key.data",
    "map-wrap.hidden",
    "map-hint.hidden",
    "map-message.children",
    "map-message.hidden",
    "map-legend.children",
    "map-summary.children",
    "map-unmapped.children",
)
# Every output of the one callback an interaction makes: the URL, the controls, every card, the
# download menus and the next boundary layer to fetch. Keys name "component.property" (a bare
# component id: its children, or a header output's prop as in on_header).
VIEW_OUTPUTS: dict[str, Output] = {
    **SYNC_OUTPUTS,
    "compare.options": Output("f-compare", "options"),
    **{
        key: Output(key, "value" if key == "share-url" else "href" if key == "lang-switch" else "children")
        for key in HEADER_KEYS
    },
    **{key: Output(*key.split(".")) for key in MAP_KEYS},
    "series.figure": Output("series", "figure"),
    "series-table.children": Output("series-table", "children"),
    "ranking.figure": Output("ranking", "figure"),
    "area-table.children": Output("area-table", "children"),
    "ranking-unranked.children": Output("ranking-unranked", "children"),
    **DOWNLOAD_OUTPUTS,
    "geo-next.data": Output("geo-next", "data"),
}
VIEW_INPUTS = {
    "search": Input(LOCATION, "search"),
    "click": Input("map", "clickData"),
    "sort": Input("table-sort", "data"),
    "table_clicks": Input("series-table-toggle", "n_clicks"),
    "viewport": Input("viewport", "data"),
    **{name: Input(cid, "value") for name, cid in controls.CONTROL_IDS},
}
VIEW_STATE = {"drawn": State("map-key", "data")}


def next_layers(ctx: Context, view: View, geo_url_of=None) -> list[str]:
    """The boundary layer a click on the map opens (the level below the map's, when the indicator
    has data there): the browser fetches it while the reader looks at this one."""
    geo_url_of = geo_url_of or geo_url
    if ctx.boundaries is None or view.map_level is None or view.map_country != ctx.country:
        return []
    terr, ind = explore.territories(ctx), view.indicator
    finest = ind.finest_level if ind.finest_level in terr.levels else "country"
    below = terr.below(view.map_level)
    if below is None or terr.depth(below) > terr.depth(finest):
        return []
    try:
        if ctx.boundaries.layer_path(view.map_country, below) is None:
            return []
    except (FileNotFoundError, KeyError, ValueError):
        return []
    return [geo_url_of(view.map_country, below)]


def on_view(
    ctx: Context,
    trigger,
    search: str | None,
    *,
    click=None,
    sort=None,
    table_clicks=0,
    viewport=None,
    drawn: str | None = None,
    host_url: str = "",
    path_of=lambda p: p,
    geo_url_of=None,
    **values,
) -> dict:
    """One interaction, one response: keyed like ``VIEW_OUTPUTS``, ``no_update`` where nothing changes.

    ``trigger`` is the id of what changed: a control or the map (a new query string, then every
    card of the new view), ``url`` (a link, the back button: the controls and every card),
    ``table-sort`` (the ranking and the table, in the new order) or ``series-table-toggle`` (the series table only). The
    warehouse's snapshot is taken once, here, and every card of the response reads it.
    """
    ctx = explore.pin(ctx)
    out: dict = dict.fromkeys(VIEW_OUTPUTS, no_update)
    if trigger == "series-table-toggle":
        out["series-table.children"] = on_series_table(ctx, search, table_clicks)
        return out
    if trigger == "table-sort":  # the ranking follows the table's order
        out["ranking.figure"], out["area-table.children"] = on_ranking(ctx, search, sort)
        out["ranking-unranked.children"] = on_ranking_note(ctx, search, sort)
        return out
    control = (
        trigger if trigger == "map" or any(cid == trigger for _, cid in controls.CONTROL_IDS) else LOCATION
    )
    sync = on_sync(ctx, control, search, click, **values)
    out.update(sync)
    if control != LOCATION and sync["search"] is no_update:
        return out  # the control shows the view already shown: the cards stay
    shown = search if sync["search"] is no_update else sync["search"]
    view = view_of(ctx, shown)
    out.update(zip(HEADER_KEYS, on_header(ctx, shown, host_url), strict=True))
    out.update(zip(MAP_KEYS, on_map(ctx, shown, drawn, geo_url_of, viewport), strict=True))
    out["series.figure"] = on_series(ctx, shown)
    out["series-table.children"] = on_series_table(ctx, shown, table_clicks)
    out["ranking.figure"], out["area-table.children"] = on_ranking(ctx, shown, sort)
    out["ranking-unranked.children"] = on_ranking_note(ctx, shown, sort)
    out.update(on_downloads(ctx, shown, host_url, path_of))
    out["compare.options"] = controls.compare_options(ctx, view, view.lang, "")
    out["geo-next.data"] = next_layers(ctx, view, geo_url_of)
    return out


def _guard(fn):
    """A warehouse being replaced or missing never shows a traceback: the card keeps its content."""

    def wrapped(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except WarehouseUnavailable as exc:
            log.warning("warehouse unavailable during a callback: %s", exc)
            raise PreventUpdate from None

    wrapped.__name__ = fn.__name__
    return wrapped


# In the browser. The URL and the page stay in step without Dash Pages: the explore page's own
# Location (refresh=False) pushes the query string the view callback returns, and an in-page link
# (dcc.Link: the breadcrumb) or the back button, which would also make Dash Pages lay the page out
# again, is caught by assets/explore-history.js before Dash's Locations see it and handed to this
# page's Location alone. That script reads the path and query string the page shows from
# ``window.observatoryExplore``, which these two callbacks keep (the first, once per visit, also
# gives the window's size for the map: it fits its areas at the size it is drawn).
HISTORY_JS = """function(pathname) {
    window.observatoryExplore = {pathname: pathname, search: window.location.search};
    return [window.innerWidth, window.innerHeight];
}"""
SHOWN_JS = """function(search) {
    if (window.observatoryExplore) { window.observatoryExplore.search = search || ''; }
    return window.dash_clientside.no_update;
}"""

# A click on a column heading: sort by it, or flip the order when it is already the key (no
# request of its own: the view callback gets the new order).
SORT_JS = """function(clicks, sort) {
    var dc = window.dash_clientside, trigger = dc.callback_context.triggered_id;
    if (!trigger || typeof trigger.col !== 'string' || !Array.isArray(clicks) || !clicks.some(Boolean)) {
        return dc.no_update;
    }
    var current = sort || {};
    if (current.col === trigger.col) {
        return {col: trigger.col, desc: !(current.desc === undefined ? true : current.desc)};
    }
    return {col: trigger.col, desc: trigger.col !== 'name'};
}"""

# The next boundary layer, fetched and parsed while the reader looks at this map, into the store
# plotly.js reads a choropleth's GeoJSON URL from (window.PlotlyGeoAssets): a click that drills
# down draws at once. The file is also kept by the browser's HTTP cache (Cache-Control).
PREFETCH_JS = """function(urls) {
    var assets = window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};
    (urls || []).forEach(function(url) {
        if (assets[url]) { return; }
        assets[url] = 'pending';
        fetch(url, {credentials: 'same-origin'})
            .then(function(r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
            .then(function(geo) { assets[url] = geo; })
            .catch(function() { delete assets[url]; });
    });
    return window.dash_clientside.no_update;
}"""


def register_callbacks(app: dash.Dash, ctx: Context) -> None:
    """Connect the explore page's controls, URL and cards (``ctx`` is bound into each callback)."""

    @app.callback(output=VIEW_OUTPUTS, inputs=VIEW_INPUTS, state=VIEW_STATE)
    def view(search, click, sort, table_clicks, viewport, drawn, **values):
        host = flask.request.host_url + dash.get_relative_path("/").lstrip("/")
        try:
            return on_view(
                ctx,
                dash.ctx.triggered_id,
                search,
                click=click,
                sort=sort,
                table_clicks=table_clicks,
                viewport=viewport,
                drawn=drawn,
                host_url=host,
                path_of=dash.get_relative_path,
                **values,
            )
        except WarehouseUnavailable as exc:
            log.warning("warehouse unavailable during a callback: %s", exc)
            lang = lang_or_default(urlstate.parse(search if isinstance(search, str) else "").lang)
            out = dict.fromkeys(VIEW_OUTPUTS, no_update)
            out["notices"] = html.P(t("maintenance.text", lang), className="notice notice--error")
            return out

    # What a reader types in the comparison picker, when there is something to search for (the
    # picker clears its text when it closes: that costs no request).
    app.clientside_callback(
        """function(text) {
            return (typeof text === 'string' && text.trim()) ? text : window.dash_clientside.no_update;
        }""",
        Output("compare-search", "data"),
        Input("f-compare", "search_value"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output("f-compare", "options", allow_duplicate=True),
        Input("compare-search", "data"),
        State(LOCATION, "search"),
        prevent_initial_call=True,
    )
    @_guard
    def compare_search(text, search):
        pinned = explore.pin(ctx)
        view = view_of(pinned, search)
        return controls.compare_options(pinned, view, view.lang, text or "")

    @app.callback(
        Output("download", "data"),
        Input("download-button", "n_clicks"),
        State(LOCATION, "search"),
        prevent_initial_call=True,
    )
    @_guard
    def download(n, search):
        if not n:
            raise PreventUpdate
        host = flask.request.host_url + dash.get_relative_path("/").lstrip("/")
        return on_download(explore.pin(ctx), search, host)

    app.clientside_callback(HISTORY_JS, Output("viewport", "data"), Input(LOCATION, "pathname"))
    app.clientside_callback(
        SORT_JS,
        Output("table-sort", "data"),
        Input({"type": "sort", "col": ALL}, "n_clicks"),
        State("table-sort", "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(SHOWN_JS, Output("url-seen", "data"), Input(LOCATION, "search"))
    app.clientside_callback(PREFETCH_JS, Output("geo-next", "clear_data"), Input("geo-next", "data"))

    # The tab's title follows the view (Dash Pages sets it once per page).
    app.clientside_callback(
        """function(title, subtitle) {
            if (title) { document.title = title + (subtitle ? ' · ' + subtitle : ''); }
            return window.dash_clientside.no_update;
        }""",
        Output("view-title", "title"),
        Input("view-title", "children"),
        Input("view-subtitle", "children"),
    )


def export_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The area table as published: the columns a download carries (``exports.area_frame``)."""
    return exports.area_frame(table)
