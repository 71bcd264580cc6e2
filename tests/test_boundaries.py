"""Boundary build (observatory.build.boundaries): tiny hand-made layers with exact answers,
then the real mirror files and the shipped Natural Earth departments."""

from __future__ import annotations

import csv
import hashlib
import json
import math
from pathlib import Path

import pytest
import shapely

from observatory.build import boundaries
from observatory.build.boundaries import build_boundaries, build_natural_earth
from observatory.contract.settings import ROOT

MIRROR = ROOT.parent / "shared" / "data"
GEO = ROOT / "geo"
needs_mirror = pytest.mark.skipif(not MIRROR.is_dir(), reason=f"the data mirror {MIRROR} is not there")


def write_layer(path: Path, features: list[tuple[dict, list]], crs: str | None = None) -> Path:
    """A GeoJSON file of (properties, polygon rings) features."""
    layer: dict = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": rings}}
            for props, rings in features
        ],
    }
    if crs:
        layer["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(layer, ensure_ascii=False), encoding="utf-8")
    return path


def square(x0: float, y0: float, size: float) -> list:
    return [[[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]]


def shapes(path: Path) -> dict[str, shapely.Geometry]:
    layer = json.loads(path.read_text(encoding="utf-8"))
    return {f["id"]: shapely.from_geojson(json.dumps(f["geometry"])) for f in layer["features"]}


def two_districts(path: Path) -> Path:
    """Two 0.2-degree squares side by side whose common border is the same wave drawn twice, as
    in mapsPERU: the left district has 101 vertices on it, the right one 67 others, so the two
    drawings cross, overlap and leave gaps (up to about 20 m) all along it.
    """

    def wave(n: int) -> list[list[float]]:
        ys = [-6.2 + 0.2 * i / (n - 1) for i in range(n)]
        return [[-77.8 + 0.03 * math.sin(2 * math.pi * (y + 6.2) / 0.1), y] for y in ys]

    left = [[-78.0, -6.2], *wave(101), [-78.0, -6.0], [-78.0, -6.2]]
    right = [[-77.6, -6.2], [-77.6, -6.0], *wave(67)[::-1], [-77.6, -6.2]]
    return write_layer(
        path,
        [
            ({"COD_DISTRITO": "010101", "DISTRITO": "Chachapoyas"}, [left]),
            ({"COD_DISTRITO": "010102", "DISTRITO": "Asunción"}, [right]),
        ],
    )


def test_neighbours_share_one_border_after_simplification(tmp_path):
    source = two_districts(tmp_path / "map_DIST.geojson")
    summary = build_boundaries({"pe-district": source}, tmp_path / "out")
    out = tmp_path / "out" / "pe-district.geojson"
    layer = json.loads(out.read_text(encoding="utf-8"))
    assert [f["id"] for f in layer["features"]] == ["010101", "010102"]
    assert [f["properties"] for f in layer["features"]] == [
        {"code": "010101", "name": "Chachapoyas"},
        {"code": "010102", "name": "Asunción"},
    ]
    assert "Asunción" in out.read_text(encoding="utf-8")  # UTF-8, not \u escapes
    a, b = shapes(out).values()
    # Simplifying each polygon on its own (shapely.simplify, 0.005) overlaps 0.00024 square degrees here.
    assert shapely.intersection(a, b).area == 0
    union = shapely.union(a, b)
    assert union.geom_type == "Polygon" and len(union.interiors) == 0  # no gap
    assert union.area == pytest.approx(0.08, rel=1e-12)
    assert shapely.coverage_is_valid([a, b])
    # Still a wave (the straight border would be 0.2 long), with fewer vertices than either drawing.
    assert shapely.intersection(a, b).length > 0.28
    assert len(a.exterior.coords) < 40 and len(b.exterior.coords) < 40
    info = summary["pe-district"]
    assert {k: info[k] for k in ("features", "vertices", "dropped", "built", "layout", "bytes")} == {
        "features": 2,
        "vertices": len(a.exterior.coords) + len(b.exterior.coords),
        "dropped": 0,
        "built": True,
        "layout": "mapsPERU 2.0.0 districts",
        "bytes": out.stat().st_size,
    }


def test_coordinates_are_rounded_and_rings_counter_clockwise(tmp_path):
    ring = [[-89.123456, 13.654321], [-89.0, 13.654321], [-89.0, 13.8], [-89.123456, 13.8]]
    ring = ring[::-1] + ring[-1:]  # clockwise on purpose
    source = write_layer(tmp_path / "dep.geojson", [({"COD_DPTO": "06", "NOM_DPTO": "SAN SALVADOR"}, [ring])])
    build_boundaries({"sv-department": source}, tmp_path)
    (feature,) = json.loads((tmp_path / "sv-department.geojson").read_text())["features"]
    coords = feature["geometry"]["coordinates"][0]
    assert all(round(v, 4) == v for xy in coords for v in xy)
    assert sorted(set(map(tuple, coords))) == [
        (-89.1235, 13.6543),
        (-89.1235, 13.8),
        (-89.0, 13.6543),
        (-89.0, 13.8),
    ]
    assert shapely.Polygon(coords).exterior.is_ccw


def test_duplicate_codes_are_dissolved_into_one_feature(tmp_path):
    # peru-geojson 2016 provinces: 0510 comes in two pieces, as in the real file.
    source = write_layer(
        tmp_path / "peru_provincial_simple.geojson",
        [
            ({"FIRST_IDPR": "0510", "NOMBPROV": "VILCAS HUAMAN"}, square(-74.2, -13.8, 0.1)),
            ({"FIRST_IDPR": "0101", "NOMBPROV": "CHACHAPOYAS"}, square(-78.0, -6.3, 0.1)),
            ({"FIRST_IDPR": "0510", "NOMBPROV": "VILCAS HUAMAN"}, square(-74.1, -13.8, 0.1)),
        ],
    )
    summary = build_boundaries({"pe-province": source}, tmp_path / "out")
    got = shapes(tmp_path / "out" / "pe-province.geojson")
    assert list(got) == ["0101", "0510"]
    assert got["0510"].geom_type == "Polygon"
    assert got["0510"].area == pytest.approx(0.02, rel=1e-9)
    assert got["0510"].bounds == pytest.approx((-74.2, -13.8, -74.0, -13.7))
    assert summary["pe-province"]["layout"] == "peru-geojson 2016 provinces"
    assert summary["pe-province"]["features"] == 2


def test_codes_are_cut_to_their_width_and_areas_without_code_dropped(tmp_path):
    mapsperu = write_layer(
        tmp_path / "map_DEP.geojson",
        [
            ({"COD_DEPARTAMENTO": "150000", "DEPARTAMENTO": "Lima"}, square(-77.5, -12.5, 0.5)),
            ({"COD_DEPARTAMENTO": "070000", "DEPARTAMENTO": "Callao"}, square(-78.0, -12.5, 0.5)),
        ],
    )
    municipalities = write_layer(
        tmp_path / "mun.geojson",
        [
            ({"COD_MUN4": "0614", "NOM_MUN": "SAN SALVADOR"}, square(-89.2, 13.6, 0.1)),
            ({"COD_MUN4": "", "NOM_MUN": "ZONA DE DEMARCACION LIMITROFE"}, square(-88.0, 14.0, 0.1)),
        ],
    )
    summary = build_boundaries({"pe-department": mapsperu, "sv-municipality": municipalities}, tmp_path)
    assert list(shapes(tmp_path / "pe-department.geojson")) == ["07", "15"]
    assert list(shapes(tmp_path / "sv-municipality.geojson")) == ["0614"]
    assert {k: (v["features"], v["dropped"]) for k, v in summary.items()} == {
        "pe-department": (2, 0),
        "sv-municipality": (1, 1),
    }


def test_invalid_geometry_is_repaired(tmp_path):
    bow_tie = [[[-88.0, 13.0], [-87.8, 13.2], [-87.8, 13.0], [-88.0, 13.2], [-88.0, 13.0]]]
    source = write_layer(tmp_path / "dep.geojson", [({"COD_DPTO": "14", "NOM_DPTO": "LA UNION"}, bow_tie)])
    build_boundaries({"sv-department": source}, tmp_path)
    got = shapes(tmp_path / "sv-department.geojson")["14"]
    assert got.is_valid
    assert got.geom_type == "MultiPolygon"
    assert got.area == pytest.approx(0.02, rel=1e-6)


def test_projected_input_is_reprojected_to_lon_lat(tmp_path):
    # El Salvador's department of San Salvador as a square in UTM zone 16N.
    source = write_layer(
        tmp_path / "dep.geojson",
        [({"COD_DPTO": "06", "NOM_DPTO": "SAN SALVADOR"}, square(260000, 1510000, 20000))],
        crs="urn:ogc:def:crs:EPSG::32616",
    )
    build_boundaries({"sv-department": source}, tmp_path)
    west, south, east, north = shapes(tmp_path / "sv-department.geojson")["06"].bounds
    # The corners, projected with PROJ and rounded to the output's 4 decimals.
    assert (west, south, east, north) == pytest.approx((-89.2203, 13.649, -89.0338, 13.8313), abs=1.01e-4)


def test_a_file_that_does_not_fit_its_layer_is_refused(tmp_path):
    source = two_districts(tmp_path / "map_DIST.geojson")
    with pytest.raises(ValueError, match="does not look like a pe-department layer"):
        build_boundaries({"pe-department": source}, tmp_path / "out")
    with pytest.raises(ValueError, match="unknown boundary layer"):
        build_boundaries({"pe-region": source}, tmp_path / "out")


def test_codes_that_are_not_digits_are_refused(tmp_path):
    source = write_layer(tmp_path / "dep.geojson", [({"COD_DPTO": "SS", "NOM_DPTO": "X"}, square(0, 0, 1))])
    with pytest.raises(ValueError, match="not 2 digits"):
        build_boundaries({"sv-department": source}, tmp_path / "out")


def test_unchanged_input_is_not_rebuilt_and_changed_input_is(tmp_path):
    source = two_districts(tmp_path / "map_DIST.geojson")
    out = tmp_path / "out"
    first = build_boundaries({"pe-district": source}, out)["pe-district"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["pe-district"]["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert manifest["pe-district"]["features"] == 2
    assert manifest["pe-district"]["settings"]["tolerance"] == boundaries.SIMPLIFY["pe-district"].tolerance
    mtime = (out / "pe-district.geojson").stat().st_mtime_ns

    again = build_boundaries({"pe-district": source}, out)["pe-district"]
    assert again["built"] is False
    assert (again["features"], again["bytes"]) == (first["features"], first["bytes"])
    assert (out / "pe-district.geojson").stat().st_mtime_ns == mtime

    source.write_text(source.read_text(encoding="utf-8").replace("Chachapoyas", "Chachapoyas (capital)"))
    changed = build_boundaries({"pe-district": source}, out)["pe-district"]
    assert changed["built"] is True
    names = [
        f["properties"]["name"] for f in json.loads((out / "pe-district.geojson").read_text())["features"]
    ]
    assert names == ["Chachapoyas (capital)", "Asunción"]
    assert build_boundaries({"pe-district": source}, out, force=True)["pe-district"]["built"] is True
    # Only the layer and the manifest: no temporary file left behind.
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "pe-district.geojson"]


def test_a_truncated_output_is_rebuilt(tmp_path):
    source = two_districts(tmp_path / "map_DIST.geojson")
    build_boundaries({"pe-district": source}, tmp_path)
    (tmp_path / "pe-district.geojson").write_text('{"type": "FeatureCollection", "feat')
    assert build_boundaries({"pe-district": source}, tmp_path)["pe-district"]["built"] is True
    assert len(shapes(tmp_path / "pe-district.geojson")) == 2


def reform_files(folder: Path, crosswalk: str) -> tuple[Path, Path]:
    """Made-up reform files (municipalities, crosswalk) in the shape of data/countries/sv/."""
    municipalities = folder / "municipios.csv"
    municipalities.write_text("code,name,department\n0620,Oeste,06\n0621,Este,06\n", encoding="utf-8")
    links = folder / "crosswalk.csv"
    links.write_text(crosswalk, encoding="utf-8")
    return municipalities, links


def test_a_reform_builds_districts_and_dissolves_them_into_municipalities(tmp_path):
    # Three former municipalities in a row; the two western ones become one municipality.
    source = write_layer(
        tmp_path / "mun.geojson",
        [
            ({"COD_MUN4": "0601", "NOM_MUN": "UNO"}, square(-89.3, 13.6, 0.1)),
            ({"COD_MUN4": "0602", "NOM_MUN": "DOS"}, square(-89.2, 13.6, 0.1)),
            ({"COD_MUN4": "0603", "NOM_MUN": "TRES"}, square(-89.1, 13.6, 0.1)),
        ],
    )
    municipalities, links = reform_files(
        tmp_path, "former_code,former_name,municipality_code\n0601,Uno,0620\n0602,Dos,0620\n0603,Tres,0621\n"
    )
    assert boundaries.with_reform({"sv-municipality": source}, tmp_path / "none.csv", links) == {
        "sv-municipality": source
    }
    layers = boundaries.with_reform({"sv-municipality": source}, municipalities, links)
    assert layers == {
        "sv-district": source,
        "sv-municipality": boundaries.Dissolve("sv-district", links, municipalities),
    }
    out = tmp_path / "out"
    summary = build_boundaries(layers, out)
    districts, merged = shapes(out / "sv-district.geojson"), shapes(out / "sv-municipality.geojson")
    assert list(districts) == ["0601", "0602", "0603"] and list(merged) == ["0620", "0621"]
    names = [f["properties"] for f in json.loads((out / "sv-municipality.geojson").read_text())["features"]]
    assert names == [{"code": "0620", "name": "Oeste"}, {"code": "0621", "name": "Este"}]
    west = merged["0620"]
    assert west.geom_type == "Polygon" and len(west.interiors) == 0
    assert west.equals(shapely.union(districts["0601"], districts["0602"]))
    assert west.area == pytest.approx(0.02, rel=1e-9) and merged["0621"].equals(districts["0603"])
    assert shapely.coverage_is_valid(list(merged.values()))
    assert {k: (v["features"], v["built"]) for k, v in summary.items()} == {
        "sv-district": (3, True),
        "sv-municipality": (2, True),
    }
    # Up to date until the crosswalk changes; then only the dissolved layer is rebuilt.
    assert not any(v["built"] for v in build_boundaries(layers, out).values())
    links.write_text(
        "former_code,former_name,municipality_code\n0601,Uno,0620\n0602,Dos,0621\n0603,Tres,0621\n",
        encoding="utf-8",
    )
    again = build_boundaries(layers, out)
    assert (again["sv-district"]["built"], again["sv-municipality"]["built"]) == (False, True)
    assert shapes(out / "sv-municipality.geojson")["0621"].area == pytest.approx(0.02, rel=1e-9)


def test_a_district_without_municipality_stops_the_dissolve(tmp_path):
    source = write_layer(
        tmp_path / "mun.geojson",
        [
            ({"COD_MUN4": "0601", "NOM_MUN": "UNO"}, square(-89.3, 13.6, 0.1)),
            ({"COD_MUN4": "0602", "NOM_MUN": "DOS"}, square(-89.2, 13.6, 0.1)),
        ],
    )
    municipalities, links = reform_files(tmp_path, "former_code,municipality_code\n0601,0620\n0602,0699\n")
    with pytest.raises(ValueError, match=r"parents without a name: \['0699'\]"):
        build_boundaries(boundaries.with_reform({"sv-municipality": source}, municipalities, links), tmp_path)
    links.write_text("former_code,municipality_code\n0601,0620\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"areas without a parent: \['0602'\]"):
        build_boundaries(boundaries.with_reform({"sv-municipality": source}, municipalities, links), tmp_path)


def test_tiers_double_from_the_finest_to_the_coarsest():
    s = boundaries.Simplify(tolerance=0.016, finest=0.001, relative=0.1, snap=0, gap=0)
    assert s.tiers() == [0.001, 0.002, 0.004, 0.008, 0.016]
    assert boundaries.Simplify(tolerance=0.004, finest=0.004, relative=0.1, snap=0, gap=0).tiers() == [0.004]


def test_natural_earth_needs_every_department(tmp_path):
    features = [
        ({"iso_3166_2": "SV-AH", "name": "Ahuachapán", "name_es": "Ahuachapán"}, square(-90, 13.8, 0.2)),
    ]
    source = write_layer(tmp_path / "sv.geojson", features)
    with pytest.raises(ValueError, match=r"no feature for the departments \['02', '03'"):
        boundaries.natural_earth_frame(source, boundaries.SV_DEPARTMENTS)
    wrong = write_layer(
        tmp_path / "wrong.geojson",
        [({"iso_3166_2": "SV-CA", "name": "Santa Ana", "name_es": "Santa Ana"}, square(-90, 13.8, 0.2))],
    )
    with pytest.raises(ValueError, match="SV-CA is 'Santa Ana' here but 'Cabañas' in the table"):
        boundaries.natural_earth_frame(wrong, boundaries.SV_DEPARTMENTS)


# --------------------------------------------------------------------------- shipped files


def test_shipped_natural_earth_departments_have_the_official_codes():
    pe = json.loads((GEO / "ne-pe-department.geojson").read_text(encoding="utf-8"))
    sv = json.loads((GEO / "ne-sv-department.geojson").read_text(encoding="utf-8"))
    assert [f["id"] for f in pe["features"]] == [f"{i:02d}" for i in range(1, 26)]
    assert [f["id"] for f in sv["features"]] == [f"{i:02d}" for i in range(1, 15)]
    pe_names = {f["id"]: f["properties"]["name"] for f in pe["features"]}
    sv_names = {f["id"]: f["properties"]["name"] for f in sv["features"]}
    assert (pe_names["07"], pe_names["10"], pe_names["15"], pe_names["25"]) == (
        "Callao",
        "Huánuco",
        "Lima",
        "Ucayali",
    )
    assert sv_names == {
        "01": "Ahuachapán",
        "02": "Santa Ana",
        "03": "Sonsonate",
        "04": "Chalatenango",
        "05": "La Libertad",
        "06": "San Salvador",
        "07": "Cuscatlán",
        "08": "La Paz",
        "09": "Cabañas",
        "10": "San Vicente",
        "11": "Usulután",
        "12": "San Miguel",
        "13": "Morazán",
        "14": "La Unión",
    }
    for layer in (pe, sv):
        assert all(
            f["properties"] == {"code": f["id"], "name": f["properties"]["name"]} for f in layer["features"]
        )
    assert (GEO / "ne-pe-department.geojson").stat().st_size < 100_000
    assert (GEO / "ne-sv-department.geojson").stat().st_size < 100_000
    # Lima is one area: Natural Earth's 'Lima' and 'Lima Province' merged.
    lima = shapely.from_geojson(json.dumps(pe["features"][14]["geometry"]))
    assert lima.geom_type == "Polygon" and len(lima.interiors) == 0


@needs_mirror
def test_shipped_natural_earth_files_are_what_the_code_makes(tmp_path):
    ne = MIRROR / "geo" / "ne-admin1"
    build_natural_earth(ne / "pe_admin1_ne10m.geojson", ne / "sv_admin1_ne10m.geojson", tmp_path)
    for name in ("ne-pe-department.geojson", "ne-sv-department.geojson"):
        assert (tmp_path / name).read_bytes() == (GEO / name).read_bytes(), f"regenerate geo/{name}"


@needs_mirror
def test_natural_earth_codes_match_the_official_layers_on_the_ground():
    """Each shipped department overlaps the official department of the same code more than any other
    and covers most of it. Not Callao: Natural Earth's Callao is the port and San Lorenzo island
    only (a fifth of INEI's Callao); its northern districts fall in Natural Earth's Lima Province."""
    sv = json.loads((MIRROR / "geo/sv/sv_departamentos_14_dptoA.geojson").read_text(encoding="utf-8"))
    pe = json.loads((MIRROR / "geo/pe/mapsperu/map_DEP.geojson").read_text(encoding="utf-8"))
    official = {
        "sv": {f["properties"]["COD_DPTO"]: f for f in sv["features"]},
        "pe": {f["properties"]["COD_DEPARTAMENTO"][:2]: f for f in pe["features"]},
    }
    # The module's El Salvador table spells the names the official layer writes in capitals.
    sv_names = {code: boundaries._fold(name) for code, name in boundaries.SV_DEPARTMENTS.values()}
    assert {c: boundaries._fold(f["properties"]["NOM_DPTO"]) for c, f in official["sv"].items()} == sv_names
    for country, features in official.items():
        shipped = shapes(GEO / f"ne-{country}-department.geojson")
        assert sorted(shipped) == sorted(features)
        areas = {
            c: shapely.make_valid(shapely.from_geojson(json.dumps(f["geometry"])))
            for c, f in features.items()
        }
        for code, geom in shipped.items():
            overlap = {c: shapely.intersection(geom, area).area for c, area in areas.items()}
            assert max(overlap, key=overlap.get) == code, (country, code)
            if (country, code) != ("pe", "07"):
                assert overlap[code] > 0.8 * areas[code].area, (country, code)


# --------------------------------------------------------------------------- the real mirror


@pytest.fixture(scope="module")
def mirror_build(tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    if not MIRROR.is_dir():
        pytest.skip(f"the data mirror {MIRROR} is not there")
    out = tmp_path_factory.mktemp("boundaries")
    reform = ROOT / "data" / "countries" / "sv"
    layers = boundaries.with_reform(
        boundaries.mirror_layers(MIRROR), reform / "municipios_2024.csv", reform / "crosswalk_2024.csv"
    )
    return out, build_boundaries(layers, out)


@needs_mirror
@pytest.mark.slow
def test_mirror_layers_have_every_official_area(mirror_build):
    out, summary = mirror_build
    expected = {
        "pe-district": (1891, 6),
        "pe-province": (196, 4),
        "pe-department": (25, 2),
        "sv-district": (262, 4),
        "sv-municipality": (44, 4),
        "sv-department": (14, 2),
    }
    for key, (count, width) in expected.items():
        layer = json.loads((out / f"{key}.geojson").read_text(encoding="utf-8"))
        ids = [f["id"] for f in layer["features"]]
        assert len(ids) == len(set(ids)) == count, key
        assert all(len(i) == width and i.isdigit() for i in ids), key
        assert all(f["properties"]["code"] == f["id"] for f in layer["features"]), key
        assert summary[key]["features"] == count
    districts = json.loads((MIRROR / "geo/pe/mapsperu/map_DIST.geojson").read_text(encoding="utf-8"))
    assert set(shapes(out / "pe-district.geojson")) == {
        f["properties"]["COD_DISTRITO"] for f in districts["features"]
    }
    names = {
        f["id"]: f["properties"]["name"]
        for f in json.loads((out / "pe-district.geojson").read_text())["features"]
    }
    assert (names["150101"], names["070105"], names["080101"]) == ("Lima", "La Punta", "Cusco")
    assert summary["sv-district"]["dropped"] == 9  # the border zones without a code


@needs_mirror
@pytest.mark.slow
def test_el_salvadors_municipalities_are_the_union_of_their_districts(mirror_build):
    out, _ = mirror_build
    districts, municipalities = shapes(out / "sv-district.geojson"), shapes(out / "sv-municipality.geojson")
    parent = {
        r["former_code"]: r["municipality_code"]
        for r in csv.DictReader((ROOT / "data/countries/sv/crosswalk_2024.csv").open(encoding="utf-8"))
    }
    assert set(parent) == set(districts) and set(parent.values()) == set(municipalities)
    for code, municipality in municipalities.items():
        mine = [g for c, g in districts.items() if parent[c] == code]
        assert municipality.symmetric_difference(shapely.union_all(mine)).area < 1e-9, code
    # San Salvador Centro: San Salvador, Mejicanos, Ayutuxtepeque, Cuscatancingo, Ciudad Delgado.
    assert municipalities["0623"].contains(districts["0614"].representative_point())
    names = {
        f["id"]: f["properties"]["name"]
        for f in json.loads((out / "sv-municipality.geojson").read_text())["features"]
    }
    assert (names["0623"], names["0527"]) == ("San Salvador Centro", "La Libertad Costa")


@needs_mirror
@pytest.mark.slow
def test_mirror_layers_are_small_and_have_no_slivers(mirror_build):
    out, summary = mirror_build
    limits = {"pe-district": 1_200_000, "pe-province": 400_000, "pe-department": 150_000}
    for key, limit in limits.items():
        assert summary[key]["bytes"] < limit, key
    for key in summary:
        geoms = list(shapes(out / f"{key}.geojson").values())
        assert shapely.coverage_is_valid(geoms), key  # edge-matched: no overlap, no sliver
        assert all(g.is_valid for g in geoms), key
