"""Pure functions: a published table (``explore.area_table`` / ``series_table``) -> a figure.

No database and no Dash. Every number a figure shows is formatted here with the reader's
language (``i18n.number``), so a hover label, a bar label and the table read the same.
Colours come from the site configuration (``Colours``), never from the figure functions.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from observatory.contract.i18n import number, period_label, plotly_separators, plural, t

STATUS_ORDER = ("no_data", "suppressed", "zero")  # map categories 0, 1, 2; value classes follow
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
INK = "#1f1f1f"
MUTED = "#595959"  # 7:1 on white
GRID = "#e6e6e6"
# Okabe & Ito's colour-blind-safe qualitative palette, for compared areas.
COMPARE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00")
REFERENCE = {"parent": "#7a7a7a", "country": "#2b2b2b"}


class FigureSpec(dict):
    """A figure as the plain dicts Dash sends (``{"data": [...], "layout": {...}}``).

    The callbacks build one per chart per interaction: making a ``go.Figure`` of it, even without
    validation, deep-copies it twice (on creation and when Dash serialises it), a fifth of a cold
    interaction. ``figure`` (and ``data`` / ``layout``) build the validated ``go.Figure`` on demand,
    for exports and tests: a misspelt property fails there.
    """

    @property
    def figure(self) -> go.Figure:
        return go.Figure(dict(self))

    @property
    def data(self):
        return self.figure.data

    @property
    def layout(self):
        return self.figure.layout

    def to_json(self) -> str:
        return self.figure.to_json()


def _figure(data: list[dict], layout: dict) -> FigureSpec:
    return FigureSpec(data=data, layout=layout)


@dataclass(frozen=True)
class Colours:
    primary: str
    accent: str
    sequential: tuple[str, ...]
    zero: str
    suppressed: str
    no_data: str

    @classmethod
    def from_site(cls, site) -> Colours:
        return cls(
            site.primary, site.accent, tuple(site.sequential), site.zero, site.suppressed, site.no_data
        )


# --------------------------------------------------------------------------- numbers


def format_value(value, measure: str, lang: str) -> str:
    """A count as an integer; a rate with one decimal (two below 1)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return number(None, lang)
    if measure == "rate":
        return number(value, lang, 2 if abs(value) < 1 and value != 0 else 1)
    return number(value, lang, 0 if float(value).is_integer() else 1)


def records(table: pd.DataFrame, columns: list[str] | None = None) -> list[dict]:
    """``table.to_dict("records")`` (of ``columns`` only, when given) from whole columns: pandas
    boxes cell by cell, and a view's tables are small enough for that to be most of a card's
    time (bench/interactions.py)."""
    columns = list(table.columns) if columns is None else columns
    values = [table[c].tolist() for c in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def _is_nan(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _with_gaps(values: np.ndarray) -> list:
    """Values for a trace, a gap as None: a NaN would make plotly's JSON encoder parse and write
    the whole response a second time to turn it into null."""
    return [None if v != v else v for v in values.tolist()]


def _folded(name: str) -> str:
    """A name without accents, for listing names as a reader sorts them (Áncash by Amazonas)."""
    return "".join(c for c in unicodedata.normalize("NFD", str(name)) if not unicodedata.combining(c)).lower()


def ranked(rows: list[dict], by: str = "shown", desc: bool = True) -> list[dict]:
    """Rows ordered by ``by`` (the ranking: the highest shown value first), the areas without a
    value last either way, ties by name."""

    def key(r):
        missing = _is_nan(r[by])
        return (missing, 0.0 if missing else (-float(r[by]) if desc else float(r[by])), r["name"])

    return sorted(rows, key=key)


def status_text(status: str, lang: str) -> str:
    return t(f"status.{status}", lang)


def shown_text(row, measure: str, lang: str) -> str:
    """What a cell shows: the value, or why there is none."""
    return cell_text(row["status"], row["shown"], measure, lang)


def cell_text(status: str, shown, measure: str, lang: str) -> str:
    """``shown_text`` of a cell's status and shown value."""
    if status in ("value", "zero") and pd.notna(shown):
        return format_value(shown, measure, lang)
    if status in ("value", "zero"):
        return t("status.no_rate", lang)
    return status_text(status, lang)


# --------------------------------------------------------------------------- classes


def _nice(x: float, up: bool) -> float:
    """Round to two significant digits (up or down), so legend breaks read cleanly."""
    if x <= 0:
        return 0.0
    exp = math.floor(math.log10(x)) - 1
    scale = 10.0**exp
    steps = (math.ceil if up else math.floor)(x / scale - 1e-9 if up else x / scale + 1e-9)
    return round(steps * scale, max(0, -exp) + 2)


def class_breaks(values: pd.Series, n: int = 5) -> list[float]:
    """Edges of up to ``n`` classes over the positive values (quantiles, rounded): [low, ..., high].

    Zero is its own category on the map, so classes start above it. One edge pair for a
    single distinct value; an empty list when there are no positive values.
    """
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        v = v[v > 0]
    if not len(v):
        return []
    lo, hi = float(v.min()), float(v.max())
    distinct = len(np.unique(v))
    if lo == hi or distinct == 1:
        return [lo, hi]
    n = min(n, distinct)  # no more classes than values: two areas get two classes, not five
    inner = [_nice(float(q), up=False) for q in np.quantile(v, np.linspace(0, 1, n + 1)[1:-1])]
    edges = [_nice(lo, up=False)] + inner + [_nice(hi, up=True)]
    out: list[float] = []
    for e in edges:
        if not out or e > out[-1]:
            out.append(e)
    if len(out) == 1:
        out.append(hi)
    return out


def classify(values: pd.Series, edges: list[float]) -> pd.Series:
    """Class index (0-based) of each positive value; NaN for zero, missing or no classes."""
    v = pd.to_numeric(values, errors="coerce")
    return pd.Series(_class_index(v.to_numpy(dtype=float, na_value=np.nan), edges), index=v.index)


def _class_index(v: np.ndarray, edges: list[float]) -> np.ndarray:
    """``classify`` on an array of floats."""
    if len(edges) < 2:
        return np.full(len(v), np.nan)
    idx = np.searchsorted(np.asarray(edges[1:-1], dtype=float), v, side="right").astype(float)
    with np.errstate(invalid="ignore"):
        idx[~(v > 0)] = np.nan
    return idx


def class_colours(colours: Colours, n_classes: int) -> list[str]:
    """``n_classes`` colours spread over the site's sequential palette, light to dark."""
    seq = list(colours.sequential)
    if n_classes <= 0:
        return []
    if n_classes >= len(seq):
        return seq[:n_classes] + [seq[-1]] * (n_classes - len(seq))
    picks = np.linspace(0, len(seq) - 1, n_classes).round().astype(int)
    return [seq[i] for i in picks]


def categories(table: pd.DataFrame, edges: list[float]) -> pd.Series:
    """The map category of each area: 0 no data, 1 suppressed, 2 zero, 3.. value classes.

    A value or zero area whose rate cannot be computed (no population) counts as no data
    on a map of rates; the table says why.
    """
    status = table["status"].to_numpy(dtype=object)
    shown = pd.to_numeric(table["shown"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return pd.Series(_categories(shown, status, edges), index=table.index)


def _categories(shown: np.ndarray, status: np.ndarray, edges: list[float]) -> np.ndarray:
    """``categories`` on arrays of shown values and statuses."""
    cls = _class_index(shown, edges)
    cat = np.zeros(len(shown), dtype=int)
    cat[status == "suppressed"] = 1
    cat[((status == "zero") & ~np.isnan(shown)) | ((shown == 0) & (status == "value"))] = 2
    has_class = ~np.isnan(cls) & ((status == "value") | (status == "zero"))
    cat[has_class] = cls[has_class].astype(int) + len(STATUS_ORDER)
    return cat


def category_colours(colours: Colours, n_classes: int) -> list[str]:
    return [colours.no_data, colours.suppressed, colours.zero] + class_colours(colours, n_classes)


def discrete_colorscale(palette: list[str]) -> list[list]:
    """A stepped colour scale: integer z = i takes palette[i] when zmin=0 and zmax=len-1."""
    if len(palette) == 1:
        return [[0, palette[0]], [1, palette[0]]]
    top = len(palette) - 1
    scale = []
    for i, colour in enumerate(palette):
        scale += [[max(0.0, (i - 0.5) / top), colour], [min(1.0, (i + 0.5) / top), colour]]
    return scale


def legend_items(edges: list[float], colours: Colours, measure: str, lang: str) -> list[dict]:
    """The map legend: one {colour, label, kind} per class, then zero, suppressed, no data."""
    n = max(len(edges) - 1, 0)
    items = []
    for i, colour in enumerate(class_colours(colours, n)):
        lo, hi = format_value(edges[i], measure, lang), format_value(edges[i + 1], measure, lang)
        label = lo if lo == hi else t("legend.range", lang, low=lo, high=hi)
        items.append({"colour": colour, "label": label, "kind": "class"})
    items += [
        {"colour": colours.zero, "label": t("status.zero", lang), "kind": "zero"},
        {"colour": colours.suppressed, "label": t("status.suppressed", lang), "kind": "suppressed"},
        {"colour": colours.no_data, "label": t("status.no_data", lang), "kind": "no_data"},
    ]
    return items


# --------------------------------------------------------------------------- map


def map_view(bounds: tuple[float, float, float, float] | None, width: int = 440, height: int = 400) -> dict:
    """Centre and zoom that fit ``(west, south, east, north)`` into a ``width`` x ``height`` map.

    The page passes the size the map is drawn at (from the browser window's width).
    """
    if not bounds:
        return {"center": {"lon": -75.0, "lat": -9.2}, "zoom": 3.6}
    west, south, east, north = bounds

    def merc(lat: float) -> float:
        lat = max(min(lat, 85.0), -85.0)
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    lon_span = max(east - west, 0.01)
    y_span = max(merc(north) - merc(south), 0.0002)
    # MapLibre draws the world 512 px wide at zoom 0.
    zoom_x = math.log2(width * 360 / (512 * lon_span))
    zoom_y = math.log2(height * 2 * math.pi / (512 * y_span))
    zoom = max(min(zoom_x, zoom_y) - 0.15, 1.0)
    centre_y = (merc(north) + merc(south)) / 2
    centre_lat = math.degrees(2 * math.atan(math.exp(centre_y)) - math.pi / 2)
    return {"center": {"lon": (west + east) / 2, "lat": centre_lat}, "zoom": round(min(zoom, 12.0), 2)}


def map_values(table: pd.DataFrame, edges: list[float], colours: Colours, measure: str, lang: str) -> dict:
    """The data-only properties of the map's trace 0: what a ``Patch`` sends when only values change."""
    on_map = table["has_polygon"].to_numpy(dtype=bool)
    cats = categories(table, edges).to_numpy()[on_map]
    palette = category_colours(colours, max(len(edges) - 1, 0))
    wanted = ["code", "name", "status", "shown", "provisional", "unreliable", "ci_low", "ci_high", "smoothed"]
    rows = [
        r for r, kept in zip(records(table, [c for c in wanted if c in table]), on_map, strict=True) if kept
    ]
    text = [shown_text(row, measure, lang) for row in rows]
    notes = [_with_interval(_row_note(row, lang), row, measure, lang) for row in rows]
    return {
        "locations": [row["code"] for row in rows],
        "z": cats.tolist(),
        "customdata": [[row["name"], v, x] for row, v, x in zip(rows, text, notes, strict=True)],
        "colorscale": discrete_colorscale(palette),
        "zmin": 0,
        "zmax": len(palette) - 1,
    }


def _with_interval(note: str, row, measure: str, lang: str) -> str:
    """A rate's tooltip also carries its exact 95% Poisson interval and, on district maps, the
    empirical Bayes smoothed rate (labelled as such)."""
    if (
        measure != "rate"
        or row.get("status") != "value"
        or pd.isna(row.get("ci_low"))
        or pd.isna(row.get("ci_high"))
    ):
        return note
    interval = t(
        "key.ci",
        lang,
        low=format_value(row["ci_low"], measure, lang),
        high=format_value(row["ci_high"], measure, lang),
    )
    smoothed = row.get("smoothed")
    extra = (
        ""
        if smoothed is None or pd.isna(smoothed)
        else t("map.smoothed", lang, value=format_value(smoothed, "rate", lang))
    )
    return " · ".join(x for x in (interval, extra, note) if x)


def _row_note(row, lang: str) -> str:
    notes = []
    if row.get("provisional"):
        notes.append(t("status.provisional", lang))
    if row.get("unreliable"):
        notes.append(t("status.unreliable", lang))
    return " · ".join(notes)


def map_hovertemplate(unit: str) -> str:
    return "<b>%{customdata[0]}</b><br>%{customdata[1]} " + unit + "<br>%{customdata[2]}<extra></extra>"


def choropleth(
    table: pd.DataFrame,
    *,
    geojson: str | dict,
    edges: list[float],
    colours: Colours,
    measure: str,
    unit: str,
    lang: str,
    view: dict,
    highlight: str | None = None,
    group: list[str] | tuple[str, ...] = (),
) -> FigureSpec:
    """The map of sub-areas: one category per area (no data, suppressed, zero, value classes).

    ``geojson`` may be a URL, which plotly.js fetches once and caches; features are matched on
    their ``id`` (the official code). Areas without a polygon are left out here and listed
    under the map by the page. Trace 1 outlines the areas of a territory group (``group``),
    trace 2 the highlighted area.
    """
    values = map_values(table, edges, colours, measure, lang)
    drawn = set(values["locations"])
    shown = highlight if highlight and highlight in drawn else None
    group = [c for c in group if c in drawn]
    traces = [
        dict(
            type="choroplethmap",
            geojson=geojson,
            featureidkey="id",
            showscale=False,
            marker={"line": {"color": "#5c5c5c", "width": 0.6}, "opacity": 1},
            hovertemplate=map_hovertemplate(unit),
            name="",
            **values,
        ),
        dict(
            type="choroplethmap",
            geojson=geojson,
            featureidkey="id",
            locations=group,
            z=[0] * len(group),
            colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
            showscale=False,
            marker={"line": {"color": colours.primary, "width": 2.2}},
            hoverinfo="skip",
            name="group",
        ),
        dict(
            type="choroplethmap",
            geojson=geojson,
            featureidkey="id",
            locations=[shown] if shown else [],
            z=[0] if shown else [],
            colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
            showscale=False,
            marker={"line": {"color": colours.accent, "width": 3}},
            hoverinfo="skip",
            name="",
        ),
    ]
    layout = dict(
        map={"style": "white-bg", "fitbounds": False, **view},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        paper_bgcolor="white",
        separators=plotly_separators(lang),
        font={"family": FONT, "color": INK, "size": 13},
        hoverlabel={"bgcolor": "white", "font": {"family": FONT, "color": INK, "size": 13}},
        showlegend=False,
        dragmode="pan",
    )
    return _figure(traces, layout)


# --------------------------------------------------------------------------- time series


def _ticks(periods: pd.Series, step: str, lang: str, most: int = 6) -> tuple[list, list[str]]:
    """At most ``most`` ticks (six month labels fit a phone's 300 px plot), Januaries first on a
    long monthly series. A month's label is written on two lines (month, then year), so that a
    label takes the width of its month name."""
    found = np.unique(periods.to_numpy(dtype="datetime64[ns]"))
    uniq = [pd.Timestamp(p) for p in found[~np.isnat(found)]]
    if not uniq:
        return [], []
    if step == "month" and len(uniq) > most:
        januaries = [p for p in uniq if p.month == 1]
        every = max(1, math.ceil(len(januaries) / most))
        picks = januaries[::every] if len(januaries) >= 2 else uniq[:: math.ceil(len(uniq) / most)]
    else:
        picks = uniq[:: max(1, math.ceil(len(uniq) / most))]
    labels = [period_label(p, step, lang) for p in picks]
    if step == "month":
        labels = [
            label.replace(str(p.year), "").strip() + f"<br>{p.year}"
            for label, p in zip(labels, picks, strict=True)
        ]
    return [p.strftime("%Y-%m-%d") for p in picks], labels


def series_figure(
    table: pd.DataFrame,
    *,
    colours: Colours,
    measure: str,
    unit: str,
    step: str,
    lang: str,
    selected: tuple[pd.Timestamp, pd.Timestamp] | None = None,
) -> FigureSpec:
    """The selected area's series with its parent and the country as reference lines, plus
    compared areas. Provisional or partial periods are drawn dashed; hidden cells are gaps.
    ``selected``: the period the map and key figures cover, shaded when the series is longer
    (a yearly indicator's series shows every year up to the period's end).

    In counts, the reference lines start hidden (a country's count dwarfs a district's); a
    click on the legend shows them.
    """
    traces = []
    compare_i = 0
    # Per line, on plain lists: a groupby and a dict per row cost more than the figure.
    cols = {
        c: table[c].tolist() for c in ("role", "code", "name", "status", "shown", "provisional", "partial")
    }
    periods = table["period"].to_numpy()
    lines: dict[tuple[str, str], list[int]] = {}
    for i, key in enumerate(zip(cols["role"], cols["code"], strict=True)):
        lines.setdefault(key, []).append(i)
    for (role, code), rows in lines.items():
        rows = sorted(rows, key=lambda i: periods[i])
        if role == "area":
            colour, width = colours.primary, 3
        elif role in REFERENCE:
            colour, width = REFERENCE[role], 1.6
        else:
            colour, width = COMPARE[compare_i % len(COMPARE)], 2
            compare_i += 1
        visible = "legendonly" if (measure == "count" and role in REFERENCE) else True
        name = cols["name"][rows[0]]
        label = name + (f" ({t('series.' + role, lang)})" if role in REFERENCE else "")
        y = np.array([cols["shown"][i] for i in rows], dtype=float)
        provisional = [bool(cols["provisional"][i]) for i in rows]
        partial = [bool(cols["partial"][i]) for i in rows]
        dashed = np.array(provisional, dtype=bool) | np.array(partial, dtype=bool)
        # Dates as ISO strings: plotly's encoder would convert each Timestamp on its own.
        x = np.datetime_as_string(periods[rows], unit="D").tolist()
        labels = [period_label(p, step, lang, long=True) for p in x]
        texts = [cell_text(cols["status"][i], cols["shown"][i], measure, lang) for i in rows]
        notes = [
            t("status.provisional", lang) if p else (t("status.partial", lang) if q else "")
            for p, q in zip(provisional, partial, strict=True)
        ]
        custom = np.column_stack([labels, texts, notes]) if rows else None
        # The dashed stretch starts at the last firm point so the line stays continuous.
        dash_mask = dashed.copy()
        firm = np.flatnonzero(~dashed)
        if dashed.any() and firm.size:
            before = firm[firm < np.flatnonzero(dashed)[0]]
            if before.size:
                dash_mask[before[-1]] = True
        mode = "lines+markers" if len(rows) <= 24 else "lines"
        common = {
            "x": x,
            "customdata": custom,
            "legendgroup": f"{role}-{code}",
            "visible": visible,
            "mode": mode,
            "hovertemplate": "%{customdata[0]}: <b>%{customdata[1]}</b> %{customdata[2]}<extra>"
            + name
            + "</extra>",
        }
        traces.append(
            dict(
                type="scatter",
                y=_with_gaps(np.where(~dashed, y, np.nan)),
                name=label,
                line={"color": colour, "width": width},
                marker={"size": 5},
                **common,
            )
        )
        if dash_mask.any():
            traces.append(
                dict(
                    type="scatter",
                    y=_with_gaps(np.where(dash_mask, y, np.nan)),
                    name=label,
                    showlegend=False,
                    line={"color": colour, "width": width, "dash": "dash"},
                    marker={"size": 5, "symbol": "circle-open"},
                    **common,
                )
            )
    if len(table) and (table["provisional"] | table["partial"]).any():
        traces.append(
            dict(
                type="scatter",
                x=[None],
                y=[None],
                mode="lines",
                name=t("series.provisional_legend", lang),
                line={"color": MUTED, "dash": "dash", "width": 2},
                hoverinfo="skip",
            )
        )
    tickvals, ticktext = _ticks(
        table["period"] if len(table) else pd.Series(dtype="datetime64[ns]"), step, lang
    )
    layout = dict(
        margin={"l": 56, "r": 12, "t": 8, "b": 48},
        paper_bgcolor="white",
        plot_bgcolor="white",
        separators=plotly_separators(lang),
        font={"family": FONT, "color": INK, "size": 13},
        hovermode="x unified",
        hoverlabel={"bgcolor": "white", "font": {"family": FONT, "color": INK}},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "font": {"size": 12}},
        xaxis={"tickvals": tickvals, "ticktext": ticktext, "showgrid": False, "linecolor": "#8c8c8c"},
        yaxis={
            "title": {"text": unit, "font": {"size": 12, "color": MUTED}},
            "gridcolor": GRID,
            "rangemode": "tozero",
            "zeroline": True,
            "zerolinecolor": "#8c8c8c",
            "tickformat": ",.2~f" if measure == "rate" else ",~f",
        },
    )
    if selected is not None and len(table) and pd.Timestamp(table["period"].min()) < selected[0]:
        # Half a step either side, so a one-year selection is a band around its point.
        half = pd.Timedelta(days=182 if step == "year" else 15)
        layout["shapes"] = [
            {
                "type": "rect",
                "xref": "x",
                "yref": "paper",
                "x0": (selected[0] - half).strftime("%Y-%m-%d"),
                "x1": (selected[1] + half).strftime("%Y-%m-%d"),
                "y0": 0,
                "y1": 1,
                "fillcolor": GRID,
                "opacity": 0.6,
                "layer": "below",
                "line": {"width": 0},
            }
        ]
        layout["annotations"] = [
            {
                "text": t("series.selected", lang),
                "xref": "x",
                "yref": "paper",
                "x": (selected[0] - half).strftime("%Y-%m-%d"),
                "y": 1,
                "xanchor": "left",
                "yanchor": "top",
                "showarrow": False,
                "font": {"size": 11, "color": MUTED},
            }
        ]
    return _figure(traces, layout)


# --------------------------------------------------------------------------- ranking


RANKING_ALL = 40  # up to this many bars the ranking draws every area
RANKING_ENDS = 15  # beyond it, the highest and the lowest this many, and a pointer to the table
BAR_PX = 26  # the height each bar takes, so that the chart grows with its areas
RANKING_VALUE_COLUMNS = ("shown", "count", "rate", "smoothed", "ci", "population")


@dataclass(frozen=True)
class Ranking:
    """What the ranking card shows, before any drawing: the rows drawn as bars (top first), the
    areas left off the axis because they have no value to rank (listed under the chart), and
    how many ranked areas the middle of a long ranking leaves out (the table lists them all)."""

    drawn: list[dict]
    unranked: list[dict]
    left_out: int
    total: int
    descending: bool
    ends: int = RANKING_ENDS
    gaps: tuple[int, ...] = ()  # a dotted line after these drawn rows: areas left out there


def ranking_rows(
    table: pd.DataFrame,
    *,
    sort: dict | None = None,
    unplaced: frozenset[str] | set[str] = frozenset(),
    most: int = RANKING_ALL,
    ends: int = RANKING_ENDS,
    highlight: str | None = None,
) -> Ranking:
    """The ranking of ``table``'s areas by their shown value.

    Bars follow the table's sort (``{"col", "desc"}``): a value column sorted ascending puts the
    lowest first; any other sort (a name, the default) ranks from the highest. An area without
    a shown value (suppressed, no data, no population for a rate) and an area that is not a
    place (``unplaced``: 'No especificado', counts the source could not place) are not bars:
    they are listed under the chart. More than ``most`` ranked areas: the first and the last
    ``ends`` of them, and the ``highlight``ed area wherever it ranks.
    """
    rows = records(table)
    sort = sort if isinstance(sort, dict) else {}
    descending = not (sort.get("col") in RANKING_VALUE_COLUMNS and sort.get("desc") is False)
    placed = [r for r in rows if r["code"] not in unplaced]
    ranked_rows = [r for r in placed if r["status"] in ("value", "zero") and not _is_nan(r["shown"])]
    kept = {id(r) for r in ranked_rows}
    unranked = sorted((r for r in rows if id(r) not in kept), key=lambda r: _folded(r["name"]))
    ordered = ranked(ranked_rows, desc=descending)
    left_out = 0
    gaps: list[int] = []
    if len(ordered) > most:
        keep = set(range(ends)) | set(range(len(ordered) - ends, len(ordered)))
        keep |= {i for i, r in enumerate(ordered) if highlight is not None and r["code"] == highlight}
        kept_at = sorted(keep)
        gaps = [k for k, (a, b) in enumerate(zip(kept_at[:-1], kept_at[1:], strict=True)) if b > a + 1]
        left_out = len(ordered) - len(kept_at)
        ordered = [ordered[i] for i in kept_at]
    return Ranking(ordered, unranked, left_out, len(ranked_rows), descending, ends, tuple(gaps))


def unranked_text(ranking: Ranking, measure: str, unit: str, lang: str) -> str:
    """The line under the ranking naming the areas it does not draw, with why (or their value,
    for an area that is not a place), and how many a long ranking leaves out; "" when none."""
    parts = []
    if ranking.left_out:
        parts.append(
            plural(
                "ranking.left_out" if ranking.descending else "ranking.left_out_asc",
                ranking.left_out,
                lang,
                ends=number(ranking.ends, lang),
                total=number(ranking.total, lang),
            )
        )
    if ranking.unranked:
        items = []
        for r in ranking.unranked:
            if r["status"] in ("value", "zero") and not _is_nan(r["shown"]):
                why = f"{format_value(r['shown'], measure, lang)} {unit}"
            else:
                why = shown_text(r, measure, lang)
            items.append(f"{r['name']} ({why})")
        parts.append(plural("ranking.unranked", len(items), lang, names="; ".join(items)))
    return " ".join(parts)


def ranking_figure(
    table: pd.DataFrame | Ranking,
    *,
    edges: list[float],
    colours: Colours,
    measure: str,
    unit: str,
    lang: str,
    highlight: str | None = None,
) -> FigureSpec:
    """Horizontal bars of the ranked areas (``ranking_rows``), the first at the top, in the map's
    class colours. The areas' axis is a category axis: plotly would otherwise read codes such
    as "01" .. "25", "99" as numbers and place each bar at its code's value."""
    ranking = table if isinstance(table, Ranking) else ranking_rows(table)
    rows = ranking.drawn
    shown = np.array([r["shown"] for r in rows], dtype=float)
    status = np.array([r["status"] for r in rows], dtype=object)
    cats = _categories(shown, status, edges)
    palette = category_colours(colours, max(len(edges) - 1, 0))
    texts = [shown_text(r, measure, lang) for r in rows]
    codes = [r["code"] for r in rows]
    names = [f"<b>{r['name']}</b>" if r["code"] == highlight else r["name"] for r in rows]
    top = np.nanmax(shown) if (~np.isnan(shown)).any() else 1
    bar = dict(
        type="bar",
        x=_with_gaps(shown),
        y=codes,
        orientation="h",
        marker={"color": [palette[c] for c in cats], "line": {"color": "#5c5c5c", "width": 0.6}},
        text=texts,
        # Inside a bar long enough to hold it, else just past its end (a zero too): on a phone
        # the plot is 150 px wide and the longest bar's label would run off the card.
        textposition=["inside" if v >= 0.45 * top else "outside" for v in np.nan_to_num(shown)],
        insidetextanchor="end",
        textangle=0,
        cliponaxis=False,
        customdata=[[r["name"], x] for r, x in zip(rows, texts, strict=True)],
        hovertemplate="<b>%{customdata[0]}</b>: %{customdata[1]} " + unit + "<extra></extra>",
    )
    layout = dict(
        height=max(160, BAR_PX * len(rows) + 64),
        margin={"l": 8, "r": 16, "t": 8, "b": 40},
        paper_bgcolor="white",
        plot_bgcolor="white",
        separators=plotly_separators(lang),
        font={"family": FONT, "color": INK, "size": 13},
        bargap=0.25,
        xaxis={
            "title": {"text": unit, "font": {"size": 12, "color": MUTED}},
            "gridcolor": GRID,
            "range": [0, float(top) * 1.15 if top and top > 0 else 1],
            "tickformat": ",.2~f" if measure == "rate" else ",~f",
            "nticks": 4,  # a phone leaves the bars 150 px beside long district names
            "automargin": True,
        },
        yaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": codes,
            "autorange": "reversed",  # the first row at the top
            "tickvals": codes,
            "ticktext": names,
            "automargin": True,
        },
        showlegend=False,
        # A bar's label never shrinks below 10 px to fit inside it (an image's bars are 14 px).
        uniformtext={"minsize": 10, "mode": "show"},
    )
    if ranking.gaps:
        # A dotted line where areas of the ranking are left out.
        layout["shapes"] = [
            {
                "type": "line",
                "xref": "paper",
                "yref": "y",
                "x0": 0,
                "x1": 1,
                "y0": gap + 0.5,
                "y1": gap + 0.5,
                "line": {"color": MUTED, "width": 1, "dash": "dot"},
            }
            for gap in ranking.gaps
        ]
    return _figure([bar], layout)


def empty_figure(message: str) -> FigureSpec:
    """A blank figure carrying a message (no data for the view)."""
    layout = dict(
        xaxis={"visible": False},
        yaxis={"visible": False},
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin={"l": 8, "r": 8, "t": 8, "b": 8},
        height=200,
        annotations=[
            {"text": message, "showarrow": False, "font": {"family": FONT, "color": MUTED, "size": 14}}
        ],
    )
    return _figure([], layout)
