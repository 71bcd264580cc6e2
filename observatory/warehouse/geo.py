"""Boundary layers for the maps, read once per file (app side: plain JSON, no geometry library).

A layer is a GeoJSON FeatureCollection written by ``observatory.build.boundaries``: feature
``id`` = the official code (string), properties ``code`` and ``name``, lon/lat coordinates.
The build writes ``{build_dir}/{country}-{level}.geojson`` (``pe-district``, ``sv-municipality``,
...) from the data mirror (El Salvador's 44 municipalities of 2024 are the union of their districts,
``sv-district``, the 262 former municipalities); the repository ships public-domain Natural Earth departments as
``{shipped_dir}/ne-{country}-department.geojson``, so department maps work without a build.
Without any layer for a level the UI shows a table instead of a map.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path

Box = tuple[float, float, float, float]  # (min_lon, min_lat, max_lon, max_lat)

_COUNTRY = re.compile(r"[a-z]{2}")
_LEVEL = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class _Layer:
    """What the pages ask of a layer, kept per file version. The geometry itself is not kept:
    the browser fetches the file, and a district layer's tens of thousands of coordinate lists
    made every full pass of Python's garbage collector ~8 ms longer (bench/interactions.py)."""

    version: tuple[str, int, int]  # (path, mtime_ns, size): a rebuilt file is read again
    codes: frozenset[str]
    centroids: dict[str, tuple[float, float]]
    boxes: dict[str, Box]


class Boundaries:
    """The boundary layers of every country and level, loaded on first use and kept in memory.

    Safe to share between threads: each file is parsed once (and again only after it changes on
    disk). Layers are returned as they are cached, so callers must not modify them.
    """

    def __init__(self, build_dir: Path, shipped_dir: Path) -> None:
        self.build_dir = Path(build_dir)
        self.shipped_dir = Path(shipped_dir)
        self._lock = threading.Lock()
        self._layers: dict[tuple[str, str], _Layer] = {}

    def layer_path(self, country: str, level: str) -> Path | None:
        """The file serving ``(country, level)``: the build's, else for departments the shipped one.

        ``country`` is an ISO code in any case ("PE", "sv"), ``level`` a lowercase word
        ("department", "district", ...). None when neither file exists; ``ValueError`` for names
        that are not a country code and a level (they could point outside the folders).
        """
        country, level = _names(country, level)
        built = self.build_dir / f"{country}-{level}.geojson"
        if built.is_file():
            return built
        if level == "department":
            shipped = self.shipped_dir / f"ne-{country}-department.geojson"
            if shipped.is_file():
                return shipped
        return None

    def layer(self, country: str, level: str) -> dict | None:
        """The FeatureCollection for ``(country, level)``, read from its file (a printed map
        needs it, rarely), or None when there is none."""
        path = self.layer_path(country, level)
        return json.loads(path.read_text(encoding="utf-8")) if path is not None else None

    def codes(self, country: str, level: str) -> frozenset[str]:
        """The codes (feature ids) that have a polygon; empty when there is no layer."""
        loaded = self._load(country, level)
        return loaded.codes if loaded else frozenset()

    def centroids(self, country: str, level: str) -> dict[str, tuple[float, float]]:
        """code -> (lon, lat) for labels and symbols: the area-weighted centroid of the area's
        largest polygon (so an island does not pull the point into the sea). Empty without a layer.
        """
        loaded = self._load(country, level)
        return dict(loaded.centroids) if loaded else {}

    def bounds(self, country: str, level: str, codes=None) -> Box | None:
        """(min_lon, min_lat, max_lon, max_lat) around ``codes`` (all areas when None).

        Codes without a polygon are ignored; None when no code has one or there is no layer.
        """
        loaded = self._load(country, level)
        if loaded is None:
            return None
        if isinstance(codes, str):  # one code, not its characters
            codes = [codes]
        wanted = loaded.boxes.keys() if codes is None else {str(c) for c in codes} & loaded.boxes.keys()
        boxes = [loaded.boxes[c] for c in wanted]
        if not boxes:
            return None
        return (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )

    def _load(self, country: str, level: str) -> _Layer | None:
        path = self.layer_path(country, level)
        key = _names(country, level)
        if path is None:
            return None
        stat = path.stat()
        version = (str(path), stat.st_mtime_ns, stat.st_size)
        loaded = self._layers.get(key)
        if loaded is not None and loaded.version == version:
            return loaded
        with self._lock:
            # Another thread may have read it while this one waited for the lock.
            loaded = self._layers.get(key)
            if loaded is None or loaded.version != version:
                loaded = _read(path, version)
                self._layers[key] = loaded
            return loaded


def _names(country: str, level: str) -> tuple[str, str]:
    country = str(country).lower()
    if not _COUNTRY.fullmatch(country) or not _LEVEL.fullmatch(str(level)):
        raise ValueError(f"not a boundary layer name: {country!r}, {level!r}")
    return country, str(level)


def _read(path: Path, version: tuple[str, int, int]) -> _Layer:
    collection = json.loads(path.read_text(encoding="utf-8"))
    centroids: dict[str, tuple[float, float]] = {}
    boxes: dict[str, Box] = {}
    for feature in collection.get("features", []):
        code = feature.get("id", (feature.get("properties") or {}).get("code"))
        polygons = _polygons(feature.get("geometry"))
        if code is None or not polygons:
            continue
        code = str(code)
        points = [xy for polygon in polygons for ring in polygon for xy in ring]
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        boxes[code] = (min(xs), min(ys), max(xs), max(ys))
        centroids[code] = _centroid(max(polygons, key=_area))
    return _Layer(version, frozenset(boxes), centroids, boxes)


def _polygons(geometry: dict | None) -> list[list[list[list[float]]]]:
    """A (Multi)Polygon's polygons, each a list of rings; other geometries have none."""
    if not geometry:
        return []
    if geometry.get("type") == "Polygon":
        return [geometry["coordinates"]] if geometry["coordinates"] else []
    if geometry.get("type") == "MultiPolygon":
        return [p for p in geometry["coordinates"] if p]
    return []


def _ring_moments(ring: list[list[float]]) -> tuple[float, float, float]:
    """(signed area, x moment, y moment) of a ring by the shoelace formula."""
    a = cx = cy = 0.0
    for p, q in zip(ring, ring[1:] + ring[:1], strict=True):
        x0, y0, x1, y1 = p[0], p[1], q[0], q[1]
        cross = x0 * y1 - x1 * y0
        a += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    return a / 2, cx / 6, cy / 6


def _area(polygon: list) -> float:
    exterior, *holes = polygon
    return abs(_ring_moments(exterior)[0]) - sum(abs(_ring_moments(h)[0]) for h in holes)


def _centroid(polygon: list) -> tuple[float, float]:
    """Area-weighted centroid of one polygon, holes subtracted, whatever the rings' winding."""
    area = mx = my = 0.0
    for i, ring in enumerate(polygon):
        a, x, y = _ring_moments(ring)
        # Normalise each ring's sign: the exterior adds, the holes subtract.
        sign = (1 if i == 0 else -1) * (1 if a >= 0 else -1)
        area += sign * a
        mx += sign * x
        my += sign * y
    if area <= 0:  # degenerate (a sliver of zero area): the middle of its box
        xs = [p[0] for p in polygon[0]]
        ys = [p[1] for p in polygon[0]]
        return ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2)
    return (mx / area, my / area)
