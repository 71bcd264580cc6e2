"""Rates use one denominator per territory, year and sex, best source first, and say which."""

from __future__ import annotations

import duckdb
import pytest

from observatory.build.errors import IngestError
from observatory.build.warehouse import ingest
from tests.conftest import FIXTURES, needs_mirror

pytestmark = needs_mirror


def denominators(path, codes, year=2024, sex="female"):
    con = duckdb.connect(str(path), read_only=True)
    rows = con.execute(
        "SELECT territory_code, value, method, estimated FROM denominators "
        "WHERE list_contains($codes, territory_code) AND year = $year AND sex = $sex ORDER BY 1",
        {"codes": codes, "year": year, "sex": sex},
    ).fetchall()
    con.close()
    return {code: (value, method, estimated) for code, value, method, estimated in rows}


def test_departments_use_inei_projections_and_districts_the_census_carried_forward(real_warehouse):
    d = denominators(real_warehouse, ["PE", "15", "150101"])
    # PROVENANCE.txt: Peru 2024 women = 17,162,819 in the INEI projections.
    assert d["PE"] == (17_162_819, "proyección INEI del departamento para el año", True)
    con = duckdb.connect(str(real_warehouse), read_only=True)
    census, lima17, lima24 = (
        con.execute(q).fetchone()[0]
        for q in (
            "SELECT value FROM population WHERE source = 'censo_2017' AND territory_code = '150101' AND sex = 'female'",
            "SELECT value FROM population WHERE source = 'inei_proyecciones' AND territory_code = '15' AND sex = 'female' AND year = 2017",
            "SELECT value FROM population WHERE source = 'inei_proyecciones' AND territory_code = '15' AND sex = 'female' AND year = 2024",
        )
    )
    con.close()
    value, method, estimated = d["150101"]
    assert value == pytest.approx(census * lima24 / lima17)
    assert method.startswith("censo 2017") and estimated


def test_an_official_population_table_outranks_the_estimates(live):
    settings = live
    ingest(
        settings,
        "population",
        FIXTURES / "files" / "population_official.csv",
        release="inei2025",
        log=lambda _: None,
    )
    d = denominators(settings.warehouse_path, ["15", "1501", "150101", "150102"])
    assert d["15"] == (5_900_000, "población oficial: oficial_inei2025", False)
    assert d["1501"][0] == 5_400_000 and d["150101"][0] == 160_000
    assert d["150102"][1].startswith("censo 2017")  # not in the table: still the census estimate
    assert denominators(settings.warehouse_path, ["01"], sex="total")["01"][0] == 430_000


def test_a_population_table_with_unknown_codes_is_refused(live, tmp_path):
    settings = live
    bad = tmp_path / "pop.csv"
    bad.write_text("ubigeo,año,sexo,población\n15,2024,mujeres,10\n7777,2024,mujeres,5\n", encoding="utf-8")
    with pytest.raises(IngestError) as info:
        ingest(settings, "population", bad, release="x", log=lambda _: None)
    assert "row 3, column 'territory_code'" in str(info.value) and "'7777'" in str(info.value)
