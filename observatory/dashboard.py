"""The explore page (home): its layout from the URL, and the callbacks that keep page and URL in step.

The URL is the single source of truth. One callback (``sync``) turns a reader's change of a
control, or a click on the map, into a new query string, and a new query string (a link, the
back button) into control values. The cards each read the query string, call one function of
``explore`` and one of ``figures``. The page is laid out once per visit: Dash Pages' router
re-runs ``layout`` when the query string changes, and ``layout`` declines (``no_update``)
when only the query string changed, so focus, scroll position and the map's geometry stay.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from functools import lru_cache
from urllib.parse import urlencode

import dash
import flask
import pandas as pd
from dash import ALL, Input, Output, Patch, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from observatory import components as ui
from observatory import controls, explore, exports, figures, queries, urlstate
from observatory.db import WarehouseUnavailable
from observatory.explore import Context, View
from observatory.i18n import lang_or_default, number, percent, period_range_label, t
from observatory.schema import BREAKDOWNS

PAGES_LOCATION = "_pages_location"  # Dash Pages' own dcc.Location, watched by its router
LOCATION = "url"  # this page's dcc.Location: its callbacks exist only while the page does
log = logging.getLogger("observatory.dashboard")


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
        html.Div(
            dcc.Graph(
                id="ranking",
                config={"displaylogo": False, "staticPlot": False},
                figure=figures.empty_figure(""),
            ),
            role="figure",  # ranks the map's values: the same summary, and the table below
            **{"aria-labelledby": "ranking-title", "aria-describedby": "map-summary"},
        ),
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
        dcc.Location(id=LOCATION, refresh="callback-nav"),
        dcc.Store(id="map-key"),
        dcc.Store(id="viewport"),
        dcc.Store(id="table-sort", data={"col": "shown", "desc": True}),
        html.Div(terr.country, id="site-country", hidden=True),
    ]
    sources = None
    try:
        from observatory import reference

        sources = reference.published_sources(ctx)
    except WarehouseUnavailable:
        pass
    return ui.page(ctx.site, lang, "explore", lang_href(ctx, view), body, sources)


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


# --------------------------------------------------------------------------- callbacks


# --------------------------------------------------------------------------- callback bodies
# Plain functions of (context, inputs) -> outputs, so tests call them directly; the Dash
# callbacks registered below only pass the inputs in and the outputs out.


VIEW_CACHE_SIZE = 128  # per callback body and worker


def _frozen(value):
    """A hashable stand-in for callback inputs (JSON: dicts, lists, scalars)."""
    if isinstance(value, dict):
        return tuple(sorted((str(k), _frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    return value


def _per_view(fn):
    """Keep a callback body's result per warehouse version, day and inputs (issue 6).

    Readers of one link, the back button and a second worker thread all ask for the same views:
    they are served from memory (bench/interactions.py measures both paths). Results are
    shared, so callers must not change them. ``cache_clear()`` forgets them all.
    """
    cached = lru_cache(maxsize=VIEW_CACHE_SIZE)(
        lambda ctx, version, day, frozen, args, kwargs: fn(ctx, *args.value, **kwargs.value)
    )
    computing: dict = {}  # key -> lock: a view asked by several threads at once is computed once
    guard = threading.Lock()

    def wrapped(ctx, *args, **kwargs):
        try:
            frozen = _frozen([args, kwargs])
            hash(frozen)
        except TypeError:  # anything unexpected is computed, never cached
            return fn(ctx, *args, **kwargs)
        key = (ctx, queries.stamp(ctx.warehouse), dt.date.today(), frozen)
        with guard:
            lock = computing.setdefault(key, threading.Lock())
        try:
            with lock:
                return cached(*key, _Opaque(args), _Opaque(kwargs))
        finally:
            with guard:
                computing.pop(key, None)

    wrapped.__name__, wrapped.__doc__, wrapped.cache_clear = fn.__name__, fn.__doc__, cached.cache_clear
    return wrapped


class _Opaque:
    """Carries the original arguments through lru_cache without taking part in its key."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __hash__(self) -> int:
        return 0

    def __eq__(self, other) -> bool:
        return isinstance(other, _Opaque)


SYNC_INPUTS = {
    "search": Input(LOCATION, "search"),
    "click": Input("map", "clickData"),
    **{name: Input(cid, "value") for name, cid in controls.CONTROL_IDS},
}
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


@_per_view
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


@_per_view
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


@_per_view
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


@_per_view
def on_series(ctx: Context, search: str | None):
    """The time series figure."""
    view = view_of(ctx, search)
    if explore.series_table(ctx, view).empty:
        return figures.empty_figure(t("summary.none", view.lang))
    return exports.series_chart(ctx, view)


@_per_view
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


@_per_view
def on_ranking(ctx: Context, search: str | None, sort: dict | None) -> tuple:
    """The ranking figure and the sortable table of the same values."""
    colours = figures.Colours.from_site(ctx.site)
    sort = sort if isinstance(sort, dict) else None
    view = view_of(ctx, search)
    table = explore.in_group(ctx, view, explore.area_table(ctx, view))
    lang, measure = view.lang, view.state.measure
    if table.empty:
        return figures.empty_figure(t("summary.none", lang)), html.P(t("summary.none", lang))
    unit = ui.chart_unit(view, "ranking")
    edges = figures.class_breaks(table["shown"])
    fig = figures.ranking_figure(
        table, edges=edges, colours=colours, measure=measure, unit=unit, lang=lang, highlight=view.highlight
    )
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


def on_sort(trigger, clicks, sort: dict | None) -> dict:
    """A click on a column heading: sort by it, or flip the order when it is already the key."""
    if (
        not isinstance(trigger, dict)
        or not isinstance(trigger.get("col"), str)
        or not isinstance(clicks, list)
    ):
        raise PreventUpdate
    if not any(clicks):
        raise PreventUpdate
    col = trigger["col"]
    current = sort if isinstance(sort, dict) else {}
    if current.get("col") == col:
        return {"col": col, "desc": not current.get("desc", True)}
    return {"col": col, "desc": col != "name"}


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


@_per_view
def on_downloads(ctx: Context, search: str | None, host_url: str = "", path_of=lambda p: p) -> dict:
    """The download menus of every card for the URL: file links, permalink, embed snippet, citation.

    Keys are those of ``DOWNLOAD_OUTPUTS``. The files are plain GET routes (``observatory.api``)
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
            out[f"{card}-embed"] = embed_snippet(src, f"{title} — {t(f'export.chart.{card}', view.lang)}")
        out[f"{card}-cite"] = citation
    return out


def embed_snippet(src: str, title: str) -> str:
    from observatory.embed import snippet

    return snippet(src, title)


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


def register_callbacks(app: dash.Dash, ctx: Context) -> None:
    """Connect the explore page's controls, URL and cards (``ctx`` is bound into each callback)."""
    from observatory import services

    services.register_callbacks(app, ctx)  # the services page (/servicios)

    @app.callback(output=SYNC_OUTPUTS, inputs=SYNC_INPUTS, prevent_initial_call=True)
    @_guard
    def sync(search, click, **values):
        return on_sync(ctx, dash.ctx.triggered_id, search, click, **values)

    @app.callback(
        Output("view-title", "children"),
        Output("view-subtitle", "children"),
        Output("breadcrumb", "children"),
        Output("notices", "children"),
        Output("key-figures", "children"),
        Output("lang-switch", "href"),
        Output("share-url", "value"),
        *(Output(f"{card}-unit", "children") for card in MENU_CARDS),
        *(Output(f"{card}-meta", "children") for card in MENU_CARDS),
        Input(LOCATION, "search"),
    )
    def header(search):
        try:
            return on_header(ctx, search, flask.request.host_url + dash.get_relative_path("/").lstrip("/"))
        except WarehouseUnavailable:
            lang = lang_or_default(urlstate.parse(search or "").lang)
            msg = html.P(t("maintenance.text", lang), className="notice notice--error")
            return (no_update, no_update, no_update, msg) + (no_update,) * (3 + 2 * len(MENU_CARDS))

    @app.callback(
        Output("map", "figure"),
        Output("map-key", "data"),
        Output("map-wrap", "hidden"),
        Output("map-hint", "hidden"),
        Output("map-message", "children"),
        Output("map-message", "hidden"),
        Output("map-legend", "children"),
        Output("map-summary", "children"),
        Output("map-unmapped", "children"),
        Input(LOCATION, "search"),
        Input("viewport", "data"),
        State("map-key", "data"),
    )
    @_guard
    def map_card(search, viewport, drawn):
        return on_map(ctx, search, drawn, viewport=viewport)

    @app.callback(Output("series", "figure"), Input(LOCATION, "search"))
    @_guard
    def series_card(search):
        return on_series(ctx, search)

    @app.callback(
        Output("series-table", "children"),
        Input(LOCATION, "search"),
        Input("series-table-toggle", "n_clicks"),
    )
    @_guard
    def series_table_card(search, clicks):
        return on_series_table(ctx, search, clicks)

    @app.callback(
        Output("ranking", "figure"),
        Output("area-table", "children"),
        Input(LOCATION, "search"),
        Input("table-sort", "data"),
    )
    @_guard
    def ranking_card(search, sort):
        return on_ranking(ctx, search, sort)

    @app.callback(
        Output("table-sort", "data"),
        Input({"type": "sort", "col": ALL}, "n_clicks"),
        State("table-sort", "data"),
        prevent_initial_call=True,
    )
    def sort_table(clicks, sort):
        return on_sort(dash.ctx.triggered_id, clicks, sort)

    @app.callback(
        Output("f-compare", "options"), Input("f-compare", "search_value"), Input(LOCATION, "search")
    )
    @_guard
    def compare_search(text, search):
        view = view_of(ctx, search)
        return controls.compare_options(ctx, view, view.lang, text or "")

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
        return on_download(ctx, search, flask.request.host_url + dash.get_relative_path("/").lstrip("/"))

    @app.callback(output=DOWNLOAD_OUTPUTS, inputs={"search": Input(LOCATION, "search")})
    @_guard
    def download_menus(search):
        host = flask.request.host_url + dash.get_relative_path("/").lstrip("/")
        return on_downloads(ctx, search, host, dash.get_relative_path)

    # The window's size, once per visit: the map fits its areas at the size it is drawn.
    app.clientside_callback(
        "function(_) { return [window.innerWidth, window.innerHeight]; }",
        Output("viewport", "data"),
        Input(LOCATION, "pathname"),
    )

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
