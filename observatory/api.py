"""The read-only HTTP interface: the API under /api/v1 and the downloads under /download.

Both read a view from the query string with the interface's own code (``urlstate.parse`` then
``explore.resolve``) and publish the interface's own tables (``explore.area_table`` /
``series_table``), so filters and the disclosure rule are literally the same: a suppressed cell
is ``"status": "suppressed"`` with ``count``/``rate`` null, never a number.

Unlike the page, which quietly corrects a bad URL and says so, these routes refuse: an unknown
parameter, a repeated one, a value the page would have corrected (unknown indicator or area,
malformed or out-of-range period, ...) answers 400 with a message in the request's language.

``install(app)`` registers the blueprints and the rate limits (flask-limiter, in-memory storage,
per client address). Limits are read from the Flask config on every request, so tests and
deployments set them there:

- ``OBSERVATORY_DOWNLOAD_LIMIT`` (default ``"30 per minute"``): /download/... (images are costly);
- ``OBSERVATORY_API_LIMIT`` (default ``"120 per minute"``): /api/v1/...;
- ``OBSERVATORY_DOWNLOAD_CACHE_SECONDS`` (default 3600): the downloads' HTTP ``Cache-Control``.

Behind a reverse proxy the client address is the proxy's unless ``OBSERVATORY_TRUSTED_PROXIES``
says how many proxies to trust (``create_app`` then wraps the app in werkzeug's ``ProxyFix``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re

import flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from observatory import components as ui
from observatory import explore, exports, urlstate
from observatory.explore import Context, View
from observatory.i18n import lang_or_default, t
from observatory.schema import BREAKDOWNS

log = logging.getLogger("observatory.api")
VIEW_KEYS = (*urlstate.KEYS.values(), *BREAKDOWNS)
API_FORMATS = ("json", "csv")
DOWNLOAD_NAME = re.compile(r"^([a-z]+)\.([a-z]+)$")
DEFAULTS = {
    "OBSERVATORY_DOWNLOAD_LIMIT": "30 per minute",
    "OBSERVATORY_API_LIMIT": "120 per minute",
    "OBSERVATORY_DOWNLOAD_CACHE_SECONDS": 3600,
}
TERRITORY_COLUMNS = ["country", "code", "name", "level", "parent_code"]

api = flask.Blueprint("api_v1", __name__, url_prefix="/api/v1")
downloads = flask.Blueprint("downloads", __name__, url_prefix="/download")


class BadRequest(Exception):
    """A request this module refuses; the message is already in the reader's language."""


def context() -> Context:
    return flask.current_app.extensions["observatory"]


def request_lang() -> str:
    return lang_or_default(flask.request.args.get("lang"))


# --------------------------------------------------------------------------- reading a request


def check_params(allowed: tuple[str, ...], lang: str) -> dict[str, str]:
    """The query parameters, each at most once, from ``allowed``, with safe characters only."""
    args = flask.request.args
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        raise BadRequest(
            t("api.error.unknown_param", lang, names=", ".join(unknown), allowed=", ".join(allowed))
        )
    out = {}
    for key in args:
        values = args.getlist(key)
        if len(values) > 1:
            raise BadRequest(t("api.error.repeated_param", lang, name=key))
        value = values[0]
        if len(value) > urlstate.MAX_VALUE_LENGTH or not all(urlstate.is_safe(v) for v in value.split(",")):
            raise BadRequest(t("api.error.bad_value", lang, name=key))
        out[key] = value
    return out


def checked_view(ctx: Context, params: dict[str, str], lang: str) -> View:
    """The view for the view keys of ``params``; 400 where the page would have corrected the URL."""
    view = explore.resolve(ctx, urlstate.parse({k: v for k, v in params.items() if k in VIEW_KEYS}))
    problems = [n for n in view.notices if n.key != "no_data_indicator"]
    if problems:
        raise BadRequest(" ".join(t(f"api.error.{n.key}", lang, **n.fields) for n in problems))
    return view


def bad_request(exc: BadRequest, as_json: bool) -> flask.Response:
    message = str(exc)
    if as_json:
        return flask.Response(
            json.dumps({"error": message, "status": 400}, ensure_ascii=False),
            status=400,
            mimetype="application/json",
        )
    return flask.Response(message + "\n", status=400, mimetype="text/plain")


def base_url(ctx: Context) -> str:
    return (ctx.settings.base_url or flask.request.host_url).rstrip("/")


def permalink(ctx: Context, view: View) -> str:
    return base_url(ctx) + "/" + explore.permalink_search(ctx, view)


# --------------------------------------------------------------------------- API


def _records(frame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", date_format="iso"))


def _csv_response(frame, name: str) -> flask.Response:
    return flask.Response(
        exports.csv_bytes(frame),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _json_response(payload: dict) -> flask.Response:
    return flask.Response(json.dumps(payload, ensure_ascii=False, default=str), mimetype="application/json")


def _indicator(ctx: Context, ind: explore.Indicator, lang: str) -> dict:
    def period(ts):
        return explore.period_text(ts, ind.granularity) if ts is not None else None

    return {
        "id": ind.id,
        "title": ind.text("title", lang),
        "unit": ind.text("unit", lang),
        "definition": ind.text("definition", lang),
        "caveats": ind.text("caveats", lang),
        "country": ind.country,
        "granularity": ind.granularity,
        "finest_level": ind.finest_level,
        "measures": ["count", "rate", urlstate.SMOOTHED] if ind.has_rate else ["count"],
        "rate_per": ind.rate_per if ind.has_rate else None,
        "breakdowns": list(ind.breakdowns),
        "disclosure": ind.disclosure,
        "first_period": period(ind.first_period),
        "last_period": period(ind.last_period),
        "last_final_period": period(ind.last_final_period),
        "source": {
            "publisher": ind.get("publisher"),
            "title": ind.get("source_title"),
            "url": ind.get("source_url"),
            "release": ind.get("source_release"),
            "licence": ind.get("licence"),
        },
    }


@api.get("/indicators")
def indicators():
    """Every indicator of the site's country: definition, coverage, source and release."""
    lang = request_lang()
    try:
        params = check_params(("lang", "format"), lang)
        fmt = _format(params, lang)
    except BadRequest as exc:
        return bad_request(exc, True)
    ctx = context()
    items = [_indicator(ctx, ind, lang) for ind in explore.catalogue(ctx)]
    if fmt == "csv":
        import pandas as pd

        flat = pd.json_normalize(items)
        flat["measures"] = flat["measures"].map(",".join)
        flat["breakdowns"] = flat["breakdowns"].map(",".join)
        return _csv_response(flat, "indicators")
    return _json_response({"lang": lang, "data": items})


@api.get("/territories")
def territories():
    """The territories (official codes), optionally of one level or under one parent."""
    lang = request_lang()
    try:
        params = check_params(("lang", "format", "level", "parent"), lang)
        fmt = _format(params, lang)
        terr = explore.territories(context())
        frame = terr.frame.reset_index(drop=True)
        frame = frame[frame["country"] == terr.country]
        if "level" in params:
            if params["level"] not in terr.levels:
                raise BadRequest(
                    t(
                        "api.error.bad_choice",
                        lang,
                        name="level",
                        value=params["level"],
                        allowed=", ".join(terr.levels),
                    )
                )
            frame = frame[frame["level"] == params["level"]]
        if "parent" in params:
            if params["parent"] not in terr:
                raise BadRequest(t("api.error.unknown_area", lang, value=params["parent"]))
            frame = frame[frame["code"].isin(terr.children(params["parent"]))]
    except BadRequest as exc:
        return bad_request(exc, True)
    frame = frame[TERRITORY_COLUMNS].sort_values("code").reset_index(drop=True)
    if fmt == "csv":
        return _csv_response(frame, "territories")
    return _json_response({"lang": lang, "data": _records(frame)})


def _format(params: dict[str, str], lang: str) -> str:
    fmt = params.get("format", "json")
    if fmt not in API_FORMATS:
        raise BadRequest(
            t("api.error.bad_choice", lang, name="format", value=fmt, allowed=", ".join(API_FORMATS))
        )
    return fmt


def _view_payload(ctx: Context, view: View, table: str, frame) -> dict:
    ind, s = view.indicator, view.state
    return {
        "indicator": ind.id,
        "table": table,
        "view": {
            "area": s.area,
            "from": s.start,
            "to": s.end,
            "measure": urlstate.SMOOTHED if s.smooth else s.measure,
            "step": s.step,
            "breakdowns": dict(s.breakdowns),
            "compare": list(s.compare),
            "group": s.group,
            "lang": view.lang,
        },
        "map_level": view.map_level,
        "map_parent": view.map_parent,
        "unit": ui.chart_unit(view, "series" if table == "series" else "table"),
        "disclosure": {"rule": ind.disclosure, "k": ctx.settings.disclosure_k},
        "source": _indicator(ctx, ind, view.lang)["source"],
        "permalink": permalink(ctx, view),
        "columns": list(frame.columns),
        "data": _records(frame),
    }


def _observations(table: str):
    lang = request_lang()
    ctx = context()
    try:
        params = check_params((*VIEW_KEYS, "format"), lang)
        fmt = _format(params, lang)
        view = checked_view(ctx, params, lang)
    except BadRequest as exc:
        return bad_request(exc, True)
    frame = exports.published(ctx, view, "series" if table == "series" else "table")
    if fmt == "csv":
        s = view.state
        return _csv_response(frame, f"{s.indicator}_{s.area}_{s.start}_{s.end}_{table}")
    return _json_response(_view_payload(ctx, view, table, frame))


@api.get("/observations")
def observations():
    """The sub-areas of a view: the rows of the page's map, ranking and table."""
    return _observations("areas")


@api.get("/series")
def series():
    """The time series of a view: the lines of the page's chart (area, parents, compared)."""
    return _observations("series")


@api.get("/services")
def services_route():
    """Service points by sub-area of an area (counts, per 100,000 women, cases per point) and the
    districts without any point: the services page's figures. Shelters are counted, never located."""
    from observatory import services

    lang = request_lang()
    ctx = context()
    try:
        params = check_params(("area", "type", "lang", "format"), lang)
        fmt = _format(params, lang)
        terr = explore.territories(ctx)
        area = params.get("area") or services.default_area(ctx)
        if area not in terr or terr.country_of(area) != ctx.country:
            raise BadRequest(t("api.error.unknown_area", lang, value=area))
        known = services.directory(ctx).all_types
        types = None
        if "type" in params:
            types = tuple(x.upper() for x in params["type"].split(",") if x)
            unknown = [x for x in types if x not in known]
            if unknown or not types:
                raise BadRequest(
                    t(
                        "api.error.bad_choice",
                        lang,
                        name="type",
                        value=",".join(unknown),
                        allowed=", ".join(known),
                    )
                )
    except BadRequest as exc:
        return bad_request(exc, True)
    payload, frame = services.api_payload(
        ctx, services.resolve(ctx, services.ServicesState(area, types, lang))
    )
    if fmt == "csv":
        return _csv_response(frame, f"services_{area}")
    return _json_response({"lang": lang, **payload, "columns": list(frame.columns), "data": _records(frame)})


@api.get("/openapi.json")
def openapi():
    return _json_response(openapi_document(base_url(context())))


def openapi_document(server: str = "") -> dict:
    """The OpenAPI 3.1 description of /api/v1, built from the same allow-lists the routes use."""

    def q(name: str, description: str, enum=None, example=None) -> dict:
        schema: dict = {"type": "string"}
        if enum:
            schema["enum"] = list(enum)
        p = {"name": name, "in": "query", "required": False, "description": description, "schema": schema}
        if example is not None:
            p["example"] = example
        return p

    common = [
        q("lang", "Language of texts and messages", ("es", "en")),
        q("format", "Response format", API_FORMATS),
    ]
    view_params = [
        q(
            "ind",
            "Indicator id (see /indicators); the site's main indicator when left out",
            example="pe_denuncias_vcm",
        ),
        q(
            "area",
            "Official territorial code (Peru: ubigeo of 2, 4 or 6 digits); the country when left out",
            example="15",
        ),
        q("from", "First period, YYYY-MM (monthly) or YYYY (yearly)", example="2024-01"),
        q("to", "Last period, YYYY-MM or YYYY", example="2025-02"),
        q(
            "measure",
            "count; rate per 100,000 where there is a population; or smoothed: the rate, with district "
            "areas given the empirical Bayes smoothed rate as their value",
            ("count", "rate", urlstate.SMOOTHED),
        ),
        q("step", "Step of the time series (monthly indicators)", ("month", "year")),
        q("compare", f"Up to {urlstate.MAX_COMPARE} territorial codes, comma separated (series only)"),
        q(
            "group",
            "A territory group id (data/groups/): keeps the sub-areas in the group (observations only)",
            example="lima_callao",
        ),
        *[
            q(b, f"Breakdown value for {b} (see the indicator's breakdowns); total when left out")
            for b in BREAKDOWNS
        ],
    ]
    error = {
        "description": "Invalid parameter: the message says which and why",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    limited = {
        "description": "Too many requests from this client: wait and retry",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }

    def op(summary: str, description: str, params: list, schema: str) -> dict:
        return {
            "get": {
                "summary": summary,
                "description": description,
                "parameters": params,
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {
                            "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}},
                            "text/csv": {"schema": {"type": "string"}},
                        },
                    },
                    "400": error,
                    "429": limited,
                },
            }
        }

    cell = {
        "type": "object",
        "description": "One published cell. status is value | zero | suppressed | no_data; count and rate are null "
        "unless status is value or zero (a suppressed cell never carries a number).",
        "additionalProperties": True,
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "status": {"type": "string", "enum": ["value", "zero", "suppressed", "no_data"]},
            "count": {"type": ["number", "null"]},
            "rate": {"type": ["number", "null"]},
        },
    }
    table = {
        "type": "object",
        "properties": {
            "indicator": {"type": "string"},
            "view": {"type": "object"},
            "disclosure": {"type": "object"},
            "source": {"type": "object"},
            "permalink": {"type": "string"},
            "columns": {"type": "array", "items": {"type": "string"}},
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/Cell"}},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Observatory API",
            "version": "1.0.0",
            "description": "Read-only access to the observatory's published tables. The filters and the "
            "statistical disclosure rule are the same as the web interface's; limits per client apply.",
        },
        "servers": [{"url": server + "/api/v1"}] if server else [{"url": "/api/v1"}],
        "paths": {
            "/indicators": op(
                "Indicators", "The indicator catalogue with coverage and sources.", common, "List"
            ),
            "/territories": op(
                "Territories",
                "Territories with their official codes.",
                [*common, q("level", "Only this level"), q("parent", "Only the children of this code")],
                "List",
            ),
            "/observations": op(
                "Observations by area",
                "The sub-areas of a view (the page's map, ranking and table).",
                [*view_params, *common],
                "Table",
            ),
            "/series": op(
                "Time series",
                "The lines of a view's time series: the area, its parents and compared areas.",
                [*view_params, *common],
                "Table",
            ),
            "/services": op(
                "Service points",
                "Service points (of the chosen types) per sub-area of an area, per 100,000 women and cases per "
                "point, and the districts without any point. Shelters are counted, never located.",
                [
                    q(
                        "area",
                        "Official territorial code (default: the site's region or country)",
                        example="15",
                    ),
                    q("type", "Comma-separated service types (default: every type)", example="CEM,SAR"),
                    *common,
                ],
                "List",
            ),
            "/openapi.json": {
                "get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI document"}}}
            },
        },
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {"error": {"type": "string"}, "status": {"type": "integer"}},
                },
                "List": {
                    "type": "object",
                    "properties": {"lang": {"type": "string"}, "data": {"type": "array"}},
                },
                "Cell": cell,
                "Table": table,
            }
        },
    }


# --------------------------------------------------------------------------- downloads


def _export(ctx: Context, view: View, chart: str, fmt: str, size: str, url: str, today: dt.date) -> bytes:
    """One download, remembered by the warehouse's snapshot per view, format, size, link and day."""
    return explore.remembered(
        ctx,
        ("export", view, chart, fmt, size, url, today),
        lambda: exports.export(ctx, view, chart, fmt, size, url, today),
    )


@downloads.get("/<name>")
def download(name: str):
    """``/download/<chart>.<format>?<view query>&size=1200x675``: an image or data file of one card."""
    lang = request_lang()
    ctx = context()
    try:
        m = DOWNLOAD_NAME.match(name)
        chart, fmt = (m.group(1), m.group(2)) if m else (name, "")
        if chart not in exports.CHARTS:
            raise BadRequest(
                t(
                    "download.bad_request",
                    lang,
                    reason=t("download.bad_chart", lang, value=chart[:40], allowed=", ".join(exports.CHARTS)),
                )
            )
        allowed = exports.formats_for(chart)
        if fmt not in allowed:
            raise BadRequest(
                t(
                    "download.bad_request",
                    lang,
                    reason=t("download.bad_format", lang, value=fmt[:10], allowed=", ".join(allowed)),
                )
            )
        params = check_params((*VIEW_KEYS, "size"), lang)
        size = params.get("size", exports.DEFAULT_SIZE)
        if size not in exports.SIZES:
            raise BadRequest(
                t(
                    "download.bad_request",
                    lang,
                    reason=t("download.bad_size", lang, value=size, allowed=", ".join(exports.SIZES)),
                )
            )
        view = checked_view(ctx, params, lang)
    except BadRequest as exc:
        return bad_request(exc, False)
    today = dt.date.today()
    try:
        body = _export(ctx, view, chart, fmt, size, permalink(ctx, view), today)
    except Exception:
        if fmt not in exports.IMAGE_FORMATS:
            raise
        log.exception("image export failed for %s %s", name, flask.request.query_string)
        return flask.Response(t("download.failed", lang) + "\n", status=503, mimetype="text/plain")
    response = flask.Response(body, mimetype=exports.MIME[fmt])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{exports.filename(view, chart, fmt, size)}"'
    )
    response.headers["Cache-Control"] = (
        f"public, max-age={int(flask.current_app.config['OBSERVATORY_DOWNLOAD_CACHE_SECONDS'])}"
    )
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    return response.make_conditional(flask.request)


# --------------------------------------------------------------------------- installing


def _limit(key: str):
    return lambda: flask.current_app.config[key]


def too_many_requests(exc) -> flask.Response:
    lang = request_lang()
    limit = str(getattr(exc, "description", "") or "")
    message = t("download.rate_limited", lang, limit=limit)
    headers = {}
    retry = getattr(exc, "retry_after", None)
    if retry:
        headers["Retry-After"] = str(int(retry))
    if flask.request.path.startswith("/api/"):
        body = json.dumps({"error": message, "status": 429}, ensure_ascii=False)
        return flask.Response(body, status=429, mimetype="application/json", headers=headers)
    return flask.Response(message + "\n", status=429, mimetype="text/plain", headers=headers)


def install(app) -> Limiter:
    """Register /api/v1, /download and /embed with their rate limits on ``app`` (a Dash app)."""
    from observatory import embed

    server: flask.Flask = app.server
    for key, value in DEFAULTS.items():
        server.config.setdefault(key, value)
    limiter = Limiter(
        get_remote_address, app=server, storage_uri="memory://", default_limits=[], headers_enabled=True
    )
    limiter.limit(_limit("OBSERVATORY_API_LIMIT"))(api)
    limiter.limit(_limit("OBSERVATORY_DOWNLOAD_LIMIT"))(downloads)
    server.register_blueprint(api)
    server.register_blueprint(downloads)
    embed.install(app)
    server.register_error_handler(429, too_many_requests)
    server.extensions["observatory_limiter"] = limiter
    return limiter
