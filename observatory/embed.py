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

from observatory import api, explore, exports, figures, plotlyjs
from observatory import components as ui
from observatory.explore import Context, View
from observatory.i18n import t

ASSET_MAX_AGE = 24 * 3600
MAP_SIZE = (800, 450)  # the map's first view is fitted for this size; it then follows the frame
EMBED_JS = """(function () {
  var data = document.getElementById('figure-data');
  var target = document.getElementById('chart');
  if (!data || !target || !window.Plotly) { return; }
  var fig = JSON.parse(data.textContent);
  var config = {responsive: true, displaylogo: false, scrollZoom: false,
                modeBarButtonsToRemove: ['toImage', 'select2d', 'lasso2d']};
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
<title>{page_title}</title>
<style>
html,body{{margin:0;height:100%;background:#fff;color:#1f1f1f;font-family:{font}}}
.embed{{display:flex;flex-direction:column;height:100%;box-sizing:border-box;padding:8px 12px}}
.embed__title{{font-size:1rem;margin:0;line-height:1.3}}
.embed__subtitle{{font-size:.85rem;margin:.1rem 0 .3rem;color:#595959}}
.embed__chart{{flex:1 1 auto;min-height:240px;width:100%}}
.embed__source{{font-size:.75rem;margin:.3rem 0 0;color:#595959}}
.embed__source a{{color:{primary}}}
</style>
</head>
<body>
<main class="embed">
<h1 class="embed__title">{title}</h1>
<p class="embed__subtitle">{subtitle}</p>
<div id="chart" class="embed__chart" role="figure" aria-label="{label}"></div>
<p class="embed__source" id="embed-source">{source} {notes}· <a href="{url}" target="_blank" rel="noopener" id="embed-link">{view_full}</a></p>
</main>
<script type="application/json" id="figure-data">{figure}</script>
<script src="/embed/assets/plotly.min.js"></script>
<script src="/embed/assets/embed.js"></script>
</body>
</html>"""

bp = flask.Blueprint("embed", __name__, url_prefix="/embed")


def embed_figure(ctx: Context, view: View, chart: str):
    """The chart as the page draws it (the map as a MapLibre map of this site's boundary files)."""
    if chart != "map":
        fig = exports.chart_figure(ctx, view, chart, MAP_SIZE)
    else:
        table = explore.area_table(ctx, view)
        mapped = table[table["has_polygon"].astype(bool)] if len(table) else table
        if not explore.map_available(ctx, view) or mapped.empty:
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
    fig = go.Figure(fig)
    fig.update_layout(autosize=True, height=None, width=None)
    return fig


def snippet(url: str, title: str, height: int = 480) -> str:
    """The ``<iframe>`` a reader pastes into a web page: full width, fixed height."""
    return (
        f'<iframe src="{html.escape(url)}" title="{html.escape(title)}" width="100%" height="{height}" '
        'style="border:0;max-width:100%" loading="lazy" referrerpolicy="strict-origin-when-cross-origin"></iframe>'
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
        source=html.escape(meta.source),
        notes="".join(html.escape(n) + " " for n in meta.notes),
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
    response = flask.send_file(plotlyjs.path(), mimetype="application/javascript", max_age=ASSET_MAX_AGE)
    return response


@bp.get("/assets/embed.js")
def embed_js():
    response = flask.Response(EMBED_JS, mimetype="application/javascript")
    response.headers["Cache-Control"] = f"public, max-age={ASSET_MAX_AGE}"
    return response


def install(app) -> None:
    app.server.register_blueprint(bp)
