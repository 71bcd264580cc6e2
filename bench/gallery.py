"""``make gallery``: pictures of every card of a fixed set of views, for people to look at.

Serves the app on the real warehouse (data/warehouse/observatory.duckdb, read-only; Peru on
port 8160, El Salvador on 8161, both on 127.0.0.1), drives headless Chromium (/usr/bin/chromium,
through playwright) through the views below and writes under ``gallery/`` (ignored by git):

- ``<view>/<card>.png``: each card of the explore page (key figures, map, series, ranking,
  table), at desktop size (1366 x 768) and, for the phone views, at 375 x 812;
- ``embed/<chart>.png``: each embed (``/embed/map``, ``series``, ``ranking``) in a 600 x 480 frame;
- ``download/<chart>.<format>.png``: every download format of every chart: the PNG itself, the
  SVG and the PDF drawn by Chromium, the CSV and XLSX as the first rows of their table;
- ``index.html``: the pictures side by side, one row per view.

Nothing here asserts anything: the browser tests do (tests/browser/test_drawn.py). The gallery
is what a reviewer opens to see what readers see.

    python -m bench.gallery [--out gallery] [--only country,phone]
"""

from __future__ import annotations

import argparse
import html
import io
import shutil
import sys
import threading
import time
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WAREHOUSE = ROOT / "data" / "warehouse" / "observatory.duckdb"
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
PORTS = {"PE": 8160, "SV": 8161}
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 812}
CARDS = {
    "key-figures": "#key-figures",
    "map": "#map-card",
    "series": "#series-card",
    "ranking": "#ranking-card",
    "table": "#table-card",
}
EMBEDS = ("map", "series", "ranking")
DOWNLOADS = {"map": ("png", "svg", "pdf"), "series": ("png", "svg", "pdf"), "ranking": ("png", "svg", "pdf")}
DOWNLOADS["table"] = ("csv", "xlsx")


@dataclass(frozen=True)
class Shot:
    slug: str
    title: str
    query: str
    country: str = "PE"
    phone: bool = False


VIEWS = (
    Shot("country", "El país (departamentos)", ""),
    Shot("department", "Un departamento: Lima y sus provincias", "?area=15"),
    Shot("districts", "Los distritos de una provincia: Lima", "?area=1501"),
    Shot("district", "Un distrito: Miraflores", "?area=150122"),
    Shot("yearly", "Un indicador anual: feminicidios", "?ind=pe_feminicidios"),
    Shot("no-denominator", "Un indicador sin denominador: CEPAL", "?ind=cepal_feminicidios"),
    Shot("counts", "Conteos (distritos de Lima)", "?area=1501&measure=count"),
    Shot("rates", "Tasas (distritos de Lima)", "?area=1501&measure=rate"),
    Shot("smoothed", "Tasas suavizadas (distritos de Lima)", "?area=1501&measure=smoothed"),
    Shot("group", "Un grupo de territorios: Lima y Callao", "?group=lima_callao"),
    Shot("el-salvador", "El Salvador", "", country="SV"),
    Shot("english", "English", "?lang=en"),
    Shot("phone", "Teléfono de 375 px: el país", "", phone=True),
    Shot("phone-districts", "Teléfono de 375 px: distritos de Lima", "?area=1501", phone=True),
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def serving(country: str):
    """The app for ``country`` on the real warehouse, from a thread on its port."""
    from werkzeug.serving import make_server

    from observatory.contract.settings import Settings
    from observatory.web.app import create_app

    app = create_app(Settings.from_env(environ={}, warehouse=str(WAREHOUSE), country=country))
    server = make_server("127.0.0.1", PORTS[country], app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{PORTS[country]}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def settle(page) -> None:
    """Until the cards are drawn and no Dash callback is in flight."""
    page.wait_for_selector("#kf-total", timeout=90_000)
    page.wait_for_function(
        """() => !document.querySelector('[data-dash-is-loading="true"]')
            && Array.from(document.querySelectorAll('#series .js-plotly-plot, #ranking .js-plotly-plot'))
                .every(g => g._fullLayout)""",
        timeout=90_000,
    )
    page.wait_for_timeout(1500)  # transitions, and MapLibre's tiles of the boundaries


def shoot_view(page, base: str, shot: Shot, out: Path) -> dict[str, str]:
    folder = out / shot.slug
    folder.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(PHONE if shot.phone else DESKTOP)
    page.goto(base + "/" + shot.query, timeout=90_000)
    settle(page)
    pictures = {}
    for card, selector in CARDS.items():
        target = page.locator(selector)
        if not target.count():
            continue
        path = folder / f"{card}.png"
        target.first.scroll_into_view_if_needed()
        page.wait_for_timeout(200)
        target.first.screenshot(path=str(path))
        pictures[card] = str(path.relative_to(out))
    path = folder / "page.png"
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=True)
    pictures["page"] = str(path.relative_to(out))
    return pictures


def shoot_embeds(page, base: str, out: Path) -> dict[str, str]:
    folder = out / "embed"
    folder.mkdir(parents=True, exist_ok=True)
    pictures = {}
    for chart in EMBEDS:
        for name, viewport in (
            ("", {"width": 600, "height": 480}),
            ("-phone", {"width": 360, "height": 560}),
        ):
            page.set_viewport_size(viewport)
            page.goto(f"{base}/embed/{chart}", timeout=90_000)
            page.wait_for_selector("#chart[data-ready='1']", timeout=90_000)
            page.wait_for_timeout(1500)
            path = folder / f"{chart}{name}.png"
            page.screenshot(path=str(path), full_page=True)
            pictures[chart + name] = str(path.relative_to(out))
    return pictures


def png_bytes(pixels) -> bytes:
    """An RGB(A) array (height x width x 3 or 4, uint8) as a PNG file (no imaging library here)."""
    import struct
    import zlib

    height, width, channels = pixels.shape
    raw = b"".join(b"\x00" + pixels[y].tobytes() for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    colour = {3: 2, 4: 6}[channels]
    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def _table_html(frame, title: str) -> str:
    return (
        f"<!DOCTYPE html><meta charset='utf-8'><style>body{{font:13px system-ui;margin:12px}}"
        f"table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 6px}}</style>"
        f"<h1 style='font-size:15px'>{html.escape(title)}</h1>{frame.head(25).to_html(index=False)}"
    )


def shoot_downloads(page, base: str, out: Path, work: Path) -> dict[str, str]:
    """Every download format of every chart of the country view, drawn as a reader opens it."""
    import urllib.request

    import pandas as pd

    folder = out / "download"
    folder.mkdir(parents=True, exist_ok=True)
    pictures = {}
    page.set_viewport_size({"width": 1200, "height": 675})
    for chart, formats in DOWNLOADS.items():
        for fmt in formats:
            url = f"{base}/download/{chart}.{fmt}"
            try:
                with urllib.request.urlopen(url, timeout=180) as response:  # noqa: S310 (our own 127.0.0.1)
                    body = response.read()
            except OSError as exc:
                log(f"  {url} failed: {exc}")
                continue
            raw = work / f"{chart}.{fmt}" if fmt != "csv" else work / f"{chart}.csv.zip"
            raw.write_bytes(body)
            path = folder / f"{chart}.{fmt}.png"
            if fmt == "png":
                path.write_bytes(body)
            elif fmt == "svg":
                page.goto(raw.as_uri())
                page.wait_for_timeout(300)
                page.screenshot(path=str(path))
            elif fmt == "pdf":
                # Headless Chromium does not draw PDFs in a page: PDFium does (pypdfium2).
                import pypdfium2

                document = pypdfium2.PdfDocument(body)
                try:
                    bitmap = document[0].render(scale=110 / 72, rev_byteorder=True)
                    path.write_bytes(png_bytes(bitmap.to_numpy()))
                finally:
                    document.close()
            else:
                if fmt == "csv":
                    with zipfile.ZipFile(io.BytesIO(body)) as z:
                        name = next(n for n in z.namelist() if n.endswith(".csv"))
                        frame = pd.read_csv(z.open(name), dtype=str, keep_default_na=False)
                        readme = z.read("README.txt").decode("utf-8")
                    title = f"{name} (+ README.txt, {len(readme.splitlines())} líneas)"
                else:
                    sheets = pd.read_excel(io.BytesIO(body), sheet_name=None, dtype=str)
                    first = next(iter(sheets))
                    frame = sheets[first]
                    title = f"{chart}.xlsx — hojas: {', '.join(sheets)}"
                page_file = work / f"{chart}.{fmt}.html"
                page_file.write_text(_table_html(frame, title), encoding="utf-8")
                page.goto(page_file.as_uri())
                page.screenshot(path=str(path), full_page=True)
            pictures[f"{chart}.{fmt}"] = str(path.relative_to(out))
    return pictures


def index(out: Path, rows: list[tuple[str, dict[str, str]]]) -> None:
    """``index.html``: one row per view, its pictures side by side (a click opens one)."""
    parts = [
        "<!DOCTYPE html><html lang='es'><meta charset='utf-8'><title>Galería del observatorio</title>",
        "<style>body{font:14px system-ui;margin:1rem}section{margin:0 0 2rem}"
        ".row{display:flex;gap:12px;overflow-x:auto;align-items:flex-start}"
        "figure{margin:0;flex:0 0 auto}figcaption{font-size:12px;color:#555}"
        "img{max-height:420px;max-width:560px;border:1px solid #ddd;display:block}</style>",
        f"<h1>Galería del observatorio</h1><p>{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · "
        f"{html.escape(str(WAREHOUSE.relative_to(ROOT)))}</p>",
    ]
    for title, pictures in rows:
        figures = "".join(
            f"<figure><a href='{html.escape(p)}'><img src='{html.escape(p)}' alt='{html.escape(card)}' "
            f"loading='lazy'></a><figcaption>{html.escape(card)}</figcaption></figure>"
            for card, p in pictures.items()
        )
        parts.append(f"<section><h2>{html.escape(title)}</h2><div class='row'>{figures}</div></section>")
    (out / "index.html").write_text("\n".join(parts) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "gallery"), help="folder to write (replaced)")
    parser.add_argument("--only", default="", help="comma list of view slugs (and embed, download)")
    args = parser.parse_args(argv)
    if not WAREHOUSE.is_file():
        log(f"no warehouse at {WAREHOUSE}: run `python -m observatory build` first")
        return 2
    import logging

    from playwright.sync_api import sync_playwright

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    logging.getLogger("observatory").setLevel(logging.WARNING)
    only = {s for s in args.only.split(",") if s}
    out = Path(args.out).resolve()
    if out.exists() and not only:
        shutil.rmtree(out)
    work = out / "_files"
    work.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, dict[str, str]]] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for country in PORTS:
                shots = [s for s in VIEWS if s.country == country and (not only or s.slug in only)]
                extras = country == "PE" and (not only or {"embed", "download"} & only)
                if not shots and not extras:
                    continue
                with serving(country) as base:
                    context = browser.new_context(viewport=DESKTOP, locale="es-PE")
                    page = context.new_page()
                    for shot in shots:
                        log(f"{shot.slug}: {base}/{shot.query}")
                        try:
                            rows.append((shot.title, shoot_view(page, base, shot, out)))
                        except Exception as exc:  # one broken view must not lose the others
                            log(f"  {shot.slug} failed: {exc}")
                            rows.append((f"{shot.title} — FALLÓ: {exc}", {}))
                    if country == "PE" and (not only or "embed" in only):
                        log("embeds")
                        rows.append(
                            ("Embeds (/embed/…, 600 x 480 y 360 x 560)", shoot_embeds(page, base, out))
                        )
                    if country == "PE" and (not only or "download" in only):
                        log("downloads")
                        rows.append(("Descargas (/download/…)", shoot_downloads(page, base, out, work)))
                    context.close()
        finally:
            browser.close()
    index(out, rows)
    log(f"wrote {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
