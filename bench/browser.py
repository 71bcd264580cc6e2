"""The reader's benchmark (issue 18): each interaction timed in real Chromium, the naive peer beside us.

``python -m bench.browser [--quick] [--scale real|10m ...] [--runs 5] [--into bench/results.json]``
(``make bench-browser``; ports 8180 and 8181 unless ``--port``; the 10M-row warehouse is built
under bench/data/ on first use, about 2-4 minutes and 250 MB, as bench/interactions.py builds it)

Both apps are served on 127.0.0.1 by gunicorn: the observatory as ``make run`` serves it
(``app:server``, 2 workers x 4 threads) and the naive peer of bench/naive.py (``bench.naive:wsgi()``,
the one-file pattern: one process, 4 threads). Headless /usr/bin/chromium, driven by Playwright,
performs on each the same five interactions of a reader, by the controls' element ids and the
URL (never by the internals of either app):

- ``department``: choose Lima in ``#f-department`` (the map turns into its provinces);
- ``period``: choose an earlier start in ``#f-from`` (same areas, new values);
- ``drill``: click Lima province on ``#map`` (the map turns into its districts);
- ``compare``: add Barranca in ``#f-compare`` (a new line in ``#series``);
- ``measure``: switch ``#f-measure`` from the rate to the count (same areas, new values).

Each interaction starts from a page loaded at its "before" URL and settled; the reps alternate
A B A B (observatory, naive, observatory, naive ...), one fresh browser context per app and rep
(an empty HTTP cache: a boundary layer is in the browser only if the page got it itself before
the click), median over ``--runs`` (5; 2 with ``--quick``). The server's own caches are warm
after the first rep, as they are for a site that readers use: ``first`` keeps the first rep.

Measured in the page (``performance.now()``, from the ``pointerdown`` of the click that makes
the change; opening a dropdown and typing in its search box come before and are not timed):

- ``drawn_ms``: the card the interaction changes is drawn: for the map, plotly's
  ``plotly_afterplot`` has fired on ``#map``'s graph with what it now holds (``_fullData``: the
  expected areas -- the children of the new area at the expected level -- or, when the areas
  stay, new values), MapLibre is ``loaded()`` with ``areTilesLoaded()``, and the trace's fill
  layer renders features (the geometry is in). For ``compare``, ``#series`` has drawn more lines.
- ``settled_ms``: no Dash callback in flight (``/_dash-update-component`` fetches, counted as
  they start and end) for ``QUIET_MS``, and every graph redrawn: the last of the map drawn, a
  callback's response rendered (the frame after it was read) and any ``plotly_afterplot``.
- ``requests``: callback requests sent after the click (counted in the page and, as a check, by
  Playwright's request events: ``requests_seen``); ``chain``: how many of them wait for another.
- where the time goes (Resource Timing of those requests): ``before_request_ms`` (click to the
  first request leaving), ``server_ms`` (time to first byte, the union over parallel requests),
  ``span_ms`` (first request out to last response in), ``after_response_ms`` (last response in
  to the map drawn); ``geometry`` counts the boundary files fetched after the click.

Results go to the ``browser`` key of ``--into`` (other keys kept); ``--shots DIR`` keeps a
screenshot of each app after each interaction of the first rep. Tests run the driver on the tiny
warehouse (tests/browser/test_bench_browser.py) and assert what happened, never a time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "data"
GUNICORN = Path(sys.executable).parent / "gunicorn"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1366, "height": 768}
PORTS = (8180, 8181)  # h18bench's range: the observatory, the naive peer
RUNS, QUICK_RUNS = 5, 2
QUIET_MS = 500  # no callback started or answered for this long: the page has settled
TIMEOUT_MS = 45_000
SCALES = {"real": None, "10m": "10000000"}
APPS = ("observatory", "naive")
# Issue 18's targets, per interaction, in the same run.
TARGETS = {
    "faster_to_drawn": 3.0,
    "faster_to_settled": 2.0,
    "drawn_median_ms": 200.0,
    "requests": 1,
    "requests_at_most": 2,
}

# --- in the page ---------------------------------------------------------------------------------

# Installed before any script of the page: counts Dash's callback fetches, takes the click's
# time, hooks plotly_afterplot on every graph and checks on each frame whether the card the
# interaction changes is drawn (``window.__bench.expect``, set by ``arm``).
PAGE_SCRIPT = """
(() => {
  const B = window.__bench = {armed: false, t0: null, inflight: 0, started: 0, last: 0, done: [],
                              plots: [], drawnAt: null, expect: null, why: ''};
  const now = () => performance.now();
  try { performance.setResourceTimingBufferSize(100000); } catch (e) {}
  addEventListener('pointerdown', () => {
    if (B.armed) { B.armed = false; B.t0 = now(); B.last = B.t0; }
  }, true);
  const original = window.fetch;
  window.fetch = function (input, init) {
    const url = typeof input === 'string' ? input : (input && input.url) || String(input);
    const p = original.apply(this, arguments);
    if (!url.includes('/_dash-update-component')) return p;
    B.inflight++; B.started++; B.last = now();
    let ended = false;
    const end = () => {
      if (ended) return; ended = true;
      B.inflight--; B.last = now();
      requestAnimationFrame(() => requestAnimationFrame(() => {
        const t = now(); B.done.push(t); B.last = Math.max(B.last, t);
      }));
    };
    p.then(r => r.clone().arrayBuffer()).then(end, end);
    return p;
  };
  B.graph = (card) => {
    const g = document.querySelector('#' + card + ' .js-plotly-plot');
    return g && g._fullData ? g : null;
  };
  B.mapbox = (g) => {
    const sub = g && g._fullLayout && g._fullLayout.map && g._fullLayout.map._subplot;
    return sub && sub.map ? sub.map : null;
  };
  B.signature = (g) => {
    const t = g && g._fullData && g._fullData[0];
    if (!t) return null;
    const arr = (v) => (v == null ? null : Array.from(v));
    return JSON.stringify([arr(t.locations), arr(t.z), arr(t.customdata), arr(t.text), arr(t.hovertext)]);
  };
  B.locations = (g) => {
    const t = g && g._fullData && g._fullData[0];
    return t && t.locations ? Array.from(t.locations).map(String) : [];
  };
  B.state = () => {
    const g = B.graph('map'), s = B.graph('series');
    return {signature: B.signature(g), locations: B.locations(g).sort(),
            lines: s ? s._fullData.length : 0};
  };
  const hook = () => {
    for (const g of document.querySelectorAll('.js-plotly-plot')) {
      if (g.__benchHooked || typeof g.on !== 'function') continue;
      g.__benchHooked = true;
      g.on('plotly_afterplot', () => {
        const t = now();
        const card = g.closest('#map') ? 'map' : g.closest('#series') ? 'series' : 'other';
        B.plots.push({t, card, signature: card === 'map' ? B.signature(g) : null,
                      lines: g._fullData ? g._fullData.length : 0});
        B.last = Math.max(B.last, t);
      });
    }
  };
  const mapDrawn = (e) => {
    const g = B.graph('map');
    const m = B.mapbox(g);
    if (!g || !m) { B.why = 'no map'; return false; }
    const sig = B.signature(g);
    if (!B.plots.some(p => p.card === 'map' && p.t >= B.t0 && p.signature === sig)) {
      B.why = 'not plotted yet'; return false;
    }
    const locs = B.locations(g);
    if (!locs.length) { B.why = 'no areas'; return false; }
    if (e.same) {
      if (sig === e.signature || JSON.stringify(locs.slice().sort()) !== JSON.stringify(e.locations)) {
        B.why = 'same values or other areas'; return false;
      }
    } else if (!locs.every(c => c.length === e.digits && c.startsWith(e.prefix))) {
      B.why = 'not the expected areas'; return false;
    }
    if (!m.loaded() || !m.areTilesLoaded()) { B.why = 'maplibre loading'; return false; }
    const fill = m.getStyle().layers.find(l => l.id.endsWith('-fill') && l.id.startsWith('plotly-trace-layer'));
    if (!fill || !m.queryRenderedFeatures({layers: [fill.id]}).length) { B.why = 'no geometry drawn'; return false; }
    return true;
  };
  const seriesDrawn = (e) => {
    const s = B.graph('series');
    if (!s || s._fullData.length <= e.lines) { B.why = 'no new line'; return false; }
    return B.plots.some(p => p.card === 'series' && p.t >= B.t0 && p.lines === s._fullData.length);
  };
  const frame = () => {
    hook();
    const e = B.expect;
    if (e && B.t0 !== null && B.drawnAt === null) {
      try {
        if (e.card === 'series' ? seriesDrawn(e) : mapDrawn(e)) B.drawnAt = now();
      } catch (err) { B.why = String(err); }
    }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  B.quiet = (ms) => B.inflight === 0 && now() - B.last >= ms;
  B.ready = (ms) => {
    const g = B.graph('map'), m = B.mapbox(g);
    return !!m && B.locations(g).length > 0 && m.loaded() && m.areTilesLoaded() && B.quiet(ms);
  };
  B.arm = (expect) => {
    const before = B.state();
    B.expect = Object.assign({}, expect, {signature: before.signature, locations: before.locations,
                                          lines: before.lines});
    B.t0 = null; B.drawnAt = null; B.done = []; B.plots = []; B.started = 0; B.why = '';
    performance.clearResourceTimings();
    B.armed = true;
  };
  B.settled = (ms) => B.t0 !== null && B.drawnAt !== null && B.quiet(ms);
  B.result = () => {
    const t0 = B.t0;
    const entries = performance.getEntriesByType('resource').filter(r => r.startTime >= t0 - 1);
    const calls = entries.filter(r => r.name.includes('/_dash-update-component'));
    const geometry = entries.filter(r => /geojson|\\/geo\\//.test(r.name));
    const after = [B.drawnAt, ...B.done.filter(t => t >= t0), ...B.plots.map(p => p.t)];
    return {
      drawn_ms: B.drawnAt - t0,
      settled_ms: Math.max(...after) - t0,
      requests: B.started,
      calls: calls.map(r => ({start: r.startTime - t0, request: r.requestStart - t0,
                              first_byte: r.responseStart - t0, end: r.responseEnd - t0,
                              bytes: r.transferSize, body: r.encodedBodySize})),
      geometry: geometry.map(r => ({url: r.name, end: r.responseEnd - t0, bytes: r.transferSize})),
      state: B.state(),
    };
  };
})();
"""


# --- what the reader does ------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One interaction: the page it starts from, the control and value chosen, what must be drawn."""

    key: str
    label: str
    before: dict[str, str]  # the query string of the page it starts from
    kind: str  # "dropdown", "radio" or "map"
    control: str  # the element id
    value: str = ""  # the option's value (dropdown, radio)
    search: str = ""  # typed into the dropdown's search box first (part of an option's label)
    point: tuple[float, float] = (0.0, 0.0)  # (lon, lat) clicked on the map
    expect: dict = field(default_factory=dict)  # see PAGE_SCRIPT: card, prefix/digits or same


@dataclass(frozen=True)
class Facts:
    """What the plan needs from a warehouse: read once, read-only."""

    indicator: str
    last_period: str  # YYYY-MM
    names: dict[str, str]
    point: tuple[float, float]  # a point inside province 1501 (Lima)


DEPARTMENT, PROVINCE, OTHER = "15", "1501", "1502"


def facts(warehouse: Path, indicator: str, geo_dir: Path) -> Facts:
    import duckdb
    from shapely.geometry import shape

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        last = con.execute(
            "SELECT max(period) FROM observations WHERE indicator_id = $i AND country = 'PE'",
            {"i": indicator},
        ).fetchone()[0]
        names = dict(
            con.execute(
                "SELECT code, name FROM territories WHERE country = 'PE' AND list_contains($c, code)",
                {"c": [DEPARTMENT, PROVINCE, OTHER]},
            ).fetchall()
        )
    finally:
        con.close()
    layer = json.loads((geo_dir / "pe-province.geojson").read_text(encoding="utf-8"))
    feature = next(
        f for f in layer["features"] if str(f.get("id") or f["properties"].get("code")) == PROVINCE
    )
    inside = shape(feature["geometry"]).representative_point()
    return Facts(indicator, last.strftime("%Y-%m"), names, (inside.x, inside.y))


def plan(f: Facts, default_indicator: str = "pe_denuncias_vcm") -> list[Step]:
    """The five interactions, each from the page the previous one would lead to."""
    base = {} if f.indicator == default_indicator else {"ind": f.indicator}
    start = f"{int(f.last_period[:4]) - 1}-01"
    dept, prov = {**base, "area": DEPARTMENT}, {**base, "area": PROVINCE}
    return [
        Step("department", "choose a department", base, "dropdown", "f-department", DEPARTMENT,
             expect={"card": "map", "prefix": DEPARTMENT, "digits": 4}),
        Step("period", "change the period's start", dept, "dropdown", "f-from", start, search=start[:4],
             expect={"card": "map", "same": True}),
        Step("drill", "click an area to drill down", dept, "map", "map", point=f.point,
             expect={"card": "map", "prefix": PROVINCE, "digits": 6}),
        Step("compare", "add a comparison", prov, "dropdown", "f-compare", OTHER, search=f.names[OTHER],
             expect={"card": "series"}),
        Step("measure", "switch rate to count", prov, "radio", "f-measure", "count",
             expect={"card": "map", "same": True}),
    ]  # fmt: skip


def query(params: dict[str, str]) -> str:
    return "/" + ("?" + urllib.parse.urlencode(params) if params else "")


# --- driving one page ------------------------------------------------------------------------------


class StepFailed(RuntimeError):
    pass


def _wait(page, script: str, arg=None, timeout: float = TIMEOUT_MS, what: str = "") -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(script, arg=arg, timeout=timeout, polling=20)
    except PlaywrightTimeout:
        why = page.evaluate("() => window.__bench && window.__bench.why")
        raise StepFailed(f"{what} not within {timeout / 1000:.0f}s ({why}) at {page.url}") from None


def _open_option(page, step: Step):
    """Open the step's dropdown (and type in its search box): the option to click, visible."""
    option = page.locator(f'.dash-dropdown-content [role=option]:has(input[value="{step.value}"])')
    for attempt in range(3):
        page.locator(f"#{step.control}").evaluate("e => e.scrollIntoView({block: 'start'})")
        page.click(f"#{step.control}")
        try:
            if step.search:
                box = page.locator(".dash-dropdown-content .dash-dropdown-search").last
                box.wait_for(state="visible", timeout=5000)
                box.fill(step.search)
            if not _scroll_to(page, option):
                raise StepFailed("not in the list")
            option.first.wait_for(state="visible", timeout=8000)
            return option.first
        except Exception:
            if attempt == 2:
                raise StepFailed(f"no option {step.value!r} in #{step.control} at {page.url}") from None
            page.keyboard.press("Escape")
            _wait(page, "ms => window.__bench.quiet(ms)", QUIET_MS, what="quiet")
    raise AssertionError("unreachable")


SCROLL_LIST = """(first) => {
    const list = document.querySelector('.dash-dropdown-content .dash-dropdown-options');
    let box = list && (list.querySelector('.dash-options-list-virtualized') || list);
    while (box && box.scrollHeight <= box.clientHeight + 1) box = box.parentElement;
    if (!box || box === document.body || box === document.documentElement) return true;
    const before = box.scrollTop;
    box.scrollTop = first ? 0 : box.scrollTop + Math.max(60, box.clientHeight * 0.7);
    return !first && box.scrollTop === before;
}"""


def _scroll_to(page, option, most: int = 120) -> bool:
    """Scroll the open list from its top until ``option`` is rendered (a long list renders only
    the options in view, around the one chosen)."""
    if option.count():
        return True
    page.evaluate(SCROLL_LIST, True)
    for _ in range(most):
        page.wait_for_timeout(60)
        if option.count():
            return True
        if page.evaluate(SCROLL_LIST, False):  # at the end
            page.wait_for_timeout(300)  # the options of a search may still be on their way
            return option.count() > 0
    return option.count() > 0


def _map_point(page, lon: float, lat: float) -> tuple[float, float]:
    page.locator("#map").scroll_into_view_if_needed()
    return page.evaluate(
        """([lon, lat]) => {
            const B = window.__bench, m = B.mapbox(B.graph('map'));
            const p = m.project([lon, lat]), r = m.getCanvas().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y];
        }""",
        [lon, lat],
    )


def load(page, url: str, attempts: int = 2) -> None:
    """Open ``url`` and wait for its map, drawn and settled (once more if the page did not come up)."""
    for attempt in range(attempts):
        page.goto(url)
        try:
            _wait(page, "ms => window.__bench.ready(ms)", QUIET_MS, what="the first map")
            return
        except StepFailed:
            if attempt == attempts - 1:
                raise


def run_step(page, base: str, step: Step, shot: Path | None = None) -> dict:
    """Load the step's page, settle, perform the interaction; the page's figures (see PAGE_SCRIPT)."""
    load(page, base + query(step.before))
    target = None
    if step.kind == "dropdown":
        target = _open_option(page, step)
    elif step.kind == "radio":
        target = page.locator(f'#{step.control} label:has(input[value="{step.value}"])').first
        target.scroll_into_view_if_needed()
    elif step.kind == "map":
        x, y = _map_point(page, *step.point)
        page.mouse.move(x - 4, y - 4)
        page.mouse.move(x, y)  # plotly's click is on the hovered area
        page.wait_for_timeout(200)
    _wait(page, "ms => window.__bench.quiet(ms)", QUIET_MS, what="quiet before the click")
    seen: list[str] = []

    def count(request) -> None:
        if "/_dash-update-component" in request.url:
            seen.append(request.url)

    page.evaluate("e => window.__bench.arm(e)", step.expect)
    page.on("request", count)
    try:
        if target is not None:
            target.click()
        else:
            page.mouse.click(x, y)
        _wait(page, "ms => window.__bench.settled(ms)", QUIET_MS, what=f"{step.key}: drawn and settled")
    finally:
        page.remove_listener("request", count)
    result = page.evaluate("() => window.__bench.result()")
    if shot:
        page.screenshot(path=str(shot), full_page=True)
    return {**breakdown(result), "requests_seen": len(seen), "url": page.url}


def breakdown(r: dict) -> dict:
    """The page's raw figures -> the figures kept: times, requests, chain and where the time goes."""
    calls = sorted(r["calls"], key=lambda c: c["start"])
    out = {
        "drawn_ms": r["drawn_ms"],
        "settled_ms": max(r["settled_ms"], r["drawn_ms"]),
        "requests": r["requests"],
        "chain": chain(calls),
        "geometry": len(r["geometry"]),
        "response_bytes": sum(c["bytes"] for c in calls),
    }
    if calls:
        last = max(c["end"] for c in calls)
        out.update(
            before_request_ms=calls[0]["start"],
            server_ms=union([(c["request"], c["first_byte"]) for c in calls]),
            span_ms=last - calls[0]["start"],
            after_response_ms=r["drawn_ms"] - last,
        )
    return out


def chain(calls: list[dict]) -> int:
    """The longest run of requests each sent after the previous one's response (1: all in parallel)."""
    depth: list[int] = []
    for i, c in enumerate(calls):
        before = [depth[j] for j in range(i) if calls[j]["end"] <= c["start"] + 0.5]
        depth.append(1 + max(before, default=0))
    return max(depth, default=0)


def union(spans: list[tuple[float, float]]) -> float:
    """Total length covered by the intervals (parallel requests' server times counted once)."""
    total, reach = 0.0, float("-inf")
    for a, b in sorted(spans):
        if b <= reach:
            continue
        total += b - max(a, reach)
        reach = b
    return total


# --- the servers ----------------------------------------------------------------------------------


class Served:
    """A gunicorn on 127.0.0.1:``port`` in its own session; ``stop()`` ends it by its pid."""

    def __init__(self, target: str, port: int, env: dict, *, workers: int, threads: int, ready: str):
        self.base = f"http://127.0.0.1:{port}"
        self.log = Path(tempfile.mkstemp(prefix="bench-browser-", suffix=".log")[1])
        environ = {**os.environ, "OBSERVATORY_LOG_LEVEL": "WARNING", **env}
        environ.pop("OBSERVATORY_DEBUG", None)
        cmd = [str(GUNICORN), target, "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
        cmd += ["--threads", str(threads), "--timeout", "120", "--keep-alive", "15"]
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=environ,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{target} exited with {self.proc.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(self.base + ready, timeout=5) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            self.stop()
            raise RuntimeError(f"{target} did not answer {ready} within 180s; see {self.log}")
        # One request at a time first, so that each worker sets Dash up before a page's scripts
        # arrive together (Dash registers its component suites on a worker's first request; a
        # script asked meanwhile from another thread is refused with a 404).
        for _ in range(4 * workers):
            with contextlib.suppress(OSError), urllib.request.urlopen(self.base + "/", timeout=30) as resp:
                resp.read()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def serve_both(warehouse: Path, indicator: str, geo_dir: Path, ports=PORTS) -> dict[str, Served]:
    servers: dict[str, Served] = {}
    try:
        servers["observatory"] = Served(
            "app:server",
            ports[0],
            {"OBSERVATORY_WAREHOUSE": str(warehouse)},
            workers=2,
            threads=4,
            ready="/health",
        )
        servers["naive"] = Served(
            "bench.naive:wsgi()",
            ports[1],
            {"NAIVE_WAREHOUSE": str(warehouse), "NAIVE_INDICATOR": indicator, "NAIVE_GEO": str(geo_dir)},
            workers=1,
            threads=4,
            ready="/",
        )
    except Exception:
        for s in servers.values():
            s.stop()
        raise
    return servers


# --- the runs --------------------------------------------------------------------------------------


def new_page(browser):
    context = browser.new_context(viewport=VIEWPORT, locale="es-PE")
    context.add_init_script(PAGE_SCRIPT)
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return context, page


def measure(
    bases: dict[str, str], steps: list[Step], runs: int, shots: Path | None = None, browser=None
) -> dict:
    """A B A B: per rep, a fresh context per app; per step, the observatory then the naive peer.
    ``browser``: a Playwright Chromium already launched (else one is launched and closed here)."""
    if browser is None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                return measure(bases, steps, runs, shots, chromium)
            finally:
                chromium.close()
    samples: dict[str, dict[str, list[dict]]] = {a: {s.key: [] for s in steps} for a in bases}
    failures: dict[str, list[str]] = {a: [] for a in bases}
    errors: dict[str, list[str]] = {a: [] for a in bases}
    for app, base in bases.items():  # each server's first pages, untimed
        context, page = new_page(browser)
        try:
            for url in dict.fromkeys(base + query(s.before) for s in steps):
                load(page, url, attempts=3)
        finally:
            errors[app].extend(f"warm-up: {e}" for e in page.errors)
            context.close()
    for rep in range(runs):
        pages = {a: new_page(browser) for a in bases}
        try:
            for step in steps:
                for app, (_, page) in pages.items():
                    shot = shots / f"{app}-{step.key}.png" if shots and rep == 0 else None
                    for attempt in range(2):  # a step that failed is tried once more, from its page
                        try:
                            samples[app][step.key].append(run_step(page, bases[app], step, shot))
                            break
                        except StepFailed as exc:
                            failures[app].append(f"rep {rep} {step.key} (try {attempt + 1}): {exc}")
        finally:
            for app, (context, page) in pages.items():
                errors[app].extend(page.errors)
                context.close()
    return {"samples": samples, "failures": failures, "console_errors": errors}


def summarise(samples: list[dict]) -> dict:
    if not samples:
        return {"runs": 0}
    keys = ("drawn_ms", "settled_ms", "before_request_ms", "server_ms", "span_ms", "after_response_ms")
    out: dict = {"runs": len(samples)}
    for k in keys:
        values = [s[k] for s in samples if k in s]
        if values:
            out[k] = statistics.median(values)
    for k in ("requests", "requests_seen", "chain", "geometry", "response_bytes"):
        out[k] = statistics.median([s[k] for s in samples])
    out["requests_max"] = max(s["requests"] for s in samples)
    out["first"] = {k: samples[0].get(k) for k in ("drawn_ms", "settled_ms", "requests")}
    out["samples"] = samples
    return out


def measure_scale(
    scale: str, runs: int, shots: Path | None = None, ports=PORTS, only: list[str] | None = None
) -> dict:
    from bench.interactions import indicators_for, warehouse_for

    OUT.mkdir(parents=True, exist_ok=True)
    warehouse, built = warehouse_for(SCALES[scale] or "real", OUT)
    indicator = indicators_for(warehouse)[0]
    geo_dir = warehouse.parent / "geo"
    f = facts(warehouse, indicator, geo_dir)
    steps = [s for s in plan(f) if not only or s.key in only]
    load_before = os.getloadavg()[0]
    servers = serve_both(warehouse, indicator, geo_dir, ports)
    try:
        raw = measure({a: s.base for a, s in servers.items()}, steps, runs, shots)
    finally:
        for s in servers.values():
            s.stop()
    result = {
        "warehouse": str(warehouse),
        "indicator": indicator,
        "runs": runs,
        "load_average": [load_before, os.getloadavg()[0]],
        "steps": {s.key: {"label": s.label, "before": query(s.before), "control": s.control} for s in steps},
        "failures": raw["failures"],
        "console_errors": {a: e[:10] for a, e in raw["console_errors"].items()},
    }
    for app in APPS:
        result[app] = {k: summarise(v) for k, v in raw["samples"][app].items()}
    result["ratios"] = ratios(result)
    if built:
        result["build"] = built
    return result


def ratios(result: dict) -> dict:
    """naive / observatory per interaction ("how many times faster"), on the medians."""
    out = {}
    for key in result["steps"]:
        ours, theirs = result["observatory"][key], result["naive"][key]
        if not ours.get("runs") or not theirs.get("runs"):
            continue
        out[key] = {
            "faster_to_drawn": theirs["drawn_ms"] / ours["drawn_ms"],
            "faster_to_settled": theirs["settled_ms"] / ours["settled_ms"],
        }
    return out


def run(
    quick: bool,
    scales: list[str],
    runs: int | None = None,
    shots: Path | None = None,
    ports=PORTS,
    only: list[str] | None = None,
) -> dict:
    runs = runs or (QUICK_RUNS if quick else RUNS)
    result: dict = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "quick": quick,
        "runs": runs,
        "machine": {"cpus": os.cpu_count(), "chromium": str(CHROMIUM)},
        "targets": TARGETS,
        "scales": {},
    }
    for scale in scales:
        folder = shots / scale if shots else None
        if folder:
            folder.mkdir(parents=True, exist_ok=True)
        result["scales"][scale] = measure_scale(scale, runs, folder, ports, only)
    return result


# --- the table ---------------------------------------------------------------------------------------


def _ms(v) -> str:
    return "-" if v is None else f"{v:,.0f}"


def report(result: dict) -> str:
    """A Markdown table per scale (the README's), then where the observatory's time goes."""
    lines = []
    for scale, f in result["scales"].items():
        name = "real release" if scale == "real" else f"synthetic {scale} rows"
        load = f["load_average"]
        lines.append(
            f"**{name}** ({f['indicator']}), median of {f['runs']}, load average {load[0]:.1f} -> {load[1]:.1f} "
            f"on {os.cpu_count()} CPUs"
        )
        lines.append("")
        lines.append(
            "| interaction | observatory: map drawn / settled (ms) | requests | naive: map drawn / settled (ms) "
            "| requests | x faster drawn / settled |"
        )
        lines.append("|---|---|---|---|---|---|")
        for key, step in f["steps"].items():
            o, n, r = f["observatory"][key], f["naive"][key], f["ratios"].get(key, {})
            label = step["label"] + (" (series drawn)" if key == "compare" else "")
            lines.append(
                f"| {label} | {_ms(o.get('drawn_ms'))} / {_ms(o.get('settled_ms'))} | {_req(o)} "
                f"| {_ms(n.get('drawn_ms'))} / {_ms(n.get('settled_ms'))} | {_req(n)} "
                f"| {r.get('faster_to_drawn', 0):.2f} / {r.get('faster_to_settled', 0):.2f} |"
            )
        lines.append("")
        lines.append(
            "where the time goes (ms, medians): click to first request / server (first byte) / "
            "first request out to last response in / last response to map drawn; chain; geometry files"
        )
        for app in APPS:
            for key, s in f[app].items():
                if not s.get("runs"):
                    continue
                lines.append(
                    f"  {app:<12}{key:<12}{_ms(s.get('before_request_ms')):>6} /{_ms(s.get('server_ms')):>6} /"
                    f"{_ms(s.get('span_ms')):>6} /{_ms(s.get('after_response_ms')):>6}   chain {s['chain']:.0f}"
                    f"   geometry {s['geometry']:.0f}   {s['response_bytes'] / 1024:,.0f} KB"
                )
        for app in APPS:
            if f["failures"][app]:
                lines.append(f"  {app} failures: " + "; ".join(f["failures"][app][:5]))
            if f["console_errors"][app]:
                lines.append(f"  {app} console errors: " + "; ".join(f["console_errors"][app][:3]))
        lines.append("")
    lines.append(
        "targets: >= {faster_to_drawn:.0f}x faster to the map drawn and >= {faster_to_settled:.0f}x to the page "
        "settled than the naive peer, median <= {drawn_median_ms:.0f} ms to the map drawn, {requests} callback "
        "request per interaction ({requests_at_most} at most where a control's options change)".format(
            **TARGETS
        )
    )
    return "\n".join(lines)


def _req(s: dict) -> str:
    if not s.get("runs"):
        return "-"
    most = s["requests_max"]
    return f"{s['requests']:.0f}" + (f" (max {most})" if most != s["requests"] else "")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.browser", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_RUNS} runs instead of {RUNS}")
    parser.add_argument(
        "--scale", action="append", choices=sorted(SCALES), help="real and/or 10m (repeatable; default both)"
    )
    parser.add_argument("--runs", type=int, help=f"runs per interaction and app (default {RUNS})")
    parser.add_argument(
        "--port",
        type=int,
        default=PORTS[0],
        help=f"the observatory's port, the naive peer's next (default {PORTS[0]})",
    )
    parser.add_argument("--only", help="comma list of interactions (department,period,drill,compare,measure)")
    parser.add_argument("--shots", type=Path, help="keep a screenshot per app and interaction (first rep)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--into", type=Path, help='set the "browser" key of this results file (bench/results.json)'
    )
    args = parser.parse_args()
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)
    only = args.only.split(",") if args.only else None
    ports = (args.port, args.port + 1)
    result = run(args.quick, args.scale or list(SCALES), args.runs, args.shots, ports, only)
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.into:
        from bench import record

        record({"browser": result}, args.into)


if __name__ == "__main__":
    main()
