"""The reference pages: the indicator list, one page per indicator, and the methodology.

Everything shown comes from the catalogue (``indicators``), the ``sources`` table and the
settings (disclosure threshold), so the pages cannot drift from what the figures use.
"""

from __future__ import annotations

import flask
import pandas as pd
from dash import dcc, html

from observatory.contract.i18n import date_label, lang_or_default, number, period_label, t
from observatory.present import components as ui
from observatory.views import explore
from observatory.views.explore import Context, Indicator
from observatory.views.stats import UNRELIABLE_BELOW
from observatory.warehouse import queries
from observatory.warehouse.db import WarehouseUnavailable


def context() -> Context:
    return flask.current_app.extensions["observatory"]


def sources(ctx: Context) -> pd.DataFrame:
    return queries.sources(ctx.warehouse)


def published_sources(ctx: Context) -> pd.DataFrame:
    """The sources of the indicators this site shows (with data), and the reference sources its
    country pack credits (``credits``: boundaries whose licence asks for attribution): the footer's list."""
    used = {i.source for i in explore.catalogue(ctx) if i.first_period is not None} | set(ctx.pack.credits)
    frame = sources(ctx)
    return frame[frame["name"].isin(used)]


def _page(ctx: Context, lang: str, active: str, path: str, body, **params):
    other = "en" if lang == "es" else "es"
    try:
        srcs = published_sources(ctx)
    except WarehouseUnavailable:
        srcs = None
    return ui.page(ctx.site, lang, active, ui.href(path, other, **params), body, srcs)


def _unavailable(ctx: Context, lang: str, active: str, path: str):
    body = html.Div([html.H1(t("maintenance.title", lang)), html.P(t("maintenance.text", lang))])
    return ui.page(ctx.site, lang, active, ui.href(path, "en" if lang == "es" else "es"), body)


def _coverage(ind: Indicator, lang: str) -> str:
    if ind.first_period is None:
        return t("indicator.no_data", lang)
    first = period_label(ind.first_period, ind.granularity, lang, long=True)
    last = period_label(ind.last_period, ind.granularity, lang, long=True)
    level = t(f"level.{ind.finest_level}", lang).lower()
    return t("indicator.coverage_text", lang, first=first, last=last, level=level)


def _dl(pairs: list[tuple[str, object]]) -> html.Dl:
    items = []
    for term, detail in pairs:
        if detail in (None, ""):
            continue
        items += [html.Dt(term), html.Dd(detail)]
    return html.Dl(items, className="facts")


def indicator_body(ctx: Context, ind: Indicator, lang: str) -> list:
    """Definition, formula, source, licence, coverage, caveats and update frequency of one indicator."""
    formula = ind.text("numerator", lang)
    if ind.has_rate:
        formula = t(
            "indicator.formula_rate",
            lang,
            numerator=ind.text("numerator", lang),
            denominator=ind.text("denominator", lang),
            per=number(ind.rate_per, lang),
        )
    loaded = ind.get("source_loaded_at")
    source = html.Span(
        [
            html.A(ind.get("publisher", ""), href=ind.get("source_url", "#"), rel="noopener"),
            f" — {ind.get('source_title', '')}" if ind.get("source_title") else "",
        ]
    )
    disclosure = t(
        f"indicator.disclosure_{ind.disclosure}",
        lang,
        k=ctx.settings.disclosure_k,
        k1=ctx.settings.disclosure_k - 1,
    )
    explore_link = ui.href("/", lang, ind=ind.id if ind.id != explore.catalogue(ctx).default.id else None)
    return [
        html.P(t(f"indicator.kind_{ind.kind}", lang), className="eyebrow"),
        html.H1(ind.text("title", lang)),
        html.P(ind.text("definition", lang), className="lead"),
        _dl(
            [
                (t("indicator.formula", lang), formula),
                (t("indicator.unit", lang), ind.text("unit", lang)),
                (t("indicator.source", lang), source),
                (t("indicator.release", lang), ind.get("source_release")),
                (t("indicator.updated", lang), date_label(loaded, lang) if loaded is not None else None),
                (t("indicator.licence", lang), ind.get("licence")),
                (t("indicator.coverage", lang), _coverage(ind, lang)),
                (t("indicator.frequency", lang), ind.text("frequency", lang)),
                (
                    t("indicator.zero_fill", lang),
                    t("indicator.zero_fill_yes" if ind.zero_fill else "indicator.zero_fill_no", lang),
                ),
                (t("indicator.disclosure", lang), disclosure),
                (t("indicator.caveats", lang), ind.text("caveats", lang)),
                (t("indicator.id", lang), html.Code(ind.id)),
            ]
        ),
        dcc.Link(t("indicator.explore", lang), href=explore_link, className="button"),
    ]


def indicator_layout(indicator_id: str | None = None, lang: str = "es", **_):
    lang = lang_or_default(lang)
    ctx = context()
    path = f"/indicador/{indicator_id}"
    try:
        cat = explore.catalogue(ctx)
    except WarehouseUnavailable:
        return _unavailable(ctx, lang, "indicators", path)
    if not indicator_id or indicator_id not in cat:
        body = [
            html.H1(t("indicator.unknown_title", lang)),
            html.P(t("indicator.unknown", lang, value=str(indicator_id)[:64])),
            dcc.Link(t("nav.indicators", lang), href=ui.href("/indicadores", lang)),
        ]
        return _page(ctx, lang, "indicators", path, html.Article(body, className="prose"))
    body = html.Article(indicator_body(ctx, cat[indicator_id], lang), className="prose")
    return _page(ctx, lang, "indicators", path, body)


def indicators_layout(lang: str = "es", **_):
    lang = lang_or_default(lang)
    ctx = context()
    try:
        cat = explore.catalogue(ctx)
    except WarehouseUnavailable:
        return _unavailable(ctx, lang, "indicators", "/indicadores")
    items = [
        html.Li(
            [
                dcc.Link(ind.text("title", lang), href=ui.href(f"/indicador/{ind.id}", lang)),
                html.P([ind.get("publisher", ""), ". ", _coverage(ind, lang)], className="muted"),
            ]
        )
        for ind in cat
    ]
    body = html.Article(
        [
            html.H1(t("indicators.title", lang)),
            html.P(t("indicators.intro", lang)),
            html.Ul(items, className="list"),
        ],
        className="prose",
    )
    return _page(ctx, lang, "indicators", "/indicadores", body)


def methodology_layout(lang: str = "es", **_):
    lang = lang_or_default(lang)
    ctx = context()
    k = ctx.settings.disclosure_k
    try:
        srcs = sources(ctx)
        cat = explore.catalogue(ctx)
    except WarehouseUnavailable:
        return _unavailable(ctx, lang, "methodology", "/metodologia")
    rows = [
        html.Tr(
            [
                html.Th(html.A(s["title"], href=s["url"], rel="noopener"), scope="row"),
                html.Td(s["publisher"]),
                html.Td(s["licence"]),
                html.Td(s["release"] if isinstance(s["release"], str) else "—"),
                html.Td(date_label(s["loaded_at"], lang) if pd.notna(s["loaded_at"]) else "—"),
            ]
        )
        for s in srcs.to_dict("records")
    ]
    sources_table = html.Div(
        html.Table(
            [
                html.Caption(t("method.sources_caption", lang)),
                html.Thead(
                    html.Tr(
                        [
                            html.Th(t(f"method.col_{c}", lang), scope="col")
                            for c in ("source", "publisher", "licence", "release", "loaded")
                        ]
                    )
                ),
                html.Tbody(rows),
            ],
            className="data-table",
        ),
        className="table-scroll",
    )
    site = ctx.site
    body = html.Article(
        [
            html.H1(t("method.title", lang)),
            html.P(t("method.intro", lang), className="lead"),
            html.H2(t("method.gap_title", lang), id="brecha"),
            dcc.Markdown(t("method.gap_body", lang)),
            html.H2(t("method.sources_title", lang), id="fuentes"),
            sources_table,
            html.H2(t("method.indicators_title", lang)),
            html.Ul(
                [
                    html.Li(dcc.Link(i.text("title", lang), href=ui.href(f"/indicador/{i.id}", lang)))
                    for i in cat
                ]
            ),
            html.H2(t("method.build_title", lang), id="calculo"),
            dcc.Markdown(t("method.build_body", lang)),
            html.H2(t("method.disclosure_title", lang), id="reserva"),
            dcc.Markdown(t("method.disclosure_body", lang, k=k, k1=k - 1, unreliable=UNRELIABLE_BELOW)),
            html.H2(t("method.maps_title", lang), id="mapas"),
            dcc.Markdown(t("method.maps_body", lang)),
            html.H2(t("method.help_title", lang), id="ayuda"),
            html.P(site.help_text[lang]),
            html.P(
                html.A(
                    t("help.call", lang, phone=site.help_phone),
                    href=f"tel:{site.help_phone}",
                    className="button",
                )
            )
            if site.help_phone
            else None,
        ],
        className="prose",
    )
    return _page(ctx, lang, "methodology", "/metodologia", body)


def not_found_layout(lang: str = "es", **_):
    lang = lang_or_default(lang)
    ctx = context()
    body = html.Article(
        [
            html.H1(t("not_found.title", lang)),
            html.P(t("not_found.text", lang)),
            dcc.Link(t("nav.explore", lang), href=ui.href("/", lang), className="button"),
        ],
        className="prose",
    )
    return ui.page(ctx.site, lang, "", ui.href("/", "en" if lang == "es" else "es"), body)
