"""The figures-by-institution view in a real browser: institutions side by side, the gap and the
homologated figure, on a copy of the real warehouse plus a made-up file of institutional figures."""

from __future__ import annotations

import shutil

import pytest

from observatory.contract.settings import Settings
from tests.browser.conftest import DESKTOP, serving
from tests.conftest import FIXTURES, needs_mirror

pytestmark = needs_mirror


@pytest.fixture(scope="module")
def server(real_warehouse, tmp_path_factory):
    from observatory.build.warehouse import ingest
    from observatory.web.app import create_app

    folder = tmp_path_factory.mktemp("institutions")
    warehouse = folder / "observatory.duckdb"
    shutil.copyfile(real_warehouse, warehouse)
    settings = Settings.from_env(environ={}, warehouse=str(warehouse))
    ingest(
        settings,
        "generic",
        FIXTURES / "files" / "femicides_by_institution.csv",
        country="PE",
        log=lambda _: None,
    )
    app = create_app(settings)
    with serving(app.server) as url:
        yield url


def rows_of(page) -> dict[str, list[str]]:
    out = {}
    rows = page.locator("#institutions-table tbody tr")
    for i in range(rows.count()):
        out[rows.nth(i).locator("th").inner_text().strip()] = [
            c.strip() for c in rows.nth(i).locator("td").all_inner_texts()
        ]
    return out


def test_the_view_shows_each_institution_the_gap_and_the_homologated_figure(server, context, screenshots):
    page = context.new_page()
    page.set_viewport_size(DESKTOP)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/instituciones?from=2019&to=2023")
    page.locator("#institutions-table").wait_for()
    headers = page.locator("#institutions-table thead th").all_inner_texts()
    assert {"PNP", "Ministerio Público", "MIMP", "Cifra homologada"} <= set(headers)
    assert "INEI (cifra homologada)" not in headers  # the homologated figure is not one more institution
    table = rows_of(page)
    row = dict(zip(headers[1:], table["2022"], strict=True))
    assert (row["PNP"], row["Ministerio Público"], row["MIMP"]) == ("140", "147", "130")
    assert row["Diferencia"] == "17" and row["Cifra homologada"] == "145"
    # 2021: the homologated 150 is above both institutions (136 and 136); it is not in the gap.
    row = dict(zip(headers[1:], table["2021"], strict=True))
    assert row["Diferencia"] == "0" and row["Cifra homologada"] == "150"
    page.locator("#institutions-chart .main-svg").first.wait_for()  # plotly draws the chart
    legend = page.locator("#institutions-chart .legendtext").all_text_contents()
    assert {"PNP", "Ministerio Público"} <= set(legend)
    assert (
        "Registro de Feminicidio del Ministerio Público" in page.locator(".institutions__notes").inner_text()
    )
    page.screenshot(path=str(screenshots / "institutions-1366x768.png"), full_page=True)

    # The area picker is a plain form: choose Lima, submit with the keyboard.
    page.select_option("#inst-area", "15")
    page.get_by_role("button", name="Mostrar").press("Enter")
    page.wait_for_url("**area=15**")
    page.locator("#institutions-heading").get_by_text("Lima").wait_for()
    assert page.locator("#institutions-notices .notice").count() == 0

    # A bad link: said in a notice, and the default view is shown.
    page.goto(f"{server}/instituciones?area=777777&from=19x9&lang=en")
    page.locator("#institutions-table").wait_for()
    notices = page.locator("#institutions-notices .notice").all_inner_texts()
    assert notices[0] == "There is no place “777777”; showing the country."
    assert notices[1].startswith("The year “19x9” is not valid (use YYYY); showing ")
    assert page.locator("#institutions-heading").inner_text().startswith("Perú, ")  # the country
    assert errors == []
    page.close()
