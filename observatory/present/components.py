"""Page pieces shared by every page: header, footer, chart cards, legend, tables, notices.

Pure functions from data to Dash components (no database, no callbacks), so every card
carries the same title, unit, source, release and update date from the catalogue.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlencode

import pandas as pd
from dash import dcc, html

from observatory.contract.i18n import date_label, number, period_label, t
from observatory.contract.site import Site
from observatory.present.figures import format_value, ranked, records, shown_text
from observatory.views.explore import Indicator, Notice


def href(path: str, lang: str, **params) -> str:
    """An internal link keeping the language (Spanish, the default, is left out)."""
    query = {k: v for k, v in params.items() if v}
    if lang != "es":
        query["lang"] = lang
    return path + ("?" + urlencode(query) if query else "")


def header(site: Site, lang: str, active: str, lang_href: str) -> html.Header:
    """The site header: logo and name (home link), navigation, language switch."""
    other = "en" if lang == "es" else "es"
    nav = [
        ("explore", "/", t("nav.explore", lang)),
        ("indicators", "/indicadores", t("nav.indicators", lang)),
        ("institutions", "/instituciones", t("nav.institutions", lang)),
        ("methodology", "/metodologia", t("nav.methodology", lang)),
        ("services", "/servicios", t("services.nav", lang)),
    ]
    return html.Header(
        className="site-header",
        children=[
            html.A(t("a11y.skip", lang), href="#main", className="skip-link"),
            html.Div(
                className="site-header__inner",
                children=[
                    dcc.Link(
                        className="brand",
                        href=href("/", lang),
                        children=[
                            html.Img(
                                src=f"/assets/{site.logo}",
                                alt="",
                                className="brand__logo",
                                width=44,
                                height=44,
                            ),
                            html.Span(
                                [
                                    html.Span(site.name[lang], className="brand__name"),
                                    html.Span(site.tagline[lang], className="brand__tagline"),
                                ],
                                className="brand__text",
                            ),
                        ],
                    ),
                    html.Nav(
                        html.Ul(
                            [
                                html.Li(
                                    dcc.Link(
                                        [label]
                                        + (
                                            [html.Span(t("a11y.current", lang), className="visually-hidden")]
                                            if key == active
                                            else []
                                        ),
                                        href=href(path, lang),
                                        className="nav__link" + (" is-active" if key == active else ""),
                                    )
                                )
                                for key, path, label in nav
                            ]
                            + [
                                html.Li(
                                    html.A(
                                        t("nav.switch_to", lang),
                                        id="lang-switch",
                                        href=lang_href,
                                        lang=other,
                                        hrefLang=other,
                                        className="nav__link nav__lang",
                                        title=t("nav.switch_title", lang),
                                    )
                                )
                            ],
                            className="nav__list",
                        ),
                        className="nav",
                        **{"aria-label": t("nav.label", lang)},
                    ),
                ],
            ),
        ],
    )


def footer(site: Site, lang: str, sources: pd.DataFrame | None = None) -> html.Footer:
    """Sources with their licences, the site's licence, and where to get help."""
    items = []
    if sources is not None:
        for s in sources.to_dict("records"):
            items.append(
                html.Li(
                    [
                        html.A(s["title"], href=s["url"], rel="noopener", target="_blank"),
                        f" — {s['publisher']}. ",
                        t("footer.licence", lang, licence=s["licence"]),
                    ]
                )
            )
    return html.Footer(
        className="site-footer",
        children=html.Div(
            className="site-footer__inner",
            children=[
                html.Section(
                    [
                        html.H2(site.help_name[lang], className="site-footer__title"),
                        html.P(
                            [
                                site.help_text[lang] + " ",
                                html.A(
                                    t("help.call", lang, phone=site.help_phone),
                                    href=f"tel:{site.help_phone}",
                                    className="help-call",
                                ),
                            ]
                            if site.help_phone
                            else site.help_text[lang]
                        ),
                    ],
                    className="site-footer__help",
                    **{"aria-label": t("help.label", lang)},
                ),
                html.Section(
                    [
                        html.H2(t("footer.sources", lang), className="site-footer__title"),
                        html.Ul(items),
                        dcc.Link(t("footer.all_sources", lang), href=href("/metodologia", lang) + "#fuentes"),
                    ],
                    className="site-footer__sources",
                )
                if items
                else None,
                html.P(
                    [
                        site.name[lang] + ". ",
                        t("footer.content_licence", lang) + " ",
                        html.A(site.content_licence, href=site.content_licence_url, rel="license")
                        if site.content_licence_url
                        else site.content_licence,
                        ". ",
                        dcc.Link(t("nav.methodology", lang), href=href("/metodologia", lang)),
                    ],
                    className="site-footer__licence",
                ),
            ],
        ),
    )


def page(site: Site, lang: str, active: str, lang_href: str, body, sources: pd.DataFrame | None = None):
    """Header, main content and footer; the explore page and the reference pages use it."""
    return html.Div(
        [
            header(site, lang, active, lang_href),
            html.Main(body, id="main", className="main", tabIndex="-1", lang=lang),
            footer(site, lang, sources),
        ],
        className="page",
    )


def unit_label(ind: Indicator, measure: str, lang: str, smoothed: bool = False) -> str:
    """``denuncias``, ``denuncias por 100 000 mujeres`` or, where the map shows the smoothed rate,
    ``denuncias por 100 000 mujeres, tasa suavizada (Bayes empírico)``."""
    unit = ind.text("unit", lang)
    if measure != "rate":
        return unit
    who = t(f"denominator.{ind.denominator}", lang)
    rate = t("measure.rate_unit", lang, unit=unit, per=number(ind.rate_per, lang), who=who)
    return t("measure.smoothed_unit", lang, unit=rate) if smoothed else rate


def chart_unit(view, chart: str) -> str:
    """The unit of one card of ``view``: the smoothed rate is shown on the map, ranking and table
    of districts, never on the time series."""
    smoothed = view.smoothing and chart != "series"
    return unit_label(view.indicator, view.state.measure, view.lang, smoothed)


def card_meta(ind: Indicator, lang: str, extra: str | None = None) -> html.Div:
    """Source, release and last update of a card, from the catalogue."""
    loaded = ind.get("source_loaded_at")
    release = ind.get("source_release")
    parts = [
        html.Span(
            [t("card.source", lang), " ", html.A(ind.get("publisher", ""), href=ind.get("source_url", "#"))]
        ),
        html.Span(t("card.release", lang, release=release)) if release else None,
        html.Span(t("card.updated", lang, date=date_label(loaded, lang))) if loaded is not None else None,
        html.Span(extra) if extra else None,
    ]
    return html.Div([p for p in parts if p is not None], className="card__meta")


def card(card_id: str, title, unit, body, meta, *, actions=None, wide: bool = False) -> html.Section:
    """A chart card: title and unit on top, source line at the bottom."""
    return html.Section(
        [
            html.Div(
                [
                    html.Div(
                        [
                            html.H2(title, className="card__title", id=f"{card_id}-title"),
                            html.P(unit, className="card__unit", id=f"{card_id}-unit"),
                        ]
                    ),
                    html.Div(actions, className="card__actions") if actions else None,
                ],
                className="card__head",
            ),
            html.Div(body, className="card__body"),
            html.Div(meta, id=f"{card_id}-meta"),
        ],
        className="card" + (" card--wide" if wide else ""),
        id=f"{card_id}-card",
        **{"aria-labelledby": f"{card_id}-title"},
    )


def legend(items: list[dict], unit: str, lang: str) -> html.Div:
    """The map legend as text with colour swatches (readable without the colours)."""
    return html.Div(
        [
            html.P(t("legend.title", lang, unit=unit), className="legend__title"),
            html.Ul(
                [
                    html.Li(
                        [
                            html.Span(
                                className=f"legend__swatch legend__swatch--{i['kind']}",
                                style={"background": i["colour"]},
                                **{"aria-hidden": "true"},
                            ),
                            html.Span(i["label"]),
                        ],
                        className="legend__item",
                    )
                    for i in items
                ],
                className="legend__list",
            ),
        ],
        className="legend",
    )


def notices(items: tuple[Notice, ...], lang: str) -> list:
    return [html.P(t(f"notice.{n.key}", lang, **n.fields), className="notice") for n in items]


def map_summary(table: pd.DataFrame, measure: str, unit: str, lang: str) -> list:
    """The map in words: highest, lowest, areas with zero, hidden values or no data."""
    if table.empty:
        return [html.P(t("summary.none", lang))]
    rows = records(table, ["name", "status", "shown"])
    valued = sorted((r for r in rows if pd.notna(r["shown"])), key=lambda r: (r["shown"], r["name"]))
    out = []
    if len(valued) == 1:
        only = valued[0]
        value = format_value(only["shown"], measure, lang)
        out.append(html.P(t("summary.one", lang, n=len(table), name=only["name"], value=value, unit=unit)))
    elif len(valued):
        hi, lo = valued[-1], valued[0]
        out.append(
            html.P(
                t(
                    "summary.high_low",
                    lang,
                    n=len(table),
                    high=hi["name"],
                    high_value=format_value(hi["shown"], measure, lang),
                    low=lo["name"],
                    low_value=format_value(lo["shown"], measure, lang),
                    unit=unit,
                )
            )
        )
    for status in ("zero", "suppressed", "no_data"):
        names = [r["name"] for r in rows if r["status"] == status]
        if names:
            out.append(html.P(t(f"summary.{status}", lang, n=len(names), names=", ".join(names))))
    no_rate = [r["name"] for r in rows if r["status"] in ("value", "zero") and pd.isna(r["shown"])]
    if measure == "rate" and no_rate:
        out.append(html.P(t("summary.no_rate", lang, n=len(no_rate), names=", ".join(no_rate))))
    return out


def unmapped(table: pd.DataFrame, measure: str, unit: str, lang: str):
    """Areas without a polygon in the boundary layer, listed with their values: never lost."""
    mapped = table["has_polygon"].to_numpy(dtype=bool)
    if mapped.all():
        return None
    wanted = ["name", "status", "shown", "count"]
    rows = [r for r, on_map in zip(records(table, wanted), mapped, strict=True) if not on_map]
    return html.Div(
        [
            html.P(t("map.unmapped", lang, n=len(rows)), className="unmapped__title"),
            html.Ul([html.Li(_unmapped_item(r, measure, unit, lang)) for r in rows]),
        ],
        className="unmapped",
    )


def _unmapped_item(r: dict, measure: str, unit: str, lang: str) -> list:
    """``Paramonga: 36 denuncias`` or, with no rate to show, the count and why there is no rate."""
    item = [html.Span(r["name"]), ": "]
    if r["status"] in ("value", "zero") and pd.notna(r["shown"]):
        return item + [html.Strong(format_value(r["shown"], measure, lang)), f" {unit}"]
    if r["status"] in ("value", "zero") and pd.notna(r["count"]):
        count = format_value(r["count"], "count", lang)
        return item + [html.Strong(count), " ", t("map.count_no_rate", lang)]
    return item + [html.Strong(t(f"status.{r['status']}", lang))]


class LinkElement:
    """A ``dcc.Link`` as Dash sends it, made without Dash's constructor (as ``Element``)."""

    __slots__ = ("children", "href")

    def __init__(self, children, href: str):
        self.children, self.href = children, href

    def to_plotly_json(self) -> dict:
        return {
            "props": {"children": self.children, "href": self.href},
            "type": "Link",
            "namespace": "dash_core_components",
        }


class Element:
    """An html element as Dash sends it to the browser (what ``html.Td(...)`` serialises to),
    made without Dash's constructor, which checks every prop: 8 µs an element, and a table of
    districts has hundreds (bench/interactions.py). For the table rows, whose props are fixed
    here; ``children`` reads like a component's."""

    __slots__ = ("children", "props", "type")
    namespace = "dash_html_components"

    def __init__(self, type: str, children, **props):
        self.type, self.children, self.props = type, children, props

    def to_plotly_json(self) -> dict:
        return {
            "props": {"children": self.children, **self.props},
            "type": self.type,
            "namespace": self.namespace,
        }


TABLE_COLUMNS = ("name", "count", "rate", "ci", "population")


def area_table_component(
    table: pd.DataFrame,
    ind: Indicator,
    measure: str,
    lang: str,
    sort: dict | None,
    highlight: str | None = None,
    smoothed: bool = False,
    area_href=None,
) -> html.Table:
    """The sortable table of exactly the values the map and ranking show (``smoothed``: they show
    the smoothed rate, in its own column beside the raw rate and its interval).

    ``area_href(code)``, when given, links each area's name to its own view, as a click on the map
    does: the keyboard's and screen readers' way into the map's areas."""
    sort = sort or {"col": "shown", "desc": True}
    cols = [c for c in TABLE_COLUMNS if ind.has_rate or c not in ("rate", "ci", "population")]
    if smoothed:
        cols.insert(cols.index("ci") + 1, "smoothed")
    order = {
        "name": ("name", False),
        "count": ("count", True),
        "rate": ("rate", True),
        "ci": ("rate", True),
        "smoothed": ("smoothed", True),
        "population": ("population", True),
    }
    key = sort.get("col", "shown")
    by = order.get(key, ("shown", True))[0] if key != "shown" else "shown"
    desc = bool(sort.get("desc", True))
    rows = records(table)
    if by == "name":
        data = sorted(rows, key=lambda r: unicodedata.normalize("NFD", r["name"]), reverse=desc)
    else:
        data = ranked(rows, by, desc)
    heads = []
    for c in cols:
        shown_col = "smoothed" if smoothed else ("rate" if measure == "rate" else "count")
        active = key == c or (key == "shown" and c == shown_col)
        aria = ("descending" if desc else "ascending") if active else "none"
        heads.append(
            html.Th(
                html.Button(
                    [
                        t(f"table.{c}", lang),
                        html.Span(("▼" if desc else "▲") if active else "", **{"aria-hidden": "true"}),
                    ],
                    id={"type": "sort", "col": c},
                    className="sort-button",
                    n_clicks=0,
                ),
                scope="col",
                **{"aria-sort": aria},
                className="num" if c != "name" else None,
            )
        )
    body = []
    for r in data:
        status = r["status"]
        count = (
            format_value(r["count"], "count", lang)
            if status in ("value", "zero")
            else t(f"status.{status}", lang)
        )
        name = LinkElement(r["name"], area_href(r["code"])) if area_href else r["name"]
        head = [name, Element("Span", f" {r['code']}", className="code")]
        if r["provisional"]:
            head.append(Element("Span", " *", title=t("status.provisional", lang)))
        cells = [Element("Th", head, scope="row"), Element("Td", count, className="num")]
        if "rate" in cols:
            rate = format_value(r["rate"], "rate", lang) if pd.notna(r["rate"]) else "—"
            if r["unreliable"] and pd.notna(r["rate"]):
                rate += " †"
            ci = (
                f"{format_value(r['ci_low'], 'rate', lang)} – {format_value(r['ci_high'], 'rate', lang)}"
                if pd.notna(r["ci_low"])
                else "—"
            )
            cells += [Element("Td", rate, className="num"), Element("Td", ci, className="num")]
            if smoothed:
                value = format_value(r["smoothed"], "rate", lang) if pd.notna(r["smoothed"]) else "—"
                cells.append(Element("Td", value, className="num"))
            cells.append(Element("Td", number(r["population"], lang), className="num"))
        body.append(Element("Tr", cells, className="is-highlight" if r["code"] == highlight else None))
    return html.Table(
        [
            html.Caption(t("table.caption", lang)),
            html.Thead(html.Tr(heads)),
            html.Tbody(body),
        ],
        className="data-table",
    )


def series_table_component(table: pd.DataFrame, measure: str, step: str, lang: str) -> html.Table:
    """The time series as a table: one row per period, one column per line drawn."""
    if table.empty:
        return html.P(t("summary.none", lang))
    lines = table[["role", "code", "name"]].drop_duplicates()
    periods = sorted(set(table["period"]))
    head = html.Tr(
        [html.Th(t("table.period", lang), scope="col")]
        + [html.Th(n, scope="col", className="num") for n in lines["name"]]
    )
    cells_by = {(r["code"], r["period"]): r for r in table.to_dict("records")}
    rows = []
    for p in periods:
        cells = [html.Th(period_label(p, step, lang), scope="row")]
        for code in lines["code"]:
            r = cells_by[(code, p)]
            text = shown_text(r, measure, lang) + (" *" if r["provisional"] or r["partial"] else "")
            cells.append(html.Td(text, className="num"))
        rows.append(html.Tr(cells))
    return html.Table(
        [html.Caption(t("series.table_caption", lang)), html.Thead(head), html.Tbody(rows)],
        className="data-table data-table--compact",
    )


DOWNLOAD_LINKS = (
    # (id suffix, format, size, i18n key); the hrefs are filled from the URL by a callback.
    ("png", "png", None, "download.png"),
    ("png-square", "png", "1080x1080", "download.png_square"),
    ("svg", "svg", None, "download.svg"),
    ("svg-square", "svg", "1080x1080", "download.svg_square"),
    ("pdf", "pdf", None, "download.pdf"),
    ("pdf-square", "pdf", "1080x1080", "download.pdf_square"),
    ("csv", "csv", None, "download.csv"),
    ("xlsx", "xlsx", None, "download.xlsx"),
)


def download_links(formats: tuple[str, ...]) -> list[tuple[str, str, str | None, str]]:
    """The menu's links for a card offering ``formats``."""
    return [link for link in DOWNLOAD_LINKS if link[1] in formats]


def download_menu(
    card_id: str, chart_title: str, lang: str, formats: tuple[str, ...], embed: bool
) -> html.Details:
    """A card's download and share menu: links (keyboard accessible, no callback to click through),
    the permalink, the embed snippet and the citation, each with a copy button."""

    def link(suffix: str, key: str) -> html.Li:
        return html.Li(
            html.A(
                t(key, lang), id=f"{card_id}-dl-{suffix}", href="#", download="", className="dl-menu__link"
            )
        )

    images = [link(s, k) for s, f, _, k in download_links(formats) if f in ("png", "svg", "pdf")]
    data = [link(s, k) for s, f, _, k in download_links(formats) if f in ("csv", "xlsx")]

    def copyable(suffix: str, label: str, control) -> html.Div:
        return html.Div(
            [
                html.Label(label, htmlFor=f"{card_id}-{suffix}", className="dl-menu__label"),
                html.Div(
                    [
                        control,
                        dcc.Clipboard(
                            target_id=f"{card_id}-{suffix}",
                            className="dl-menu__copy",
                            title=t("download.copy", lang),
                        ),
                    ],
                    className="dl-menu__row",
                ),
            ],
            className="dl-menu__field",
        )

    share = [
        copyable(
            "link",
            t("download.link", lang),
            dcc.Input(id=f"{card_id}-link", type="url", readOnly=True, value="", className="dl-menu__input"),
        ),
    ]
    if embed:
        share.append(
            copyable(
                "embed",
                t("download.embed", lang),
                dcc.Textarea(
                    id=f"{card_id}-embed", readOnly=True, value="", rows=3, className="dl-menu__input"
                ),
            )
        )
    share.append(
        copyable(
            "cite",
            t("download.cite", lang),
            dcc.Textarea(id=f"{card_id}-cite", readOnly=True, value="", rows=4, className="dl-menu__input"),
        )
    )
    panel = []
    if images:
        panel += [
            html.P(t("download.images", lang), className="dl-menu__heading"),
            html.Ul(images, className="dl-menu__list"),
        ]
    panel += [
        html.P(t("download.data", lang), className="dl-menu__heading"),
        html.Ul(data, className="dl-menu__list"),
    ]
    panel += [html.P(t("download.share", lang), className="dl-menu__heading"), *share]
    return html.Details(
        [
            html.Summary(
                t("download.menu", lang),
                className="button dl-menu__summary",
                title=t("download.menu_label", lang, chart=chart_title),
                **{"aria-label": t("download.menu_label", lang, chart=chart_title)},
            ),
            html.Div(panel, className="dl-menu__panel"),
        ],
        className="dl-menu",
        id=f"{card_id}-dl",
    )
