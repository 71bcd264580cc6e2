"""The observatory's public web app: ``create_app(settings)`` and ``settle(app)``.

Development: ``python app.py`` serves http://127.0.0.1:8050 (debug only when
OBSERVATORY_DEBUG is set). Production: ``gunicorn app:server`` (never in debug).
Both read the default warehouse (``Settings.from_env()``); tests call ``create_app(settings)``.
"""

from __future__ import annotations

import gc
import gzip
import hashlib
import logging
import re
from functools import lru_cache
from pathlib import Path

import dash
import flask
from werkzeug.middleware.proxy_fix import ProxyFix

from observatory.contract import countries, i18n
from observatory.contract.i18n import lang_or_default
from observatory.contract.settings import ROOT, Settings
from observatory.contract.site import Site, check_scope_against, load_site
from observatory.views import explore
from observatory.views.explore import Context
from observatory.warehouse import queries, snapshot, totals
from observatory.warehouse.db import Warehouse, WarehouseUnavailable
from observatory.web import api, crawlers, dashboard, embed, not_found, plotlyjs, services, serving

log = logging.getLogger("observatory.app")
GEO_NAME = re.compile(r"^([a-z]{2})-(country|department|province|municipality|district)\.geojson$")
GEO_MAX_AGE = 24 * 3600
# Dash 4 puts dash_table's loader on every page; no page has a DataTable (tests/test_page_weight.py).
UNUSED_SCRIPTS = ("/_dash-component-suites/dash/dash_table/",)

INDEX = """<!DOCTYPE html>
<html lang="es">
<head>
{%metas%}
<title>{%title%}</title>
<link rel="icon" type="image/svg+xml" href="/assets/__LOGO__">
{%css%}
<style>__CSS_VARIABLES__</style>
</head>
<body>
<noscript><p class="noscript">__NOSCRIPT__</p></noscript>
{%app_entry%}
<footer>
{%config%}
{%scripts%}
{%renderer%}
</footer>
</body>
</html>"""


class ObservatoryDash(dash.Dash):
    def interpolate_index(self, **kwargs):
        """The page shell, with ``<html lang>`` set from the URL's language, without the scripts of
        Dash component libraries the observatory does not use (``UNUSED_SCRIPTS``)."""
        scripts = kwargs.get("scripts", "")
        kwargs["scripts"] = "\n".join(
            line for line in scripts.split("\n") if not any(s in line for s in UNUSED_SCRIPTS)
        )
        html = super().interpolate_index(**kwargs)
        lang = lang_or_default(flask.request.args.get("lang")) if flask.has_request_context() else "es"
        return html.replace('<html lang="es">', f'<html lang="{lang}">', 1)


def _boundaries(settings: Settings):
    """The boundary layers (observatory.warehouse.geo), or None when the module or the build is missing."""
    try:
        from observatory.warehouse.geo import Boundaries
    except ImportError:
        log.warning("observatory.warehouse.geo is missing: maps are replaced by tables")
        return None
    try:
        return Boundaries(settings.geo_dir, ROOT / "geo")
    except Exception:
        log.exception("boundaries could not be loaded: maps are replaced by tables")
        return None


@lru_cache(maxsize=16)
def _geo_payload(path: str, mtime_ns: int) -> tuple[bytes, bytes, str]:
    raw = Path(path).read_bytes()
    return raw, gzip.compress(raw, compresslevel=6), hashlib.sha256(raw).hexdigest()[:32]


def check_scope(site: Site, warehouse) -> None:
    """``check_scope_against`` the warehouse's territories; a missing warehouse is not checked
    (the app shows its maintenance page until a build puts one in place)."""
    if site.scope is None:
        return
    try:
        frame = queries.territories(warehouse, site.country)
    except WarehouseUnavailable:
        return
    check_scope_against(site, frame)


def create_app(settings: Settings | None = None, *, boundaries=None) -> dash.Dash:
    """The Dash app for ``settings``: pages, callbacks, serving rules and the boundary files.

    ``boundaries`` replaces the boundary layers read from ``settings.geo_dir`` (tests).
    """
    settings = settings or Settings.from_env()
    pack = countries.pack(settings.data_dir, settings.country)
    site = countries.fit_site(load_site(settings.site_path), pack)
    i18n.use_numbers(pack.numbers)
    i18n.use_country(pack.code)  # CLDR month names, dates and plurals: es_PE, es_SV
    boundaries = boundaries if boundaries is not None else _boundaries(settings)
    ctx = Context(Warehouse(settings.warehouse_path), settings, site, boundaries)
    snapshot.configure(ctx.warehouse, settings)  # the memo's sizes
    check_scope(site, ctx.warehouse)  # a regional site's region must be in the warehouse
    app = ObservatoryDash(
        __name__,
        use_pages=True,
        pages_folder=str(ROOT / "observatory" / "web" / "pages"),
        assets_folder=str(ROOT / "assets"),
        title=site.name["es"],
        update_title=None,
        suppress_callback_exceptions=True,
        meta_tags=[
            {"name": "viewport", "content": "width=device-width, initial-scale=1"},
            {"name": "theme-color", "content": site.primary},
        ],
    )
    app.index_string = (
        INDEX.replace("__CSS_VARIABLES__", site.css_variables())
        .replace("__LOGO__", site.logo)
        .replace("__NOSCRIPT__", "Esta página necesita JavaScript. / This page needs JavaScript.")
    )
    app.server.extensions["observatory"] = ctx
    serving.install(app, settings, ctx.warehouse)  # headers, /health, maintenance page, compression
    app.server.config.update(
        OBSERVATORY_DOWNLOAD_LIMIT=settings.download_limit,
        OBSERVATORY_API_LIMIT=settings.api_limit,
        OBSERVATORY_DOWNLOAD_CACHE_SECONDS=settings.download_cache_seconds,
    )
    api.install(app)  # /api/v1 and /download, with their rate limits (app.server.config)
    embed.install(app)  # /embed/<chart>
    not_found.install(app)  # an address no page answers: the not-found view with HTTP 404
    crawlers.install(app)  # /robots.txt
    plotlyjs.install(app)  # /plotly/plotly-map.min.js, the map traces the page loads on demand
    if settings.trusted_proxies > 0:  # the reader's address, not the proxy's, for the rate limits
        n = settings.trusted_proxies
        app.server.wsgi_app = ProxyFix(app.server.wsgi_app, x_for=n, x_proto=n, x_host=n)
    dashboard.register_callbacks(app, ctx)
    services.register_callbacks(app, ctx)  # the services page (/servicios)

    @app.server.route("/geo/<name>")
    def geo(name: str):
        """A boundary layer, fetched once per level by plotly.js and cached by the browser."""
        m = GEO_NAME.match(name)
        if not m or ctx.boundaries is None:
            flask.abort(404)
        path = ctx.boundaries.layer_path(m.group(1).upper(), m.group(2))
        if not path or not Path(path).is_file():
            flask.abort(404)
        raw, packed, etag = _geo_payload(str(path), Path(path).stat().st_mtime_ns)
        if flask.request.if_none_match.contains(etag):
            response = flask.Response(status=304)
        elif "gzip" in flask.request.headers.get("Accept-Encoding", ""):
            response = flask.Response(packed, mimetype="application/geo+json")
            response.headers["Content-Encoding"] = "gzip"
        else:
            response = flask.Response(raw, mimetype="application/geo+json")
        response.set_etag(etag)
        response.headers["Cache-Control"] = f"public, max-age={GEO_MAX_AGE}"
        response.headers["Vary"] = "Accept-Encoding"
        return response

    return app


def settle(app: dash.Dash) -> None:
    """Read the reference data every request needs, then take what exists now out of the cyclic
    garbage collector's way: it lives as long as the worker, and a full collection walking it
    stalled a request now and then (the p95 of bench/interactions.py). Called once per process,
    after ``create_app``; a missing warehouse is read later, when it appears."""
    ctx = app.server.extensions["observatory"]
    if ctx.warehouse.available():
        default = explore.catalogue(ctx).default
        explore.territories(ctx)
        if default.country != "*":  # the opening view's totals, held in memory (observatory.warehouse.totals)
            totals.load(ctx.snapshot, default.id, ctx.country, default.granularity)
    # Dash registers the scripts it may serve (_dash-component-suites) when it renders the page
    # shell: a gunicorn worker that has not rendered one yet answered 404 for the scripts of a
    # page another worker sent, and that page stayed blank (seen by bench/browser.py).
    with app.server.test_request_context("/"):
        app._setup_server()
        app.index()
    gc.collect()
    gc.freeze()
