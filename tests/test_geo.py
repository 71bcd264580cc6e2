"""The app's boundary reader (observatory.warehouse.geo): hand-made layers with exact answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from observatory.contract.settings import ROOT
from observatory.warehouse import geo
from observatory.warehouse.geo import Boundaries


def polygon(*rings: list) -> dict:
    return {"type": "Polygon", "coordinates": [[[float(x), float(y)] for x, y in ring] for ring in rings]}


def box(x0: float, y0: float, x1: float, y1: float) -> list:
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]


def write(path: Path, features: dict[str, dict]) -> Path:
    """A layer file of code -> geometry, written like the build's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    layer = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": code,
                "properties": {"code": code, "name": f"Area {code}"},
                "geometry": g,
            }
            for code, g in features.items()
        ],
    }
    path.write_text(json.dumps(layer), encoding="utf-8")
    return path


DISTRICTS = {
    "150101": polygon(box(0, 0, 2, 2)),
    # A 4x4 square with a 2x2 hole in its lower-left corner, wound clockwise on purpose.
    "150102": polygon(box(4, 0, 8, 4)[::-1], box(4, 0, 6, 2)),
    # A 2x2 mainland and a small island far away: the label stays on the mainland.
    "150103": {
        "type": "MultiPolygon",
        "coordinates": [
            polygon(box(20, 20, 20.5, 20.5))["coordinates"],
            polygon(box(10, 10, 12, 12))["coordinates"],
        ],
    },
}


@pytest.fixture
def folders(tmp_path) -> tuple[Path, Path]:
    build, shipped = tmp_path / "build", tmp_path / "shipped"
    write(build / "pe-district.geojson", DISTRICTS)
    write(
        shipped / "ne-pe-department.geojson",
        {"15": polygon(box(-1, -1, 30, 30)), "07": polygon(box(-2, -1, -1, 0))},
    )
    write(shipped / "ne-sv-department.geojson", {"06": polygon(box(-89.3, 13.6, -89.0, 13.9))})
    return build, shipped


def test_layer_comes_from_the_build_and_its_geometry_is_not_kept(folders):
    """The codes, boxes and centroids stay in memory; the geometry is read when a printed map
    asks for it (kept, its coordinate lists slowed every full garbage collection)."""
    build, shipped = folders
    b = Boundaries(build, shipped)
    layer = b.layer("PE", "district")
    assert [f["id"] for f in layer["features"]] == ["150101", "150102", "150103"]
    assert b.layer("pe", "district") == layer and b.layer("pe", "district") is not layer
    assert b.layer_path("PE", "district") == build / "pe-district.geojson"
    b.codes("PE", "district")
    assert all(not hasattr(kept, "collection") for kept in b._layers.values())


def test_departments_fall_back_to_the_shipped_layer_until_the_build_has_one(folders):
    build, shipped = folders
    b = Boundaries(build, shipped)
    assert b.layer_path("PE", "department") == shipped / "ne-pe-department.geojson"
    assert b.codes("PE", "department") == frozenset({"07", "15"})
    assert b.codes("SV", "department") == frozenset({"06"})
    write(build / "pe-department.geojson", {"15": polygon(box(0, 0, 1, 1))})
    assert b.layer_path("PE", "department") == build / "pe-department.geojson"
    assert b.codes("PE", "department") == frozenset({"15"})


def test_a_level_without_a_layer_has_nothing(folders):
    b = Boundaries(*folders)
    assert b.layer_path("SV", "municipality") is None
    assert b.layer("SV", "municipality") is None
    assert b.layer("PE", "province") is None  # only departments fall back to the shipped files
    assert b.codes("SV", "municipality") == frozenset()
    assert b.centroids("SV", "municipality") == {}
    assert b.bounds("SV", "municipality") is None
    assert Boundaries(Path("/nonexistent"), Path("/nonexistent")).layer("PE", "department") is None


def test_el_salvadors_municipalities_and_their_districts_are_two_layers(folders):
    """After the 2024 reform: sv-municipality holds the 44 (each the union of its districts),
    sv-district the 262 former municipalities; a drill-down reads one, then the other."""
    build, shipped = folders
    write(build / "sv-municipality.geojson", {"0623": polygon(box(0, 0, 2, 1))})
    write(build / "sv-district.geojson", {"0614": polygon(box(0, 0, 1, 1)), "0608": polygon(box(1, 0, 2, 1))})
    b = Boundaries(build, shipped)
    assert b.codes("SV", "municipality") == frozenset({"0623"})
    assert b.codes("SV", "district") == frozenset({"0614", "0608"})
    assert (
        b.bounds("SV", "municipality", "0623") == b.bounds("SV", "district", ["0614", "0608"]) == (0, 0, 2, 1)
    )
    assert b.layer_path("SV", "district") == build / "sv-district.geojson"


def test_names_that_could_leave_the_folders_are_refused(folders):
    b = Boundaries(*folders)
    for country, level in (("../pe", "district"), ("pe", "../district"), ("PER", "district"), ("pe", "")):
        with pytest.raises(ValueError, match="not a boundary layer name"):
            b.layer_path(country, level)


def test_codes_are_the_feature_ids(folders):
    assert Boundaries(*folders).codes("PE", "district") == frozenset({"150101", "150102", "150103"})


def test_centroids_weigh_area_subtract_holes_and_keep_to_the_largest_polygon(folders):
    c = Boundaries(*folders).centroids("PE", "district")
    assert c["150101"] == pytest.approx((1.0, 1.0))
    # (16 * (6, 2) - 4 * (5, 1)) / 12
    assert c["150102"] == pytest.approx((76 / 12, 28 / 12))
    assert c["150103"] == pytest.approx((11.0, 11.0))


def test_bounds_of_all_areas_or_of_a_selection(folders):
    b = Boundaries(*folders)
    assert b.bounds("PE", "district") == (0.0, 0.0, 20.5, 20.5)
    assert b.bounds("PE", "district", ["150101", "150102"]) == (0.0, 0.0, 8.0, 4.0)
    assert b.bounds("PE", "district", "150102") == (4.0, 0.0, 8.0, 4.0)
    assert b.bounds("PE", "district", ["150101", "999999"]) == (0.0, 0.0, 2.0, 2.0)
    assert b.bounds("PE", "district", ["999999"]) is None
    assert b.bounds("PE", "district", []) is None


def test_a_rebuilt_file_is_read_again(folders):
    build, shipped = folders
    b = Boundaries(build, shipped)
    assert len(b.codes("PE", "district")) == 3
    path = write(build / "pe-district.geojson", {"150101": polygon(box(0, 0, 1, 1))})
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert b.codes("PE", "district") == frozenset({"150101"})
    assert b.bounds("PE", "district") == (0.0, 0.0, 1.0, 1.0)


def test_threads_share_one_read(folders, monkeypatch):
    b = Boundaries(*folders)
    reads = []
    real_read = geo._read

    def counting_read(path, version):
        reads.append(path)
        return real_read(path, version)

    monkeypatch.setattr(geo, "_read", counting_read)
    start = threading.Barrier(8)
    results = []

    def load():
        start.wait()
        results.append(b.centroids("PE", "district"))

    threads = [threading.Thread(target=load) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(reads) == 1
    assert len(results) == 8 and all(r == results[0] for r in results)


def test_the_app_side_needs_no_geometry_library():
    code = "import sys, observatory.warehouse.geo; print(sorted({'geopandas', 'shapely', 'pyproj'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_shipped_departments_are_served_without_a_build(tmp_path):
    b = Boundaries(tmp_path / "no-build", ROOT / "geo")
    assert b.codes("PE", "department") == frozenset(f"{i:02d}" for i in range(1, 26))
    assert b.codes("SV", "department") == frozenset(f"{i:02d}" for i in range(1, 15))
    lon, lat = b.centroids("SV", "department")["06"]  # San Salvador
    assert -89.3 < lon < -89.0 and 13.6 < lat < 13.9
    # Lima, within 0.1 degree of mapsPERU's official limits (-77.886, -13.323, -75.508, -10.274).
    assert b.bounds("PE", "department", ["15"]) == pytest.approx(
        (-77.886, -13.323, -75.508, -10.274), abs=0.1
    )
