"""A department map where suppressed, no-data and zero areas are all present and drawn apart.

Made-up femicide counts for 2016 (loaded through the generic CSV into a copy of the real
warehouse): zeros, small counts (suppressed, with their complements), large counts, and five
departments with no row at all (no data). Department outlines: the shipped Natural Earth layer.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from observatory.contract.settings import Settings
from tests.browser.conftest import DESKTOP, serving
from tests.conftest import needs_mirror

pytestmark = needs_mirror

CODES = [f"{i:02d}" for i in range(1, 26)]
ABSENT = {"05", "10", "16", "21", "25"}
SMALL = {"02": 1, "08": 3, "13": 2}
ZERO = {"01", "17", "18", "24"}


@pytest.fixture(scope="module")
def honest_server(real_warehouse, tmp_path_factory):
    from observatory.build.warehouse import ingest
    from observatory.web.app import create_app

    folder = tmp_path_factory.mktemp("honest")
    warehouse = folder / "observatory.duckdb"
    shutil.copyfile(real_warehouse, warehouse)
    rows = []
    for i, code in enumerate(CODES):
        if code in ABSENT:
            continue
        value = 0 if code in ZERO else SMALL.get(code, 10 + i)
        rows.append(
            {"territory_code": code, "period": "2016", "indicator": "pe_feminicidios", "value": value}
        )
    path = folder / "femicides.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    settings = Settings.from_env(environ={}, warehouse=str(warehouse))
    # The made-up year stands alone (absent departments have no data): replace, not merge.
    ingest(settings, "generic", path, country="PE", replace=True, log=lambda _: None)
    app = create_app(settings)
    with serving(app.server) as url:
        yield url


def test_suppressed_no_data_and_zero_look_different(honest_server, context, screenshots):
    page = context.new_page()
    page.set_viewport_size(DESKTOP)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{honest_server}/?ind=pe_feminicidios&from=2016&to=2016")
    legend = page.locator("#map-legend")
    legend.get_by_text("Reservado").wait_for()
    text = legend.inner_text()
    assert "Cero" in text and "Reservado" in text and "Sin datos" in text
    page.locator("#map .choroplethmap, #map .js-plotly-plot").first.wait_for()
    page.wait_for_timeout(1500)  # let MapLibre paint the polygons
    summary = page.locator("#map-summary").inner_text()
    assert "Sin datos (5)" in summary or "Sin datos" in summary
    # The map's data holds all three kinds of non-value, each in its own colour, and the legend
    # shows the same three colours (all normalised by the browser to rgb()).
    drawn = page.evaluate(
        """() => {
            const rgb = (c) => {
                const probe = document.createElement('span');
                probe.style.color = c;
                document.body.appendChild(probe);
                const out = getComputedStyle(probe).color;
                probe.remove();
                return out;
            };
            const trace = document.querySelector('#map .js-plotly-plot').data[0];
            const {zmin, zmax} = trace;
            const colourOf = (z) => {
                const at = (z - zmin) / (zmax - zmin);
                const steps = trace.colorscale.filter(([pos]) => pos <= at + 1e-9);
                return rgb(steps[steps.length - 1][1]);
            };
            const swatch = (kind) => rgb(getComputedStyle(
                document.querySelector(`#map-legend .legend__swatch--${kind}`)).backgroundColor);
            return {
                category: Object.fromEntries(trace.locations.map((c, i) => [c, trace.z[i]])),
                map: {no_data: colourOf(0), suppressed: colourOf(1), zero: colourOf(2)},
                legend: {no_data: swatch('no_data'), suppressed: swatch('suppressed'), zero: swatch('zero')},
            };
        }"""
    )
    category = drawn["category"]
    assert len(category) >= 20
    by_kind = {
        "no_data": {c for c in ABSENT if c in category},
        "suppressed": {c for c in SMALL if c in category},
        "zero": {c for c in ZERO if c in category},
    }
    assert all(by_kind.values()), by_kind
    number = {"no_data": 0, "suppressed": 1, "zero": 2}  # figures.STATUS_ORDER
    for kind, codes in by_kind.items():
        assert {category[c] for c in codes} == {number[kind]}, (kind, codes)
    assert len(set(drawn["map"].values())) == 3, drawn["map"]
    assert drawn["legend"] == drawn["map"]
    page.locator("#map-wrap").screenshot(path=str(screenshots / "map-suppressed-nodata-zero.png"))
    # Nothing on the page shows a suppressed count as a number.
    rows = page.locator("#area-table tbody tr")
    cells = {}
    for i in range(rows.count()):
        name = rows.nth(i).locator("th").inner_text().split()[0]
        cells[name] = [t.strip() for t in rows.nth(i).locator("td").all_inner_texts()]
    for name in ("Áncash", "Cusco"):  # 02 = 1, 08 = 3: suppressed
        assert cells[name][0] == "Reservado", (name, cells[name])
    assert cells["Amazonas"][0] == "0"
    assert errors == []
    page.close()
