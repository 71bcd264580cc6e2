"""The gap between institutions, on an inline table with exact answers (no warehouse needed).

A homologated figure is the institutions' agreed count: it has its own column and never enters
the gap, whether it is above, below or between the institutions' own figures.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from observatory.views.reconcile import gaps, institutions

COLUMNS = ["institution", "year", "value", "status", "hidden"]
LONG = pd.DataFrame(
    [
        # 2020: the homologated figure is the highest
        ("PNP", 2020, 100, "preliminary", False),
        ("Fiscalía", 2020, 110, "preliminary", False),
        ("INEI", 2020, 130, "homologated", False),
        # 2021: the homologated figure is the lowest
        ("PNP", 2021, 120, "preliminary", False),
        ("Fiscalía", 2021, 126, None, False),
        ("INEI", 2021, 90, "homologated", False),
        # 2022: one institution's figure is hidden; only one is left
        ("PNP", 2022, np.nan, "preliminary", True),
        ("Fiscalía", 2022, 7, "preliminary", False),
        ("INEI", 2022, 8, "homologated", False),
        # 2023: only the homologated figure
        ("INEI", 2023, 140, "homologated", False),
    ],
    columns=COLUMNS,
)


def test_the_homologated_figure_has_its_own_column_and_never_enters_the_gap():
    table = gaps(LONG).set_index("year")
    assert list(table.columns) == ["Fiscalía", "PNP", "gap", "gap_pct", "homologated"]
    assert table["homologated"].to_dict() == {2020: 130, 2021: 90, 2022: 8, 2023: 140}
    assert table.loc[2020, "gap"] == 10 and table.loc[2020, "gap_pct"] == pytest.approx(10.0)
    assert table.loc[2021, "gap"] == 6 and table.loc[2021, "gap_pct"] == pytest.approx(5.0)


def test_a_year_with_fewer_than_two_visible_figures_has_no_gap():
    table = gaps(LONG).set_index("year")
    assert math.isnan(table.loc[2022, "PNP"])  # hidden stays missing, never a 0 in the gap
    assert math.isnan(table.loc[2022, "gap"]) and math.isnan(table.loc[2022, "gap_pct"])
    assert math.isnan(table.loc[2023, "gap"]) and math.isnan(table.loc[2023, "PNP"])


def test_the_table_columns_are_the_institutions_not_the_homologating_body():
    assert institutions(LONG) == ["Fiscalía", "PNP"]


def test_only_homologated_figures_or_nothing():
    only = gaps(LONG[LONG["status"] == "homologated"]).set_index("year")
    assert only["homologated"].to_dict() == {2020: 130, 2021: 90, 2022: 8, 2023: 140}
    assert only["gap"].isna().all()
    assert gaps(LONG.iloc[0:0]).empty
