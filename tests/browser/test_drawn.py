"""What plotly drew, read back from the browser: ``_fullLayout``, ``_fullData`` and the SVG.

The dict we send can be right while the drawing is wrong (plotly reads area codes such as "01"
as numbers and puts the bars at their code values), so these tests read the drawing: the axis
type plotly settled on, the order of the bars top to bottom on the screen, the boxes of the tick
labels (no two overlap), the map's legend, and how much of each plot area the marks fill. At
desktop (1366 x 768) and phone (375 x 812) sizes, on the tiny warehouse and, when it has been
built, on the real one (data/warehouse/observatory.duckdb).
"""

from __future__ import annotations

import pytest

from observatory.contract.settings import ROOT, Settings
from tests.browser.conftest import DESKTOP, PHONE, _page, serving

REAL_WAREHOUSE = ROOT / "data" / "warehouse" / "observatory.duckdb"
SIZES = {"desktop": DESKTOP, "phone": PHONE}

# One report of a drawn plot: the axis types plotly chose, each bar's value and box, every
# tick label's box and the plot area's box. ``root`` is the graph's element (or a parent).
DRAWN = """(root) => {
    const el = document.querySelector(root);
    const g = el && (el.classList.contains('js-plotly-plot') ? el : el.querySelector('.js-plotly-plot'));
    if (!g || !g._fullLayout || !g._fullData) return null;
    const box = (e) => { const r = e.getBoundingClientRect();
        return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height}; };
    const fl = g._fullLayout;
    const out = {xtype: fl.xaxis && fl.xaxis.type, ytype: fl.yaxis && fl.yaxis.type,
                 traces: g._fullData.map(t => t.type), bars: [], ticks: [], bartexts: []};
    const plot = g.querySelector('.cartesianlayer .subplot.xy .bglayer rect, .nsewdrag');
    out.plot = plot ? box(plot) : null;
    const bars = g._fullData.findIndex(t => t.type === 'bar');
    if (bars >= 0) {
        const trace = g._fullData[bars];
        const values = Array.from(trace.orientation === 'h' ? trace.x : trace.y);
        const labels = Array.from(trace.orientation === 'h' ? trace.y : trace.x);
        g.querySelectorAll('.barlayer .trace.bars')[0].querySelectorAll('.point').forEach((p, i) => {
            const path = p.querySelector('path');
            out.bars.push({value: Number(values[i]), label: String(labels[i]), ...box(path || p)});
        });
        g.querySelectorAll('.barlayer .bartext').forEach(e => out.bartexts.push({text: e.textContent, ...box(e)}));
    }
    const lines = g._fullData.filter(t => t.type === 'scatter' && t.visible === true && t.x && t.x.length > 1);
    if (lines.length && fl.xaxis && fl.yaxis) {
        const xa = fl.xaxis, ya = fl.yaxis, xs = [], ys = [];
        lines.forEach(t => Array.from(t.x).forEach((x, i) => {
            if (x != null && t.y[i] != null) { xs.push(xa.d2l(x)); ys.push(ya.d2l(t.y[i])); } }));
        const xr = xa.range.map(v => xa.r2l(v)), yr = ya.range.map(v => ya.r2l(v));
        if (xs.length) out.fill = {
            x: (Math.max(...xs) - Math.min(...xs)) / Math.abs(xr[1] - xr[0]),
            y: (Math.max(...ys) - Math.min(0, ...ys)) / Math.abs(yr[1] - yr[0])};
    }
    for (const axis of ['xtick', 'ytick']) {
        g.querySelectorAll('.' + axis + ' text').forEach(e => {
            if (e.textContent.trim()) out.ticks.push({axis, text: e.textContent, ...box(e)});
        });
    }
    return out;
}"""


def wait_drawn(page, root: str, trace: str) -> dict:
    """Until the graph under ``root`` has drawn a ``trace`` trace (or a message), then its report."""
    page.wait_for_function(
        """([root, trace]) => { const el = document.querySelector(root);
            const g = el && (el.classList.contains('js-plotly-plot') ? el : el.querySelector('.js-plotly-plot'));
            return !!g && !!g._fullData && g._fullData.some(t => t.type === trace)
                && !document.querySelector('[data-dash-is-loading="true"]'); }""",
        arg=[root, trace],
    )
    page.wait_for_timeout(400)  # plotly's transitions
    return page.evaluate(DRAWN, root)


def overlaps(boxes: list[dict], slack: float = 0.5) -> list[tuple[str, str]]:
    """The pairs of boxes that overlap by more than ``slack`` pixels each way."""
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            dx = min(a["right"], b["right"]) - max(a["left"], b["left"])
            dy = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
            if dx > slack and dy > slack:
                found.append((a["text"], b["text"]))
    return found


def check_ranking(drawn: dict, where: str) -> None:
    """A ranking as a reader sees it: category axis, bars top to bottom from the highest value,
    labels apart, and bars that fill their plot area (not a few slivers on a long axis)."""
    assert drawn is not None, f"{where}: no ranking drawn"
    assert drawn["ytype"] == "category", f"{where}: the areas' axis is {drawn['ytype']!r}, not category"
    bars = [b for b in drawn["bars"] if b["height"] > 0]
    assert bars, f"{where}: no bars drawn"
    on_screen = [b["value"] for b in sorted(bars, key=lambda b: b["top"])]
    assert on_screen == sorted(on_screen, reverse=True), f"{where}: bars top to bottom {on_screen}"
    labels = [b["label"] for b in drawn["bars"]]
    assert len(labels) == len(set(labels)), f"{where}: an area drawn twice: {labels}"
    for axis in ("xtick", "ytick"):
        ticks = [t for t in drawn["ticks"] if t["axis"] == axis]
        assert not overlaps(ticks), f"{where}: {axis} labels overlap: {overlaps(ticks)[:5]}"
    assert not overlaps(drawn["bartexts"]), f"{where}: bar labels overlap: {overlaps(drawn['bartexts'])[:5]}"
    plot = drawn["plot"]
    filled = sum(b["height"] for b in bars) / plot["height"]
    assert filled >= 0.4, f"{where}: the bars fill {filled:.0%} of the plot's height"
    widest = max(b["width"] for b in bars) / plot["width"]
    assert widest >= 0.5, f"{where}: the longest bar spans {widest:.0%} of the plot's width"


def check_series(drawn: dict, where: str) -> None:
    """A series: a date axis and a linear one, labels apart, lines spanning most of the plot."""
    assert drawn is not None, f"{where}: no series drawn"
    assert drawn["xtype"] == "date", f"{where}: the time axis is {drawn['xtype']!r}"
    assert drawn["ytype"] == "linear", f"{where}: the value axis is {drawn['ytype']!r}"
    fill = drawn.get("fill")
    assert fill, f"{where}: no line drawn"
    assert fill["x"] >= 0.8 and fill["y"] >= 0.5, f"{where}: the lines fill {fill} of the plot"
    for axis in ("xtick", "ytick"):
        ticks = [t for t in drawn["ticks"] if t["axis"] == axis]
        assert not overlaps(ticks), f"{where}: {axis} labels overlap: {overlaps(ticks)[:5]}"


def check_legend(page, where: str) -> None:
    """A map carries its legend: an HTML legend with items, or one plotly drew."""
    items = page.locator(".legend .legend__item, .js-plotly-plot .legendtext")
    assert items.count() >= 2, f"{where}: the map has no legend"
    assert items.first.is_visible(), f"{where}: the map's legend is not visible"


def check_map_fits(page, where: str) -> None:
    """The embedded map shows every one of its areas: its bounds hold the areas' box."""
    page.wait_for_function("() => document.getElementById('chart')._fullLayout.map._subplot.map.loaded()")
    shown, wanted = page.evaluate(
        """() => { const g = document.getElementById('chart');
            const b = g._fullLayout.map._subplot.map.getBounds();
            return [[b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], g.layout.meta.bounds]; }"""
    )
    west, south, east, north = wanted
    assert shown[0] <= west and shown[1] <= south and shown[2] >= east and shown[3] >= north, (
        f"{where}: the map shows {shown}, its areas span {wanted}"
    )


def open_page(page, query: str) -> None:
    page.goto(page.base + "/" + query)
    page.wait_for_selector("#kf-total")


# --------------------------------------------------------------------------- tiny warehouse

VIEWS = {  # the ranking at each level: departments, a department's provinces, a province's districts
    "country": "",
    "department": "?area=15&measure=count",  # the tiny warehouse has no province populations
    "province": "?area=1501",
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("view", VIEWS)
def test_the_ranking_draws_areas_as_categories_in_value_order(new_page, size, view):
    page = new_page(SIZES[size])
    open_page(page, VIEWS[view])
    check_ranking(wait_drawn(page, "#ranking", "bar"), f"{view} at {size}")
    check_series(wait_drawn(page, "#series", "scatter"), f"{view} series at {size}")
    check_legend(page, f"{view} map at {size}")
    assert page.errors == [], page.errors


def test_areas_without_a_value_are_listed_under_the_ranking_not_drawn(page):
    open_page(page, "")  # the departments: 99 No especificado has no polygon and no population
    drawn = wait_drawn(page, "#ranking", "bar")
    assert "99" not in [b["label"] for b in drawn["bars"]]
    assert "No especificado" not in [t["text"] for t in drawn["ticks"]]
    assert "No especificado" in page.locator("#ranking-unranked").inner_text()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("chart", ["ranking", "map", "series"])
def test_every_embed_draws_its_chart_with_its_context(new_page, size, chart):
    page = new_page(SIZES[size])
    page.goto(page.base + f"/embed/{chart}?from=2024-01")
    page.wait_for_selector("#chart[data-ready='1']")
    where = f"/embed/{chart} at {size}"
    if chart == "ranking":
        check_ranking(page.evaluate(DRAWN, "#chart"), where)
    elif chart == "series":
        check_series(page.evaluate(DRAWN, "#chart"), where)
    else:
        check_legend(page, where)
        check_map_fits(page, where)
    source = page.locator("#embed-source").inner_text()
    assert "Ministerio del Interior" in source
    assert page.locator("#embed-unit").inner_text().strip()
    assert "provisional" in page.locator("#embed-notes").inner_text().lower()  # February 2025
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SIZES[size]["width"], f"{where}: scrolls sideways ({width}px)"
    assert page.errors == [], page.errors


# --------------------------------------------------------------------------- real warehouse


@pytest.fixture(scope="module")
def real_server():
    """The app on the real warehouse this worktree built (read-only), with its boundary layers."""
    if not REAL_WAREHOUSE.is_file():
        pytest.skip(f"{REAL_WAREHOUSE} has not been built (python -m observatory build)")
    from observatory.web.app import create_app

    app = create_app(Settings.from_env(environ={}, warehouse=str(REAL_WAREHOUSE)))
    with serving(app.server) as url:
        yield url


REAL_VIEWS = {
    "country": "",
    "department": "?area=15",  # Lima's provinces
    "province": "?area=1501",  # Lima's 43 districts
    "rates": "?area=15&measure=rate",
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("view", REAL_VIEWS)
def test_the_real_ranking_reads_right(context, real_server, size, view):
    page = _page(context, real_server, SIZES[size])
    page.set_default_timeout(60_000)  # a cold first view of the real warehouse, on a shared machine
    try:
        open_page(page, REAL_VIEWS[view])
        check_ranking(wait_drawn(page, "#ranking", "bar"), f"real {view} at {size}")
        check_series(wait_drawn(page, "#series", "scatter"), f"real {view} series at {size}")
        check_legend(page, f"real {view} map at {size}")
        assert page.errors == [], page.errors
    finally:
        page.close()


@pytest.mark.parametrize("chart", ["ranking", "map"])
def test_the_real_embeds_read_right(context, real_server, chart):
    page = _page(context, real_server, DESKTOP)
    page.set_default_timeout(60_000)
    try:
        page.goto(real_server + f"/embed/{chart}")
        page.wait_for_selector("#chart[data-ready='1']")
        if chart == "ranking":
            check_ranking(page.evaluate(DRAWN, "#chart"), "real /embed/ranking")
        else:
            check_legend(page, "real /embed/map")
            check_map_fits(page, "real /embed/map")
        assert page.errors == [], page.errors
    finally:
        page.close()
