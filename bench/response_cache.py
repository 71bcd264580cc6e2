"""Does the response cache at the edge still help, now that the snapshot remembers views (issue 18)?

``python -m bench.response_cache [--warehouse PATH] [--runs 30]``

The five interactions of bench/interactions.py, each the one request the browser posts, through
Flask's test client with the encodings a browser accepts, to two apps over the same warehouse:
``OBSERVATORY_RESPONSE_CACHE_MB`` at its default (``serving.ResponseCache``: the compressed
response kept as sent) and at 0 (no response cache: the snapshot's memo answers the queries and
view tables, and the cards are built, serialised and compressed again). Each request is posted
once untimed, then ``--runs`` times: the second reader of a shared link, or the back button.
Median and p95 per interaction, and the ratio without / with. Prints the figures; never a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from bench import interactions
from observatory.contract.settings import ROOT, Settings


def _app(warehouse: Path, cache_mb: int):
    from observatory.web.app import create_app, settle

    app = create_app(Settings.from_env(warehouse=str(warehouse), response_cache_mb=cache_mb))
    settle(app)
    return app, app.server.extensions["observatory"]


def measure(warehouse: Path, runs: int) -> dict:
    apps = {"with": _app(warehouse, Settings.from_env().response_cache_mb), "without": _app(warehouse, 0)}
    indicator, other = interactions.indicators_for(warehouse)
    out: dict = {}
    for name, (app, ctx) in apps.items():
        client = app.server.test_client()
        steps = interactions.plan(ctx, indicator, other)
        for i in steps:
            body = interactions.payloads(ctx, app, i, interactions.drawn_key(ctx, i.before))[0][1]
            headers = {"Accept-Encoding": interactions.ENCODINGS}
            first = client.post("/_dash-update-component", json=body, headers=headers)
            if first.status_code != 200:
                raise RuntimeError(f"{i.key}: {first.status_code} {first.get_data()[:300]!r}")
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                client.post("/_dash-update-component", json=body, headers=headers).get_data()
                times.append((time.perf_counter() - started) * 1000)
            ordered = sorted(times)
            out.setdefault(i.key, {"label": i.label})[name] = {
                "median_ms": round(statistics.median(ordered), 2),
                "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 2),
                "bytes": len(first.get_data()),
            }
    for figures in out.values():
        figures["without_over_with"] = round(
            figures["without"]["median_ms"] / figures["with"]["median_ms"], 1
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=ROOT / "data" / "warehouse" / "observatory.duckdb")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    result = measure(args.warehouse, args.runs)
    print(
        f"{'interaction':<22} {'with cache':>12} {'without':>12} {'ratio':>7}  (median ms, same request again)"
    )
    for figures in result.values():
        print(
            f"{figures['label']:<22} {figures['with']['median_ms']:>12.2f} {figures['without']['median_ms']:>12.2f}"
            f" {figures['without_over_with']:>6.1f}x"
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
