"""``make audit``: Lighthouse (mobile and desktop presets) on the home page and axe-core over every
page and state, at desktop (1366x768) and phone (375x812) sizes, on the real warehouse.

Serves ``gunicorn app:server`` on 127.0.0.1:8200 (or ``--port``), prints one table and records it
under ``"audit"`` in bench/results.json (other keys are kept). Lighthouse's figures vary with the
machine and are printed, not asserted; the axe pass is asserted in CI by tests/browser/test_axe.py.

Needs ``npm ci`` (package.json pins lighthouse and axe-core) and /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from observatory.contract.settings import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LIGHTHOUSE = ROOT / "node_modules" / "lighthouse" / "cli" / "index.js"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RESULTS = ROOT / "bench" / "results.json"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 812}
TARGETS = {
    "mobile_performance": 0.90,
    "mobile_tbt_ms": 300,
    "desktop_performance": 0.98,
    "accessibility": 1.0,
    "best_practices": 1.0,
    "seo": 1.0,
    "cls": 0.05,
    "first_load_kb": 600,
    "axe_violations": 0,
}
VIEW = "ind=pe_denuncias_vcm"
# (name, path): the pages and states of issue 19. Charts are waited for where the page has them.
STATES = (
    ("home", "/"),
    ("department", "/?area=15"),
    ("district", "/?area=150101"),
    ("english", "/?lang=en"),
    ("indicators", "/indicadores"),
    ("methodology", "/metodologia"),
    ("institutions", "/instituciones"),
    ("services", "/servicios"),
    ("embed-map", "/embed/map"),
    ("embed-series", "/embed/series?area=15"),
    ("not-found", "/no-existe"),
)


class Server:
    """``gunicorn app:server`` on 127.0.0.1:``port``; ``stop()`` ends it (by its process group)."""

    def __init__(self, port: int, warehouse: Path):
        self.base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "OBSERVATORY_WAREHOUSE": str(warehouse)}
        env.pop("OBSERVATORY_DEBUG", None)
        self.log = tempfile.NamedTemporaryFile(prefix="audit-gunicorn-", suffix=".log", delete=False)
        cmd = [str(Path(sys.executable).parent / "gunicorn"), "app:server", "--bind", f"127.0.0.1:{port}"]
        cmd += ["--workers", "2", "--threads", "4", "--timeout", "60"]
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/health", timeout=2):
                    return
            except Exception:
                if self.proc.poll() is not None:
                    raise SystemExit(f"gunicorn exited; see {self.log.name}") from None
                time.sleep(0.5)
        self.stop()
        raise SystemExit(f"gunicorn did not answer on {self.base} within 60 s; see {self.log.name}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def lighthouse(url: str, preset: str) -> dict:
    """One Lighthouse run: the four category scores and the figures behind performance."""
    out = Path(tempfile.mkstemp(prefix=f"lighthouse-{preset}-", suffix=".json")[1])
    cmd = ["node", str(LIGHTHOUSE), url, "--output=json", f"--output-path={out}", "--quiet"]
    cmd += ["--only-categories=performance,accessibility,best-practices,seo"]
    cmd += ["--chrome-flags=" + " ".join(CHROMIUM_ARGS)]
    if preset == "desktop":
        cmd.append("--preset=desktop")
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    subprocess.run(cmd, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, timeout=300)
    report = json.loads(out.read_text())
    out.unlink()
    cats, audits = report["categories"], report["audits"]

    def num(key: str, scale: float = 1.0):
        v = audits.get(key, {}).get("numericValue")
        return round(v * scale, 3) if v is not None else None

    failed = sorted(
        k
        for cat in ("accessibility", "best-practices", "seo")
        for ref in cats[cat]["auditRefs"]
        if ref["weight"] > 0 and (k := ref["id"]) in audits and audits[k].get("score") not in (None, 1)
    )
    return {
        "performance": cats["performance"]["score"],
        "accessibility": cats["accessibility"]["score"],
        "best_practices": cats["best-practices"]["score"],
        "seo": cats["seo"]["score"],
        "fcp_ms": num("first-contentful-paint"),
        "lcp_ms": num("largest-contentful-paint"),
        "tbt_ms": num("total-blocking-time"),
        "cls": num("cumulative-layout-shift"),
        "tti_ms": num("interactive"),
        "main_thread_ms": num("mainthread-work-breakdown"),
        "transfer_kb": num("total-byte-weight", 1 / 1024),
        "failed_audits": failed,
    }


def settled(page, path: str) -> None:
    """Wait until the page has drawn what its first screen draws: Dash's callbacks done, charts
    plotted (a map below the fold waits for the reader: ``show_maps``)."""
    if path.startswith("/embed/"):
        page.wait_for_selector("#chart[data-ready='1']", timeout=60_000)
        return
    page.wait_for_selector("main", state="attached", timeout=60_000)
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')", timeout=60_000)
    if path == "/" or path.startswith("/?"):
        page.wait_for_function(
            "() => { const g = [...document.querySelectorAll('.js-plotly-plot')];"
            " return g.length >= 2 && g.every(x => x._fullLayout); }",
            timeout=60_000,
        )
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(800)  # transitions


MAPS = "[...document.querySelectorAll('.js-plotly-plot')].filter(g => (g.data || []).some(t => /map$/.test(t.type)))"


def show_maps(page) -> None:
    """Scroll each map into view and wait until MapLibre has drawn it (the map traces load then)."""
    for i in range(page.evaluate(f"{MAPS}.length")):
        page.evaluate(f"{MAPS}[{i}].scrollIntoView({{block: 'center'}})")
        page.wait_for_function(
            f"() => {{ const g = {MAPS}[{i}]; const m = g && g._fullLayout && g._fullLayout.map;"
            " return !!(m && m._subplot && m._subplot.map && m._subplot.map.loaded()); }",
            timeout=60_000,
        )
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)


def axe_violations(page, script: str | None = None) -> list[dict]:
    """axe-core's WCAG 2.0/2.1 A and AA violations on the page as it is now: rule, impact, how many
    elements and the first five of them."""
    # Through the devtools protocol: the site's CSP allows no inline script tag.
    page.evaluate(script or AXE.read_text())
    return page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5), count: v.nodes.length})))",
        AXE_TAGS,
    )


def axe_pass(base: str, shots: Path | None = None) -> dict:
    """axe-core (WCAG 2.0/2.1 A and AA) over every state at both sizes; and the home page's first
    load, compressed, as the browser received it (a fresh context: nothing cached)."""
    from playwright.sync_api import sync_playwright

    script = AXE.read_text()
    results: dict = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for size_name, size in (("desktop", DESKTOP), ("phone", PHONE)):
                for name, path in STATES:
                    context = browser.new_context(viewport=size, locale="es-PE")
                    page = context.new_page()
                    sizes: list[tuple[str, int]] = []
                    page.on("requestfinished", lambda r, sizes=sizes: sizes.append((r.url, _transfer(r))))
                    page.goto(base + with_view(path))
                    try:
                        settled(page, path)
                        show_maps(page)
                    except Exception as exc:  # audit what is there, and say it did not settle
                        print(f"{name}@{size_name} did not settle: {exc!s:.200}", file=sys.stderr)
                    # The first screen's bytes: all but the map traces and boundaries, which load
                    # once a map is on screen or the page is idle (frontend/plotly-page.js).
                    first = sum(n for url, n in sizes if not _map_bytes(url))
                    found = axe_violations(page, script)
                    if shots is not None:
                        page.screenshot(path=str(shots / f"{name}-{size_name}.png"), full_page=True)
                    results[f"{name}@{size_name}"] = {
                        "violations": found,
                        "first_load_kb": round(first / 1024, 1),
                        "with_maps_kb": round(sum(n for _, n in sizes) / 1024, 1),
                    }
                    context.close()
        finally:
            browser.close()
    return results


def with_view(path: str) -> str:
    if path.startswith("/embed/") or path in ("/", "/?lang=en") or path.startswith("/?"):
        sep = "&" if "?" in path else "?"
        return path + sep + VIEW
    return path


def _map_bytes(url: str) -> bool:
    from observatory.web import plotlyjs

    return plotlyjs.MAP_URL in url or "/geo/" in url


def _transfer(request) -> int:
    """Bytes on the wire for one response: headers plus the (compressed) body."""
    try:
        s = request.sizes()
        return s["responseBodySize"] + s["responseHeadersSize"]
    except Exception:
        return 0


def plotly_files() -> dict:
    """The plotly.js files served, their sizes and the traces each holds."""
    import brotli

    from observatory.contract import plotly_bundles

    files = {"page": (plotly_bundles.path(), plotly_bundles.TRACES["page"])}
    if plotly_bundles.built():
        files["map"] = (plotly_bundles.MAP, plotly_bundles.TRACES["map"])
    out = {}
    for name, (path, traces) in files.items():
        raw = path.read_bytes()
        out[name] = {
            "file": path.name,
            "raw_kb": round(len(raw) / 1024),
            "brotli_kb": round(len(brotli.compress(raw, quality=11)) / 1024),
            "traces": list(traces) if plotly_bundles.built() else ["all"],
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8200)
    parser.add_argument("--warehouse", type=Path, default=ROOT / "data" / "warehouse" / "observatory.duckdb")
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per preset (median kept)")
    parser.add_argument("--label", default="after", help="key under audit: before or after")
    parser.add_argument("--screenshots", type=Path, default=None, help="folder for a PNG of each state")
    parser.add_argument("--no-lighthouse", action="store_true")
    args = parser.parse_args(argv)
    for need in (LIGHTHOUSE, AXE):
        if not need.exists():
            raise SystemExit(f"{need} is missing: run `npm ci` first")
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    # The scripts' brotli copies, as `make setup` leaves them, so the first request gets them.
    subprocess.run([sys.executable, "-m", "observatory.web.serving", "precompress"], check=True, cwd=ROOT)
    server = Server(args.port, args.warehouse)
    try:
        home = server.base + "/?" + VIEW
        urllib.request.urlopen(home, timeout=30).read()  # warm the workers
        lh: dict = {}
        if not args.no_lighthouse:
            for preset in ("mobile", "desktop"):
                runs = [lighthouse(home, preset) for _ in range(args.runs)]
                runs.sort(key=lambda r: r["performance"] or 0)
                lh[preset] = {**runs[len(runs) // 2], "runs": [r["performance"] for r in runs]}
        axe = axe_pass(server.base, args.screenshots)
    finally:
        server.stop()
    record = {
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "url": "/?" + VIEW,
        "lighthouse": lh,
        "axe": axe,
        "axe_violations": sum(v["count"] for s in axe.values() for v in s["violations"]),
        "first_load_kb": {k: axe[f"home@{k}"]["first_load_kb"] for k in ("desktop", "phone")},
        "with_maps_kb": {k: axe[f"home@{k}"]["with_maps_kb"] for k in ("desktop", "phone")},
        "plotly_js": plotly_files(),
        "targets": TARGETS,
    }
    print_table(record)
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data.setdefault("audit", {})[args.label] = record
    RESULTS.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    print(f"recorded under audit.{args.label} in {RESULTS.relative_to(ROOT)}")
    return 0


def print_table(r: dict) -> None:
    print("| preset | performance | TBT ms | CLS | LCP ms | TTI ms | a11y | best practices | SEO | kB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for preset, m in r["lighthouse"].items():
        print(
            f"| {preset} | {m['performance']} ({', '.join(str(x) for x in m['runs'])}) | {m['tbt_ms']:.0f} "
            f"| {m['cls']:.3f} | {m['lcp_ms']:.0f} | {m['tti_ms']:.0f} | {m['accessibility']} "
            f"| {m['best_practices']} | {m['seo']} | {m['transfer_kb']:.0f} |"
        )
        if m["failed_audits"]:
            print(f"  {preset} failed audits: {', '.join(m['failed_audits'])}")
    bad = {k: v for k, v in r["axe"].items() if v["violations"]}
    print(
        f"axe-core ({', '.join(AXE_TAGS)}): {r['axe_violations']} violations on {len(bad)} "
        f"of {len(r['axe'])} pages and states"
    )
    for state, v in bad.items():
        for x in v["violations"]:
            print(f"  {state}: {x['id']} ({x['impact']}) x{x['count']}: {'; '.join(x['nodes'][:2])}")
    print(
        "home, compressed: first load (all but the map traces and boundaries, which follow) "
        + ", ".join(f"{k} {v} kB" for k, v in r["first_load_kb"].items())
        + "; with the map drawn "
        + ", ".join(f"{k} {v} kB" for k, v in r["with_maps_kb"].items())
    )
    for name, f in r["plotly_js"].items():
        print(f"  {name}: {f['raw_kb']} kB raw, {f['brotli_kb']} kB brotli ({', '.join(f['traces'])})")


if __name__ == "__main__":
    sys.exit(main())
