"""Which plotly.js the browser and the image exports get.

The observatory draws four trace types (scatter, bar, choroplethmap, scattermap), so it serves a
partial bundle of plotly.js built from npm by ``npm run build:plotly`` (frontend/, ``make setup``)
instead of the full ``plotly.min.js`` that ships with plotly.py: about 3.0 MB instead of 4.7 MB
raw. The same file is served three ways:

- on the Dash pages, at the URL where dcc.Graph looks for plotly.js. dcc.Graph (dash 4.4,
  ``dash/dcc/dash_core_components.js``) uses ``window.Plotly`` when it is already set, otherwise
  it adds a ``<script async>`` of ``window._dashPlotlyJSURL``, which the renderer sets to
  ``_dash-component-suites/plotly/package_data/plotly.min.js``. That script loads only once a
  graph is on the page, after the first paint; ``serving`` answers that URL with this file;
- on the embeds (``/embed/assets/plotly.min.js``);
- to kaleido, for the PNG/SVG/PDF exports (``exports``).

When the bundle has not been built (no npm), everything falls back to the full plotly.min.js,
with one warning in the log: the app still works, only heavier.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import plotly

from observatory.config import ROOT

log = logging.getLogger("observatory.plotlyjs")
BUNDLE = ROOT / "frontend" / "dist" / "plotly-observatory.min.js"
FULL = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
TRACES = ("scatter", "bar", "choroplethmap", "scattermap")


@lru_cache(maxsize=1)
def path() -> Path:
    """The partial bundle when it is built, else plotly.py's full plotly.min.js."""
    if BUNDLE.is_file():
        return BUNDLE
    log.warning("%s is missing (run `npm ci && npm run build:plotly`): serving the full plotly.js", BUNDLE)
    return FULL
