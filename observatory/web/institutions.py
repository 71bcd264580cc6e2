"""The "figures by institution" page: one count, several institutions, side by side.

For an area and a span of years: each institution's figure per year (chart and table), the gap
between the highest and the lowest (absolute and %), the homologated figure where one was
loaded, and how the institutions' definitions differ (from the catalogue's ``group_note``).
The page is server-rendered from its query string (``area``, ``from``, ``to``, ``lang``), so every
view is a link; the area picker is a plain GET form, usable without a mouse. A value the page cannot
use (an unknown area, a year that is not one, a year outside the data) is replaced by the default
and said so in a notice, as on the explore page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from observatory.contract.i18n import lang_or_default, number, t
from observatory.present import components as ui
from observatory.views import explore, reconcile
from observatory.views.explore import Context, Notice
from observatory.warehouse.db import WarehouseUnavailable
from observatory.web.reference import _page, _unavailable, context

GROUP = "feminicidio"
# Sources that cover one area only (the Ministerio Público's file: one distrito fiscal) are shown
# in their own section, where they are published, never as the country's figure.
PANEL = "mp_distrito_fiscal"
PATH = "/instituciones"
PALETTE = ("#4b1d6b", "#c2185b", "#00838f", "#ef6c00", "#546e7a", "#2e7d32")


@dataclass(frozen=True)
class Selection:
    """The checked query: the area, the years shown, the years with data, and what was changed."""

    code: str
    start: int
    end: int
    first: int
    last: int
    notices: tuple[Notice, ...] = ()


def resolve(ctx: Context, area=None, start=None, end=None) -> Selection:
    """Check the query's ``area``, ``from`` and ``to`` against the territories and the group's years.

    An unknown area, a year that is not four digits or a year outside the data falls back to the
    default (the site's home area, the first or last year with data) with a notice saying so.
    """
    terr, cat = explore.territories(ctx), explore.catalogue(ctx)
    notes: list[Notice] = []
    choices = [ctx.country, *terr.children(ctx.country)]
    home = (
        next((c for c in terr.ancestors(ctx.site.default_area) if c in choices[1:]), ctx.country)
        if ctx.site.default_area in terr
        else ctx.country
    )
    code = home  # a regional site opens on its region
    if area is not None and area != "":
        if isinstance(area, str) and area in terr and terr.country_of(area) == ctx.country:
            code = area
        else:
            notes.append(explore.notice("unknown_area", value=explore.quoted(area)))
    members = [i for i in cat if i.get("group") == GROUP]
    years = [p.year for i in members for p in (i.first_period, i.last_period) if p is not None]
    first, last = (min(years), max(years)) if years else (2009, 2025)

    def year(raw, default: int) -> int:
        if raw is None or raw == "":
            return default
        if isinstance(raw, str) and re.fullmatch(r"\d{4}", raw.strip()):
            value = int(raw)
            if first <= value <= last:
                return value
            notes.append(explore.notice("years_clamped", first=first, last=last))
            return min(max(value, first), last)
        notes.append(explore.notice("bad_year", value=explore.quoted(raw), year=default))
        return default

    start_year, end_year = sorted((year(start, first), year(end, last)))
    return Selection(code, start_year, end_year, first, last, tuple(dict.fromkeys(notes)))


def chart(long: pd.DataFrame, lang: str) -> go.Figure:
    """Lines per institution; homologated figures as diamonds; hidden values leave gaps."""
    fig = go.Figure()
    for i, (name, part) in enumerate(long.groupby("institution", sort=True)):
        part = part.sort_values("year")
        fig.add_trace(
            go.Scatter(
                x=part["year"],
                y=part["value"],
                name=name,
                mode="lines+markers",
                line={"color": PALETTE[i % len(PALETTE)], "width": 2},
                marker={
                    "symbol": ["diamond" if s == "homologated" else "circle" for s in part["status"]],
                    "size": 9,
                },
                connectgaps=False,
            )
        )
    fig.update_layout(
        margin={"l": 48, "r": 16, "t": 8, "b": 40},
        height=380,
        legend={"orientation": "h", "y": 1.12},
        yaxis={"title": t("institutions.unit", lang), "rangemode": "tozero"},
        xaxis={"dtick": 1},
        plot_bgcolor="white",
    )
    return fig


def table(long: pd.DataFrame, lang: str) -> html.Table:
    """Years as rows; each institution's own figure, the gap between them, then the homologated
    figure in its own marked column (it never enters the gap: ``reconcile.gaps``)."""
    wide = reconcile.gaps(long)
    names = reconcile.institutions(long)
    head = [
        html.Th(t("institutions.year", lang), scope="col"),
        *[html.Th(n, scope="col") for n in names],
        html.Th(t("institutions.gap", lang), scope="col"),
        html.Th(t("institutions.gap_pct", lang), scope="col"),
        html.Th(t("institutions.homologated", lang), scope="col", className="homologated"),
    ]

    def cell(value, decimals=0):
        return "—" if value is None or pd.isna(value) else number(value, lang, decimals)

    rows = []
    for r in wide.to_dict("records"):
        year = long[long["year"] == r["year"]]
        agreed_rows = year["status"] == reconcile.HOMOLOGATED
        hidden = set(year.loc[year["hidden"] & ~agreed_rows, "institution"])
        agreed_hidden = bool((year["hidden"] & agreed_rows).any())
        values = [t("status.suppressed", lang) if n in hidden else cell(r.get(n)) for n in names]
        agreed = t("status.suppressed", lang) if agreed_hidden else cell(r[reconcile.HOMOLOGATED])
        rows.append(
            html.Tr(
                [
                    html.Th(str(int(r["year"])), scope="row"),
                    *[html.Td(v, className="num") for v in values],
                    html.Td(cell(r["gap"]), className="num"),
                    html.Td(cell(r["gap_pct"], 1), className="num"),
                    html.Td(agreed, className="num homologated"),
                ]
            )
        )
    return html.Table(
        [
            html.Caption([t("institutions.caption", lang), " ", t("institutions.homologated_note", lang)]),
            html.Thead(html.Tr(head)),
            html.Tbody(rows),
        ],
        className="data-table",
        id="institutions-table",
    )


def panel_section(long: pd.DataFrame, members: list, terr, lang: str) -> html.Section:
    """One table per area the panel's sources cover: years as rows, one column per indicator,
    with the indicators' caveat (the geography) right above the figures."""
    by_id = {i.id: i for i in members}
    parts = [html.H2(t("institutions.panel_title", lang), id="institutions-panel-heading")]
    for code, part in long.groupby("territory_code", sort=True):
        # Femicide first: the page is about femicides; then the others by id.
        shown = sorted(
            (i for i in members if i.id in set(part["indicator_id"])),
            key=lambda i: ("feminicidio" not in i.id, i.id),
        )
        institution = shown[0].get("institution") if shown else ""
        caveats = list(dict.fromkeys(by_id[i.id].text("caveats", lang) for i in shown))
        wide = part.pivot_table(
            index="year", columns="indicator_id", values="value", aggfunc="sum", dropna=False
        )
        hidden = part.pivot_table(index="year", columns="indicator_id", values="hidden", aggfunc="any")
        head = [html.Th(t("institutions.year", lang), scope="col")] + [
            html.Th(i.text("title", lang), scope="col", style={"whiteSpace": "normal", "minWidth": "7rem"})
            for i in shown
        ]
        rows = []
        for year in wide.index:
            cells = []
            for i in shown:
                value = wide.at[year, i.id] if i.id in wide else None
                if i.id in hidden and bool(hidden.at[year, i.id]):
                    text = t("status.suppressed", lang)
                elif value is None or pd.isna(value):
                    text = "—"
                else:
                    text = number(value, lang, 0)
                cells.append(html.Td(text, className="num"))
            rows.append(html.Tr([html.Th(str(int(year)), scope="row"), *cells]))
        parts += [
            html.H3(f"{institution} — {terr.name(code)}"),
            html.Div(
                [html.Strong(t("institutions.panel_caveat", lang) + " "), *caveats],
                className="caveat institutions__caveat",
                role="note",
            ),
            html.Div(
                html.Table(
                    [
                        html.Caption(t("institutions.panel_caption", lang, area=terr.name(code))),
                        html.Thead(html.Tr(head)),
                        html.Tbody(rows),
                    ],
                    className="data-table",
                    id=f"institutions-panel-{code}",
                ),
                className="table-scroll",
            ),
        ]
    return html.Section(parts, id="institutions-panel", className="institutions__panel")


def layout(lang: str = "es", area: str | None = None, **query):
    lang = lang_or_default(lang)
    ctx = context()
    try:
        terr = explore.territories(ctx)
        cat = explore.catalogue(ctx)
        choice = resolve(ctx, area, query.get("from"), query.get("to"))
    except WarehouseUnavailable:
        return _unavailable(ctx, lang, "institutions", PATH)
    code, start, end, first, last = choice.code, choice.start, choice.end, choice.first, choice.last
    choices = [ctx.country, *terr.children(ctx.country)]
    if code not in choices:
        choices.append(code)  # a finer area reached by a link stays selectable
    members = [i for i in cat if i.get("group") == GROUP]
    panel_members = [i for i in cat if i.get("group") == PANEL]
    panel = (
        reconcile.panel(ctx.warehouse, group=PANEL, country=ctx.country, k=ctx.settings.disclosure_k)
        if panel_members
        else pd.DataFrame()
    )
    long = reconcile.figures(
        ctx.warehouse,
        group=GROUP,
        country=ctx.country,
        code=code,
        first=start,
        last=end,
        k=ctx.settings.disclosure_k,
    )
    picker = html.Form(
        method="get",
        action=PATH,
        className="filters institutions__form",
        children=[
            dcc.Input(id="inst-lang", type="hidden", name="lang", value=lang),
            html.Label([t("institutions.area", lang), " "], htmlFor="inst-area"),
            html.Select(
                id="inst-area",
                name="area",
                children=[
                    html.Option(terr.name(c), value=c, selected=(c == code)) for c, _ in terr.options(choices)
                ],
            ),
            html.Label([t("institutions.from", lang), " "], htmlFor="inst-from"),
            dcc.Input(id="inst-from", name="from", type="number", value=start, min=first, max=last),
            html.Label([t("institutions.to", lang), " "], htmlFor="inst-to"),
            dcc.Input(id="inst-to", name="to", type="number", value=end, min=first, max=last),
            html.Button(t("institutions.show", lang), type="submit"),
        ],
    )
    notes = html.Dl(
        [
            part
            for i in members
            for part in (
                html.Dt(f"{i.get('institution')} — {i.text('title', lang)}"),
                html.Dd(i.text("group_note", lang)),
            )
        ],
        className="institutions__notes",
    )
    if long.empty:
        content = [html.P(t("institutions.none", lang), id="institutions-none")]
    else:
        content = [
            dcc.Graph(id="institutions-chart", figure=chart(long, lang), config={"displaylogo": False}),
            html.Div(table(long, lang), className="table-scroll"),
        ]
    body = html.Div(
        [
            html.H1(t("institutions.title", lang)),
            html.P(t("institutions.intro", lang)),
            picker,
            html.Div(
                ui.notices(choice.notices, lang),
                id="institutions-notices",
                className="notices",
                role="status",
            ),
            html.H2(f"{terr.name(code)}, {start}–{end}", id="institutions-heading"),
            *content,
            *([panel_section(panel, panel_members, terr, lang)] if not panel.empty else []),
            html.H2(t("institutions.definitions", lang)),
            notes,
            html.P(t("institutions.gap_note", lang)),
        ],
        className="reference institutions",
    )
    return _page(ctx, lang, "institutions", PATH, body, area=code)
