"""The plotly.js files the page, the embeds and the image exports use (``npm run build:plotly``).

Partial bundles of plotly.js built from npm into frontend/dist (see observatory/web/plotlyjs.py for
how they are served); when they have not been built, plotly.py's full plotly.min.js stands in.
Shared by the web app (which serves them) and the exports (kaleido draws with one of them).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import plotly

from observatory.contract.settings import ROOT

log = logging.getLogger("observatory.plotly_bundles")
DIST = ROOT / "frontend" / "dist"
PAGE = DIST / "plotly-page.min.js"
MAP = DIST / "plotly-map.min.js"
EXPORT = DIST / "plotly-observatory.min.js"
FULL = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
TRACES = {"page": ("scatter", "bar"), "map": ("choroplethmap", "scattermap")}


def built() -> bool:
    return PAGE.is_file() and MAP.is_file() and EXPORT.is_file()


@lru_cache(maxsize=1)
def path() -> Path:
    """The page's plotly.js: the partial page bundle when it is built, else plotly.py's full one."""
    if built():
        return PAGE
    log.warning("%s is missing (run `npm ci && npm run build:plotly`): serving the full plotly.js", PAGE)
    return FULL


def export_path() -> Path:
    """The plotly.js kaleido draws the image exports with: every trace the exports use, one file."""
    return EXPORT if built() else FULL
