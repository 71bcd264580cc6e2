"""How the app is served to the public: headers, limits, health, maintenance, compression.

``install(app, settings, warehouse)`` is called once by ``create_app``. It adds:

- a Content-Security-Policy that Dash works under: scripts only from this site plus the hashes
  of Dash's own inline scripts (``app.csp_hashes()``); styles from this site and inline style
  attributes (React and plotly set them); images and MapLibre's workers from ``data:``/``blob:``;
  no other origin at all (maps use no tile server). Framing: only ``/embed/`` routes may be framed,
  by any site; every other page refuses to be framed;
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: strict-origin-when-cross-origin``;
- a request size limit (Dash callbacks are small; nothing is uploaded);
- ``/health``: 200 with the warehouse's figures, or 503 with the reason;
- a maintenance page (503) on every page while the warehouse is missing or unreadable;
- gzip/brotli compression, a log line for slow requests, and no traceback ever sent.
"""

from __future__ import annotations

import logging
import time

import dash
import flask
from flask_compress import Compress

from observatory.config import Settings
from observatory.db import Warehouse

log = logging.getLogger("observatory.serving")
MAX_REQUEST_BYTES = 256 * 1024
SLOW_REQUEST_SECONDS = 0.5
OPEN_PATHS = ("/health", "/assets/", "/_favicon")

MAINTENANCE = """<!DOCTYPE html>
<html lang="es"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>En mantenimiento — Under maintenance</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1d1d1f;line-height:1.5}}
h1{{font-size:1.5rem}}.en{{color:#3a3a3c;border-top:1px solid #ccc;margin-top:2rem;padding-top:1rem}}</style></head>
<body><h1>El observatorio está en mantenimiento</h1>
<p>Los datos se están actualizando o no están disponibles en este momento. Vuelva a intentarlo en unos minutos.</p>
<p>Si usted o alguien que conoce vive violencia, llame gratis a la <strong>Línea 100</strong> (24 horas).</p>
<div class="en" lang="en"><h2>The observatory is under maintenance</h2>
<p>The data are being updated or are not available right now. Please try again in a few minutes.</p></div>
<p><small>Estado técnico / status: <code>/health</code></small></p></body></html>"""


def content_security_policy(app, *, embed: bool) -> str:
    scripts = " ".join(["'self'", *app.csp_hashes()])  # the hashes come quoted
    directives = {
        "default-src": "'self'",
        "script-src": scripts,
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "worker-src": "'self' blob:",
        "child-src": "'self' blob:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "*" if embed else "'none'",
    }
    return "; ".join(f"{k} {v}" for k, v in directives.items())


URL_PROPERTIES = ("pathname", "search", "hash", "href")


def callback_body_problem(app, body) -> str | None:
    """Why a POST to Dash's callback endpoint is malformed, or None.

    Dash trusts the shape of the body its own front end sends; anything else (a fuzzer, a
    hand-written request) must be turned away with a 400 before Dash indexes into it.
    """
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    output = body.get("output")
    spec = app.callback_map.get(output) if isinstance(output, str) else None
    if spec is None or "callback" not in spec:
        return "no such callback"
    outputs = body.get("outputs")
    expected = len(output[2:-2].split("...")) if output.startswith("..") else 1
    if expected > 1:
        if not (
            isinstance(outputs, list)
            and len(outputs) == expected
            and all(isinstance(o, dict) for o in outputs)
        ):
            return "outputs do not match the callback"
    elif not isinstance(outputs, dict | list):
        return "outputs do not match the callback"
    for key in ("inputs", "state"):
        items = body.get(key, [])
        if not isinstance(items, list) or len(items) != len(spec[key]):
            return f"{key} do not match the callback"
        for item in items:
            for one in item if isinstance(item, list) else [item]:
                if not (isinstance(one, dict) and "id" in one and isinstance(one.get("property"), str)):
                    return f"{key} do not match the callback"
                value = one.get("value")
                if one["property"] in URL_PROPERTIES and not (value is None or isinstance(value, str)):
                    return f"{one['property']} must be a string"
                if one["property"] == "pathname" and not (
                    isinstance(value, str) and value.startswith(app.config.requests_pathname_prefix)
                ):
                    return "pathname outside the site"
    changed = body.get("changedPropIds", [])
    if not (isinstance(changed, list) and all(isinstance(c, str) for c in changed)):
        return "changedPropIds must be a list of strings"
    return None


def install(app, settings: Settings, warehouse: Warehouse) -> None:
    server: flask.Flask = app.server
    server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    server.config["COMPRESS_ALGORITHM"] = ["br", "gzip"]
    server.config["COMPRESS_MIMETYPES"] = [
        "text/html",
        "text/css",
        "text/csv",
        "application/javascript",
        "text/javascript",
        "application/json",
        "application/geo+json",
        "image/svg+xml",
    ]
    Compress(server)
    policies: dict[bool, str] = {}

    def policy(embed: bool) -> str:
        # Computed on first use: every inline script (clientside callbacks) is registered by then.
        if embed not in policies:
            policies[embed] = content_security_policy(app, embed=embed)
        return policies[embed]

    @server.before_request
    def _start():
        flask.g.started = time.perf_counter()
        path = flask.request.path
        if path == "/_dash-update-component" and flask.request.method == "POST":
            problem = callback_body_problem(app, flask.request.get_json(silent=True))
            if problem:
                return flask.jsonify({"error": problem}), 400
        if path.startswith(OPEN_PATHS):
            return None
        if not warehouse.available():
            return flask.Response(
                MAINTENANCE, status=503, mimetype="text/html", headers={"Retry-After": "120"}
            )
        return None

    @server.after_request
    def _headers(response: flask.Response) -> flask.Response:
        embed = flask.request.path.startswith("/embed")
        response.headers["Content-Security-Policy"] = policy(embed)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        if not embed:
            response.headers["X-Frame-Options"] = "DENY"
        elapsed = time.perf_counter() - getattr(flask.g, "started", time.perf_counter())
        if elapsed > SLOW_REQUEST_SECONDS:
            log.warning("slow request %s %s took %.3fs", flask.request.method, flask.request.path, elapsed)
        return response

    @server.route("/health")
    def _health():
        state = warehouse.health()
        state["warehouse"] = warehouse.path.name
        return flask.jsonify(state), (200 if state["ok"] else 503)

    @server.errorhandler(dash.exceptions.DependencyException)
    def _no_such_resource(_exc):
        return flask.jsonify({"error": "no such resource"}), 404

    @server.errorhandler(413)
    def _too_large(_exc):
        return flask.jsonify({"error": f"request larger than {MAX_REQUEST_BYTES // 1024} KB"}), 413

    @server.errorhandler(500)
    def _error(exc):
        log.error("unhandled error on %s: %r", flask.request.path, getattr(exc, "original_exception", exc))
        return flask.jsonify({"error": "internal error; it has been logged"}), 500
