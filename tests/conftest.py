"""Shared fixtures: settings in a temporary folder, the tiny warehouse, the real mirror."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from observatory.contract.settings import ROOT, Settings
from tests.fixtures import tiny

MIRROR = ROOT.parent / "shared" / "data"
FIXTURES = Path(__file__).parent / "fixtures"

needs_mirror = pytest.mark.skipif(not MIRROR.is_dir(), reason=f"the data mirror {MIRROR} is not there")


@pytest.fixture(autouse=True)
def _number_marks():
    """An app created for another country sets that country's number marks (one country per
    process in production): each test starts and ends with the default ones."""
    from observatory.contract import i18n

    before = i18n.use_numbers({})
    yield
    i18n.use_numbers(before)


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings whose warehouse, cache and failure log live in tmp_path; the real catalogue and mirror."""
    return Settings.from_env(
        environ={},
        warehouse=str(tmp_path / "wh" / "observatory.duckdb"),
        cache_dir=str(tmp_path / "cache"),
        mirror=str(MIRROR),
    )


@pytest.fixture(scope="session")
def tiny_warehouse(tmp_path_factory) -> Path:
    """The hand-made warehouse of tests/fixtures/tiny.py (read-only: do not write to it)."""
    return tiny.build(tmp_path_factory.mktemp("tiny") / "observatory.duckdb")


@pytest.fixture(scope="session")
def real_warehouse(tmp_path_factory) -> Path:
    """The default warehouse built from the real declared sources in the mirror (read-only)."""
    if not MIRROR.is_dir():
        pytest.skip(f"the data mirror {MIRROR} is not there")
    from observatory.build.warehouse import build

    folder = tmp_path_factory.mktemp("real")
    s = Settings.from_env(environ={}, warehouse=str(folder / "observatory.duckdb"), mirror=str(MIRROR))
    build(s, log=lambda _: None)
    return s.warehouse_path


@pytest.fixture
def live(settings, real_warehouse) -> Settings:
    """``settings`` whose live warehouse is a private copy of the real one, safe to write to."""
    settings.warehouse_path.parent.mkdir(parents=True)
    shutil.copyfile(real_warehouse, settings.warehouse_path)
    return settings


@pytest.fixture
def cem_takes_generic(live, tmp_path) -> Settings:
    """``live`` with a catalogue copy in which pe_cem_casos, fed by a declared source, also takes
    generic rows (``accepts_generic = true``): tests of the generic CSV on an indicator with
    breakdowns. The real catalogue refuses them."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("warehouse", "cache"))
    catalogue = data / "indicators.toml"
    text = catalogue.read_text(encoding="utf-8")
    catalogue.write_text(
        text.replace("[pe_cem_casos]\n", "[pe_cem_casos]\naccepts_generic = true\n", 1), encoding="utf-8"
    )
    return live.model_copy(update={"data_dir": str(data)})


def made_up_sv_femicides(codes: list[str]) -> pd.DataFrame:
    """Made-up yearly femicide counts for El Salvador's districts (never official figures),
    in the generic long format; a pure function of code and year so tests can recompute them."""
    rows = [
        {
            "territory_code": code,
            "period": str(year),
            "indicator": "sv_feminicidios",
            "value": (int(code) * 7 + year) % 4,
        }
        for code in codes
        for year in range(2019, 2025)
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def sv_warehouse(real_warehouse, tmp_path_factory) -> Path:
    """A copy of the real warehouse (and its boundary layers) with made-up El Salvador femicides
    by district (the 262 former municipalities) loaded through the generic CSV, for the app run with the El Salvador pack."""
    import duckdb

    from observatory.build.boundaries import build_boundaries
    from observatory.build.boundaries_step import declared_layers
    from observatory.build.warehouse import ingest

    folder = tmp_path_factory.mktemp("sv")
    shutil.copyfile(real_warehouse, folder / "observatory.duckdb")
    s = Settings.from_env(environ={}, warehouse=str(folder / "observatory.duckdb"), mirror=str(MIRROR))
    layers = {k: v for k, v in declared_layers(s, log=lambda _: None).items() if k.startswith("sv-")}
    build_boundaries(layers, s.geo_dir)  # El Salvador's layers only (Peru's are not needed here)
    con = duckdb.connect(str(real_warehouse), read_only=True)
    codes = [
        r[0]
        for r in con.execute(
            "SELECT code FROM territories WHERE country = 'SV' AND level = 'district'"
        ).fetchall()
    ]
    con.close()
    path = folder / "sv_feminicidios_inventados.csv"
    made_up_sv_femicides(codes).to_csv(path, index=False)
    ingest(s, "generic", path, country="SV", release="prueba", log=lambda _: None)
    return s.warehouse_path


def made_up_bo_femicides(codes: list[str]) -> pd.DataFrame:
    """Made-up yearly femicide counts for Bolivia's municipalities (never official figures), in
    the generic long format; a pure function of code and year so tests can recompute them."""
    rows = [
        {
            "territory_code": code,
            "period": str(year),
            "indicator": "bo_feminicidios",
            "value": (int(code) * 3 + year) % 5,
        }
        for code in codes
        for year in range(2019, 2025)
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def bo_warehouse(real_warehouse, tmp_path_factory) -> Path:
    """A copy of the real warehouse with Bolivia's boundary layers and made-up femicides by
    municipality (the 343 units) loaded through the generic CSV, for the app run with the Bolivia pack."""
    import duckdb

    from observatory.build.boundaries import build_boundaries
    from observatory.build.boundaries_step import declared_layers
    from observatory.build.warehouse import ingest

    folder = tmp_path_factory.mktemp("bo")
    shutil.copyfile(real_warehouse, folder / "observatory.duckdb")
    s = Settings.from_env(environ={}, warehouse=str(folder / "observatory.duckdb"), mirror=str(MIRROR))
    layers = {k: v for k, v in declared_layers(s, log=lambda _: None).items() if k.startswith("bo-")}
    build_boundaries(layers, s.geo_dir)  # Bolivia's layers only
    con = duckdb.connect(str(real_warehouse), read_only=True)
    codes = [
        r[0]
        for r in con.execute(
            "SELECT code FROM territories WHERE country = 'BO' AND level = 'municipality'"
        ).fetchall()
    ]
    con.close()
    path = folder / "bo_feminicidios_inventados.csv"
    made_up_bo_femicides(codes).to_csv(path, index=False)
    ingest(s, "generic", path, country="BO", release="prueba", log=lambda _: None)
    return s.warehouse_path
