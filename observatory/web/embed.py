"""``/embed/<chart>?<view query>``: one chart of a view, for an ``<iframe>`` on another site.

A plain HTML page (no Dash): the chart drawn by plotly.js from the same figure functions the
page uses, its title, its source line and a link back to the full view. Only /embed/ routes may
be framed (``serving.content_security_policy``); scripts come from this site only, so the figure
travels as JSON in a non-executed ``<script type="application/json">`` and a small script here
draws it. The chart fills the frame's width and height (responsive).
"""

from __future__ import annotations

import datetime as dt
import html

import flask
import plotly.graph_objects as go

from observatory.contract import plotly_bundles
from observatory.contract.i18n import t
from observatory.present import components as ui
from observatory.present import exports, figures
from observatory.views import explore
from observatory.views.explore import Context, View
from observatory.web import api

ASSET_MAX_AGE = 24 * 3600
MAP_SIZE = (800, 450)  # the map's first view is fitted for this size; it then follows the frame
EMBED_JS = """(function () {
  var data = document.getElementById('figure-data');
  var target = document.getElementById('chart');
  if (!data || !target || !window.Plotly) { return; }
  var fig = JSON.parse(data.textContent);
  var config = {responsive: true, displaylogo: false, scrollZoom: false,
                modeBarButtonsToRemove: ['toImage', 'select2d', 'lasso2d']};
  // A map fits its areas into the frame it is drawn in (figures.map_view, in the browser).
  function merc(lat) { lat = Math.max(Math.min(lat, 85), -85); return Math.log(Math.tan(Math.PI / 4 + lat * Math.PI / 360)); }
  var b = fig.layout.meta && fig.layout.meta.bounds;
  if (b && fig.layout.map) {
    var w = target.clientWidth || 400, h = target.clientHeight || 300;
    var ys = Math.max(merc(b[3]) - merc(b[1]), 0.0002), xs = Math.max(b[2] - b[0], 0.01);
    var zoom = Math.min(Math.log2(w * 360 / (512 * xs)), Math.log2(h * 2 * Math.PI / (512 * ys))) - 0.15;
    var cy = (merc(b[3]) + merc(b[1])) / 2;
    fig.layout.map.zoom = Math.min(Math.max(zoom, 1), 12);
    fig.layout.map.center = {lon: (b[0] + b[2]) / 2, lat: (2 * Math.atan(Math.exp(cy)) - Math.PI / 2) * 180 / Math.PI};
  }
  window.Plotly.newPlot(target, fig.data, fig.layout, config).then(function () {
    target.setAttribute('data-ready', '1');
  });
})();
"""
PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="/_favicon.ico">
<title>{page_title}</title>
<style>
html,body{{margin:0;height:100%;background:#fff;color:#1f1f1f;font-family:{font}}}
.embed{{display:flex;flex-direction:column;height:100%;box-sizing:border-box;padding:8px 12px}}
.embed__title{{font-size:1rem;margin:0;line-height:1.3}}
.embed__subtitle{{font-size:.85rem;margin:.1rem 0 .3rem;color:#595959}}
.embed__chart{{flex:1 1 auto;min-height:240px;width:100%}}
.embed__chart--tall{{flex:0 0 auto}}
.embed__unit{{font-size:.8rem;margin:0 0 .2rem;color:#595959}}
.embed__notes{{font-size:.75rem;margin:.3rem 0 0;color:#1f1f1f}}
.embed__notes:empty{{display:none}}
.embed__source{{font-size:.75rem;margin:.3rem 0 0;color:#595959}}
.embed__source a{{color:{primary}}}
.legend{{margin:.3rem 0 0}}
.legend__title{{margin:0 0 .2rem;font-size:.8rem;font-weight:600}}
.legend__list{{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.2rem .8rem;font-size:.8rem}}
.legend__item{{display:inline-flex;align-items:center;gap:.3rem}}
.legend__swatch{{width:1rem;height:.8rem;border:1px solid #5c5c5c;border-radius:2px;display:inline-block}}
@media print{{.embed{{height:auto}}.embed__chart{{break-inside:avoid}}}}
</style>
</head>
<body>
<main class="embed">
<h1 class="embed__title">{title}</h1>
<p class="embed__subtitle">{subtitle}</p>
<p class="embed__unit" id="embed-unit">{unit}</p>
<div id="chart" class="embed__chart{chart_class}" role="figure" aria-label="{label}"></div>
{legend}<p class="embed__notes" id="embed-notes">{notes}</p>
<p class="embed__source" id="embed-source">{source} · {signature} · <a href="{url}" target="_blank" rel="noopener" id="embed-link">{view_full}</a></p>
</main>
<script type="application/json" id="figure-data">{figure}</script>
<script src="/embed/assets/plotly.min.js"></script>
<script src="/embed/assets/embed.js"></script>
</body>
</html>"""

bp = flask.Blueprint("embed", __name__, url_prefix="/embed")


def _map_table(ctx: Context, view: View):
    table = explore.area_table(ctx, view)
    mapped = table[table["has_polygon"].astype(bool)] if len(table) else table
    drawable = explore.map_available(ctx, view) and not mapped.empty
    return table, mapped, drawable


def embed_figure(ctx: Context, view: View, chart: str):
    """The chart as the page draws it (the map as a MapLibre map of this site's boundary files;
    the ranking at its own height, one bar row per area, as on the page)."""
    if chart == "ranking":
        return go.Figure(exports.ranking_chart(ctx, view)[0]).update_layout(autosize=True, width=None)
    if chart != "map":
        fig = exports.chart_figure(ctx, view, chart, MAP_SIZE)
    else:
        table, mapped, drawable = _map_table(ctx, view)
        if not drawable:
            fig = figures.empty_figure(explore.map_unavailable_text(ctx, view))
        else:
            unit = ui.chart_unit(view, "map")
            bounds = ctx.boundaries.bounds(view.map_country, view.map_level, sorted(mapped["code"]))
            bounds = (
                (bounds["west"], bounds["south"], bounds["east"], bounds["north"])
                if isinstance(bounds, dict)
                else bounds
            )
            fig = figures.choropleth(
                table,
                geojson=f"/geo/{view.map_country.lower()}-{view.map_level}.geojson",
                edges=figures.class_breaks(table["shown"]),
                colours=figures.Colours.from_site(ctx.site),
                measure=view.state.measure,
                unit=unit,
                lang=view.lang,
                view=figures.map_view(bounds, *MAP_SIZE),
                highlight=view.highlight,
            )
            fig["layout"]["meta"] = {"bounds": list(bounds) if bounds else None}
    fig = go.Figure(fig)
    fig.update_layout(autosize=True, height=None, width=None)
    return fig


def legend_html(ctx: Context, view: View) -> str:
    """The map's legend as the page writes it: a swatch and a label per class, then zero,
    suppressed and no data, under a title naming the unit."""
    table, _, drawable = _map_table(ctx, view)
    if not drawable:
        return ""
    lang, unit = view.lang, ui.chart_unit(view, "map")
    items = figures.legend_items(
        figures.class_breaks(table["shown"]), figures.Colours.from_site(ctx.site), view.state.measure, lang
    )
    entries = "".join(
        f'<li class="legend__item"><span class="legend__swatch legend__swatch--{html.escape(i["kind"])}" '
        f'style="background:{html.escape(i["colour"])}" aria-hidden="true"></span>'
        f"<span>{html.escape(i['label'])}</span></li>"
        for i in items
    )
    title = html.escape(t("legend.title", lang, unit=unit))
    return (
        f'<div class="legend" id="embed-legend"><p class="legend__title">{title}</p>'
        f'<ul class="legend__list">{entries}</ul></div>\n'
    )


def page(ctx: Context, view: View, chart: str) -> str:
    lang = view.lang
    meta = exports.metadata(ctx, view, chart, api.permalink(ctx, view), dt.date.today())
    figure = embed_figure(ctx, view, chart).to_json().replace("</", "<\\/")
    return PAGE.format(
        lang=lang,
        page_title=html.escape(
            t("embed.title", lang, title=meta.title, chart=t(f"export.chart.{chart}", lang))
        ),
        font=figures.FONT,
        primary=ctx.site.primary,
        title=html.escape(meta.title),
        subtitle=html.escape(meta.subtitle),
        label=html.escape(f"{meta.title}. {meta.subtitle}"),
        unit=html.escape(meta.unit),
        chart_class=" embed__chart--tall" if chart == "ranking" else "",
        legend=legend_html(ctx, view) if chart == "map" else "",
        source=html.escape(meta.source),
        signature=html.escape(meta.signature),
        notes=" ".join(html.escape(n) for n in meta.notes),
        url=html.escape(meta.url),
        view_full=html.escape(t("embed.view_full", lang)),
        figure=figure,
    )


@bp.get("/<chart>")
def embed(chart: str):
    lang = api.request_lang()
    ctx = api.context()
    try:
        if chart not in exports.IMAGE_CHARTS:
            reason = t("download.bad_chart", lang, value=chart[:40], allowed=", ".join(exports.IMAGE_CHARTS))
            raise api.BadRequest(t("download.bad_request", lang, reason=reason))
        params = api.check_params(api.VIEW_KEYS, lang)
        view = api.checked_view(ctx, params, lang)
    except api.BadRequest as exc:
        return api.bad_request(exc, False)
    response = flask.Response(page(ctx, view, chart), mimetype="text/html")
    response.headers["Cache-Control"] = "public, max-age=600"
    return response


@bp.get("/assets/plotly.min.js")
def plotly_js():
    response = flask.send_file(
        plotly_bundles.path(), mimetype="application/javascript", max_age=ASSET_MAX_AGE
    )
    return response


@bp.get("/assets/embed.js")
def embed_js():
    response = flask.Response(EMBED_JS, mimetype="application/javascript")
    response.headers["Cache-Control"] = f"public, max-age={ASSET_MAX_AGE}"
    return response


def install(app) -> None:
    app.server.register_blueprint(bp)
