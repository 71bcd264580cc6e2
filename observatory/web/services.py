"""The services view (/servicios): where help is, against where cases are.

For an area (the URL's ``area``, default the site's region) and the service types chosen (``type``,
default every type): the case-rate map of its sub-areas with the public service points on top;
points per sub-area, per 100,000 women and cases per point; the territories without any point;
the public points as a table; and the districts farthest from a service (``service_access``).

Shelters are counted, never located: the importer drops their name and coordinates, and the
queries here only ever read public points for the map and the table.

Cases per point divide the cases of the site's case indicator (``case_indicator``) in the
directory's year (or the indicator's default period when that year is not wholly covered) by the
points in the area. The figures reuse ``explore``'s published tables, so the disclosure rule and
zero-fill apply exactly as on the explore page.

The page's callbacks are plain functions of (context, inputs) (``on_sync``, ``on_content``); the
Dash wiring is ``register_callbacks``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

import dash
import flask
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, dcc, html, no_update
from dash.exceptions import PreventUpdate

from observatory.contract.i18n import lang_or_default, number, period_range_label, t, t_or
from observatory.present import components as ui
from observatory.present import figures
from observatory.views import explore, urlstate
from observatory.views.explore import Context, Indicator, Notice, View
from observatory.warehouse import queries
from observatory.warehouse.db import WarehouseUnavailable

PATH = "/servicios"
LOCATION = "svc-url"
FARTHEST = 10  # districts listed as farthest from a service
WITHOUT_LISTED = 60  # territories without a point named one by one; the rest are counted
NO_TYPE = "none"  # the URL's ``type`` when the reader unticked every type
POINT_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")  # Okabe & Ito
log = logging.getLogger("observatory.web.services")


def context() -> Context:
    return flask.current_app.extensions["observatory"]


# --------------------------------------------------------------------------- state


@dataclass(frozen=True)
class ServicesState:
    """One view of the services page. ``types`` None: every type; () : none ticked."""

    area: str = ""
    types: tuple[str, ...] | None = None
    lang: str = "es"


def parse(search: str | None) -> ServicesState:
    """``?area=15&type=CEM,SAR&lang=en`` -> a state (unchecked: ``resolve`` checks it)."""
    params = parse_qs((search if isinstance(search, str) else "").lstrip("?"), keep_blank_values=True)

    def one(key: str) -> str:
        values = params.get(key) or [""]
        return values[-1].strip()[: urlstate.MAX_VALUE_LENGTH * 4]

    raw_types = one("type")
    types = None
    if raw_types == NO_TYPE:
        types = ()
    elif raw_types:
        types = tuple(dict.fromkeys(x.strip().upper() for x in raw_types.split(",") if x.strip()))
    return ServicesState(area=one("area"), types=types, lang=lang_or_default(one("lang")))


def to_search(ctx: Context, state: ServicesState) -> str:
    """The shortest query string for ``state`` (defaults left out)."""
    params = {}
    if state.area and state.area != default_area(ctx):
        params["area"] = state.area
    if state.types is not None:
        params["type"] = ",".join(state.types) if state.types else NO_TYPE
    if state.lang != "es":
        params["lang"] = state.lang
    return "?" + urlencode(params, safe=",") if params else ""


def default_area(ctx: Context) -> str:
    terr = explore.territories(ctx)
    return ctx.site.default_area if ctx.site.default_area in terr else ctx.country


@dataclass(frozen=True)
class Directory:
    """The loaded directory: its types (public ones and shelters) and release."""

    types: pd.DataFrame

    @property
    def loaded(self) -> bool:
        return not self.types.empty

    @property
    def release(self) -> str | None:
        return str(self.types["release"].dropna().max()) if self.loaded else None

    @property
    def year(self) -> int | None:
        return int(self.release[:4]) if self.release else None

    @property
    def all_types(self) -> tuple[str, ...]:
        return tuple(self.types["type"])

    def is_shelter(self, kind: str) -> bool:
        row = self.types[self.types["type"] == kind]
        return bool(len(row) and row["is_shelter"].iloc[0])


def directory(ctx: Context) -> Directory:
    return Directory(queries.service_types(ctx.warehouse, ctx.country))


def resolve(ctx: Context, raw: ServicesState) -> ServicesState:
    """A state the page can show: a known area of the site's country, known types."""
    return check(ctx, raw)[0]


def check(ctx: Context, raw: ServicesState) -> tuple[ServicesState, tuple[Notice, ...]]:
    """``resolve`` and what it changed: an unknown area or service type gets a notice (the
    explore page's ``notice.*`` messages), and the page shows the default in its place."""
    terr = explore.territories(ctx)
    notes: list[Notice] = []
    area = raw.area
    if not (area in terr and terr.country_of(area) == ctx.country):
        if area:
            notes.append(explore.notice("unknown_area", value=explore.quoted(area)))
        area = default_area(ctx)
    known = directory(ctx).all_types
    types = raw.types
    if types:
        notes += [
            explore.notice("unknown_service_type", value=explore.quoted(k)) for k in types if k not in known
        ]
        types = tuple(k for k in known if k in types)
        if not types or set(types) == set(known):
            types = None  # nothing known was asked for, or everything: every type
    return ServicesState(area=area, types=types, lang=raw.lang), tuple(notes)


def type_filter(state: ServicesState) -> list[str]:
    """The types for the queries: [] means every type; a ticked-nothing state matches nothing."""
    if state.types is None:
        return []
    return list(state.types) or [NO_TYPE.upper() + "_"]


# --------------------------------------------------------------------------- figures and tables


def case_indicator(ctx: Context) -> Indicator | None:
    """The case indicator the map and 'cases per point' use: the site's default when it is a case
    indicator with data, else the first case indicator with data and a rate."""
    cat = explore.catalogue(ctx)
    usable = [i for i in cat if i.kind == "case" and i.first_period is not None and not i.multi_country]
    if not usable:
        return None
    preferred = [i for i in usable if i.id == ctx.site.default_indicator] or [i for i in usable if i.has_rate]
    return (preferred or usable)[0]


def case_view(ctx: Context, state: ServicesState, year: int | None) -> View | None:
    """The explore view of the case indicator over the directory's year (when wholly covered)."""
    ind = case_indicator(ctx)
    if ind is None:
        return None
    start = end = ""
    if year is not None:
        first = pd.Timestamp(year, 1, 1)
        last = pd.Timestamp(year, 12, 1) if ind.granularity == "month" else first
        if ind.first_period <= first and last <= ind.last_period:
            start = explore.period_text(first, ind.granularity)
            end = explore.period_text(last, ind.granularity)
    raw = urlstate.ViewState(
        indicator=ind.id,
        area=state.area,
        start=start,
        end=end,
        measure="rate" if ind.has_rate else "count",
        lang=state.lang,
    )
    return explore.resolve(ctx, raw)


AREA_COLUMNS = [
    "code",
    "name",
    "points",
    "public_points",
    "shelters",
    "population",
    "points_rate",
    "cases_status",
    "cases",
    "cases_per_point",
    "real",
    "without",
]


def _rate(points, population) -> float:
    return float(points) / float(population) * 100_000 if pd.notna(population) and population else np.nan


def area_table(ctx: Context, state: ServicesState, view: View | None, year: int | None) -> pd.DataFrame:
    """One row per sub-area of the view (the case map's areas) plus nothing else: points (of the
    chosen types), public points, shelters, female population, points per 100,000 women, cases
    (as published: NaN where hidden or missing) and cases per point; ``without`` marks a territory
    without any point (a real territory: 'No especificado' is not one)."""
    if view is None or view.map_level is None:
        return pd.DataFrame(columns=AREA_COLUMNS)
    cases = explore.area_table(ctx, view)
    terr = explore.territories(ctx)
    codes = cases["code"].tolist()
    counts = queries.service_counts(ctx.warehouse, country=ctx.country, codes=codes, types=type_filter(state))
    frame = cases[["code", "name", "status", "count"]].rename(
        columns={"status": "cases_status", "count": "cases"}
    )
    frame = frame.merge(counts, on="code", how="left")
    for col in ("points", "public_points", "shelters"):
        frame[col] = frame[col].fillna(0).astype(int)
    pop = _female_population(ctx, codes, year or (view.end.year if view.end is not None else None))
    frame = frame.merge(pop, on="code", how="left")
    frame["points_rate"] = [_rate(p, n) for p, n in zip(frame["points"], frame["population"], strict=True)]
    frame["cases_per_point"] = np.where(
        frame["points"] > 0, frame["cases"] / frame["points"].replace(0, 1), np.nan
    )
    finest = terr.levels[-1] if terr.levels else None
    # 'No especificado' is not a territory that could hold a service: only leaves at the finest
    # level and areas with sub-areas count.
    frame["real"] = [view.map_level == finest or bool(terr.children(c)) for c in frame["code"]]
    frame["without"] = (frame["points"] == 0) & frame["real"]
    return frame[AREA_COLUMNS].reset_index(drop=True)


def _female_population(ctx: Context, codes: list[str], year: int | None) -> pd.DataFrame:
    if not codes or year is None:
        return pd.DataFrame({"code": pd.Series(dtype=str), "population": pd.Series(dtype=float)})
    pop = queries.population(ctx.warehouse, country=ctx.country, codes=codes, years=[year], sex="female")
    return pop[["code", "population"]].drop_duplicates("code")


def area_figures(ctx: Context, state: ServicesState, view: View | None, year: int | None) -> dict:
    """The area's own figures: points, public, shelters, population, points per 100,000 women,
    cases, cases per point, and how many of its districts have no point of the chosen types."""
    counts = queries.service_counts(
        ctx.warehouse, country=ctx.country, codes=[state.area], types=type_filter(state)
    )
    row = counts.iloc[0] if len(counts) else pd.Series({"points": 0, "public_points": 0, "shelters": 0})
    points = int(row["points"])
    pop = _female_population(ctx, [state.area], year)
    population = float(pop["population"].iloc[0]) if len(pop) else np.nan
    cases, status = np.nan, "no_data"
    if view is not None and view.has_data:
        k = explore.key_figures(ctx, view)
        status = k["status"]
        cases = k["count"] if status in ("value", "zero") else np.nan
    districts = queries.service_districts(
        ctx.warehouse, country=ctx.country, area=state.area, types=type_filter(state)
    )
    return {
        "points": points,
        "public_points": int(row["public_points"]),
        "shelters": int(row["shelters"]),
        "population": population,
        "points_rate": _rate(points, population),
        "cases": cases,
        "cases_status": status,
        "cases_per_point": cases / points if points and pd.notna(cases) else np.nan,
        "districts": len(districts),
        "districts_without": int((districts["points"] == 0).sum()),
    }


def points_table(ctx: Context, state: ServicesState) -> pd.DataFrame:
    """The public points inside the area, of the chosen types (never a shelter)."""
    return queries.service_points(
        ctx.warehouse, country=ctx.country, area=state.area, types=type_filter(state)
    )


def farthest(ctx: Context, state: ServicesState, limit: int = FARTHEST) -> pd.DataFrame:
    """The districts of the area farthest from a public service point of any type, farthest first."""
    return queries.service_farthest(ctx.warehouse, country=ctx.country, area=state.area, limit=limit)


def type_label(kind: str, lang: str) -> str:
    return t_or(f"services.type_names.{kind}", lang, kind.replace("_", " ").capitalize())


def points_figure(
    base: go.Figure,
    points: pd.DataFrame,
    kinds: tuple[str, ...],
    lang: str,
    colours: tuple[str, ...] = POINT_COLOURS,
) -> go.Figure:
    """The case map with one ``Scattermap`` trace of public points per type on top (pure)."""
    fig = go.Figure(base)
    fig.update_traces(showlegend=False)
    for i, kind in enumerate(kinds):
        part = points[points["type"] == kind]
        if part.empty:
            continue
        fig.add_trace(
            go.Scattermap(
                lat=part["lat"].tolist(),
                lon=part["lon"].tolist(),
                mode="markers",
                marker={"size": 11, "color": colours[i % len(colours)], "opacity": 0.95},
                name=type_label(kind, lang),
                customdata=[
                    [n or "", d, t("services.yes" if h else "services.no", lang) if pd.notna(h) else "—"]
                    for n, d, h in zip(part["name"], part["district_name"], part["open_24h"], strict=True)
                ],
                hovertemplate="<b>%{customdata[0]}</b><br>"
                + type_label(kind, lang)
                + " · %{customdata[1]}<br>"
                + t("services.col.open_24h", lang)
                + ": %{customdata[2]}<extra></extra>",
            )
        )
    fig.update_layout(
        showlegend=True,
        legend={
            "orientation": "h",
            "yanchor": "bottom",
            "y": 0.01,
            "x": 0.01,
            "bgcolor": "rgba(255,255,255,.85)",
        },
    )
    return fig


# --------------------------------------------------------------------------- page pieces


def _fmt(value, lang: str, decimals: int = 0) -> str:
    return (
        "—"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else number(value, lang, decimals)
    )


def _table(tid: str, caption: str, head: list[str], rows: list[list], numeric: set[int]) -> html.Table:
    return html.Table(
        [
            html.Caption(caption),
            html.Thead(html.Tr([html.Th(h, scope="col") for h in head])),
            html.Tbody(
                [
                    html.Tr(
                        [
                            (html.Th if j == 0 else html.Td)(
                                v,
                                className="num" if j in numeric else None,
                                **({"scope": "row"} if j == 0 else {}),
                            )
                            for j, v in enumerate(r)
                        ]
                    )
                    for r in rows
                ]
            ),
        ],
        className="data-table",
        id=tid,
    )


def key_tiles(fig: dict, area_name: str, period: str, case_unit: str, lang: str) -> list:
    def tile(tid: str, label: str, value: str, note: str):
        return html.Div(
            [
                html.P(label, className="kf__label"),
                html.P(value, className="kf__value", id=tid),
                html.P(note, className="kf__note"),
            ],
            className="kf",
        )

    return [
        tile(
            "svc-total",
            t("services.kf.points", lang, area=area_name),
            _fmt(fig["points"], lang),
            t(
                "services.kf.points_note",
                lang,
                public=_fmt(fig["public_points"], lang),
                shelters=_fmt(fig["shelters"], lang),
            ),
        ),
        tile(
            "svc-rate",
            t("services.kf.rate", lang),
            _fmt(fig["points_rate"], lang, 2),
            t("services.kf.rate_note", lang, population=_fmt(fig["population"], lang)),
        ),
        tile(
            "svc-cases-per-point",
            t("services.kf.cases_per_point", lang),
            figures.format_value(fig["cases_per_point"], "count", lang),
            t("services.kf.cases_note", lang, cases=_fmt(fig["cases"], lang), unit=case_unit, period=period),
        ),
        tile(
            "svc-kf-without",
            t("services.kf.without", lang),
            t(
                "services.kf.without_value",
                lang,
                n=_fmt(fig["districts_without"], lang),
                of=_fmt(fig["districts"], lang),
            ),
            t("services.kf.without_note", lang),
        ),
    ]


def areas_component(table: pd.DataFrame, level_name: str, lang: str) -> html.Table:
    head = [
        level_name,
        t("services.col.points", lang),
        t("services.col.shelters", lang),
        t("services.col.points_rate", lang),
        t("services.col.cases", lang),
        t("services.col.cases_per_point", lang),
    ]
    rows = []
    for r in table.to_dict("records"):
        cases = (
            _fmt(r["cases"], lang)
            if r["cases_status"] in ("value", "zero")
            else t(f"status.{r['cases_status']}", lang)
        )
        rows.append(
            [
                r["name"],
                _fmt(r["points"], lang),
                _fmt(r["shelters"], lang),
                _fmt(r["points_rate"], lang, 2),
                cases,
                figures.format_value(r["cases_per_point"], "count", lang),
            ]
        )
    return _table("svc-areas-table", t("services.areas_caption", lang), head, rows, {1, 2, 3, 4, 5})


def without_component(table: pd.DataFrame, level_name: str, lang: str):
    none = table[table["without"]]
    if none.empty:
        return html.P(t("services.without_none", lang, level=level_name.lower()), id="svc-without-list")
    names = none["name"].tolist()
    shown = names[:WITHOUT_LISTED]
    more = len(names) - len(shown)
    return html.Div(
        [
            html.P(
                t(
                    "services.without_count",
                    lang,
                    n=number(len(names), lang),
                    of=number(int(table["real"].sum()), lang),
                    level=level_name.lower(),
                )
            ),
            html.Ul([html.Li(n) for n in shown], className="svc-without"),
        ]
        + ([html.P(t("services.without_more", lang, n=number(more, lang)))] if more else []),
        id="svc-without-list",
    )


def points_component(points: pd.DataFrame, levels: list[str], lang: str):
    if points.empty:
        return html.P(t("services.points_none", lang), id="svc-points-table")
    head = [
        t("services.col.name", lang),
        t("services.col.type", lang),
        *(t(f"level.{lv}", lang) for lv in levels),
        t("services.col.open_24h", lang),
    ]
    rows = []
    for r in points.to_dict("records"):
        h = r["open_24h"]
        places = [r["district_name"], r["province_name"] or "", r["department_name"] or ""][: len(levels)]
        open_24h = "—" if h is None or pd.isna(h) else t("services.yes" if h else "services.no", lang)
        rows.append([r["name"] or r["id"], type_label(r["type"], lang), *places, open_24h])
    return _table(
        "svc-points-table", t("services.points_caption", lang, n=number(len(points), lang)), head, rows, set()
    )


def farthest_component(far: pd.DataFrame, levels: list[str], lang: str):
    if far.empty:
        return html.P(t("services.farthest_none", lang), id="svc-farthest-table")
    head = [
        *(t(f"level.{lv}", lang) for lv in levels),
        t("services.col.distance", lang),
        t("services.col.nearest", lang),
    ]
    rows = []
    for r in far.to_dict("records"):
        names = [r["district_name"], r["province_name"] or "", r["department_name"] or ""][: len(levels)]
        nearest = r["nearest_name"] or r["nearest_id"]
        rows.append(
            [*names, _fmt(r["distance_km"], lang, 1), f"{nearest} ({type_label(r['nearest_type'], lang)})"]
        )
    return _table("svc-farthest-table", t("services.farthest_caption", lang), head, rows, {len(levels)})


def no_directory_note(lang: str) -> html.Div:
    return html.Div(
        [
            html.P(t("services.none_title", lang), className="notice__title"),
            html.P(t("services.none_text", lang)),
            html.Pre(html.Code("python -m observatory ingest pe_servicios directorio.csv --release 2025")),
        ],
        className="notice",
        id="svc-none",
    )


# --------------------------------------------------------------------------- layout


def _search_only_change() -> bool:
    try:
        props = dash.ctx.triggered_prop_ids
    except Exception:  # outside a callback (tests, validation layout)
        return False
    return bool(props) and set(props) == {"_pages_location.search"}


def _other_lang_href(ctx: Context, state: ServicesState) -> str:
    other = "en" if state.lang == "es" else "es"
    return PATH + to_search(ctx, ServicesState(state.area, state.types, other))


def layout(lang: str = "es", **query):
    """The services page for a URL's query parameters; the cards are filled by ``on_content``."""
    if _search_only_change():
        return no_update
    ctx = context()
    lang = lang_or_default(lang)
    from observatory.web.reference import _unavailable

    try:
        state = resolve(
            ctx, parse(urlencode({**{k: v for k, v in query.items() if isinstance(v, str)}, "lang": lang}))
        )
        controls = control_values(ctx, state)
    except WarehouseUnavailable:
        return _unavailable(ctx, lang, "services", PATH)
    map_card = ui.card(
        "svc-map",
        t("services.map_title", lang),
        html.Span(id="svc-map-unit-text"),
        [
            html.Div(
                dcc.Graph(
                    id="svc-map",
                    className="graph",
                    config={"displaylogo": False, "scrollZoom": False, "modeBarButtonsToRemove": ["toImage"]},
                    figure=figures.empty_figure(""),
                    responsive=True,
                ),
                id="svc-map-wrap",
                className="graph-box graph-box--map",
            ),
            html.P(id="svc-map-message", className="notice", hidden=True),
            html.P(t("services.map_note", lang), className="map-hint"),
            html.Div(id="svc-map-legend"),
        ],
        html.Div(id="svc-map-meta-text", className="card__meta"),
        wide=True,
    )
    body = [
        html.Div(
            [
                html.H1(t("services.title", lang), id="svc-title"),
                html.P(id="svc-subtitle", className="view-subtitle"),
                html.Nav(
                    id="svc-breadcrumb", className="breadcrumb", **{"aria-label": t("breadcrumb.label", lang)}
                ),
            ],
            className="view-head",
        ),
        html.P(t("services.intro", lang)),
        html.Div(id="svc-notice", className="notices", role="status", **{"aria-live": "polite"}),
        html.Section(
            [
                html.Div(
                    [
                        html.Div(
                            [
                                html.Label(
                                    t("services.area", lang), htmlFor="svc-area", className="field__label"
                                ),
                                dcc.Dropdown(
                                    id="svc-area", clearable=False, className="dropdown", **controls["area"]
                                ),
                            ],
                            className="field field--wide",
                        ),
                        html.Div(
                            [
                                html.Span(
                                    t("services.types", lang), className="field__label", id="svc-types-label"
                                ),
                                dcc.Checklist(
                                    id="svc-types",
                                    className="radios",
                                    inputClassName="radios__input",
                                    labelClassName="radios__label",
                                    **controls["types"],
                                ),
                            ],
                            className="field field--wide",
                            role="group",
                            **{"aria-labelledby": "svc-types-label"},
                        ),
                    ],
                    className="filters__row",
                )
            ],
            className="filters",
            **{"aria-label": t("filters.title", lang)},
        ),
        html.Section(id="svc-key-figures", className="key-figures", **{"aria-live": "polite"}),
        html.Div(
            [
                map_card,
                ui.card(
                    "svc-areas",
                    t("services.areas_title", lang),
                    "",
                    html.Div(id="svc-areas", className="table-scroll"),
                    html.Div(),
                ),
                ui.card(
                    "svc-without",
                    t("services.without_title", lang),
                    "",
                    html.Div(id="svc-without"),
                    html.Div(),
                ),
                ui.card(
                    "svc-farthest",
                    t("services.farthest_title", lang),
                    t("services.farthest_unit", lang),
                    [
                        html.Div(id="svc-farthest", className="table-scroll"),
                        html.P(t("services.farthest_note", lang), className="table-notes"),
                    ],
                    html.Div(),
                ),
                ui.card(
                    "svc-points",
                    t("services.points_title", lang),
                    "",
                    [
                        html.Div(id="svc-points", className="table-scroll"),
                        html.P(t("services.shelter_note", lang), className="table-notes"),
                    ],
                    html.Div(),
                    wide=True,
                ),
            ],
            className="cards",
        ),
        dcc.Location(id=LOCATION, refresh="callback-nav"),
    ]
    sources = None
    try:
        from observatory.web import reference

        sources = reference.published_sources(ctx)
    except WarehouseUnavailable:
        pass
    return ui.page(ctx.site, lang, "services", _other_lang_href(ctx, state), body, sources)


def control_values(ctx: Context, state: ServicesState) -> dict:
    """Options and values of the area picker and the type checklist for ``state``."""
    terr = explore.territories(ctx)
    lang = state.lang
    # The country, then each department (with sub-areas) followed by its provinces.
    codes = [ctx.country]
    for dept, _ in terr.options(terr.children(ctx.country)):
        if terr.children(dept):
            codes.append(dept)
            codes += [p for p, _ in terr.options(terr.children(dept)) if terr.children(p)]
    if state.area not in codes:
        codes.append(state.area)
    options = [{"label": terr.label(c), "value": c} for c in codes]
    d = directory(ctx)
    kinds = d.all_types
    type_options = [
        {
            "label": type_label(k, lang) + (" " + t("services.count_only", lang) if d.is_shelter(k) else ""),
            "value": k,
        }
        for k in kinds
    ]
    chosen = list(kinds) if state.types is None else list(state.types)
    return {
        "area": {"options": options, "value": state.area},
        "types": {"options": type_options, "value": chosen},
    }


# --------------------------------------------------------------------------- callback bodies


def on_sync(ctx: Context, trigger, search: str | None, area=None, types=None, click=None) -> tuple:
    """A control or a map click -> a new query string; a new query string -> the controls.

    Returns (search or no_update, area options, area value, type options, type values).
    """
    state = resolve(ctx, parse(search))
    if trigger == "svc-area":
        if not isinstance(area, str) or not area:
            raise PreventUpdate
        state = resolve(ctx, ServicesState(area, state.types, state.lang))
    elif trigger == "svc-types":
        chosen = tuple(x for x in types if isinstance(x, str)) if isinstance(types, list) else None
        if chosen is None:
            raise PreventUpdate
        state = resolve(
            ctx,
            ServicesState(state.area, chosen, state.lang)
            if chosen
            else ServicesState(state.area, (), state.lang),
        )
    elif trigger == "svc-map":
        try:
            code = click["points"][0]["location"]
        except (TypeError, KeyError, IndexError):
            raise PreventUpdate from None
        if not isinstance(code, str):
            raise PreventUpdate
        state = resolve(ctx, ServicesState(code, state.types, state.lang))
    new = to_search(ctx, state)
    c = control_values(ctx, state)
    return (
        no_update if new == (search or "") else new,
        c["area"]["options"],
        c["area"]["value"],
        c["types"]["options"],
        c["types"]["value"],
    )


CONTENT_KEYS = (
    "subtitle",
    "breadcrumb",
    "notice",
    "key",
    "map",
    "map_hidden",
    "map_message",
    "map_message_hidden",
    "legend",
    "unit",
    "meta",
    "areas",
    "without",
    "farthest",
    "points",
    "lang_href",
)


def on_content(ctx: Context, search: str | None, viewport=None, geo_url_of=None) -> dict:
    """Everything the page shows for a query string, keyed by ``CONTENT_KEYS``.

    ``geo_url_of(country, level)`` gives the boundary layer's URL (default: the app's /geo route).
    """
    from observatory.web.dashboard import geo_url, map_size

    geo_url_of = geo_url_of or geo_url

    state, notes = check(ctx, parse(search))
    lang = state.lang
    terr = explore.territories(ctx)
    d = directory(ctx)
    view = case_view(ctx, state, d.year)
    ind = view.indicator if view is not None else None
    period = (
        period_range_label(view.start, view.end, ind.granularity, lang)
        if view is not None and view.has_data
        else ""
    )
    case_unit = ind.text("unit", lang) if ind is not None else ""
    out: dict = {
        "subtitle": " · ".join(
            p
            for p in (
                terr.name(state.area),
                t("services.release", lang, release=d.release) if d.loaded else "",
            )
            if p
        ),
        "breadcrumb": _breadcrumb(ctx, state),
        "notice": [*ui.notices(notes, lang), *([] if d.loaded else [no_directory_note(lang)])] or None,
        "lang_href": _other_lang_href(ctx, state),
        "unit": ui.unit_label(ind, view.state.measure, lang) if view is not None else "",
        "meta": ui.card_meta(ind, lang, t("services.period", lang, period=period))
        if ind is not None
        else None,
    }
    level_name = t(f"level.{view.map_level}", lang) if view is not None and view.map_level else ""
    table = area_table(ctx, state, view, d.year)
    fig = area_figures(ctx, state, view, d.year)
    out["key"] = key_tiles(fig, terr.name(state.area), period, case_unit, lang) if d.loaded else None
    levels = [lv for lv in reversed(terr.levels) if lv != "country"][:3]
    points = points_table(ctx, state) if d.loaded else pd.DataFrame()
    out["areas"] = areas_component(table, level_name, lang) if d.loaded and not table.empty else None
    out["without"] = without_component(table, level_name, lang) if d.loaded and not table.empty else None
    out["farthest"] = farthest_component(farthest(ctx, state), levels, lang) if d.loaded else None
    out["points"] = points_component(points, levels, lang) if d.loaded else None

    # The map: the explore page's choropleth of case rates, public points on top.
    cases = None if view is None or table.empty else explore.area_table(ctx, view)
    if cases is None or not explore.map_available(ctx, view) or not cases["has_polygon"].any():
        message = t("map.unavailable_any", lang) if view is None else explore.map_unavailable_text(ctx, view)
        out.update(map=no_update, map_hidden=True, map_message=message, map_message_hidden=False, legend=None)
        return out
    colours = figures.Colours.from_site(ctx.site)
    edges = figures.class_breaks(cases["shown"])
    width, height = map_size(viewport)
    mapped = sorted(set(cases.loc[cases["has_polygon"], "code"]))
    bounds = None
    if ctx.boundaries is not None:
        try:
            b = ctx.boundaries.bounds(view.map_country, view.map_level, mapped)
            bounds = (
                (b["west"], b["south"], b["east"], b["north"])
                if isinstance(b, dict)
                else (tuple(map(float, b)) if b else None)
            )
        except Exception:
            log.exception("no bounds for %s %s", view.map_country, view.map_level)
    base = figures.choropleth(
        cases,
        geojson=geo_url_of(view.map_country, view.map_level),
        edges=edges,
        colours=colours,
        measure=view.state.measure,
        unit=out["unit"],
        lang=lang,
        view=figures.map_view(bounds, width, height),
        highlight=view.highlight,
    )
    kinds = tuple(k for k in d.all_types if not d.is_shelter(k))
    out["map"] = points_figure(base, points, kinds, lang) if d.loaded else base
    out["map_hidden"] = False
    out["map_message"] = None
    out["map_message_hidden"] = True
    out["legend"] = ui.legend(
        figures.legend_items(edges, colours, view.state.measure, lang), out["unit"], lang
    )
    return out


def _breadcrumb(ctx: Context, state: ServicesState) -> html.Ol:
    terr = explore.territories(ctx)
    chain = terr.ancestors(state.area)
    items = []
    for i, code in enumerate(chain):
        if i == len(chain) - 1:
            items.append(html.Li(html.Span(terr.name(code), **{"aria-current": "location"})))
        else:
            href = PATH + to_search(ctx, ServicesState(code, state.types, state.lang))
            items.append(html.Li(dcc.Link(terr.name(code), href=href, id=f"svc-crumb-{code}")))
    return html.Ol(items)


def _guard(fn):
    def wrapped(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except WarehouseUnavailable as exc:
            log.warning("warehouse unavailable during a callback: %s", exc)
            raise PreventUpdate from None

    wrapped.__name__ = fn.__name__
    return wrapped


def register_callbacks(app: dash.Dash, ctx: Context) -> None:
    """Connect the services page's controls, URL and cards."""

    @app.callback(
        Output(LOCATION, "search"),
        Output("svc-area", "options"),
        Output("svc-area", "value"),
        Output("svc-types", "options"),
        Output("svc-types", "value"),
        Input(LOCATION, "search"),
        Input("svc-area", "value"),
        Input("svc-types", "value"),
        Input("svc-map", "clickData"),
        prevent_initial_call=True,
    )
    @_guard
    def services_sync(search, area, types, click):
        return on_sync(ctx, dash.ctx.triggered_id, search, area, types, click)

    @app.callback(
        output={
            "subtitle": Output("svc-subtitle", "children"),
            "breadcrumb": Output("svc-breadcrumb", "children"),
            "notice": Output("svc-notice", "children"),
            "key": Output("svc-key-figures", "children"),
            "map": Output("svc-map", "figure"),
            "map_hidden": Output("svc-map-wrap", "hidden"),
            "map_message": Output("svc-map-message", "children"),
            "map_message_hidden": Output("svc-map-message", "hidden"),
            "legend": Output("svc-map-legend", "children"),
            "unit": Output("svc-map-unit-text", "children"),
            "meta": Output("svc-map-meta-text", "children"),
            "areas": Output("svc-areas", "children"),
            "without": Output("svc-without", "children"),
            "farthest": Output("svc-farthest", "children"),
            "points": Output("svc-points", "children"),
            "lang_href": Output("lang-switch", "href", allow_duplicate=True),
        },
        inputs={"search": Input(LOCATION, "search")},
        prevent_initial_call="initial_duplicate",
    )
    @_guard
    def services_content(search):
        return on_content(ctx, search)


# --------------------------------------------------------------------------- API


def api_payload(ctx: Context, state: ServicesState) -> tuple[dict, pd.DataFrame]:
    """What /api/v1/services publishes for a checked state: the area's figures and one row per
    sub-area (the page's table; shelters counted, never located), plus the districts without a point."""
    d = directory(ctx)
    view = case_view(ctx, state, d.year)
    table = area_table(ctx, state, view, d.year)
    fig = area_figures(ctx, state, view, d.year)
    districts = queries.service_districts(
        ctx.warehouse, country=ctx.country, area=state.area, types=type_filter(state)
    )
    ind = view.indicator if view is not None else None
    payload = {
        "area": state.area,
        "types": list(state.types) if state.types is not None else list(d.all_types),
        "directory_loaded": d.loaded,
        "directory_release": d.release,
        "case_indicator": ind.id if ind is not None else None,
        "case_period": {"from": view.state.start, "to": view.state.end} if view is not None else None,
        "map_level": view.map_level if view is not None else None,
        "figures": {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in fig.items()},
        "districts_without_service": districts.loc[districts["points"] == 0, "code"].tolist(),
    }
    return payload, table.drop(columns=["real"])
