"""The query layer and the view tables on the tiny warehouse: exact values from tests/fixtures/tiny.py."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from observatory.contract.settings import Settings
from observatory.contract.site import load_site
from observatory.views import explore
from observatory.views.urlstate import parse
from observatory.warehouse import queries, snapshot
from observatory.warehouse.db import Warehouse

PERIOD = {"start": "2024-01-01", "end": "2025-02-01", "granularity": "month"}


@pytest.fixture(scope="module")
def wh(tiny_warehouse) -> Warehouse:
    return Warehouse(tiny_warehouse)


@pytest.fixture(scope="module")
def ctx(wh, tiny_warehouse) -> explore.Context:
    settings = Settings.from_env(environ={}, warehouse=str(tiny_warehouse))
    return explore.Context(wh, settings, load_site(settings.site_path), None)


def by_code(frame: pd.DataFrame, column: str = "value") -> dict:
    return {c: (None if pd.isna(v) else v) for c, v in zip(frame["code"], frame[column], strict=True)}


# --------------------------------------------------------------------------- queries


def test_departments_over_the_period(wh):
    frame = queries.area_values(
        wh, indicator="pe_denuncias_vcm", country="PE", level="department", parent="PE", **PERIOD
    )
    assert by_code(frame) == {"01": 168, "15": 1540, "99": None}
    assert frame["provisional"].tolist() == [True, True, False]  # 2025-02 is provisional


def test_districts_absent_rows_come_back_null(wh):
    frame = queries.area_values(
        wh, indicator="pe_denuncias_vcm", country="PE", level="district", parent="1501", **PERIOD
    )
    assert by_code(frame) == {"150101": 1400, "150102": None}  # Ancón has no rows
    assert frame.set_index("code").at["150102", "name"] == "Ancón"


def test_country_total_and_a_year_earlier(wh):
    row = queries.area_total(
        wh,
        indicator="pe_denuncias_vcm",
        country="PE",
        level="country",
        code="PE",
        start="2025-01-01",
        end="2025-02-01",
        previous_start="2024-01-01",
        previous_end="2024-02-01",
        granularity="month",
    )
    assert (row["value"], row["previous"]) == (244, 244)
    assert bool(row["provisional"]) is True and bool(row["previous_provisional"]) is False


def test_series_by_year(wh):
    frame = queries.series(
        wh, indicator="pe_denuncias_vcm", country="PE", codes=["PE", "01"], step="year", **PERIOD
    )
    got = {(r.code, r.period.year): r.value for r in frame.itertuples()}
    assert got == {("01", 2024): 144, ("01", 2025): 24, ("PE", 2024): 1464, ("PE", 2025): 244}


def test_breakdown_filter(wh):
    frame = queries.area_values(
        wh,
        indicator="pe_cem_casos",
        country="PE",
        level="department",
        parent="PE",
        start="2024-01-01",
        end="2024-01-01",
        granularity="year",
        breakdowns={"risk_level": "severo"},
    )
    assert by_code(frame) == {"01": 4, "15": 120, "99": None}
    values = queries.breakdown_values(wh, "pe_cem_casos", "PE")
    assert values.to_dict("records") == [
        {"breakdown": "risk_level", "value": "leve"},
        {"breakdown": "risk_level", "value": "severo"},
    ]


def test_population_prefers_projections_then_census(wh):
    frame = queries.population(wh, country="PE", codes=["01", "150101", "1501"], years=[2025], sex="female")
    got = {r.code: (r.population, r.population_year) for r in frame.itertuples()}
    assert got == {"01": (200000, 2024), "150101": (140000, 2017)}  # no province population in the fixture


def test_catalogue_coverage(wh):
    frame = queries.indicators(wh, "PE").set_index("id")
    row = frame.loc["pe_denuncias_vcm"]
    assert (str(row["first_period"])[:10], str(row["last_period"])[:10]) == ("2024-01-01", "2025-02-01")
    assert str(row["last_final_period"])[:10] == "2025-01-01"
    assert row["source_release"] == "tiny-1"
    assert "cepal_feminicidios" in frame.index  # multi-country series are listed too


def test_results_are_remembered_by_the_snapshot_and_handed_out_as_copies(wh):
    snapshot.forget(wh)
    a = queries.territories(wh, "PE")
    a.loc[:, "name"] = "changed"
    b = queries.territories(wh, "PE")
    assert "Ancón" in set(b["name"])
    assert snapshot.current(wh).memo.hits >= 1


# --------------------------------------------------------------------------- view tables


def view(ctx, query: str) -> explore.View:
    return explore.resolve(ctx, parse(query))


def test_area_table_counts_and_zero_fill(ctx):
    table = explore.area_table(ctx, view(ctx, "?from=2024-01&to=2025-02&measure=count"))
    assert by_code(table, "count") == {"01": 168, "15": 1540, "99": 0}
    assert by_code(table, "status") == {"01": "value", "15": "value", "99": "zero"}
    assert list(table.columns) == explore.AREA_COLUMNS


def test_area_table_rates_use_the_population(ctx):
    table = explore.area_table(ctx, view(ctx, "?from=2024-01&to=2025-02&measure=rate"))
    rates = by_code(table, "rate")
    assert rates["01"] == pytest.approx(84.0) and rates["15"] == pytest.approx(30.8)
    assert rates["99"] is None  # no population for "No especificado"
    assert by_code(table, "population_source")["01"] == "inei_proyecciones"


def test_ancon_is_a_true_zero_and_paramonga_has_no_polygon(ctx):
    lima = explore.area_table(ctx, view(ctx, "?area=1501&from=2024-01&to=2025-02&measure=count"))
    assert by_code(lima, "status") == {"150101": "value", "150102": "zero"}
    barranca = explore.area_table(ctx, view(ctx, "?area=1502&from=2024-01&to=2025-02&measure=count"))
    assert by_code(barranca, "count") == {"150201": 98, "150202": 42}
    assert by_code(barranca, "has_polygon") == {"150201": True, "150202": False}


def test_no_zero_fill_means_no_data(ctx):
    table = explore.area_table(ctx, view(ctx, "?ind=pe_feminicidios&from=2016&to=2016&measure=count"))
    assert by_code(table, "status") == {"01": "zero", "15": "value", "99": "no_data"}
    assert by_code(table, "count") == {"01": 0, "15": 9, "99": None}


def test_disclosure_hides_small_counts_and_their_complement(ctx):
    table = explore.area_table(ctx, view(ctx, "?ind=pe_feminicidios&from=2015&to=2015&measure=count"))
    status = by_code(table, "status")
    assert status["01"] == "suppressed"  # 1 victim: below k = 5
    assert status["15"] == "suppressed"  # 12 = country 13 - 1 would give it away
    assert table["count"].isna().all() and table["rate"].isna().all()  # nothing recoverable leaves


def test_key_figures_exact(ctx):
    k = explore.key_figures(ctx, view(ctx, "?area=01&from=2024-01&to=2025-02"))
    assert (k["count"], k["status"], k["provisional"]) == (168, "value", True)
    assert k["rate"] == pytest.approx(84.0)
    assert k["change"] is None  # 2023 is outside the data
    country = explore.key_figures(ctx, view(ctx, "?from=2024-01&to=2025-02"))
    assert country["count"] == 1708


def test_key_figures_change_on_a_year_earlier(ctx):
    k = explore.key_figures(ctx, view(ctx, "?area=15&from=2025-01&to=2025-02&measure=count"))
    assert (k["count"], k["previous_count"], k["change"]) == (220, 220, 0.0)
    fem = explore.key_figures(ctx, view(ctx, "?ind=pe_feminicidios&area=15&from=2016&to=2016&measure=count"))
    assert fem["count"] == 9 and fem["previous_status"] == "suppressed" and fem["change"] is None


def test_series_table_lines_and_flags(ctx):
    table = explore.series_table(
        ctx, view(ctx, "?area=150102&from=2024-01&to=2025-02&measure=count&compare=01")
    )
    roles = table.drop_duplicates("role")[["role", "code"]].values.tolist()
    assert roles == [["area", "150102"], ["parent", "1501"], ["country", "PE"], ["compare", "01"]]
    ancon = table[table["code"] == "150102"]
    assert ancon["count"].tolist() == [0.0] * 14  # zero-filled
    assert table[table["code"] == "PE"]["provisional"].tolist() == [False] * 13 + [True]


def test_series_yearly_step_marks_partial_years(ctx):
    table = explore.series_table(ctx, view(ctx, "?area=01&from=2024-03&to=2025-02&step=year&measure=count"))
    area = table[table["role"] == "area"]
    assert area["count"].tolist() == [120, 24]
    assert area["partial"].tolist() == [True, True]
    assert not math.isnan(area["count"].iloc[0])


def test_district_maps_carry_an_empirical_bayes_rate_labelled_as_such(ctx):
    """Lima province (1501): Lima 1,200 complaints in 12 months for 140,000 women, Ancón a true 0."""
    from observatory.present import figures

    table = explore.area_table(ctx, view(ctx, "?area=1501")).set_index("code")
    raw = table["rate"]
    overall = 1200 / 170_000 * 100_000
    assert raw["150101"] == pytest.approx(1200 / 140_000 * 100_000)
    for code in ("150101", "150102"):  # pulled towards the overall rate, never past it
        assert min(raw[code], overall) <= table.loc[code, "smoothed"] <= max(raw[code], overall)
    assert table.loc["150102", "smoothed"] > 0  # a small area's zero is not taken at face value
    departments = explore.area_table(ctx, view(ctx, ""))
    assert departments["smoothed"].isna().all()  # only district maps
    notes = figures.map_values(
        table.reset_index(), [0, 500, 1000], figures.Colours.from_site(ctx.site), "rate", "es"
    )
    assert any("tasa suavizada (Bayes empírico)" in c[2] for c in notes["customdata"])
