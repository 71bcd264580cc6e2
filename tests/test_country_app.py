"""The app driven by the country pack (El Salvador beside Peru) and territory groups, through
the same callback functions the Dash wiring calls. El Salvador's figures are made up
(tests/conftest.py ``made_up_sv_femicides``), never official ones."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest

from observatory import controls, countries, dashboard, explore, exports, i18n
from observatory.config import ROOT, Settings
from observatory.db import Warehouse
from observatory.geo import Boundaries
from observatory.site import load_site
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
    from app import create_app

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
