"""The journalists' kit: every download of a known view of the tiny warehouse, checked by content.

Exact values come from tests/fixtures/tiny.py: over 2024-01..2025-02 Amazonas (01) has 168
complaints and Lima (15) 1540; feminicides of 2015 are all suppressed (1 in 01, complement in 15).
Images are rendered by kaleido in /usr/bin/chromium; those tests are skipped without it.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pandas as pd
import pypdf
import pytest

from observatory.contract.settings import Settings
from observatory.present import exports
from observatory.views import explore, urlstate
from observatory.web import dashboard
from observatory.web.app import create_app
from tests.browser.tiny_geo import boundaries_for, write_layers

VIEW = "from=2024-01&measure=count"  # the country's departments, 2024-01..2025-02
SUPPRESSED = "ind=pe_feminicidios&from=2015&to=2015&measure=count"
TITLE = "Denuncias policiales por violencia contra la mujer"
needs_chromium = pytest.mark.skipif(not Path(exports.CHROMIUM).exists(), reason="no /usr/bin/chromium")


def make_app(warehouse, folder, **config):
    app = create_app(
        Settings.from_env(environ={}, warehouse=str(warehouse)),
        boundaries=boundaries_for(write_layers(folder)),
    )
    app.server.config.update(
        {"OBSERVATORY_DOWNLOAD_LIMIT": "1000 per minute", "OBSERVATORY_API_LIMIT": "1000 per minute"} | config
    )
    return app


@pytest.fixture(scope="module")
def app(tiny_warehouse, tmp_path_factory):
    return make_app(tiny_warehouse, tmp_path_factory.mktemp("geo"))


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


@pytest.fixture(scope="module")
def ctx(app) -> explore.Context:
    return app.server.extensions["observatory"]


def view(ctx, query: str):
    return explore.resolve(ctx, urlstate.parse(query))


def get(client, url: str, status: int = 200):
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code, r.data[:300])
    return r


# --------------------------------------------------------------------------- data files


def test_csv_zip_holds_exactly_the_table_shown_and_a_readme(client, ctx):
    r = get(client, f"/download/table.csv?{VIEW}")
    assert r.mimetype == "application/zip"
    assert 'filename="pe_denuncias_vcm_PE_2024-01_2025-02_table.csv.zip"' in r.headers["Content-Disposition"]
    z = zipfile.ZipFile(io.BytesIO(r.data))
    names = sorted(z.namelist())
    assert names == ["README.txt", "pe_denuncias_vcm_PE_2024-01_2025-02_table.csv"]
    got = pd.read_csv(io.BytesIO(z.read(names[1])), dtype={"código": str}, encoding="utf-8-sig")
    shown = dashboard.export_frame(explore.area_table(ctx, view(ctx, "?" + VIEW)))
    # Same rows, same order, same values; names in Spanish, the code beside the name.
    assert list(got.columns[:3]) == ["país", "código", "nombre"]
    assert len(got.columns) == len(shown.columns)
    assert got["código"].tolist() == shown["code"].tolist() == ["01", "15", "99"]
    assert got["número"].tolist()[:2] == [168, 1540]
    expected = shown.rename(columns={c: exports.t(f"export.col.{c}", "es") for c in shown.columns})
    assert z.read(names[1]).decode("utf-8-sig") == expected.to_csv(index=False)
    readme = z.read("README.txt").decode("utf-8")
    for text in (TITLE, "Ministerio del Interior", "tiny-1", "Cómo citar", "Fecha de consulta", "Definición"):
        assert text in readme


def test_csv_keeps_suppressed_cells_empty(client):
    z = zipfile.ZipFile(io.BytesIO(get(client, f"/download/map.csv?{SUPPRESSED}").data))
    csv = next(n for n in z.namelist() if n.endswith(".csv"))
    got = pd.read_csv(io.BytesIO(z.read(csv)), dtype={"código": str}, encoding="utf-8-sig")
    rows = got.set_index("código")
    assert rows.loc["01", "estado"] == "suppressed" and rows.loc["15", "estado"] == "suppressed"
    assert rows.loc[["01", "15"], "número"].isna().all()
    assert "reserva estadística" in z.read("README.txt").decode("utf-8")


def test_xlsx_has_data_and_metadata_sheets_in_english(client):
    r = get(client, f"/download/ranking.xlsx?{VIEW}&lang=en")
    book = openpyxl.load_workbook(io.BytesIO(r.data))
    assert book.sheetnames == ["Data", "Metadata"]
    rows = list(book["Data"].values)
    assert rows[0][:3] == ("country", "code", "name")
    assert [(r[1], r[5]) for r in rows[1:3]] == [("01", 168), ("15", 1540)]
    meta = {r[0]: r[1] for r in book["Metadata"].values}
    assert meta["Indicator"].startswith("Police complaints")
    assert meta["Source release"] == "tiny-1"
    assert "accessed" in meta["How to cite"] and "http" in meta["Permanent link"]
    assert "Definition" in meta and "Data licence" in meta and "Query date" in meta


def test_series_csv_is_the_series_table(client, ctx):
    z = zipfile.ZipFile(io.BytesIO(get(client, "/download/series.csv?area=01&from=2024-01&to=2025-02").data))
    csv = next(n for n in z.namelist() if n.endswith(".csv"))
    got = pd.read_csv(io.BytesIO(z.read(csv)), dtype=str, encoding="utf-8-sig")
    table = explore.series_table(ctx, view(ctx, "?area=01&from=2024-01&to=2025-02"))
    assert len(got) == len(table)
    assert got["periodo"].iloc[0] == "2024-01"
    amazonas = got[got["código"] == "01"]["número"].astype(float).sum()
    assert amazonas == 168


# --------------------------------------------------------------------------- images


def png_info(data: bytes) -> tuple[int, int, int]:
    """(width, height, distinct byte values in the decoded scanlines) of a PNG, without PIL."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat, pos = b"", 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    return width, height, len(set(raw[:200_000]))


@needs_chromium
def test_images_carry_title_source_and_sizes(client):
    svg = get(client, f"/download/map.svg?{VIEW}").data.decode("utf-8")
    assert svg.startswith("<svg") and 'width="1200" height="675"' in svg
    for text in (TITLE, "Fuente: Ministerio del Interior", "Publicación: tiny-1", "Descargado el"):
        assert text in svg, text
    assert "Observatorio" in svg

    png = get(client, f"/download/map.png?{VIEW}")
    assert png.mimetype == "image/png"
    width, height, distinct = png_info(png.data)
    assert (width, height) == (2400, 1350)  # 2x of 1200 x 675
    assert distinct > 10  # not blank

    square = png_info(get(client, f"/download/ranking.png?{VIEW}&size=1080x1080").data)
    assert square[:2] == (2160, 2160)

    pdf = get(client, f"/download/series.pdf?{VIEW}").data
    # Chromium's PDFs compress their text (checked in the SVG above): check the page and the file.
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF") and len(pdf) > 5000
    box = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert box and abs(float(box[1]) - 900) < 1 and abs(float(box[2]) - 506.25) < 1  # 1200 x 675 px in pt


def pdf_text(data: bytes) -> str:
    """The text of every page of a PDF (Chromium compresses it: read it back with pypdf)."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(page.extract_text() for page in reader.pages)


EVERY_EXPORT = [
    (chart, fmt, size)
    for chart in exports.CHARTS
    for fmt in exports.formats_for(chart)
    for size in (
        exports.SIZES if fmt in exports.IMAGE_FORMATS and chart == "ranking" else [exports.DEFAULT_SIZE]
    )
]


@pytest.mark.parametrize(("chart", "fmt", "size"), EVERY_EXPORT)
def test_every_export_of_a_known_view_carries_its_content(client, ctx, chart, fmt, size):
    """Every card x format (both sizes for one chart) of the view: the title and source in images
    and documents, the requested size, and exactly the rows shown in the data files."""
    if fmt in exports.IMAGE_FORMATS and not Path(exports.CHROMIUM).exists():
        pytest.skip("no /usr/bin/chromium")
    r = get(client, f"/download/{chart}.{fmt}?{VIEW}&size={size}")
    width, height = exports.SIZES[size]
    shown = exports.data_frame(ctx, view(ctx, "?" + VIEW), chart)
    if fmt == "svg":
        svg = r.data.decode("utf-8")
        assert f'width="{width}" height="{height}"' in svg
        assert TITLE in svg and "Fuente: Ministerio del Interior" in svg
    elif fmt == "pdf":
        text = re.sub(r"\s+", " ", pdf_text(r.data))
        assert TITLE in text and "Fuente: Ministerio del Interior" in text and "Publicación: tiny-1" in text
        box = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", r.data)
        assert box and abs(float(box[1]) - width * 0.75) < 1 and abs(float(box[2]) - height * 0.75) < 1
    elif fmt == "png":
        got_w, got_h, distinct = png_info(r.data)
        assert (got_w, got_h) == (2 * width, 2 * height) and distinct > 10
    elif fmt == "csv":
        with zipfile.ZipFile(io.BytesIO(r.data)) as z:
            names = sorted(z.namelist())
            assert names[0] == "README.txt" and names[1].endswith(".csv")
            assert TITLE in z.read("README.txt").decode("utf-8")
            got = pd.read_csv(
                io.BytesIO(z.read(names[1])), dtype=str, keep_default_na=False, encoding="utf-8-sig"
            )
        assert list(got.columns) == list(shown.columns) and len(got) == len(shown)
        assert list(got.iloc[:, 1]) == [str(v) for v in shown.iloc[:, 1]]  # codes, in the order shown
    else:
        book = openpyxl.load_workbook(io.BytesIO(r.data))
        assert len(book.sheetnames) == 2
        data = book[book.sheetnames[0]]
        assert data.max_row - 1 == len(shown)
        assert [c.value for c in data[1]] == list(shown.columns)


@needs_chromium
def test_image_notes_disclosure_and_english(client):
    svg = get(client, f"/download/ranking.svg?{SUPPRESSED}&lang=en").data.decode("utf-8")
    assert "Source:" in svg and "statistical disclosure rule" in svg and "Downloaded on" in svg


@needs_chromium
def test_downloads_are_cached_and_conditional(client):
    first = get(client, f"/download/series.svg?{VIEW}")
    assert "max-age=" in first.headers["Cache-Control"] and first.headers.get("ETag")
    again = client.get(f"/download/series.svg?{VIEW}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("/download/map.gif", "gif"),
        ("/download/table.png", "csv, xlsx"),
        ("/download/pie.png", "pie"),
        ("/download/map.png?size=10x10", "1200x675"),
        ("/download/map.png?ind=nope", "nope"),
        ("/download/map.png?from=2024-13", "2024-13"),
        ("/download/map.png?bogus=1", "bogus"),
        ("/download/map.png?area=01&area=15", "area"),
    ],
)
def test_invalid_downloads_answer_400_with_a_message(client, url, says):
    r = get(client, url, 400)
    assert r.mimetype == "text/plain" and says in r.data.decode("utf-8")


def test_rate_limit_answers_429_with_a_clear_message(tiny_warehouse, tmp_path):
    app = make_app(
        tiny_warehouse,
        tmp_path,
        OBSERVATORY_DOWNLOAD_LIMIT="2 per minute",
        OBSERVATORY_API_LIMIT="1 per minute",
    )
    c = app.server.test_client()
    for _ in range(2):
        get(c, f"/download/table.csv?{VIEW}")
    r = get(c, f"/download/table.csv?{VIEW}", 429)
    assert r.mimetype == "text/plain" and "Demasiadas descargas" in r.data.decode("utf-8")
    assert "2 per 1 minute" in r.data.decode("utf-8")
    get(c, "/api/v1/indicators?lang=en")
    api = get(c, "/api/v1/indicators?lang=en", 429)
    assert api.json["status"] == 429 and api.json["error"].startswith("Too many")
    assert get(c, "/health").status_code == 200  # other routes are not limited


@pytest.mark.parametrize("proxies", [0, 1])
def test_rate_limit_counts_per_reader_behind_a_trusted_proxy(tiny_warehouse, tmp_path, proxies):
    """With ``OBSERVATORY_TRUSTED_PROXIES=1`` two readers behind one proxy have a limit each;
    without it, X-Forwarded-For is not trusted (anyone could forge it) and they share one."""
    app = create_app(
        Settings.from_env(environ={}, warehouse=str(tiny_warehouse), trusted_proxies=proxies),
        boundaries=boundaries_for(write_layers(tmp_path)),
    )
    app.server.config.update(OBSERVATORY_API_LIMIT="1 per minute")
    c = app.server.test_client()

    def ask(reader: str) -> int:
        return c.get("/api/v1/indicators", headers={"X-Forwarded-For": reader}).status_code

    assert ask("203.0.113.1") == 200
    assert ask("203.0.113.2") == (200 if proxies else 429)
    assert ask("203.0.113.1") == 429


# --------------------------------------------------------------------------- the menu


def test_download_menu_links_follow_the_view(ctx):
    out = dashboard.on_downloads(ctx, "?area=01&from=2024-01", "http://example.org/")
    assert set(out) == set(dashboard.DOWNLOAD_OUTPUTS)
    assert out["map-dl-png"] == "/download/map.png?area=01&from=2024-01&to=2025-02"
    assert out["map-dl-png-square"] == "/download/map.png?area=01&from=2024-01&to=2025-02&size=1080x1080"
    for fmt in ("svg", "pdf"):  # every image format in both sizes
        assert (
            out[f"series-dl-{fmt}-square"]
            == f"/download/series.{fmt}?area=01&from=2024-01&to=2025-02&size=1080x1080"
        )
    assert out["table-dl-xlsx"] == "/download/table.xlsx?area=01&from=2024-01&to=2025-02"
    assert "table-dl-png" not in out
    assert out["series-link"] == "http://example.org/?area=01&from=2024-01&to=2025-02"
    assert (
        '<iframe src="http://example.org/embed/map?area=01&amp;from=2024-01&amp;to=2025-02"'
        in out["map-embed"]
    )
    assert "http://example.org/?area=01&from=2024-01&to=2025-02" in out["ranking-cite"]
    assert "consultado el" in out["ranking-cite"]
    # A default view still pins its period; English is carried.
    en = dashboard.on_downloads(ctx, "?lang=en", "http://example.org/")
    assert en["series-dl-svg"] == "/download/series.svg?from=2024-03&to=2025-02&lang=en"


def test_every_chart_card_has_a_menu(ctx):
    page = dashboard.build(ctx, view(ctx, ""))
    ids = set()

    def walk(c):
        if c is None or isinstance(c, str | int | float):
            return
        if isinstance(c, list | tuple):
            for x in c:
                walk(x)
            return
        if getattr(c, "id", None):
            ids.add(c.id)
        walk(getattr(c, "children", None))

    walk(page)
    for card in dashboard.MENU_CARDS:
        assert f"{card}-dl" in ids
    assert set(dashboard.DOWNLOAD_OUTPUTS) <= ids


def test_image_subtitle_names_the_compared_areas_of_the_series(ctx):
    today = pd.Timestamp("2026-11-29").date()
    compared = view(ctx, "?area=01&compare=15&from=2024-01")
    series = exports.metadata(ctx, compared, "series", "http://example.org/", today)
    assert series.subtitle.endswith("· comparado con Lima")
    ranking = exports.metadata(ctx, compared, "ranking", "http://example.org/", today)
    assert "comparado" not in ranking.subtitle  # the ranking has no compared lines


def test_the_page_embed_and_downloads_draw_one_ranking(ctx):
    """The ranking the page draws is the one the embed and the images draw: categories in value
    order, 'No especificado' (not a place) off the axis and named in the notes."""
    search = "?" + VIEW
    page_fig, _ = dashboard.on_ranking(ctx, search, None)
    v = view(ctx, search)
    image_fig = exports.chart_figure(ctx, v, "ranking", exports.SIZES[exports.DEFAULT_SIZE])
    for fig in (page_fig, image_fig):
        assert fig["layout"]["yaxis"]["type"] == "category"
        assert list(fig["data"][0]["y"]) == ["15", "01"]  # Lima 1540, Amazonas 168
    from observatory.web import embed

    embedded = embed.embed_figure(ctx, v, "ranking")
    assert list(embedded.data[0].y) == ["15", "01"] and embedded.layout.yaxis.type == "category"
    meta = exports.metadata(ctx, v, "ranking", "http://x/", pd.Timestamp("2025-03-05").date())
    assert any("No especificado" in n for n in meta.notes), meta.notes
    by_lowest = dashboard.on_ranking(ctx, search, {"col": "count", "desc": False})[0]
    assert list(by_lowest["data"][0]["y"]) == ["01", "15"]  # follows the table's sort


@needs_chromium
def test_the_ranking_image_names_what_it_does_not_draw(client):
    svg = get(client, f"/download/ranking.svg?{VIEW}").data.decode("utf-8")
    assert "Fuera del gráfico, 1 área sin un valor que comparar: No especificado" in svg
    assert ">Lima<" in svg and ">Amazonas<" in svg


def test_only_areas_without_sub_areas_between_country_and_finest_level_are_not_places(ctx):
    from types import SimpleNamespace

    at = SimpleNamespace
    assert exports.unplaced(ctx, at(map_level="department"), ["01", "15", "99"]) == {"99"}
    assert exports.unplaced(ctx, at(map_level="district"), ["150201", "150202"]) == frozenset()
    assert exports.unplaced(ctx, at(map_level="country"), ["PE", "AR"]) == frozenset()  # countries compared
