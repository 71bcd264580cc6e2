"""The app driven by the country pack (El Salvador beside Peru) and territory groups, through
the same callback functions the Dash wiring calls. El Salvador's figures are made up
(tests/conftest.py ``made_up_sv_femicides``), never official ones."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest

from observatory.contract import countries, i18n
from observatory.contract.settings import ROOT, Settings
from observatory.contract.site import load_site
from observatory.present import controls, exports
from observatory.views import explore
from observatory.warehouse.db import Warehouse
from observatory.warehouse.geo import Boundaries
from observatory.web import dashboard
from tests.conftest import made_up_sv_femicides
from tests.test_callbacks import geo, text


def context(warehouse, country: str, geo=None) -> explore.Context:
    settings = Settings.from_env(environ={}, warehouse=str(warehouse), country=country)
    pack = countries.pack(settings.data_dir, country)
    site = countries.fit_site(load_site(settings.site_path), pack)
    i18n.use_numbers(pack.numbers)  # what create_app does (tests/conftest.py restores the marks)
    return explore.Context(
        Warehouse(warehouse), settings, site, Boundaries(geo or warehouse.parent / "geo", ROOT / "geo")
    )


@pytest.fixture(scope="module")
def pe(real_warehouse) -> explore.Context:
    return context(real_warehouse, "PE")


def sv_expected(warehouse) -> dict[str, dict[int, int]]:
    """Department -> year -> made-up femicides, recomputed from the made-up district file."""
    con = duckdb.connect(str(warehouse), read_only=True)
    parents = dict(  # district -> its department (through its 2024 municipality)
        con.execute(
            """SELECT d.code, m.parent_code FROM territories d
               JOIN territories m ON m.country = 'SV' AND m.code = d.parent_code
               WHERE d.country = 'SV' AND d.level = 'district'"""
        ).fetchall()
    )
    con.close()
    out: dict[str, dict[int, int]] = {}
    for r in made_up_sv_femicides(sorted(parents)).itertuples():
        dept = out.setdefault(parents[r.territory_code], {})
        dept[int(r.period)] = dept.get(int(r.period), 0) + r.value
    return out


def test_el_salvador_pack_drives_labels_help_numbers_and_the_department_map(sv_warehouse):
    ctx = context(sv_warehouse, "SV")
    assert ctx.site.country == "SV" and ctx.site.help_phone == "126"
    assert ctx.site.default_indicator == "cepal_feminicidios" and "El Salvador" in ctx.site.tagline["es"]
    view = dashboard.view_of(ctx, "?ind=sv_feminicidios&from=2019&to=2024")
    page = dashboard.build(ctx, view)
    labels = text(page)
    assert "Municipio" in labels and "Provincia" not in labels

    # The country map: El Salvador's 14 departments with the made-up totals of their municipalities.
    view_search = "?ind=sv_feminicidios&from=2024&to=2024"
    fig, key, map_hidden, *_ = dashboard.on_map(ctx, view_search, None, geo_url_of=geo)
    assert map_hidden is False and key.startswith("SV|department|SV|")
    table = explore.area_table(ctx, dashboard.view_of(ctx, view_search))
    expected = sv_expected(sv_warehouse)
    assert sorted(table["code"]) == [f"{i:02d}" for i in range(1, 15)]
    shown = {r.code: r.count for r in table.itertuples() if r.status in ("value", "zero")}
    assert shown and all(shown[c] == expected[c][2024] for c in shown)
    assert set(fig.data[0].locations) == set(table.loc[table["has_polygon"], "code"])
    assert table["has_polygon"].all()

    # Numbers in El Salvador's Spanish: 1,234.5 (Peru's: 1 234,5).
    assert i18n.number(1234.5, "es", 1) == "1,234.5"
    figure = dashboard.on_series(ctx, "?ind=sv_feminicidios&from=2019&to=2024")
    national = figure.data[0]
    totals = {y: sum(d[y] for d in expected.values()) for y in range(2019, 2025)}
    assert [round(v) for v in national.y] == [totals[y] for y in range(2019, 2025)]


def test_a_level_without_boundaries_is_shown_as_ranking_and_table_and_says_so(sv_warehouse, tmp_path):
    geo = tmp_path / "geo"
    shutil.copytree(sv_warehouse.parent / "geo", geo)
    (geo / "sv-municipality.geojson").unlink()
    ctx = context(sv_warehouse, "SV", geo)
    search = "?ind=sv_feminicidios&area=06&from=2024&to=2024"
    out = dashboard.on_map(ctx, search, None, geo_url_of=geo)
    fig, _, map_hidden, _, message, message_hidden = out[:6]
    assert map_hidden is True and message_hidden is False
    assert "municipio" in message and "El Salvador" in message
    ranking, table = dashboard.on_ranking(ctx, search, None)
    area = explore.area_table(ctx, dashboard.view_of(ctx, search))
    assert len(area) == 5  # San Salvador's 5 municipalities of 2024: bars, or named under the chart
    note = dashboard.on_ranking_note(ctx, search, None)
    drawn = set(ranking.data[0].y)
    listed = {c for c, name in zip(area["code"], area["name"], strict=True) if note and name in note[0]}
    assert drawn | listed == set(area["code"]) and not drawn & listed
    assert "San Salvador Centro 0623" in text(table) and "San Salvador Sur 0624" in text(table)
    english = dashboard.on_map(ctx, search + "&lang=en", None, geo_url_of=geo)[4]
    assert "municipality boundaries for El Salvador" in english


def test_peru_is_unchanged_by_the_el_salvador_pack(pe):
    assert pe.site.country == "PE" and pe.site.help_phone == "100"
    assert i18n.number(1234.5, "es", 1) == f"1{i18n.NBSP}234,5"
    assert pe.level_label("province", "es") == "Provincia"


def test_a_territory_group_outlines_its_areas_and_filters_ranking_table_and_downloads(pe):
    search = "?ind=pe_denuncias_vcm&group=lima_callao"
    view = dashboard.view_of(pe, search)
    assert view.state.group == "lima_callao" and not view.notices
    # Country view: the group's provinces sit in Lima (15) and Callao (07): those departments.
    fig = dashboard.on_map(pe, search, None, geo_url_of=geo)[0]
    assert list(fig.data[1].locations) == ["07", "15"]
    ranking, table = dashboard.on_ranking(pe, search, None)
    assert sorted(ranking.data[0].y) == ["07", "15"]
    assert "Callao" in text(table) and "Cusco" not in text(table)
    shown = exports.published(pe, view, "table")
    assert sorted(shown["code"]) == ["07", "15"]
    # The map (and its download) keeps every department: the group is only outlined there.
    assert len(exports.published(pe, view, "map")) == len(explore.area_table(pe, view)) >= 25
    # Inside Lima: only the province of Lima itself belongs to the group.
    inside = dashboard.view_of(pe, search + "&area=15")
    assert list(exports.published(pe, inside, "table")["code"]) == ["1501"]
    assert ("Grupo de territorios", "Lima Metropolitana y Callao") in exports.filters_text(pe, inside)
    today = pd.Timestamp("2026-11-29").date()
    assert exports.metadata(pe, inside, "table", "", today).subtitle.endswith("· Lima Metropolitana y Callao")
    # Without the group every department is ranked.
    everyone = dashboard.view_of(pe, "?ind=pe_denuncias_vcm")
    assert len(exports.published(pe, everyone, "table")) == len(explore.area_table(pe, everyone)) >= 25
    # An unknown group is dropped with a notice, never an error.
    bad = dashboard.view_of(pe, "?group=nope")
    assert bad.state.group == "" and [n.key for n in bad.notices] == ["unknown_group"]


def test_choosing_a_group_writes_it_into_the_url_and_its_picker_lists_the_countrys_groups(pe, sv_warehouse):
    out = dashboard.on_sync(pe, "f-group", "?ind=pe_denuncias_vcm", group="lima_callao")
    assert out["search"] == "?group=lima_callao"  # the default indicator is left out
    assert out["group.value"] == "lima_callao" and out["group.hidden"] is False
    listed = dashboard.on_sync(pe, "url", out["search"])["group.options"]  # as a link sets the picker
    assert listed == [{"label": "Lima Metropolitana y Callao", "value": "lima_callao"}]
    cleared = dashboard.on_sync(pe, "f-group", "?group=lima_callao", group=None)
    assert "group=" not in cleared["search"]
    sv = context(sv_warehouse, "SV")
    assert controls.values(sv, dashboard.view_of(sv, ""))["group"]["hidden"] is True


def test_the_api_keeps_a_groups_areas_like_the_page(real_warehouse):
    from observatory.web.app import create_app

    client = create_app(Settings.from_env(environ={}, warehouse=str(real_warehouse))).server.test_client()
    body = client.get("/api/v1/observations?ind=pe_denuncias_vcm&area=15&group=lima_callao").get_json()
    assert body["view"]["group"] == "lima_callao"
    assert [row["code"] for row in body["data"]] == ["1501"]
    everyone = client.get("/api/v1/observations?ind=pe_denuncias_vcm&area=15").get_json()
    assert len(everyone["data"]) == 10  # Lima's ten provinces


def test_a_regional_site_served_for_another_country_falls_back_to_the_national_view():
    data = Settings.from_env(environ={}).data_dir
    piura = load_site(ROOT / "data" / "sites" / "piura.toml")
    assert piura.scope == "20" and piura.country == "PE"
    fitted = countries.fit_site(piura, countries.pack(data, "SV"))
    assert (fitted.scope, fitted.default_area, fitted.country) == (None, "SV", "SV")
    assert fitted.name == piura.name and fitted.primary == piura.primary  # identity stays
    assert countries.fit_site(piura, countries.pack(data, "PE")) is piura


# --- Bolivia: the third pack, with made-up femicides by municipality (conftest.bo_warehouse) --


def bo_expected(warehouse, level: str) -> dict[str, dict[int, int]]:
    """Area at ``level`` -> year -> made-up femicides, recomputed from the made-up municipal file
    (the INE code nests: a province is the first 4 digits, a department the first 2)."""
    from tests.conftest import made_up_bo_femicides

    con = duckdb.connect(str(warehouse), read_only=True)
    codes = [
        r[0]
        for r in con.execute(
            "SELECT code FROM territories WHERE country = 'BO' AND level = 'municipality'"
        ).fetchall()
    ]
    con.close()
    width = {"department": 2, "province": 4, "municipality": 6}[level]
    out: dict[str, dict[int, int]] = {}
    for r in made_up_bo_femicides(codes).itertuples():
        area = out.setdefault(r.territory_code[:width], {})
        area[int(r.period)] = area.get(int(r.period), 0) + r.value
    return out


@pytest.fixture(scope="module")
def bo(bo_warehouse) -> explore.Context:
    return context(bo_warehouse, "BO")


@pytest.mark.parametrize(
    "area, level, children",
    [
        ("", "department", 9),  # Bolivia: its 9 departments
        ("02", "province", 20),  # La Paz: its 20 provinces
        ("0201", "municipality", 5),  # Murillo: La Paz, Palca, Mecapaca, Achocalla, El Alto
    ],
)
def test_bolivia_maps_every_level_with_the_municipal_figures_summed_up(
    bo, bo_warehouse, area, level, children
):
    search = "?ind=bo_feminicidios&from=2023&to=2023&measure=count" + (f"&area={area}" if area else "")
    fig, key, map_hidden, *_ = dashboard.on_map(bo, search, None, geo_url_of=geo)
    assert map_hidden is False and key.startswith(f"BO|{level}|{area or 'BO'}|")
    table = explore.area_table(bo, dashboard.view_of(bo, search))
    assert len(table) == children and table["has_polygon"].all()
    assert set(fig.data[0].locations) == set(table["code"])
    assert fig.data[0].geojson == f"/geo/bo-{level}.geojson"
    expected = bo_expected(bo_warehouse, level)
    shown = {r.code: r.count for r in table.itertuples() if r.status in ("value", "zero")}
    assert shown and all(shown[c] == expected[c][2023] for c in shown)
    # Rates per 100,000 women of the 2012 census, the nearest census year.
    assert set(table["population_year"]) == {2012}


def test_el_alto_is_shown_among_its_province_with_the_2012_women_as_denominator(bo, bo_warehouse):
    search = "?ind=bo_feminicidios&area=020105&from=2019&to=2024"  # 2019-2024: above the disclosure threshold
    view = dashboard.view_of(bo, search)
    assert (view.map_level, view.map_parent, view.highlight, view.notices) == (
        "municipality",
        "0201",
        "020105",
        (),
    )
    figures = explore.key_figures(bo, view)
    con = duckdb.connect(str(bo_warehouse), read_only=True)
    women = con.execute(
        "SELECT value FROM population WHERE country = 'BO' AND territory_code = '020105' AND sex = 'female'"
    ).fetchone()[0]
    con.close()
    count = sum(bo_expected(bo_warehouse, "municipality")["020105"].values())
    assert figures["status"] == "value" and figures["count"] == count
    assert round(figures["rate"], 6) == round(count / women * 1e5, 6)
    table = explore.area_table(bo, view)
    assert dict(zip(table["code"], table["name"], strict=True))["020105"] == "El Alto"


def test_bolivia_in_spanish_and_english_labels_numbers_help_line(bo):
    assert bo.site.country == "BO" and bo.site.help_phone == "110"
    assert bo.site.default_indicator == "cepal_feminicidios" and "Bolivia" in bo.site.tagline["es"]
    spanish = text(dashboard.build(bo, dashboard.view_of(bo, "?ind=bo_feminicidios&area=02")))
    assert "Provincia" in spanish and "Municipio" in spanish and "Distrito" not in spanish
    english = text(dashboard.build(bo, dashboard.view_of(bo, "?ind=bo_feminicidios&area=02&lang=en")))
    assert "Province" in english and "Municipality" in english
    assert i18n.number(10059856, "es") == "10.059.856" and i18n.number(1234.5, "en", 1) == "1,234.5"
    # The English map: the same 20 provinces, English hover.
    fig = dashboard.on_map(bo, "?ind=bo_feminicidios&area=02&lang=en", None, geo_url_of=geo)[0]
    assert len(fig.data[0].locations) == 20


def test_bolivias_national_cepal_series_2015_2021(bo):
    figure = dashboard.on_series(bo, "?ind=cepal_feminicidios&from=2015&to=2021")
    national = figure.data[0]
    assert [int(str(x)[:4]) for x in national.x][-7:] == list(range(2015, 2022))
    assert [round(v) for v in national.y][-7:] == [96, 104, 110, 130, 117, 113, 108]


def test_bolivias_methodology_page_credits_the_cc_by_layer(bo_warehouse):
    from observatory.web import reference
    from observatory.web.app import create_app

    app = create_app(Settings.from_env(environ={}, warehouse=str(bo_warehouse), country="BO"))
    with app.server.test_request_context("/metodologia"):
        words = text(reference.methodology_layout("es"))
        footer = set(reference.published_sources(app.server.extensions["observatory"])["name"])
    # Every page's footer credits the boundaries and the census (the pack's ``credits``).
    assert {"bo_municipios", "bo_censo_2012", "cepal_oig_feminicidios"} <= footer
    assert "Lab TecnoSocial" in words and "CC BY 4.0" in words
    assert "Censo de Población y Vivienda 2012 (Bolivia)" in words


def site_context(warehouse, country: str, site: str) -> explore.Context:
    settings = Settings.from_env(
        environ={}, warehouse=str(warehouse), country=country, site=str(ROOT / "data" / "sites" / site)
    )
    fitted = countries.fit_site(load_site(settings.site_path), countries.pack(settings.data_dir, country))
    i18n.use_numbers(countries.pack(settings.data_dir, country).numbers)
    return explore.Context(Warehouse(warehouse), settings, fitted, None)


@pytest.mark.parametrize(
    "country, site, code, parent, neighbours",
    # Lima's 43 districts of mapsPERU and 150144, only in the INEI ubigeo table (no polygon).
    [("BO", "el-alto.toml", "020105", "0201", 5), ("PE", "independencia.toml", "150112", "1501", 44)],
)
def test_a_municipal_and_a_district_site_open_on_their_territory(
    bo_warehouse, country, site, code, parent, neighbours
):
    from observatory.web.app import check_scope

    ctx = site_context(bo_warehouse, country, site)
    assert ctx.site.scope == code and ctx.site.country == country
    check_scope(ctx.site, ctx.warehouse)  # what create_app does: the scope is in the warehouse
    view = dashboard.view_of(ctx, "")
    assert view.notices == () and view.state.area == code
    assert (view.map_level, view.map_parent, view.highlight) == (view.area_level, parent, code)
    assert len(explore.area_table(ctx, view)) == neighbours
    assert explore.canonical_search(ctx, view) in ("", "?")  # the home is the bare URL
