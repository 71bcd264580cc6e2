"""Figures by institution: side by side, gaps, homologated figures, the same disclosure rule."""

from __future__ import annotations

import math

import pytest

from observatory.build.warehouse import ingest
from observatory.views.reconcile import figures, gaps
from observatory.warehouse.db import Warehouse
from tests.conftest import FIXTURES, needs_mirror

pytestmark = needs_mirror


@pytest.fixture
def wh(live):
    settings = live
    ingest(
        settings,
        "generic",
        FIXTURES / "files" / "femicides_by_institution.csv",
        country="PE",
        log=lambda _: None,
    )
    return Warehouse(settings.warehouse_path)


def test_each_institution_side_by_side_with_the_homologated_figure(wh):
    long = figures(wh, group="feminicidio", country="PE", code="PE", first=2019, last=2023, k=5)
    by = {(r.year, r.institution): r.value for r in long.itertuples()}
    assert by[(2022, "PNP")] == 140 and by[(2022, "Ministerio Público")] == 147
    assert by[(2021, "Ministerio Público (vía CEPAL)")] == 136  # CEPAL's Peru series
    assert by[(2021, "MIMP")] == 136 and by[(2019, "MIMP")] == 166  # MIMP national aggregates
    table = gaps(long).set_index("year")
    assert table.loc[2022, "homologated"] == 145
    # 2022: PNP 140, Ministerio Público 147, homologated 145, MIMP 130 -> gap 147 - 130 = 17
    assert table.loc[2022, "gap"] == 17
    assert table.loc[2022, "gap_pct"] == pytest.approx(17 / 130 * 100)
    assert math.isnan(table.loc[2020, "homologated"])
    statuses = {(r.year, r.institution): r.status for r in long.itertuples()}
    assert statuses[(2022, "INEI (cifra homologada)")] == "homologated"
    assert not isinstance(statuses[(2023, "Ministerio Público")], str)  # no status loaded


def test_the_homologated_figure_never_enters_the_gap(wh):
    """2021: the homologated 150 is above every institution; 2023: the homologated 155 is below."""
    long = figures(wh, group="feminicidio", country="PE", code="PE", first=2019, last=2023, k=5)
    table = gaps(long).set_index("year")
    assert "INEI (cifra homologada)" not in table.columns
    assert table.loc[2021, "homologated"] == 150 and table.loc[2023, "homologated"] == 155
    # 2021: MIMP 136, Ministerio Público (vía CEPAL) 136 -> gap 0 (150 - 136 = 14 if it counted)
    assert (table.loc[2021, "gap"], table.loc[2021, "gap_pct"]) == (0, 0)
    # 2023: MIMP 170, Ministerio Público 168, PNP 160 -> gap 10 (170 - 155 = 15 if it counted)
    assert table.loc[2023, "gap"] == 10
    assert table.loc[2023, "gap_pct"] == pytest.approx(10 / 160 * 100)


def test_department_figures_of_a_suppressed_indicator_follow_the_disclosure_rule(wh):
    long = figures(wh, group="feminicidio", country="PE", code="17", first=2009, last=2016, k=5)
    mimp = long[long["indicator_id"] == "pe_feminicidios"]
    # Madre de Dios: small yearly counts are hidden, never shown as a number.
    assert mimp["hidden"].any()
    assert mimp.loc[mimp["hidden"], "value"].isna().all()
    assert not ((mimp["value"] > 0) & (mimp["value"] < 5)).any()


def test_an_institution_with_two_series_is_never_summed(wh):
    """MIMP publishes femicides by department (2009-2016) and nationally (2012-2025)."""
    long = figures(wh, group="feminicidio", country="PE", code="PE", first=2012, last=2016, k=5)
    mimp = long[long["institution"] == "MIMP"].set_index("year")["value"]
    assert mimp.to_dict() == {2012: 81, 2013: 128, 2014: 96, 2015: 95, 2016: 124}  # the national series
    assert not long.duplicated(["institution", "year"]).any()
