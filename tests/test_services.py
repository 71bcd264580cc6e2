"""The service directory: counts per territory, shelters never located, distance to the nearest point."""

from __future__ import annotations

import math

import duckdb
import pytest

from observatory.build.errors import IngestError
from observatory.build.warehouse import ingest
from tests.conftest import FIXTURES, needs_mirror

pytestmark = needs_mirror
FILES = FIXTURES / "files"


def haversine(lat1, lon1, lat2, lon2):
    """Independent of the SQL: great-circle distance on a sphere of radius 6,371.0088 km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


@pytest.fixture
def loaded(live):
    settings = live
    # the build loaded MIMP's 2026 directory: this older, hand-made one replaces it on purpose
    ingest(
        settings,
        "pe_servicios",
        FILES / "services_ok.csv",
        release="2025",
        allow_older=True,
        log=lambda _: None,
    )
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    yield con
    con.close()


def test_points_are_counted_per_territory_shelters_included(loaded):
    counts = dict(
        loaded.execute(
            "SELECT territory_code, value FROM rollup WHERE indicator_id = 'pe_puntos_atencion' AND year(period) = 2025"
        ).fetchall()
    )
    assert {c: v for c, v in counts.items() if len(c) == 6} == {"010101": 1, "010102": 1, "150101": 2}
    assert counts["01"] == 2 and counts["15"] == 2 and counts["PE"] == 4


def test_a_shelter_keeps_only_its_type_and_district(loaded):
    row = loaded.execute(
        "SELECT type, name, lat, lon, is_shelter, territory_code FROM service_points WHERE id = 'HRT-001'"
    ).fetchone()
    assert row == ("HOGAR_REFUGIO", None, None, None, True, "150101")
    dump = str(loaded.execute("SELECT * FROM service_points").fetchall())
    assert "Esperanza" not in dump and "-12.06" not in dump


def test_distance_from_each_district_to_the_nearest_public_point(loaded):
    access = {
        code: (nearest, km, n)
        for code, nearest, km, n in loaded.execute(
            "SELECT territory_code, nearest_id, distance_km, points_in_district FROM service_access"
        ).fetchall()
    }
    assert access["010101"] == ("CEM-001", 0.0, 1)  # the point sits on the district's centroid
    assert access["150101"][0] == "CEM-002" and access["150101"][2] == 2  # never the shelter
    lat, lon = loaded.execute("SELECT lat, lon FROM territories WHERE code = '150102'").fetchone()
    assert access["150102"][0] == "CEM-002"
    assert access["150102"][1] == pytest.approx(haversine(lat, lon, -12.051, -77.0488), rel=1e-9)
    # Ucayali's Alexander von Humboldt: nearest is one of the three public points, and it is far.
    far = access["250305"]
    assert far[0] in {"CEM-001", "CEM-002", "SAR-001"} and far[1] > 200
    without = loaded.execute("SELECT count(*) FROM service_access WHERE points_in_district = 0").fetchone()[0]
    districts = loaded.execute(
        "SELECT count(*) FROM territories WHERE level = 'district' AND country = 'PE'"
    ).fetchone()[0]
    assert without == districts - 3


def test_a_bad_directory_is_refused_with_rows_and_columns(live):
    settings = live
    with pytest.raises(IngestError) as info:
        ingest(
            settings,
            "pe_servicios",
            FILES / "services_bad.csv",
            release="2025",
            allow_older=True,
            log=lambda _: None,
        )
    assert "coordinates outside PE" in str(info.value) and "row 3" in str(info.value)
    with pytest.raises(IngestError) as info:
        ingest(settings, "pe_servicios", FILES / "services_ok.csv", log=lambda _: None)
    assert "needs --release YYYY" in str(info.value)
