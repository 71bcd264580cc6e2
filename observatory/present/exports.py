"""What a journalist takes away from a view: chart images, data files, metadata and a citation.

Pure functions of a resolved ``View`` and the tables ``explore`` publishes (no Flask, no Dash):

- ``metadata(ctx, view, chart, ...)`` -> ``Meta``: title, subtitle (filters and period), source
  with its release, licence, notes (disclosure, provisional), permalink and citation;
- ``image(ctx, view, chart, fmt, size, meta)`` -> PNG (2x) / SVG / PDF bytes, rendered by kaleido
  in Debian's Chromium (``BROWSER_PATH``, default /usr/bin/chromium);
- ``data_frame(ctx, view, chart)`` -> exactly the rows the card shows (same suppression), columns
  named in the view's language, codes beside names; ``csv_zip`` and ``xlsx`` wrap it with the
  metadata (README.txt / a second sheet).

The HTTP routes (``observatory.web.api``) validate names against ``CHARTS``, ``FORMATS`` and ``SIZES``
before anything here runs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import io
import math
import os
import textwrap
import threading
import zipfile
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from observatory.contract import plotly_bundles
from observatory.contract.i18n import date_label, period_range_label, plotly_separators, t, t_or
from observatory.present import components as ui
from observatory.present import figures
from observatory.views import explore
from observatory.views.explore import Context, View

IMAGE_CHARTS = ("map", "series", "ranking")
CHARTS = (*IMAGE_CHARTS, "table")
IMAGE_FORMATS = ("png", "svg", "pdf")
DATA_FORMATS = ("csv", "xlsx")
FORMATS = IMAGE_FORMATS + DATA_FORMATS
SIZES = {"1200x675": (1200, 675), "1080x1080": (1080, 1080)}
DEFAULT_SIZE = "1200x675"
PNG_SCALE = 2
MIME = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "csv": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
AREA_EXPORT_COLUMNS = [c for c in explore.AREA_COLUMNS if c != "shown"]
SERIES_EXPORT_COLUMNS = [c for c in explore.SERIES_COLUMNS if c != "shown"]
CHROMIUM = "/usr/bin/chromium"
HEAD_PX, LINE_PX = 96, 17  # title block; one footer line
_render_lock = threading.Lock()


def formats_for(chart: str) -> tuple[str, ...]:
    """The formats a chart offers: the table card has no image."""
    return DATA_FORMATS if chart == "table" else FORMATS


def filename(view: View, chart: str, fmt: str, size: str = DEFAULT_SIZE) -> str:
    s = view.state
    stem = f"{s.indicator}_{s.area}_{s.start}_{s.end}_{chart}"
    if fmt in IMAGE_FORMATS and size != DEFAULT_SIZE:
        stem += f"_{size}"
    return stem + (".csv.zip" if fmt == "csv" else f".{fmt}")


# --------------------------------------------------------------------------- metadata


@dataclass(frozen=True)
class Meta:
    """Everything printed around a chart and written beside its data, in one language."""

    lang: str
    title: str
    subtitle: str
    unit: str
    source: str
    notes: tuple[str, ...]
    signature: str
    rows: tuple[tuple[str, str], ...]  # (label, value) for README.txt and the metadata sheet
    citation: str
    url: str


WHOLE = ("count", "population", "population_year")  # written as integers: 168, not 168.0


def _whole_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts, populations and years as integers (empty where suppressed or missing)."""
    for col in WHOLE:
        if col in frame.columns:
            values = pd.to_numeric(frame[col], errors="coerce")
            if (values.dropna() % 1 == 0).all():
                frame[col] = values.astype("Int64")
    return frame


def area_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The area table as published: the columns a download carries (the card's CSV too)."""
    return _whole_numbers(table[AREA_EXPORT_COLUMNS].copy())


def series_frame(table: pd.DataFrame, granularity: str) -> pd.DataFrame:
    out = _whole_numbers(table[SERIES_EXPORT_COLUMNS].copy())
    fmt = "%Y" if granularity == "year" else "%Y-%m"
    out["period"] = pd.to_datetime(out["period"]).dt.strftime(fmt)
    return out


def shown_rows(ctx: Context, view: View, chart: str) -> pd.DataFrame:
    """The card's rows as the interface holds them (``explore.series_table`` / ``area_table``)."""
    if chart == "series":
        return explore.series_table(ctx, view)
    table = explore.area_table(ctx, view)
    # The map shows every area (a group only outlines its own); ranking and table keep the group's.
    return table if chart == "map" else explore.in_group(ctx, view, table)


def published(ctx: Context, view: View, chart: str) -> pd.DataFrame:
    """The rows the card shows, with codes (not yet renamed for a language)."""
    if chart == "series":
        step = view.state.step if view.indicator.granularity == "month" else "year"
        return series_frame(shown_rows(ctx, view, chart), step)
    return area_frame(shown_rows(ctx, view, chart))


def data_frame(ctx: Context, view: View, chart: str) -> pd.DataFrame:
    """``published`` with the column names in the view's language."""
    frame = published(ctx, view, chart)
    return frame.rename(columns={c: t(f"export.col.{c}", view.lang) for c in frame.columns})


def filters_text(ctx: Context, view: View) -> list[tuple[str, str]]:
    lang, s, ind = view.lang, view.state, view.indicator
    terr = explore.territories(ctx)
    out = [
        (t("export.filter.area", lang), f"{terr.label(s.area)} ({s.area})"),
        (
            t("export.filter.period", lang),
            period_range_label(view.start, view.end, ind.granularity, lang) if view.has_data else "—",
        ),
        (
            t("export.filter.measure", lang),
            t(f"export.measure.{'smoothed' if s.smooth else s.measure}", lang),
        ),
    ]
    if ind.granularity == "month":
        out.append((t("export.filter.step", lang), t(f"step.{s.step}", lang)))
    for name, value in s.breakdowns:
        label = t_or(f"breakdown_values.{name}.{value}", lang, value)
        out.append((t(f"breakdowns.{name}", lang), label))
    if s.compare:
        out.append((t("filters.compare", lang), ", ".join(terr.name(c) for c in s.compare)))
    group = explore.groups(ctx).get(s.group)
    if group:
        out.append((t("filters.group", lang), group.name(lang)))
    return out


def cite(ctx: Context, view: View, url: str, today: dt.date) -> str:
    """How to cite the view (the same for every chart of it): site, year, title, area, period,
    source and its release, the permalink and the date it was consulted."""
    lang, ind = view.lang, view.indicator
    period = period_range_label(view.start, view.end, ind.granularity, lang) if view.has_data else ""
    return t(
        "export.citation",
        lang,
        site=ctx.site.name[lang],
        year=today.year,
        title=ind.text("title", lang),
        area=explore.territories(ctx).name(view.state.area),
        period=period,
        publisher=ind.get("publisher", ""),
        release=ind.get("source_release") or "—",
        url=url,
        date=date_label(today, lang),
    )


def metadata(ctx: Context, view: View, chart: str, url: str, today: dt.date) -> Meta:
    """The texts of an export of ``chart`` for ``view``; ``url`` is the view's permalink."""
    lang, ind, s = view.lang, view.indicator, view.state
    terr = explore.territories(ctx)
    site = ctx.site.name[lang]
    unit = ui.chart_unit(view, chart)
    period = period_range_label(view.start, view.end, ind.granularity, lang) if view.has_data else ""
    chart_title = t(f"export.chart.{chart}", lang)
    subtitle_parts = [chart_title, terr.name(s.area), period, unit]
    subtitle_parts += [t_or(f"breakdown_values.{n}.{v}", lang, v) for n, v in s.breakdowns]
    group = explore.groups(ctx).get(s.group)
    if group and chart != "series":  # the group narrows the areas of the map, ranking and table
        subtitle_parts.append(group.name(lang))
    if s.compare and chart == "series":  # the compared areas are lines of the series only
        subtitle_parts.append(t("export.compared", lang, areas=", ".join(terr.name(c) for c in s.compare)))
    subtitle = " · ".join(p for p in subtitle_parts if p)
    release = ind.get("source_release") or "—"
    publisher = ind.get("publisher", "")
    source = t("export.source", lang, publisher=publisher, title=ind.get("source_title", ""), release=release)
    frame = shown_rows(ctx, view, chart)  # its status and provisional flags are the published ones
    notes = []
    if (frame["status"] == "suppressed").any():
        notes.append(t("export.note.disclosure", lang, k=ctx.settings.disclosure_k))
    if frame["provisional"].astype(bool).any():
        notes.append(t("export.note.provisional", lang))
    if chart == "ranking":  # the areas the chart does not draw, as on the page
        line = figures.unranked_text(ranking_view(ctx, view)[0], view.state.measure, unit, lang)
        if line:
            notes.append(line)
    accessed = date_label(today, lang)
    signature = t("export.signature", lang, site=site, date=accessed)
    citation = cite(ctx, view, url, today)
    loaded = ind.get("source_loaded_at")
    rows = [
        (t("export.meta.title", lang), ind.text("title", lang)),
        (t("export.meta.indicator", lang), ind.id),
        (t("export.meta.chart", lang), chart_title),
        (t("export.meta.definition", lang), ind.text("definition", lang)),
        (t("export.meta.unit", lang), unit),
        *filters_text(ctx, view),
        (t("export.meta.source", lang), f"{publisher} — {ind.get('source_title', '')}"),
        (t("export.meta.source_url", lang), ind.get("source_url", "")),
        (t("export.meta.release", lang), release),
        (t("export.meta.updated", lang), date_label(loaded, lang) if loaded is not None else "—"),
        (t("export.meta.licence", lang), ind.get("licence", "")),
        (t("export.meta.site_licence", lang), f"{site}: {ctx.site.content_licence}"),
        (t("export.meta.caveats", lang), ind.text("caveats", lang)),
        (t("export.meta.disclosure", lang), t("export.note.disclosure", lang, k=ctx.settings.disclosure_k)),
        (t("export.meta.query_date", lang), today.isoformat()),
        (t("export.meta.url", lang), url),
        (t("export.meta.cite", lang), citation),
    ]
    return Meta(
        lang=lang,
        title=ind.text("title", lang),
        subtitle=subtitle,
        unit=unit,
        source=source,
        notes=tuple(notes),
        signature=signature,
        rows=tuple((k, "" if v is None else str(v)) for k, v in rows),
        citation=citation,
        url=url,
    )


# --------------------------------------------------------------------------- data files


def readme(meta: Meta) -> str:
    width = max(len(k) for k, _ in meta.rows)
    lines = [meta.title, "=" * min(len(meta.title), 78), ""]
    for key, value in meta.rows:
        wrapped = textwrap.wrap(value, 100 - width - 2) or [""]
        lines.append(f"{key.ljust(width)}  {wrapped[0]}")
        lines += [" " * (width + 2) + more for more in wrapped[1:]]
    return "\n".join(lines) + "\n"


def csv_bytes(frame: pd.DataFrame) -> bytes:
    # UTF-8 with a BOM so that spreadsheet programs read the accents right.
    return frame.to_csv(index=False).encode("utf-8-sig")


def csv_zip(frame: pd.DataFrame, meta: Meta, name: str) -> bytes:
    """A ZIP holding ``<name>.csv`` and ``README.txt`` (the metadata)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{name}.csv", csv_bytes(frame))
        z.writestr("README.txt", readme(meta).encode("utf-8"))
    return out.getvalue()


def xlsx(frame: pd.DataFrame, meta: Meta) -> bytes:
    """A workbook: the data on the first sheet, the metadata on the second."""
    out = io.BytesIO()
    data_sheet, meta_sheet = t("export.sheet.data", meta.lang), t("export.sheet.metadata", meta.lang)
    with pd.ExcelWriter(out, engine="xlsxwriter") as writer:
        frame.to_excel(writer, sheet_name=data_sheet, index=False)
        rows = pd.DataFrame(list(meta.rows), columns=[t("export.sheet.field", meta.lang), ""])
        rows.to_excel(writer, sheet_name=meta_sheet, index=False)
        writer.sheets[data_sheet].freeze_panes(1, 0)
        writer.sheets[meta_sheet].set_column(0, 0, 28)
        writer.sheets[meta_sheet].set_column(1, 1, 100, writer.book.add_format({"text_wrap": True}))
    return out.getvalue()


# --------------------------------------------------------------------------- images


def series_chart(ctx: Context, view: View) -> figures.FigureSpec:
    """The series card's figure (the page and the image downloads draw the same one)."""
    table = explore.series_table(ctx, view)
    if table.empty:
        return figures.empty_figure(t("summary.none", view.lang))
    return figures.series_figure(
        table,
        colours=figures.Colours.from_site(ctx.site),
        measure=view.state.measure,
        unit=ui.chart_unit(view, "series"),
        step=view.state.step,
        lang=view.lang,
        selected=(view.start, view.end),
    )


def unplaced(ctx: Context, view: View, codes) -> frozenset[str]:
    """The areas among ``codes`` that are not places to rank: between the country and the finest
    level, an area without sub-areas ('No especificado', the counts a source could not place).
    Countries compared with each other are all places, with or without sub-areas here."""
    terr = explore.territories(ctx)
    finest = terr.levels[-1] if terr.levels else None
    if view.map_level in ("country", finest, None):
        return frozenset()
    return frozenset(c for c in codes if not terr.children(c))


def ranking_view(
    ctx: Context,
    view: View,
    sort: dict | None = None,
    most: int = figures.RANKING_ALL,
    ends: int = figures.RANKING_ENDS,
) -> tuple[figures.Ranking, list[float]]:
    """The ranking card's rows (``figures.ranking_rows``, following the table's ``sort``) and the
    map's class edges its bars are coloured by."""
    table = explore.area_table(ctx, view)
    edges = figures.class_breaks(table["shown"]) if len(table) else []
    rows = explore.in_group(ctx, view, table) if len(table) else table
    placed_not = unplaced(ctx, view, rows["code"].tolist()) if len(rows) else frozenset()
    ranking = figures.ranking_rows(
        rows, sort=sort, unplaced=placed_not, most=most, ends=ends, highlight=view.highlight
    )
    return ranking, edges


def ranking_chart(
    ctx: Context,
    view: View,
    sort: dict | None = None,
    most: int = figures.RANKING_ALL,
    ends: int = figures.RANKING_ENDS,
) -> tuple[figures.FigureSpec, str]:
    """The ranking card's figure and the line under it (the areas it does not draw): the one
    figure the page, the embed and every image download draw."""
    lang, measure = view.lang, view.state.measure
    unit = ui.chart_unit(view, "ranking")
    ranking, edges = ranking_view(ctx, view, sort, most, ends)
    note = figures.unranked_text(ranking, measure, unit, lang)
    if not ranking.drawn:
        return figures.empty_figure(t("summary.none", lang)), note
    fig = figures.ranking_figure(
        ranking,
        edges=edges,
        colours=figures.Colours.from_site(ctx.site),
        measure=measure,
        unit=unit,
        lang=lang,
        highlight=view.highlight,
    )
    return fig, note


def fitting_bars(height: int) -> int:
    """How many ranking bars a fixed-height image holds legibly (14 px each, after the title
    block, the footer and the axis): 28 at 1200 x 675 (Peru's 26 departments), 57 at 1080 x 1080."""
    return max(6, (height - HEAD_PX - 7 * LINE_PX - 64) // 14)


def chart_figure(ctx: Context, view: View, chart: str, size: tuple[int, int]) -> go.Figure:
    """The chart as the card draws it (the map as an SVG choropleth, so SVG/PDF stay vector)."""
    if chart == "series":
        return series_chart(ctx, view)
    if chart == "ranking":
        fit = fitting_bars(size[1])
        return ranking_chart(ctx, view, most=fit, ends=fit // 2)[0]
    colours = figures.Colours.from_site(ctx.site)
    unit = ui.chart_unit(view, chart)
    table = explore.area_table(ctx, view)
    if table.empty:
        return figures.empty_figure(t("summary.none", view.lang))
    edges = figures.class_breaks(table["shown"])
    return map_figure(ctx, view, table, edges, colours, unit)


def _mercator(lat: float) -> float:
    lat = max(min(lat, 85.0), -85.0)
    return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))


def _outline(geometry: dict | None) -> tuple[list, list]:
    """A feature's rings as one path (x = longitude, y = Mercator), rings separated by None."""
    xs: list = []
    ys: list = []
    if not geometry:
        return xs, ys
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    for polygon in polygons:
        for ring in polygon:
            xs += [p[0] for p in ring] + [None]
            ys += [_mercator(p[1]) for p in ring] + [None]
    return xs, ys


def map_figure(ctx: Context, view: View, table, edges, colours, unit: str) -> go.Figure:
    """The map for print: filled Mercator outlines on hidden axes, one trace per legend class.

    No base map and nothing fetched: the image renderer works offline and SVG/PDF stay vector.
    """
    lang, measure = view.lang, view.state.measure
    layer = None
    if explore.map_available(ctx, view):
        layer = ctx.boundaries.layer(view.map_country, view.map_level)
    mapped = table[table["has_polygon"].astype(bool)]
    if layer is None or mapped.empty:
        return figures.empty_figure(explore.map_unavailable_text(ctx, view))
    shapes = {str(f.get("id")): f.get("geometry") for f in layer["features"]}
    cats = figures.categories(mapped, edges).tolist()
    palette = figures.category_colours(colours, max(len(edges) - 1, 0))
    items = figures.legend_items(edges, colours, measure, lang)
    labels = {i["colour"]: i["label"] for i in items}
    traces = []
    for cat, colour in enumerate(palette):
        xs: list = []
        ys: list = []
        for code, c in zip(mapped["code"], cats, strict=True):
            if c == cat:
                x, y = _outline(shapes.get(code))
                xs += x
                ys += y
        if not xs:
            continue
        traces.append(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                fill="toself",
                fillcolor=colour,
                line={"color": "#5c5c5c", "width": 0.6},
                name=labels.get(colour, ""),
                hoverinfo="skip",
            )
        )
    if view.highlight in shapes and view.highlight in set(mapped["code"]):
        x, y = _outline(shapes[view.highlight])
        traces.append(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                line={"color": colours.accent, "width": 3},
                showlegend=False,
                hoverinfo="skip",
            )
        )
    hidden_axis = {"visible": False, "showgrid": False, "zeroline": False}
    layout = go.Layout(
        xaxis=hidden_axis,
        yaxis=hidden_axis | {"scaleanchor": "x", "scaleratio": 1},
        plot_bgcolor="white",
        paper_bgcolor="white",
        separators=plotly_separators(lang),
        font={"family": figures.FONT, "color": figures.INK, "size": 13},
        legend={
            "title": {"text": unit},
            "x": 1,
            "xanchor": "left",
            "y": 1,
            "bgcolor": "rgba(255,255,255,0.8)",
        },
        showlegend=True,
    )
    return go.Figure(data=traces, layout=layout)


def framed(fig: go.Figure, meta: Meta, size: tuple[int, int]) -> go.Figure:
    """``fig`` at ``size`` with the title and subtitle above, source, notes and signature below."""
    width, height = size
    chars = max(int(width / 7.2), 40)
    lines: list[str] = []
    for text in (meta.source, *meta.notes, meta.signature):
        lines += textwrap.wrap(text, chars) or [""]
    foot = LINE_PX * len(lines) + 24
    title_lines = textwrap.wrap(meta.title, int(width / 11.5)) or [""]
    title = "<br>".join(f"<b>{x}</b>" for x in title_lines[:2])
    fig = go.Figure(fig)
    below, left, right = (fig.layout.margin.b or 0), (fig.layout.margin.l or 0), (fig.layout.margin.r or 0)
    fig.update_layout(
        width=width,
        height=height,
        autosize=False,
        margin={"t": HEAD_PX, "b": foot + below, "l": max(left, 24), "r": max(right, 24)},
        title={
            "text": title + f"<br><span style='font-size:14px;color:{figures.MUTED}'>{meta.subtitle}</span>",
            "x": 0,
            "xref": "paper",
            "xanchor": "left",
            "y": 1 - 20 / height,
            "yref": "container",
            "yanchor": "top",
            "font": {
                "size": 20 if len(title_lines) == 1 else 17,
                "family": figures.FONT,
                "color": figures.INK,
            },
        },
        paper_bgcolor="white",
    )
    fig.add_annotation(
        text="<br>".join(lines),
        xref="paper",
        yref="paper",
        x=0,
        y=0,
        yshift=-(below + 10),  # below the axis labels, in pixels
        xanchor="left",
        yanchor="top",
        align="left",
        showarrow=False,
        font={"size": 12, "color": figures.MUTED, "family": figures.FONT},
    )
    return fig


def _ensure_renderer() -> None:
    import kaleido

    os.environ.setdefault("BROWSER_PATH", CHROMIUM)
    # One browser for the process: the first image starts it (about 3 s), later ones reuse it.
    kaleido.start_sync_server(plotlyjs=plotly_bundles.export_path(), silence_warnings=True)  # partial bundle


def render(fig: go.Figure, fmt: str, size: tuple[int, int]) -> bytes:
    """``fig`` as PNG (at twice the size in pixels), SVG or PDF."""
    import kaleido

    width, height = size
    with _render_lock:
        _ensure_renderer()
        return kaleido.calc_fig_sync(
            fig,
            opts={"format": fmt, "width": width, "height": height, "scale": PNG_SCALE if fmt == "png" else 1},
        )


def image(ctx: Context, view: View, chart: str, fmt: str, size: str, meta: Meta) -> bytes:
    dims = SIZES[size]
    fig = chart_figure(ctx, view, chart, dims)
    if chart == "ranking":  # the line under the bars as this size draws them
        fit = fitting_bars(dims[1])
        line = ranking_chart(ctx, view, most=fit, ends=fit // 2)[1]
        page_line = figures.unranked_text(
            ranking_view(ctx, view)[0], view.state.measure, meta.unit, meta.lang
        )
        notes = tuple(n for n in meta.notes if n != page_line) + ((line,) if line else ())
        meta = dataclasses.replace(meta, notes=notes)
    return render(framed(fig, meta, dims), fmt, dims)


def export(ctx: Context, view: View, chart: str, fmt: str, size: str, url: str, today: dt.date) -> bytes:
    """The bytes of one download (``fmt`` checked against ``formats_for(chart)`` by the caller)."""
    meta = metadata(ctx, view, chart, url, today)
    if fmt in IMAGE_FORMATS:
        return image(ctx, view, chart, fmt, size, meta)
    frame = data_frame(ctx, view, chart)
    if fmt == "xlsx":
        return xlsx(frame, meta)
    return csv_zip(frame, meta, filename(view, chart, "csv").removesuffix(".csv.zip"))


def embed_snippet(url: str, title: str, height: int = 480) -> str:
    """The ``<iframe>`` a reader pastes into a web page: full width, fixed height."""
    return (
        f'<iframe src="{html.escape(url)}" title="{html.escape(title)}" width="100%" height="{height}" '
        'style="border:0;max-width:100%" loading="lazy" referrerpolicy="strict-origin-when-cross-origin"></iframe>'
    )
