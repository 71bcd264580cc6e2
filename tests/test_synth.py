"""bench/synth.py: the synthetic generator is seeded, sized, on known codes and seasonal; its warehouse checks.

Small sizes on the tiny warehouse's districts (and, where the real warehouse is built, on Peru's),
so these run in seconds. Timings belong to bench/scale.py, never here.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from bench.synth import (
    BREAKDOWN_VALUES,
    REFERENCE,
    SYNTHETIC_ID,
    build_synthetic_warehouse,
    generate,
    months_for,
    reference_districts,
)
from observatory.build.warehouse import check, rebuild_rollup
from tests.fixtures import tiny

N = 20_000


@pytest.fixture(scope="module")
def districts(tiny_warehouse) -> pd.DataFrame:
    return reference_districts(tiny_warehouse)


@pytest.fixture(scope="module")
def rows(districts) -> pd.DataFrame:
    return generate(N, 7, districts)


def test_reference_districts_carry_the_real_totals(districts):
    months = len(tiny.MONTHS)
    assert dict(zip(districts["code"], districts["weight"], strict=True)) == {
        code: value * months for code, value in tiny.MONTHLY.items()
    }


def test_same_seed_same_rows_other_seed_other_rows(districts, rows):
    pd.testing.assert_frame_equal(generate(N, 7, districts), rows)
    assert not generate(N, 8, districts)["value"].equals(rows["value"])


def test_row_count_is_about_n_rows(rows):
    assert abs(len(rows) - N) / N < 0.03


@pytest.mark.skipif(not REFERENCE.exists(), reason="the real warehouse is not built")
def test_row_count_on_peru_districts():
    peru = reference_districts(REFERENCE)
    assert len(peru) > 1800
    frame = generate(100_000, 1, peru)
    assert abs(len(frame) - 100_000) / 100_000 < 0.03
    assert set(frame["territory_code"].astype(str)) <= set(peru["code"])


def test_only_known_codes_and_declared_breakdowns(districts, rows):
    assert set(rows["territory_code"].astype(str)) <= set(districts["code"])
    # a district with no complaint on record (Ancón) still gets some rows: weights have a floor
    assert "150102" in set(rows["territory_code"].astype(str))
    for name, values in BREAKDOWN_VALUES.items():
        assert set(rows[name].astype(str)) <= set(values)
    assert (rows["value"] > 0).all()  # zeros are left out, like the real file


def test_whole_years_ending_december_2025(rows):
    periods = pd.DatetimeIndex(rows["period"].unique()).sort_values()
    assert periods[-1] == pd.Timestamp("2025-12-01")
    assert len(periods) % 12 == 0
    assert rows.loc[rows["provisional"], "period"].unique().tolist() == [pd.Timestamp("2025-12-01")]


def test_december_is_above_the_monthly_mean(rows):
    by_month = rows.groupby(rows["period"].dt.month)["value"].sum()
    assert by_month[12] > by_month.mean()
    assert by_month[1] > by_month.mean()
    assert by_month[6] < by_month.mean()


def test_months_grow_with_n_rows():
    assert months_for(20_000, 1894) == 24  # the floor: two whole years
    assert months_for(10_000_000, 1894) == 264  # 2004-01 .. 2025-12
    with pytest.raises(ValueError):
        months_for(10_000_000, 6)


def test_built_warehouse_passes_the_checks(tiny_warehouse, tmp_path):
    path = tmp_path / "synthetic.duckdb"
    figures = build_synthetic_warehouse(path, N, seed=3, reference=tiny_warehouse)  # raises CheckError if not
    assert abs(figures["rows"] - N) / N < 0.03
    con = duckdb.connect(str(path))
    try:
        rebuild_rollup(con)  # check() reads the roll-up's temp table: rebuild in this connection, then check
        check(con)
        breakdowns, title, source = con.execute(
            "SELECT breakdowns, title_es, source FROM indicators WHERE id = $id", {"id": SYNTHETIC_ID}
        ).fetchall()[0]
        assert (breakdowns, source) == ("violence_type,sex,age_group", "bench_synthetic")
        assert title.startswith("SINTÉTICO")
        totals = "violence_type = 'total' AND sex = 'total' AND age_group = 'total'"
        observed, districts, country = con.execute(
            f"""SELECT (SELECT sum(value) FROM observations WHERE indicator_id = $id),
                       (SELECT sum(value) FROM rollup WHERE indicator_id = $id AND level = 'district' AND {totals}),
                       (SELECT sum(value) FROM rollup WHERE indicator_id = $id AND level = 'country' AND {totals})""",
            {"id": SYNTHETIC_ID},
        ).fetchall()[0]
        assert observed == districts == country
        real = con.execute(
            "SELECT count(*) FROM observations WHERE indicator_id <> $id", {"id": SYNTHETIC_ID}
        )
        assert real.fetchall()[0][0] == len(tiny.observations())  # the reference's own data came along
    finally:
        con.close()
