"""Shared fixtures: settings in a temporary folder, the tiny warehouse, the real mirror."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from observatory.config import ROOT, Settings
from tests.fixtures import tiny

MIRROR = ROOT.parent / "shared" / "data"
FIXTURES = Path(__file__).parent / "fixtures"

needs_mirror = pytest.mark.skipif(not MIRROR.is_dir(), reason=f"the data mirror {MIRROR} is not there")


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
    from observatory.ingest.warehouse import build

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
