"""Importing the same file twice changes nothing: the warehouse file stays byte-for-byte the same,
for the generic long CSV and official population tables as for the declared sources.

A file is "the same" when its sha256, name and release are those of the load already in the
warehouse and it still reads into exactly the rows kept for it."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from observatory.build.sources import sha256_of
from observatory.build.warehouse import ingest
from tests.conftest import FIXTURES, needs_mirror

FILES = FIXTURES / "files"

pytestmark = needs_mirror


@pytest.fixture
def live(cem_takes_generic):
    """The generic files here feed pe_cem_casos, so the catalogue must let it take them."""
    return cem_takes_generic


def quiet(_: str) -> None:
    pass


def loads(settings, source: str) -> list[tuple]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    rows = con.execute(
        "SELECT release, file_name, status FROM loads WHERE source = $s ORDER BY started_at, load_id",
        {"s": source},
    ).fetchall()
    con.close()
    return rows


@pytest.mark.parametrize(
    ("path", "options"),
    [
        (FILES / "generic_ok.csv", {}),
        # 2022 without risk levels, where the warehouse has them: all of pe_cem_casos is replaced
        (FILES / "generic_mapped.csv", {"mapping": FILES / "generic_mapped.toml", "replace": True}),
    ],
    ids=["plain", "mapped"],
)
def test_the_same_generic_file_twice_changes_nothing(live, path, options):
    first = ingest(live, "generic", path, release="2025", log=quiet, **options)
    assert first.status == "ok" and first.source == "pe_cem_casos"
    before = sha256_of(live.warehouse_path)
    said = []
    again = ingest(live, "generic", path, release="2025", log=said.append, **options)
    assert (again.status, again.source, again.release) == ("unchanged", "pe_cem_casos", "2025")
    assert said == [f"pe_cem_casos 2025: {path.name} is already loaded; nothing changed"]
    assert sha256_of(live.warehouse_path) == before
    assert not list(live.warehouse_path.parent.glob(".*.tmp"))


def test_the_same_population_table_twice_changes_nothing(live):
    path = FILES / "population_official.csv"
    assert ingest(live, "population", path, release="inei2025", log=quiet).status == "ok"
    before = sha256_of(live.warehouse_path)
    again = ingest(live, "population", path, release="inei2025", log=quiet)
    assert (again.status, again.release) == ("unchanged", "oficial_inei2025")
    assert sha256_of(live.warehouse_path) == before
    assert loads(live, "population") == [("oficial_inei2025", "population_official.csv", "ok")]


def test_another_release_of_the_same_file_is_an_import(live):
    path = FILES / "generic_ok.csv"
    ingest(live, "generic", path, release="2025", log=quiet)
    before = sha256_of(live.warehouse_path)
    assert ingest(live, "generic", path, release="2026", log=quiet).status == "ok"
    assert sha256_of(live.warehouse_path) != before


def test_the_same_bytes_under_another_name_are_an_import(live, tmp_path):
    """The name is recorded (the population note, the sources row), so it is part of 'the same file'."""
    path = FILES / "population_official.csv"
    ingest(live, "population", path, release="inei2025", log=quiet)
    copy = tmp_path / "poblacion.csv"
    shutil.copyfile(path, copy)
    assert ingest(live, "population", copy, release="inei2025", log=quiet).status == "ok"
    assert loads(live, "population") == [("oficial_inei2025", "poblacion.csv", "ok")]


def test_a_file_read_another_way_is_an_import(live, tmp_path):
    """The same bytes read with another mapping give other rows: not the file already loaded."""
    path = FILES / "generic_mapped.csv"
    ingest(
        live, "generic", path, release="2025", mapping=FILES / "generic_mapped.toml", replace=True, log=quiet
    )
    other = tmp_path / "other.toml"
    other.write_text(
        FILES.joinpath("generic_mapped.toml").read_text(encoding="utf-8").replace('"CASOS"', '"ANIO"'),
        encoding="utf-8",
    )
    before = sha256_of(live.warehouse_path)
    assert (
        ingest(live, "generic", path, release="2025", mapping=other, replace=True, log=quiet).status == "ok"
    )
    assert sha256_of(live.warehouse_path) != before
