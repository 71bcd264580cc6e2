"""The read-only HTTP interface: the API under /api/v1 and the downloads under /download.

Both read a view from the query string with the interface's own code (``urlstate.parse`` then
``explore.resolve``) and publish the interface's own tables (``explore.area_table`` /
``series_table``), so filters and the disclosure rule are literally the same: a suppressed cell
is ``"status": "suppressed"`` with ``count``/``rate`` null, never a number.

Unlike the page, which quietly corrects a bad URL and says so, these routes refuse, with a message
in the request's language. The parameters are pydantic models (``observatory/web/api_models.py``) and
the OpenAPI document is generated from them, with the site's own indicator ids, levels and service
types as enums, so the document states exactly what the server accepts: 400 for a request outside
it (unknown or repeated parameter, a value breaking its pattern or enum), 404 for a well-formed
reference to an area, group or service type that does not exist, 422 for values that do not go
together (a period outside the indicator's coverage, a breakdown it lacks, ...).

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
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from observatory.contract.i18n import lang_or_default, t
from observatory.contract.schema import BREAKDOWNS
from observatory.present import components as ui
from observatory.present import exports
from observatory.views import explore, urlstate
from observatory.views.explore import Context, View
from observatory.web import api_models as m

log = logging.getLogger("observatory.web.api")
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

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


# Notices of explore.resolve for well-formed values: a reference to nothing (404) or values that
# do not go together (422). An unknown indicator breaks the document's enum: 400.
NOT_FOUND = {"unknown_area", "unknown_group", "unknown_compare"}
BAD = {"unknown_indicator", "unknown_lang"}


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


def parse(model: type[m.Query], lang: str) -> tuple[m.Query, dict[str, str]]:
    """The query string checked by ``check_params`` and validated by ``model``; 400 naming the
    parameter, its value and what is allowed."""
    names = tuple(f.alias or name for name, f in model.model_fields.items())
    params = check_params(names, lang)
    try:
        return model.model_validate(params), params
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else ""
        value = params.get(name, "")
        if name == "lang":
            raise BadRequest(t("api.error.unknown_lang", "es", value=value)) from None
        if name in ("from", "to"):
            raise BadRequest(t("api.error.bad_period", lang, value=value)) from None
        ctx = error.get("ctx") or {}
        allowed = ctx.get("expected") or ctx.get("pattern") or "non-empty"
        raise BadRequest(t("api.error.bad_choice", lang, name=name, value=value, allowed=allowed)) from None


def checked_view(ctx: Context, params: dict[str, str], lang: str) -> View:
    """The view for the view keys of ``params``; refused where the page would have corrected the URL."""
    view = explore.resolve(ctx, urlstate.parse({k: v for k, v in params.items() if k in VIEW_KEYS}))
    problems = [n for n in view.notices if n.key != "no_data_indicator"]
    if problems:
        keys = {n.key for n in problems}
        status = 400 if keys & BAD else 404 if keys & NOT_FOUND else 422
        raise BadRequest(" ".join(t(f"api.error.{n.key}", lang, **n.fields) for n in problems), status)
    return view


def bad_request(exc: BadRequest, as_json: bool) -> flask.Response:
    message = str(exc)
    status = getattr(exc, "status", 400)
    if as_json:
        return flask.Response(
            json.dumps({"error": message, "status": status}, ensure_ascii=False),
            status=status,
            mimetype="application/json",
        )
    return flask.Response(message + "\n", status=status, mimetype="text/plain")


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
        query, _ = parse(m.Query, lang)
        fmt = query.format
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
        query, params = parse(m.TerritoriesQuery, lang)
        fmt = query.format
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
            if params["parent"] not in terr or terr.country_of(params["parent"]) != terr.country:
                raise BadRequest(t("api.error.unknown_area", lang, value=params["parent"]), 404)
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
        query, params = parse(m.ViewQuery, lang)
        fmt = query.format
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
    from observatory.web import services

    lang = request_lang()
    ctx = context()
    try:
        query, params = parse(m.ServicesQuery, lang)
        fmt = query.format
        terr = explore.territories(ctx)
        area = query.area or services.default_area(ctx)
        if area not in terr or terr.country_of(area) != ctx.country:
            raise BadRequest(t("api.error.unknown_area", lang, value=area), 404)
        known = services.directory(ctx).all_types
        types = None
        if query.type is not None:
            types = tuple(query.type.split(","))
            unknown = [x for x in types if x not in known]
            if unknown:
                raise BadRequest(
                    t(
                        "api.error.bad_choice",
                        lang,
                        name="type",
                        value=",".join(unknown),
                        allowed=", ".join(known),
                    ),
                    400 if known else 404,  # the document enumerates the known types
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
    return _json_response(openapi_document(base_url(context()), context()))


def _parameters(model: type[m.Query], enums: dict[str, list[str]] | None = None) -> list[dict]:
    """Query parameters from the model's JSON schema; ``enums`` narrows a parameter to the values
    the site has (indicator ids, levels), ``type`` to its service types."""
    schema = model.model_json_schema(by_alias=True)
    out = []
    for name, prop in schema["properties"].items():
        branch = next((b for b in prop.get("anyOf", []) if b.get("type") != "null"), None)
        param_schema = {k: v for k, v in (branch or prop).items() if k not in ("title", "default")}
        if "enum" in param_schema or "const" in param_schema:
            param_schema.setdefault("type", "string")
        values = (enums or {}).get(name)
        if values:
            if name == "type":
                alternatives = "|".join(values)
                param_schema["pattern"] = f"^(?:{alternatives})(?:,(?:{alternatives}))*$"
            else:
                param_schema = {"type": "string", "enum": list(values)}
        param = {
            "name": name,
            "in": "query",
            "required": False,
            "description": prop.get("description", ""),
            "schema": param_schema,
        }
        if prop.get("examples"):
            param["example"] = prop["examples"][0]
        out.append(param)
    return out


def openapi_document(server: str = "", ctx: Context | None = None) -> dict:
    """The OpenAPI 3.1 description of /api/v1, generated from ``api_models``; with ``ctx``, the
    site's indicator ids, levels and service types are enums."""
    enums: dict[str, list[str]] = {}
    if ctx is not None:
        from observatory.web import services

        enums["ind"] = [ind.id for ind in explore.catalogue(ctx)]
        enums["level"] = list(explore.territories(ctx).levels)
        try:
            enums["type"] = list(services.directory(ctx).all_types)
        except Exception:  # noqa: BLE001 - no directory loaded: the pattern alone
            log.info("no service directory for the OpenAPI enums", exc_info=True)
    _, schemas = models_json_schema(
        [(model, "serialization") for model in m.RESPONSES], ref_template="#/components/schemas/{model}"
    )

    def ref(model: type[BaseModel]) -> dict:
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    def failure(description: str) -> dict:
        return {"description": description, "content": {"application/json": {"schema": ref(m.Error)}}}

    def op(summary: str, description: str, params: list, schema: type[BaseModel]) -> dict:
        return {
            "get": {
                "summary": summary,
                "description": description,
                "parameters": params,
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {
                            "application/json": {"schema": ref(schema)},
                            "text/csv": {"schema": {"type": "string"}},
                        },
                    },
                    "400": failure("A request outside this document: the message names the parameter"),
                    "404": failure("A well-formed code or id of something that does not exist"),
                    "422": failure("Well-formed values that do not go together (coverage, breakdowns)"),
                    "429": failure("Too many requests from this client: wait and retry"),
                },
            }
        }

    view_params = _parameters(m.ViewQuery, enums)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Observatory API",
            "version": "1.1.0",
            "description": "Read-only access to the observatory's published tables. The filters and the "
            "statistical disclosure rule are the same as the web interface's; limits per client apply.",
        },
        "servers": [{"url": server + "/api/v1"}] if server else [{"url": "/api/v1"}],
        "paths": {
            "/indicators": op(
                "Indicators",
                "The indicator catalogue with coverage and sources.",
                _parameters(m.Query),
                m.IndicatorsResponse,
            ),
            "/territories": op(
                "Territories",
                "Territories with their official codes.",
                _parameters(m.TerritoriesQuery, enums),
                m.TerritoriesResponse,
            ),
            "/observations": op(
                "Observations by area",
                "The sub-areas of a view (the page's map, ranking and table).",
                view_params,
                m.TableResponse,
            ),
            "/series": op(
                "Time series",
                "The lines of a view's time series: the area, its parents and compared areas.",
                view_params,
                m.TableResponse,
            ),
            "/services": op(
                "Service points",
                "Service points (of the chosen types) per sub-area of an area, per 100,000 women and cases per "
                "point, and the districts without any point. Shelters are counted, never located.",
                _parameters(m.ServicesQuery, enums),
                m.ServicesResponse,
            ),
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {
                        "200": {
                            "description": "OpenAPI document",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {"schemas": schemas["$defs"]},
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
        return bad_request(BadRequest(str(exc)), False)  # downloads are outside the document: 400
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
    """Register /api/v1 and /download with their rate limits on ``app`` (a Dash app); the embeds
    register themselves (``embed.install``)."""

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
    server.register_error_handler(429, too_many_requests)
    server.extensions["observatory_limiter"] = limiter
    return limiter
