"""Which plotly.js the browser and the image exports get.

The observatory draws four trace types (scatter, bar, choroplethmap, scattermap), so instead of
the full ``plotly.min.js`` that ships with plotly.py (4.7 MB raw, 1.08 MB brotli) it serves
partial bundles of plotly.js built from npm by ``npm run build:plotly`` (frontend/, ``make setup``):

- ``plotly-page.min.js`` (core + scatter + bar, 1.1 MB raw, 0.32 MB brotli): on the Dash pages, at
  the URL where dcc.Graph looks for plotly.js, and on the embeds. dcc.Graph (dash 4.4,
  ``dash/dcc/dash_core_components.js``) uses ``window.Plotly`` when it is already set, otherwise
  it adds a ``<script async>`` of ``window._dashPlotlyJSURL``, which the renderer sets to
  ``_dash-component-suites/plotly/package_data/plotly.min.js``: that script loads once a graph is
  on the page, after the first paint, and ``serving`` answers that URL with this file;
- ``plotly-map.min.js`` (choroplethmap + scattermap + MapLibre, 1.9 MB raw, 0.38 MB brotli), at
  ``/plotly/plotly-map.min.js``: loaded by the page bundle the first time a map is drawn, once
  that graph is near the screen;
- ``plotly-observatory.min.js`` (all four in one file): to kaleido, for the PNG/SVG/PDF exports.

When the bundles have not been built (no npm), everything falls back to the full plotly.min.js,
with one warning in the log: the app still works, only heavier.
"""

from __future__ import annotations

import gzip
import logging
from functools import lru_cache
from pathlib import Path

import brotli
import flask

from observatory.contract.plotly_bundles import MAP, built

log = logging.getLogger("observatory.web.plotlyjs")
MAP_URL = "/plotly/plotly-map.min.js"
MAX_AGE = 24 * 3600


@lru_cache(maxsize=2)
def _packed(file: str, mtime_ns: int) -> tuple[bytes, bytes, bytes]:
    raw = Path(file).read_bytes()
    # Brotli 9, not 11: made on the first request (about 1 s for 1.9 MB), then kept.
    return raw, brotli.compress(raw, quality=9), gzip.compress(raw, 9, mtime=0)


def map_bundle() -> flask.Response:
    """The map traces, compressed once per worker, cached by the browser for a day."""
    if not built():
        flask.abort(404)
    raw, br, gz = _packed(str(MAP), MAP.stat().st_mtime_ns)
    etag = f"{MAP.stat().st_mtime_ns:x}-{len(raw):x}"
    accepted = flask.request.accept_encodings
    encoding = next((e for e in ("br", "gzip") if accepted.quality(e) > 0), None)
    if flask.request.if_none_match.contains(f"{etag}-{encoding}"):
        response = flask.Response(status=304)
    else:
        body = {"br": br, "gzip": gz}.get(encoding, raw)
        response = flask.Response(body, mimetype="application/javascript")
        if encoding:
            response.headers["Content-Encoding"] = encoding  # flask-compress leaves it alone
    response.set_etag(f"{etag}-{encoding}")
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response


def install(app) -> None:
    app.server.add_url_rule(MAP_URL, "plotly_map", map_bundle)
