"""Time to render a chart image on the server: the PNG (2x) of a district map, cold and warm.

On the real warehouse (data/warehouse/observatory.duckdb) when it is there: the districts of
Lima Metropolitana (area=1501), the densest map the site draws. Otherwise on the tiny test
warehouse with rectangle boundaries (the figure then says so). Target: warm <= 1.5 s.
``python -m bench.export`` prints it; ``run(quick)`` / ``report(result)`` for ``python -m bench``.
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from bench import record
from observatory.contract.settings import ROOT, Settings
from observatory.contract.site import load_site
from observatory.present import exports
from observatory.views import explore, urlstate
from observatory.warehouse.db import Warehouse

REAL = ROOT / "data" / "warehouse" / "observatory.duckdb"
REAL_QUERY = "?area=1501"
TINY_QUERY = "?area=15"
TARGET_SECONDS = 1.5


def _context() -> tuple[explore.Context, str, str]:
    if REAL.is_file():
        from observatory.warehouse.geo import Boundaries

        settings = Settings.from_env(environ={}, warehouse=str(REAL))
        boundaries = Boundaries(settings.geo_dir, ROOT / "geo")
        return (
            explore.Context(Warehouse(REAL), settings, load_site(settings.site_path), boundaries),
            REAL_QUERY,
            "real",
        )
    from tests.browser.tiny_geo import boundaries_for, write_layers
    from tests.fixtures import tiny

    folder = Path(tempfile.mkdtemp(prefix="bench-export-"))
    warehouse = tiny.build(folder / "observatory.duckdb")
    settings = Settings.from_env(environ={}, warehouse=str(warehouse))
    ctx = explore.Context(
        Warehouse(warehouse),
        settings,
        load_site(settings.site_path),
        boundaries_for(write_layers(folder / "geo")),
    )
    return ctx, TINY_QUERY, "tiny"


def run(quick: bool = False) -> dict:
    """Seconds to render the district map's PNG: the first one (browser start) and warm ones.

    Warm renders rebuild the figure each time (the download cache is bypassed) but reuse the
    browser, as the server does after its first image.
    """
    ctx, query, data = _context()
    view = explore.resolve(ctx, urlstate.parse(query))
    today = dt.date.today()
    meta = exports.metadata(ctx, view, "map", "https://example.org/" + query, today)
    started = time.perf_counter()
    png = exports.image(ctx, view, "map", "png", exports.DEFAULT_SIZE, meta)
    cold = time.perf_counter() - started
    warm = []
    for _ in range(2 if quick else 5):
        started = time.perf_counter()
        png = exports.image(ctx, view, "map", "png", exports.DEFAULT_SIZE, meta)
        warm.append(time.perf_counter() - started)
    table = explore.area_table(ctx, view)
    return {
        "data": data,
        "query": query,
        "areas": int(table["has_polygon"].sum()),
        "bytes": len(png),
        "cold_s": round(cold, 3),
        "warm_s": [round(w, 3) for w in warm],
        "warm_median_s": round(statistics.median(warm), 3),
        "target_s": TARGET_SECONDS,
    }


def report(result: dict) -> str:
    ok = "meets" if result["warm_median_s"] <= result["target_s"] else "MISSES"
    return "\n".join(
        [
            f"PNG export of a district map ({result['data']} warehouse, {result['query']}, "
            f"{result['areas']} areas, 2400x1350, {result['bytes'] // 1024} KB)",
            f"  first image (starts Chromium): {result['cold_s']:.2f} s",
            f"  warm, median of {len(result['warm_s'])}: {result['warm_median_s']:.2f} s "
            f"({ok} the {result['target_s']} s target)",
        ]
    )


if __name__ == "__main__":
    result = run()
    print(report(result))
    print(f"recorded in {record({'export': result})}")
