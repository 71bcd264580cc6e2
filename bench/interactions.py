"""Fast at national scale (issue 6): each reader interaction, server side, on the wire and under load.

``python -m bench.interactions [--quick] [--scales real,1000000,10000000] [--runs 30]``

At each scale (the real warehouse ``make build`` wrote; synthetic ones of bench/synth.py under
bench/data/, built when missing; ``--quick``: real and 100k rows in a temporary folder), in a
fresh process per scale:

1. ``server``: five interactions of a reader, each a change of one control. The app is made by
   ``create_app`` as app.py makes it, and the measured code is what the one Dash callback of an
   interaction calls, ``dashboard.on_view`` (the new URL, the controls and every card: header,
   map with the map already drawn, series and its table (closed), ranking and table, download
   menus, compare options), its result serialised as Dash does (plotly's JSON encoder). Median
   and p95 over ``--runs`` runs with the snapshot's memo of query results and view tables
   emptied before each (a view nobody asked for yet), and the same once the view is remembered.
   Reference data (catalogue, territories, each year's denominators) is read once per warehouse
   version and kept, like the boundary layers, and so are the totals of each indicator asked
   (``observatory.warehouse.totals``: arrays of its all-'total' roll-up rows, from which a view's sums are
   computed afresh each time).
2. ``bytes``: the same callbacks posted to ``/_dash-update-component`` with the payloads the
   browser sends, through the Flask test client: the response bytes as sent (brotli/gzip, as the
   app compresses) and uncompressed. The first page load: the page, every script and stylesheet
   it names, the Dash chunks the page's graphs and dropdowns load, layout and dependencies, the
   callbacks fired on load and the boundary layer of the first map.
3. ``naive``: bench/naive.py on the same observations and interactions (DataFrame filtered per
   callback, whole new choropleth with the full GeoJSON); ours / theirs at district level.
4. ``http``: gunicorn (``app:server``, 2 workers x 4 threads as ``make run``) on 127.0.0.1 and a
   free port; 50 client threads, each pausing 0.5-2 s before an interaction like a reader, post
   the interactions' payloads for a bounded number of rounds and seconds; p50/p95 of the
   requests per interaction, errors, the workers' resident memory.

Tests run the measuring functions on the tiny warehouse (tests/test_bench_interactions.py) and
never assert a time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from dash import no_update
from dash._utils import to_json

from bench import record

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "data"
SCALES = ("real", "1000000", "10000000")
QUICK_SCALES = ("real", "100000")
RUNS, QUICK_RUNS = 30, 3
VIEWPORT = [1366, 768]
ENCODINGS = "gzip, deflate, br"  # what a browser sends
CLIENTS = 50
ROUNDS, QUICK_ROUNDS = 4, 1  # per client: every interaction's requests, this many times
HTTP_SECONDS, QUICK_HTTP_SECONDS = 60, 20
# Each client waits this long before each interaction, as bench/locustfile.py's readers do; its
# requests then go one after the other (a browser sends them side by side: this is the slower case).
THINK_SECONDS = (0.5, 2.0)
# Issue 6's targets at 10M rows on a 2-core machine.
TARGETS = {
    "server_p95_ms": 30,
    "response_kb": 30,
    "first_load_kb": 1500,
    "http_p95_ms": 150,
    "faster_than_naive": 10,
    "fewer_bytes_than_naive": 20,
    "worker_rss_mb": 400,
}


@dataclass(frozen=True)
class Interaction:
    key: str
    label: str
    before: str  # the query string the page shows
    trigger: str  # the control's id
    name: str  # its name in controls.CONTROL_IDS
    value: object
    district_level: bool  # the map shows districts after the change


def plan(
    ctx, indicator: str, other: str, province: str = "1501", department: str = "15"
) -> list[Interaction]:
    """The five interactions on ``indicator`` (``other``: a second indicator with district data).

    Lima province has 43 districts; its department, 10 provinces. ``compare`` adds the province's
    last district and another province of the department to the series.
    """
    from observatory.views import explore, urlstate

    ind = f"ind={indicator}"
    view = explore.resolve(ctx, urlstate.parse(f"?{ind}&area={province}"))
    start = f"{view.end.year - 1}-01"
    siblings = sorted(explore.territories(ctx).children(province))
    far = next(
        (c for c in sorted(explore.territories(ctx).children(department)) if c != province), department
    )
    compare = [c for c in (siblings[-1] if siblings else None, far) if c]
    return [
        Interaction("indicator", "change indicator", f"?ind={other}&area={province}", "f-indicator",
                    "indicator", indicator, True),
        Interaction("period", "change period", f"?{ind}&area={province}", "f-from", "start", start, True),
        Interaction("department", "choose a department", f"?{ind}", "f-department", "department",
                    department, False),
        Interaction("districts", "drill to districts", f"?{ind}&area={department}", "f-province", "province",
                    province, True),
        Interaction("compare", "compare areas", f"?{ind}&area={province}", "f-compare", "compare", compare, True),
    ]  # fmt: skip


# --- the callbacks, as Dash calls them ---------------------------------------------------------


def _outputs(key: str) -> list[tuple[str, str]]:
    """(id, property) of a callback's outputs, from its callback_map key."""
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    return [tuple(p.rsplit(".", 1)) for p in parts]


def _callback_keys(app) -> dict[str, str]:
    """Our name for the explore page's server callback of an interaction -> its callback_map key."""
    first = {"view": ("url", "search")}
    keys = {}
    for name, output in first.items():
        keys[name] = next(k for k in app.callback_map if _outputs(k)[0] == output)
    return keys


def dash_response(key: str, values) -> dict:
    """The body Dash sends for a callback that returned ``values`` (no_update outputs left out)."""
    outs = _outputs(key)
    if len(outs) == 1 and not key.startswith(".."):
        values = [values]
    elif isinstance(values, dict):
        values = list(values.values())
    response: dict = {}
    for (cid, prop), value in zip(outs, values, strict=True):
        if value is no_update:
            continue
        if hasattr(value, "to_plotly_json") and type(value).__name__ == "Patch":
            value = value.to_plotly_json()
        response.setdefault(cid, {})[prop] = value
    return {"multi": True, "response": response}


def _values_of(ctx, search: str) -> dict:
    """The controls' values a page showing ``search`` holds (what the browser sends as inputs)."""
    from observatory.present import controls
    from observatory.web import dashboard

    out = dashboard.on_sync(ctx, "url", search)
    return {name: out[f"{name}.value"] for name, _ in controls.CONTROL_IDS}


def serve(ctx, keys: dict[str, str], i: Interaction, drawn: str | None, values: dict) -> dict[str, str]:
    """Run one interaction's callback like the server does; its JSON body by callback name.

    ``drawn``: the map key the page holds; ``values``: the controls' values it sends. The series
    table's details are closed, as a page opens.
    """
    from observatory.web import dashboard

    out = dashboard.on_view(
        ctx,
        i.trigger,
        i.before,
        drawn=drawn,
        viewport=VIEWPORT,
        host_url="http://127.0.0.1/",
        **{**values, i.name: i.value},
    )
    return {"view": to_json(dash_response(keys["view"], out))}


def after_search(ctx, i: Interaction) -> str:
    from observatory.web import dashboard

    values = {**_values_of(ctx, i.before), i.name: i.value}
    out = dashboard.on_sync(ctx, i.trigger, i.before, None, **values)
    return out["search"] if out["search"] is not no_update else i.before


def drawn_key(ctx, search: str) -> str | None:
    """The map key the page holds after showing ``search`` (the map-key store)."""
    from observatory.web import dashboard

    return dashboard.on_map(ctx, search, None, viewport=VIEWPORT)[1]


def clear_view_caches(ctx) -> None:
    """Forget every query result and view table of the warehouse's snapshot (the next call computes
    the view as if nobody had asked yet); its reference data and totals stay."""
    ctx.snapshot.memo.clear()


def _stats(ms: list[float]) -> dict:
    ordered = sorted(ms)
    return {
        "median_ms": statistics.median(ordered),
        "p95_ms": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
        "runs": len(ordered),
    }


def measure_server(ctx, app, steps: list[Interaction], runs: int) -> dict:
    """Per interaction: cold and warm server time (ms) and the uncompressed JSON bytes per callback.

    One untimed pass over the interactions first, as a worker that has served a few pages: the
    reference data they need (boundary layers, denominators, each indicator's totals) is read
    once per worker, not once per view, and would otherwise be timed as the first run of one of them.
    The runs take the interactions in turn, so a spell of a busy machine falls on all of them.
    """
    keys = _callback_keys(app)
    page = {i.key: (drawn_key(ctx, i.before), _values_of(ctx, i.before)) for i in steps}
    for i in steps:
        serve(ctx, keys, i, *page[i.key])
    cold: dict[str, list[float]] = {i.key: [] for i in steps}
    warm: dict[str, list[float]] = {i.key: [] for i in steps}
    bodies: dict[str, dict[str, str]] = {}
    for _ in range(runs):
        for i in steps:
            clear_view_caches(ctx)
            drawn_key(ctx, i.before)  # the page before: its views cached, as in a real session
            started = time.perf_counter()
            bodies[i.key] = serve(ctx, keys, i, *page[i.key])
            cold[i.key].append((time.perf_counter() - started) * 1000)
    for i in steps:
        serve(ctx, keys, i, *page[i.key])  # every view cached (the caches hold far more than five)
    for _ in range(runs):
        for i in steps:
            started = time.perf_counter()
            serve(ctx, keys, i, *page[i.key])
            warm[i.key].append((time.perf_counter() - started) * 1000)
    out = {}
    for i in steps:
        per_callback = {name: len(body.encode()) for name, body in bodies[i.key].items()}
        out[i.key] = {
            "label": i.label,
            "before": i.before,
            "after": after_search(ctx, i),
            "district_level": i.district_level,
            "cold": _stats(cold[i.key]),
            "warm": _stats(warm[i.key]),
            "json_bytes": sum(per_callback.values()),
            "json_bytes_per_callback": per_callback,
            "map_is_patch": '"__dash_patch_update"' in bodies[i.key]["view"],
            "map_json_bytes": _map_bytes(bodies[i.key]["view"]),
        }
    return out


def _map_bytes(body: str) -> int:
    """Bytes of the map's figure (or patch) inside a view response."""
    figure = json.loads(body)["response"].get("map", {}).get("figure")
    return len(json.dumps(figure, separators=(",", ":")).encode()) if figure is not None else 0


# --- the payloads the browser posts --------------------------------------------------------------


def payloads(ctx, app, i: Interaction, drawn: str | None) -> list[tuple[str, dict]]:
    """(callback name, request body) for one interaction: the one view callback (a first load: its
    first call, with the page's controls)."""
    from observatory.present import controls

    keys = _callback_keys(app)
    before = _values_of(ctx, i.before)
    values = {
        ("url", "search"): i.before,
        ("viewport", "data"): VIEWPORT,
        ("map-key", "data"): drawn,
        ("table-sort", "data"): {"col": "shown", "desc": True},
        ("map", "clickData"): None,
        ("series-table-toggle", "n_clicks"): 0,
    }
    for name, cid in controls.CONTROL_IDS:
        values[(cid, "value")] = before[name]
    changed = []
    if i.trigger != "url":
        values[(i.trigger, "value")] = i.value
        changed = [f"{i.trigger}.value"]
    out = []
    for name, key in keys.items():
        spec = app.callback_map[key]
        outs = [{"id": c, "property": p} for c, p in _outputs(key)]
        body = {
            "output": key,
            "outputs": outs if key.startswith("..") else outs[0],
            "inputs": [{**d, "value": values.get((d["id"], d["property"]))} for d in spec["inputs"]],
            "state": [{**d, "value": values.get((d["id"], d["property"]))} for d in spec["state"]],
            "changedPropIds": changed,
        }
        out.append((name, body))
    return out


def first_load(client, app, ctx) -> dict:
    """Bytes of a first visit to ``/`` as sent (compressed) and raw, item by item."""
    from observatory.web import dashboard

    items: dict[str, tuple[int, int]] = {}

    def get(path: str, label: str | None = None, method: str = "GET", body=None) -> bytes:
        kw = {"json": body} if body is not None else {}
        packed = client.open(path, method=method, headers={"Accept-Encoding": ENCODINGS}, **kw)
        plain = client.open(path, method=method, **kw)
        if packed.status_code != 200 or plain.status_code != 200:
            raise RuntimeError(f"{method} {path} answered {packed.status_code}")
        items[label or path] = (len(packed.get_data()), len(plain.get_data()))
        return plain.get_data()

    html = get("/").decode()
    refs = re.findall(r'<script[^>]+src="([^"]+)"', html) + re.findall(
        r'<link[^>]+href="([^"]+\.css[^"]*)"', html
    )
    for ref in refs:
        if ref.startswith("/"):
            get(ref)
    dcc = next((r for r in refs if "dash_core_components.v" in r or "dash_core_components.js" in r), None)
    if dcc:  # loaded on demand by the page's graphs and dropdowns
        for chunk in ("async-graph", "async-dropdown", "async-plotlyjs"):
            ref = re.sub(r"dash_core_components(?=\.)", chunk, dcc, count=1)
            if client.get(ref).status_code == 200:
                get(ref)
    plotly = "/_dash-component-suites/plotly/package_data/plotly.min.js"  # loaded by the first graph
    if client.get(plotly).status_code == 200:
        get(plotly)
    get("/_dash-layout")
    get("/_dash-dependencies")
    landing = Interaction("load", "first load", "", "url", "", None, False)
    for name, body in payloads(ctx, app, landing, None):
        get("/_dash-update-component", f"callback {name}", "POST", body)
    view = dashboard.view_of(ctx, "")
    if view.map_country and view.map_level:
        get(dashboard.geo_url(view.map_country, view.map_level))
    return {
        "bytes": sum(p for p, _ in items.values()),
        "raw_bytes": sum(r for _, r in items.values()),
        "items": {k: {"bytes": p, "raw_bytes": r} for k, (p, r) in items.items()},
    }


def measure_bytes(ctx, app, steps: list[Interaction]) -> dict:
    """Per interaction: the callback responses' bytes as sent (compressed) and raw, through Flask."""
    client = app.server.test_client()
    out = {}
    for i in steps:
        drawn = drawn_key(ctx, i.before)
        packed = raw = 0
        per = {}
        for name, body in payloads(ctx, app, i, drawn):
            a = client.post("/_dash-update-component", json=body, headers={"Accept-Encoding": ENCODINGS})
            b = client.post("/_dash-update-component", json=body)
            if a.status_code not in (200, 204) or b.status_code not in (200, 204):
                raise RuntimeError(f"{i.key} {name}: {a.status_code} {a.get_data()[:300]!r}")
            per[name] = len(a.get_data())
            packed += len(a.get_data())
            raw += len(b.get_data())
        out[i.key] = {"bytes": packed, "raw_bytes": raw, "bytes_per_callback": per}
    return {"interactions": out, "first_load": first_load(client, app, ctx)}


# --- the naive peer --------------------------------------------------------------------------------


def measure_naive(ctx, warehouse: Path, steps: list[Interaction], runs: int) -> dict:
    from bench.naive import NaivePeer, Request
    from observatory.views import explore

    searches = [s for i in steps for s in (i.before, after_search(ctx, i))]
    indicators = sorted({explore.resolve(ctx, _parse(s)).indicator.id for s in searches})
    started = time.perf_counter()
    peer = NaivePeer.load(warehouse, indicators, ctx.settings.geo_dir)
    load_s = time.perf_counter() - started
    out = {}
    for i in steps:
        view = explore.resolve(ctx, _parse(after_search(ctx, i)))
        request = Request(
            indicator=view.indicator.id,
            start=str(view.start.date()),
            end=str(view.end.date()),
            area=view.state.area,
            compare=tuple(view.state.compare),
        )
        times, body = [], ""
        for _ in range(runs):
            started = time.perf_counter()
            figs = peer.update(request)
            body = to_json({"multi": True, "response": {k: {"figure": f} for k, f in figs.items()}})
            times.append((time.perf_counter() - started) * 1000)
        out[i.key] = {
            **_stats(times),
            "json_bytes": len(body.encode()),
            "gzip_bytes": len(__import__("gzip").compress(body.encode(), 6)),
            "geojson_features": len(figs["map"].data[0].geojson["features"]),
        }
    return {"rows": len(peer.frame), "load_s": load_s, "interactions": out}


def _parse(search: str):
    from observatory.views import urlstate

    return urlstate.parse(search)


# --- HTTP under load ---------------------------------------------------------------------------------


def _rss_mb(pid: int) -> dict:
    fields = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                fields[line.split(":")[0]] = int(line.split()[1]) / 1024
    return {"rss_mb": fields.get("VmRSS", 0.0), "peak_rss_mb": fields.get("VmHWM", 0.0)}


def measure_http(
    warehouse: Path, bodies: dict[str, list[tuple[str, dict]]], rounds: int, seconds: float
) -> dict:
    """``CLIENTS`` threads, each posting every interaction's requests ``rounds`` times (at most ``seconds``)."""
    import requests

    from bench.server import Gunicorn

    server = Gunicorn(warehouse, workers=2, threads=4)
    url = server.base + "/_dash-update-component"
    times: dict[str, list[float]] = {k: [] for k in bodies}
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(n: int) -> None:
        session = requests.Session()
        session.headers["Accept-Encoding"] = ENCODINGS
        keys = list(bodies)
        pause = random.Random(n)
        for _ in range(rounds):
            for k in keys[n % len(keys) :] + keys[: n % len(keys)]:  # clients out of step
                time.sleep(pause.uniform(*THINK_SECONDS))  # a reader looks before the next click
                for _name, body in bodies[k]:
                    if time.monotonic() > deadline:
                        return
                    started = time.perf_counter()
                    try:
                        resp = session.post(url, json=body, timeout=30)
                        ok = resp.status_code in (200, 204)
                        why = f"{resp.status_code}"
                    except requests.RequestException as exc:
                        ok, why = False, repr(exc)
                    ms = (time.perf_counter() - started) * 1000
                    with lock:
                        times[k].append(ms)
                        if not ok:
                            errors.append(f"{k} {_name}: {why}")

    try:
        workers = server.workers()
        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        memory = [_rss_mb(pid) for pid in workers]
    finally:
        server.stop()
    every = [ms for v in times.values() for ms in v]
    return {
        "clients": CLIENTS,
        "workers": 2,
        "threads": 4,
        "rounds": rounds,
        "think_seconds": list(THINK_SECONDS),
        "requests": len(every),
        "errors": len(errors),
        "error_samples": errors[:5],
        "seconds": wall,
        "requests_per_s": len(every) / wall if wall else 0.0,
        "all": _stats(every) if every else {},
        "interactions": {k: _stats(v) for k, v in times.items() if v},
        "worker_rss_mb": max((m["rss_mb"] for m in memory), default=0.0),
        "worker_peak_rss_mb": max((m["peak_rss_mb"] for m in memory), default=0.0),
    }


# --- one scale -----------------------------------------------------------------------------------


def indicators_for(warehouse: Path) -> tuple[str, str]:
    """(measured indicator, the other one with district data) for a warehouse."""
    import duckdb

    from bench.synth import SYNTHETIC_ID, TEMPLATE_ID

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        ids = {r[0] for r in con.execute("SELECT DISTINCT indicator_id FROM rollup").fetchall()}
    finally:
        con.close()
    if SYNTHETIC_ID in ids:
        return SYNTHETIC_ID, TEMPLATE_ID
    other = "pe_puntos_atencion" if "pe_puntos_atencion" in ids else TEMPLATE_ID
    return TEMPLATE_ID, other


def make_app(warehouse: Path):
    """The app as app.py makes it (``create_app(Settings.from_env())``, ``settle``) over ``warehouse``, whose
    boundary layers are in the ``geo`` folder beside it."""
    from observatory.contract.settings import Settings
    from observatory.web.app import create_app, settle

    app = create_app(Settings.from_env(warehouse=str(warehouse)))
    settle(app)
    return app, app.server.extensions["observatory"]


def measure_scale(warehouse: Path, runs: int, rounds: int, http_seconds: float, http: bool = True) -> dict:
    """Every figure of one warehouse (run in a fresh process by ``run``)."""
    load_before = os.getloadavg()[0]
    app, ctx = make_app(warehouse)
    indicator, other = indicators_for(warehouse)
    steps = plan(ctx, indicator, other)
    result = {
        "warehouse": str(warehouse),
        "indicator": indicator,
        "server": measure_server(ctx, app, steps, runs),
        **measure_bytes(ctx, app, steps),
    }
    result["naive"] = measure_naive(ctx, warehouse, steps, max(1, runs // 3))  # seconds per run
    result["ratios"] = ratios(result)
    if http:
        bodies = {i.key: payloads(ctx, app, i, drawn_key(ctx, i.before)) for i in steps}
        result["http"] = measure_http(warehouse, bodies, rounds, http_seconds)
    # The machine is shared: the 1-minute load average around the measurement says how much.
    result["load_average"] = [load_before, os.getloadavg()[0]]
    return result


def ratios(result: dict) -> dict:
    """Naive / ours per interaction (issue 6 asks at district level), each "how many times":

    ``faster_p95``: naive p95 / our p95 with the view computed afresh (cold); ``faster_p95_warm``:
    the same once the view is cached. ``fewer_bytes``: JSON / JSON, both uncompressed;
    ``fewer_bytes_sent``: what the common pattern sends (Flask does not compress unless told) /
    what ours sends (compressed); ``fewer_bytes_compressed``: both compressed (naive gzip-6).
    """
    out = {}
    for key, ours in result["server"].items():
        theirs = result["naive"]["interactions"][key]
        sent = result["interactions"][key]
        out[key] = {
            "district_level": ours["district_level"],
            "faster_p95": theirs["p95_ms"] / ours["cold"]["p95_ms"],
            "faster_median": theirs["median_ms"] / ours["cold"]["median_ms"],
            "faster_p95_warm": theirs["p95_ms"] / ours["warm"]["p95_ms"],
            "fewer_bytes": theirs["json_bytes"] / ours["json_bytes"],
            "fewer_bytes_sent": theirs["json_bytes"] / sent["bytes"],
            "fewer_bytes_compressed": theirs["gzip_bytes"] / sent["bytes"],
        }
    return out


def warehouse_for(scale: str, folder: Path) -> tuple[Path, dict | None]:
    """The warehouse of a scale, built when missing or older than the schema (synthetic ones with a
    geo folder beside them)."""
    from observatory.contract.settings import Settings

    real = Settings.from_env().warehouse_path
    if scale == "real":
        return real, None
    path = folder / f"synthetic-{int(scale)}.duckdb"
    geo = folder / "geo"
    if not geo.exists():
        geo.symlink_to(real.parent / "geo", target_is_directory=True)
    from observatory.build.warehouse import missing_tables

    if path.exists() and not missing_tables(path):
        return path, None
    path.unlink(missing_ok=True)  # none yet, or built by an older schema
    from bench.synth import build_synthetic_warehouse

    return path, build_synthetic_warehouse(path, int(scale))


def _quiet(below: float = 1.0, most_seconds: float = 90.0) -> float:
    """Wait (at most ``most_seconds``) for the machine to settle after the last scale's load test
    and build: until the 1-minute load average is under ``below``. Returns the seconds waited."""
    started = time.monotonic()
    while os.getloadavg()[0] >= below and time.monotonic() - started < most_seconds:
        time.sleep(5)
    return time.monotonic() - started


def run(
    quick: bool, scales: tuple[str, ...] | None = None, runs: int | None = None, http: bool = True
) -> dict:
    """Every scale, each in a fresh process; returns the figures (JSON-ready)."""
    scales = scales or (QUICK_SCALES if quick else SCALES)
    runs = runs or (QUICK_RUNS if quick else RUNS)
    rounds = QUICK_ROUNDS if quick else ROUNDS
    tmp = tempfile.TemporaryDirectory(prefix="bench-interactions-") if quick else None
    folder = Path(tmp.name) if tmp else OUT
    folder.mkdir(parents=True, exist_ok=True)
    result: dict = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "quick": quick,
        "runs": runs,
        "targets": TARGETS,
        "scales": {},
    }
    try:
        for scale in scales:
            path, built = warehouse_for(scale, folder)
            waited = 0.0 if quick else _quiet()
            cmd = [sys.executable, "-m", "bench.interactions", "--step", str(path), str(runs), str(rounds)]
            cmd += [str(QUICK_HTTP_SECONDS if quick else HTTP_SECONDS), "http" if http else "nohttp"]
            done = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True)
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            if built:
                figures["build"] = built
            figures["waited_for_quiet_s"] = round(waited, 1)
            result["scales"][scale] = figures
    finally:
        if tmp:
            shutil.rmtree(tmp.name, ignore_errors=True)
    return result


# --- the table -----------------------------------------------------------------------------------


def report(result: dict) -> str:
    lines = []
    for scale, f in result["scales"].items():
        name = "real SIDPOL release" if scale == "real" else f"synthetic {int(scale):,} rows"
        load = f.get("load_average")
        shared = f", load average {load[0]:.1f} -> {load[1]:.1f} on {os.cpu_count()} CPUs" if load else ""
        lines.append(f"Interactions, {name} ({f['indicator']}), {result['runs']} runs{shared}")
        lines.append(
            f"  {'interaction':<22}{'cold med/p95 ms':>17}{'warm med/p95':>14}{'sent KB':>9}{'raw KB':>8}"
            f"{'map':>7}{'naive med/p95 ms':>18}{'naive KB':>10}{'x faster':>13}{'x fewer B':>16}"
        )
        http = f.get("http", {})
        for key, s in f["server"].items():
            b, n, r = f["interactions"][key], f["naive"]["interactions"][key], f["ratios"][key]
            star = "*" if s["district_level"] else " "
            lines.append(
                f"  {s['label'] + star:<22}{s['cold']['median_ms']:>8.1f}/{s['cold']['p95_ms']:<8.1f}"
                f"{s['warm']['median_ms']:>6.1f}/{s['warm']['p95_ms']:<7.1f}{b['bytes'] / 1024:>9.1f}"
                f"{b['raw_bytes'] / 1024:>8.1f}{'patch' if s['map_is_patch'] else 'full':>7}"
                f"{n['median_ms']:>9.0f}/{n['p95_ms']:<8.0f}{n['json_bytes'] / 1024:>10.0f}"
                f"{r['faster_p95']:>6.1f}/{r['faster_p95_warm']:<6.0f}"
                f"{r['fewer_bytes']:>6.0f}/{r['fewer_bytes_sent']:>3.0f}/{r['fewer_bytes_compressed']:<4.0f}"
            )
        first = f["first_load"]
        lines.append(
            f"  first page load: {first['bytes'] / 1024:.0f} KB sent ({first['raw_bytes'] / 1024:.0f} KB raw), "
            f"{len(first['items'])} requests"
        )
        lines.append(
            f"  naive peer: {f['naive']['rows']:,} rows in a DataFrame, loaded in {f['naive']['load_s']:.1f}s"
        )
        if http:
            per = ", ".join(
                f"{k} {v['median_ms']:.0f}/{v['p95_ms']:.0f}" for k, v in http["interactions"].items()
            )
            lines.append(
                f"  HTTP, {http['clients']} clients, gunicorn {http['workers']}x{http['threads']}: "
                f"{http['requests']} requests in {http['seconds']:.1f}s, p50 {http['all'].get('median_ms', 0):.0f} ms, "
                f"p95 {http['all'].get('p95_ms', 0):.0f} ms, errors {http['errors']}; worker RSS "
                f"{http['worker_rss_mb']:.0f} MB (peak {http['worker_peak_rss_mb']:.0f})"
            )
            lines.append(f"    per interaction p50/p95 ms: {per}")
        lines.append("")
    lines.append(
        "* map of districts. cold: per-view caches emptied before each run; warm: the view cached. "
        "sent: compressed as served.\nx faster: naive p95 / our p95, cold/warm. x fewer B: naive / ours, "
        "raw JSON / as each is sent (the common pattern uncompressed) / both compressed."
    )
    lines.append(
        "targets at 10M: p95 <= {server_p95_ms} ms, <= {response_kb} KB per interaction, first load <= "
        "{first_load_kb} KB, HTTP p95 <= {http_p95_ms} ms, no errors, >= {faster_than_naive}x faster and "
        ">= {fewer_bytes_than_naive}x fewer bytes than naive at district level, worker <= "
        "{worker_rss_mb} MB".format(**TARGETS)
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.interactions", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="real + 100k rows, 3 runs, 1 HTTP round")
    parser.add_argument("--scales", help="comma list: real and/or row counts (default real,1000000,10000000)")
    parser.add_argument("--runs", type=int, help=f"runs per interaction (default {RUNS})")
    parser.add_argument("--no-http", action="store_true", help="skip the gunicorn load step")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--into", type=Path, help='also set the "interactions" key of this results file (bench/results.json)'
    )
    parser.add_argument("--step", nargs="+", help=argparse.SUPPRESS)  # one scale, in a fresh process
    args = parser.parse_args()
    if args.step:
        path, runs, rounds, seconds, http = args.step
        figures = measure_scale(Path(path), int(runs), int(rounds), float(seconds), http == "http")
        print(json.dumps(figures, default=str))
        return
    scales = tuple(args.scales.split(",")) if args.scales else None
    result = run(args.quick, scales=scales, runs=args.runs, http=not args.no_http)
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.into:
        record({"interactions": result}, args.into)


if __name__ == "__main__":
    os.environ.setdefault("OBSERVATORY_LOG_LEVEL", "WARNING")
    main()
