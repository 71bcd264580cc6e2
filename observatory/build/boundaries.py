"""Map boundaries: one simplified GeoJSON per country and level, built once (build time only).

Each output ``{out_dir}/{key}.geojson`` (``key`` like ``pe-district``) is a FeatureCollection in
EPSG:4326 (lon, lat) whose features carry ``id`` = the official code as a string (Peru: INEI
ubigeo of 2, 4 or 6 digits; El Salvador: DIGESTYC code of 2 or 4 digits) and exactly the
properties ``{"code", "name"}``. Coordinates are rounded to 4 decimals (about 11 m) and exterior
rings run counter-clockwise (RFC 7946; ``go.Choroplethmap`` ignores winding, ``go.Choropleth``
would want the opposite).

Why the layers are cleaned before they are simplified: mapsPERU's polygons were simplified one
at a time before they were published, so neighbours disagree by a median 50-80 m (up to about
300 m) on almost every shared border: overlaps and gaps, few shared vertices, nothing for
topojson to recognise as a shared arc. GEOS's coverage cleaner (snap nearby vertices, give each
overlap to one neighbour) and ``fill_gaps`` turn a layer into an edge-matched coverage; the
coverage simplifier then simplifies every shared edge once, so both neighbours keep the very
same border (no slivers), and snapping to the 4-decimal grid moves both copies of a vertex the
same way. Small areas get a finer tolerance than large ones (``Simplify``), so Lima's districts
keep their shape in a district layer of about 1.2 MB.

El Salvador's municipalities of 2024 have no boundary file of their own: once the observatory
supplies the reform's files (``data/countries/sv/``), the 262 former municipalities build the
district layer and the 44 municipalities are their union through the crosswalk (``Dissolve``),
so a municipality's border is its districts' border, vertex for vertex.

Run ``python -m observatory.build.boundaries OUT_DIR`` to build the mirror's layers, or
``python -m observatory.build.boundaries --natural-earth`` to regenerate the public-domain
department layers shipped in ``geo/``. geopandas and shapely are needed here only: the app
reads the output as plain JSON (``observatory.warehouse.geo``).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import sys
import time
import unicodedata
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

DECIMALS = 4
GRID = 10.0**-DECIMALS
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Simplify:
    """How one layer is cleaned and simplified; distances in degrees (0.001 is about 110 m).

    Each area gets the tolerance ``relative * sqrt(its area)``, kept between ``finest`` and
    ``tolerance`` and rounded down to a power-of-two step from ``finest``; a border shared by two
    areas is simplified with the finer of their two tolerances. One tolerance for all would
    turn Lima's districts into triangles long before the Amazon's districts are small enough.
    """

    tolerance: float  # the coarsest tolerance: about the square root of the largest triangle area removed
    finest: float  # the tolerance of the smallest areas
    relative: float  # tolerance per sqrt(area)
    snap: float  # vertices closer than this are snapped together when cleaning (-1: GEOS chooses)
    gap: float  # holes in the coverage narrower than this are given to a neighbour

    def tiers(self) -> list[float]:
        """The tolerances used, finest first."""
        tiers = [self.finest]
        while tiers[-1] * 2 <= self.tolerance * (1 + 1e-9):
            tiers.append(tiers[-1] * 2)
        return tiers


# Chosen so that the layers stay small (districts under about 1.2 MB) while the smallest areas
# keep their shape (La Punta in Callao is 0.75 km2). Peru snaps at 110 m because mapsPERU's
# neighbours disagree by tens of metres: with less, most slivers are left to the gap filler,
# which then takes minutes instead of seconds.
SIMPLIFY: dict[str, Simplify] = {
    "pe-department": Simplify(tolerance=0.016, finest=0.001, relative=0.12, snap=0.001, gap=0.003),
    "pe-province": Simplify(tolerance=0.016, finest=0.001, relative=0.12, snap=0.001, gap=0.003),
    "pe-district": Simplify(tolerance=0.032, finest=0.001, relative=0.12, snap=0.001, gap=0.003),
    "sv-department": Simplify(tolerance=0.004, finest=0.001, relative=0.12, snap=-1, gap=0.001),
    "sv-municipality": Simplify(tolerance=0.004, finest=0.001, relative=0.12, snap=-1, gap=0.001),
    "sv-district": Simplify(tolerance=0.004, finest=0.001, relative=0.12, snap=-1, gap=0.001),
    # Bolivia: 343 municipal units of very different sizes (El Alto 345 km2, Charagua 74,000 km2).
    "bo-municipality": Simplify(tolerance=0.016, finest=0.001, relative=0.12, snap=-1, gap=0.003),
    "bo-province": Simplify(tolerance=0.016, finest=0.001, relative=0.12, snap=-1, gap=0.003),
    "bo-department": Simplify(tolerance=0.016, finest=0.001, relative=0.12, snap=-1, gap=0.003),
    "ne-pe-department": Simplify(tolerance=0.016, finest=0.004, relative=0.12, snap=-1, gap=0.0),
    "ne-sv-department": Simplify(tolerance=0.004, finest=0.002, relative=0.12, snap=-1, gap=0.0),
}


@dataclass(frozen=True)
class Layout:
    """Where a boundary file keeps the official code and the name of each area."""

    name: str
    key: str  # the layer this file can build
    code_field: str | tuple[str, ...]  # several fields: their values joined (Bolivia's idep+iprov+imun)
    width: int  # digits of the official code: a prefix of the code field (mapsPERU pads to 6)
    name_field: str

    @property
    def fields(self) -> set[str]:
        return {*_fields(self.code_field), self.name_field}


# Several layouts per layer: the one whose fields are in the file is used.
LAYOUTS: tuple[Layout, ...] = (
    Layout("mapsPERU 2.0.0 districts", "pe-district", "COD_DISTRITO", 6, "DISTRITO"),
    Layout("mapsPERU 2.0.0 provinces", "pe-province", "COD_PROVINCIA", 4, "PROVINCIA"),
    Layout("mapsPERU 2.0.0 departments", "pe-department", "COD_DEPARTAMENTO", 2, "DEPARTAMENTO"),
    Layout("peru-geojson 2016 districts", "pe-district", "IDDIST", 6, "NOMBDIST"),
    Layout("peru-geojson 2016 provinces", "pe-province", "FIRST_IDPR", 4, "NOMBPROV"),
    Layout("peru-geojson 2016 departments", "pe-department", "FIRST_IDDP", 2, "NOMBDEP"),
    Layout("El Salvador municipalities (262)", "sv-municipality", "COD_MUN4", 4, "NOM_MUN"),
    Layout("El Salvador districts (the 262 former municipalities)", "sv-district", "COD_MUN4", 4, "NOM_MUN"),
    Layout("El Salvador departments (14)", "sv-department", "COD_DPTO", 2, "NOM_DPTO"),
    Layout(
        "Bolivia municipal units (343, INE CPV-2024)",
        "bo-municipality",
        ("idep", "iprov", "imun"),
        6,
        "nombre_mun",
    ),
)


def _fields(spec: str | tuple[str, ...]) -> tuple[str, ...]:
    return (spec,) if isinstance(spec, str) else tuple(spec)


def _joined(frame: pd.DataFrame, spec: str | tuple[str, ...]) -> pd.Series:
    """One column, or several whose stripped values are joined into one code."""
    names = _fields(spec)
    out = frame[names[0]].astype("string").str.strip()
    for name in names[1:]:
        out = out + frame[name].astype("string").str.strip()
    return out


@dataclass(frozen=True)
class Dissolve:
    """A layer made of another layer's areas, merged through a crosswalk.

    ``crosswalk`` is a CSV with the ``child`` column (an area of ``source``) and the ``parent``
    column (the area it belongs to); ``names`` a CSV with the ``code`` and ``name`` columns of
    the merged areas. By default El Salvador's reform files (``former_code``,
    ``municipality_code``; ``code``, ``name``); a column may be several joined (Bolivia's
    province is ``idep`` + ``iprov`` of its municipalities' table, ``bolivia_layers``).
    """

    source: str  # the key of the layer whose output is merged
    crosswalk: Path
    names: Path
    child: str | tuple[str, ...] = "former_code"
    parent: str | tuple[str, ...] = "municipality_code"
    code: str | tuple[str, ...] = "code"
    name: str = "name"

    def read(self) -> tuple[dict[str, str], dict[str, str]]:
        """(area code -> merged code, merged code -> name)."""
        links = pd.read_csv(self.crosswalk, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        names = pd.read_csv(self.names, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        for path, frame, wanted in (
            (self.crosswalk, links, (*_fields(self.child), *_fields(self.parent))),
            (self.names, names, (*_fields(self.code), self.name)),
        ):
            missing = [c for c in wanted if c not in frame.columns]
            if missing:
                raise ValueError(f"{Path(path).name}: no column {missing[0]!r} (has {list(frame.columns)})")
        parent = dict(zip(_joined(links, self.child), _joined(links, self.parent), strict=True))
        return parent, dict(zip(_joined(names, self.code), names[self.name].str.strip(), strict=True))


_REFORM_COLUMNS = ("former_code", "municipality_code", "code", "name")


def bolivia_layers(municipalities: Path, table: Path) -> dict[str, Path | Dissolve]:
    """Bolivia's three layers from one municipal layer (GeoJSON) and its table (CSV with
    ``codigo_ine``, ``idep``, ``iprov``, ``nombre_prov``, ``nombre_dep``): provinces and
    departments are the union of their municipalities, so every level shares the same borders."""
    return {
        "bo-municipality": Path(municipalities),
        "bo-province": Dissolve(
            "bo-municipality",
            Path(table),
            Path(table),
            "codigo_ine",
            ("idep", "iprov"),
            ("idep", "iprov"),
            "nombre_prov",
        ),
        "bo-department": Dissolve(
            "bo-municipality", Path(table), Path(table), "codigo_ine", "idep", "idep", "nombre_dep"
        ),
    }


# Natural Earth has no INEI / DIGESTYC codes: ISO 3166-2 -> (official code, official name).
# Natural Earth splits Lima into 'Lima' (the department) and 'Lima Province' (the capital),
# both PE-LIM: INEI's department 15 is the two together. Callao is its own department, 07.
PE_DEPARTMENTS: dict[str, tuple[str, str]] = {
    "PE-AMA": ("01", "Amazonas"),
    "PE-ANC": ("02", "Áncash"),
    "PE-APU": ("03", "Apurímac"),
    "PE-ARE": ("04", "Arequipa"),
    "PE-AYA": ("05", "Ayacucho"),
    "PE-CAJ": ("06", "Cajamarca"),
    "PE-CAL": ("07", "Callao"),
    "PE-CUS": ("08", "Cusco"),
    "PE-HUV": ("09", "Huancavelica"),
    "PE-HUC": ("10", "Huánuco"),
    "PE-ICA": ("11", "Ica"),
    "PE-JUN": ("12", "Junín"),
    "PE-LAL": ("13", "La Libertad"),
    "PE-LAM": ("14", "Lambayeque"),
    "PE-LIM": ("15", "Lima"),
    "PE-LOR": ("16", "Loreto"),
    "PE-MDD": ("17", "Madre de Dios"),
    "PE-MOQ": ("18", "Moquegua"),
    "PE-PAS": ("19", "Pasco"),
    "PE-PIU": ("20", "Piura"),
    "PE-PUN": ("21", "Puno"),
    "PE-SAM": ("22", "San Martín"),
    "PE-TAC": ("23", "Tacna"),
    "PE-TUM": ("24", "Tumbes"),
    "PE-UCA": ("25", "Ucayali"),
}
# DIGESTYC numbers the departments west to east. Natural Earth's own numbers (gn_a1_code SV.02
# for Cabañas, fips ES02) are alphabetical: never use them as DIGESTYC codes.
SV_DEPARTMENTS: dict[str, tuple[str, str]] = {
    "SV-AH": ("01", "Ahuachapán"),
    "SV-SA": ("02", "Santa Ana"),
    "SV-SO": ("03", "Sonsonate"),
    "SV-CH": ("04", "Chalatenango"),
    "SV-LI": ("05", "La Libertad"),
    "SV-SS": ("06", "San Salvador"),
    "SV-CU": ("07", "Cuscatlán"),
    "SV-PA": ("08", "La Paz"),
    "SV-CA": ("09", "Cabañas"),
    "SV-SV": ("10", "San Vicente"),
    "SV-US": ("11", "Usulután"),
    "SV-SM": ("12", "San Miguel"),
    "SV-MO": ("13", "Morazán"),
    "SV-UN": ("14", "La Unión"),
}


def mirror_layers(mirror: Path, peru: str = "mapsperu") -> dict[str, Path]:
    """The input file of every layer in a data mirror laid out like ``shared/data``.

    ``peru`` is ``mapsperu`` (1,891 current districts, GPL-3: read, never shipped) or
    ``peru-geojson-2016`` (the older peru_*_simple files, 1,834 districts). El Salvador's 262
    former municipalities are ``sv-municipality`` here: ``with_reform`` makes them districts.
    """
    geo = Path(mirror) / "geo"
    if peru == "mapsperu":
        pe = {
            "pe-department": geo / "pe/mapsperu/map_DEP.geojson",
            "pe-province": geo / "pe/mapsperu/map_PROV.geojson",
            "pe-district": geo / "pe/mapsperu/map_DIST.geojson",
        }
    elif peru == "peru-geojson-2016":
        pe = {
            "pe-department": geo / "pe/peru_departamental_simple.geojson",
            "pe-province": geo / "pe/peru_provincial_simple.geojson",
            "pe-district": geo / "pe/peru_distrital_simple.geojson",
        }
    else:
        raise ValueError(f"unknown Peru boundary layer {peru!r}: mapsperu or peru-geojson-2016")
    return (
        pe
        | {
            "sv-department": geo / "sv/sv_departamentos_14_dptoA.geojson",
            "sv-municipality": geo / "sv/sv_municipios_262_munA.geojson",
        }
        | bolivia_layers(geo / "bo/municipios_bolivia_2024.geojson", geo / "bo/municipios_bolivia_2024.csv")
    )


def with_reform(
    layers: dict[str, Path | Dissolve], municipalities: Path, crosswalk: Path, country: str = "sv"
) -> dict[str, Path | Dissolve]:
    """``layers`` after a reform that made the former municipalities districts (El Salvador 2024).

    The municipality layer's input builds ``{country}-district``, and ``{country}-municipality``
    is dissolved from it through ``crosswalk`` (names from ``municipalities``). ``layers`` is
    returned as it is when it has no municipality layer or either file is missing.
    """
    key = f"{country}-municipality"
    if key not in layers or not (Path(municipalities).is_file() and Path(crosswalk).is_file()):
        return layers
    out = {k: v for k, v in layers.items() if k != key}
    out[f"{country}-district"] = layers[key]
    out[key] = Dissolve(f"{country}-district", Path(crosswalk), Path(municipalities))
    return out


def build_boundaries(
    layers: dict[str, Path | Dissolve], out_dir: Path, force: bool = False
) -> dict[str, dict]:
    """Write ``{out_dir}/{key}.geojson`` for every ``key -> input GeoJSON`` in ``layers``.

    Keys are those of ``SIMPLIFY`` (``pe-department``, ``pe-province``, ``pe-district``,
    ``sv-department``, ``sv-municipality``, ``sv-district``); the input's layout (mapsPERU,
    peru-geojson 2016, El Salvador) is recognised from its properties, and a file that does not
    fit its key raises ``ValueError``. Features without a code or a polygon are dropped (counted
    in ``dropped``); features sharing a code become one. A ``Dissolve`` input is built after the
    others, from its source layer's output in ``out_dir`` (see ``dissolve``). A layer is rebuilt
    only when its output is missing or its input's sha256 (for a ``Dissolve``: of the source's
    output and both CSV files), its settings or the output's size differ from
    ``{out_dir}/manifest.json`` (or when ``force``). Files are written to a temporary name and
    renamed into place.

    Returns per key: features, vertices, bytes, gzip_bytes, dropped, sha256, settings and
    ``built`` (False when skipped) with ``seconds``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = _read_manifest(out_dir)
    summary: dict[str, dict] = {}
    unknown = [key for key in layers if key not in SIMPLIFY or key.startswith("ne-")]
    if unknown:
        raise ValueError(f"unknown boundary layer {unknown[0]!r}: one of {sorted(_mirror_keys())}")
    # Dissolved layers last: they are made from the output of the others.
    for key in sorted(layers, key=lambda k: isinstance(layers[k], Dissolve)):
        started = time.perf_counter()
        source = layers[key]
        target = out_dir / f"{key}.geojson"
        if isinstance(source, Dissolve):
            base = out_dir / f"{source.source}.geojson"
            if not base.is_file():
                raise ValueError(f"{key} is dissolved from {source.source}, which is not in {out_dir}")
            digests = "".join(_sha256(p) for p in (base, source.crosswalk, source.names))
            sha = hashlib.sha256(digests.encode()).hexdigest()
            settings = {"dissolved_from": source.source, "decimals": DECIMALS}
            if (source.child, source.parent, source.code, source.name) != _REFORM_COLUMNS:
                settings["columns"] = [source.child, source.parent, source.code, source.name]
        else:
            source = Path(source)
            sha = _sha256(source)
            settings = _settings(key)
        known = manifest.get(key, {})
        if (
            not force
            and target.is_file()
            and known.get("sha256") == sha
            and known.get("settings") == settings
            and known.get("bytes") == target.stat().st_size
        ):
            summary[key] = known | {"built": False, "seconds": round(time.perf_counter() - started, 2)}
            continue
        if isinstance(source, Dissolve):
            shaped = dissolve(gpd.read_file(base), *source.read())
            dropped, about = 0, {"input": str(source.crosswalk), "layout": f"{source.source}, dissolved"}
        else:
            frame, layout, dropped = read_layer(source, key)
            shaped = clean_and_simplify(frame, SIMPLIFY[key])
            about = {"input": str(source), "layout": layout.name}
        info = _write_frame(shaped, target, settings)
        manifest[key] = info | about | {"sha256": sha, "dropped": dropped}
        # Written after every layer, so an interrupted build keeps what it finished.
        _write_atomic(out_dir / MANIFEST, _dumps(manifest, indent=1))
        summary[key] = manifest[key] | {"built": True, "seconds": round(time.perf_counter() - started, 2)}
    return summary


def read_layer(path: Path, key: str) -> tuple[gpd.GeoDataFrame, Layout, int]:
    """(frame with columns code, name, geometry in EPSG:4326; its layout; features dropped).

    The layout is the first of ``LAYOUTS`` for ``key`` whose code and name fields are in the
    file. Codes must be digits of the layout's width; rows with no code or no geometry are
    dropped (El Salvador's 9 border zones, a few collapsed districts of the 2016 files).
    """
    raw = gpd.read_file(path)
    candidates = [layout for layout in LAYOUTS if layout.key == key]
    layout = next((lay for lay in candidates if lay.fields <= set(raw.columns)), None)
    if layout is None:
        expected = "; ".join(f"{lay.name}: {', '.join(sorted(lay.fields))}" for lay in candidates)
        raise ValueError(f"{path} does not look like a {key} layer (expected {expected or 'no layout'})")
    code = _joined(raw, layout.code_field).str[: layout.width]
    keep = code.notna() & (code != "") & raw.geometry.notna() & ~raw.geometry.is_empty
    bad = code[keep & ~code.str.fullmatch(rf"\d{{{layout.width}}}").fillna(False)]
    if len(bad):
        raise ValueError(
            f"{path}: {layout.code_field} values that are not {layout.width} digits: {list(bad[:5])}"
        )
    frame = gpd.GeoDataFrame(
        {"code": code[keep].astype(str), "name": raw.loc[keep, layout.name_field].astype(str)},
        geometry=raw.geometry[keep],
        crs=raw.crs or "EPSG:4326",  # GeoJSON without a crs member is lon/lat
    )
    return frame.to_crs(4326), layout, int((~keep).sum())


def build_natural_earth(pe_path: Path, sv_path: Path, out_dir: Path) -> dict[str, dict]:
    """Write ``ne-pe-department.geojson`` and ``ne-sv-department.geojson`` into ``out_dir``.

    Inputs are Natural Earth 10m admin-1 extracts (public domain; ``iso_3166_2`` per feature).
    ``id`` becomes the INEI ubigeo (Peru, 25 departments, 'Lima' and 'Lima Province' merged
    into 15) or the DIGESTYC code (El Salvador, 14), and ``name`` the official Spanish name,
    through ``PE_DEPARTMENTS`` / ``SV_DEPARTMENTS``. Raises ``ValueError`` when a feature's ISO
    code is unknown, its Spanish name disagrees with the table, or a department is missing.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = {}
    for key, path, table in (
        ("ne-pe-department", pe_path, PE_DEPARTMENTS),
        ("ne-sv-department", sv_path, SV_DEPARTMENTS),
    ):
        started = time.perf_counter()
        frame = natural_earth_frame(Path(path), table)
        summary[key] = _write_layer(frame, key, out_dir / f"{key}.geojson") | {
            "input": Path(path).name,
            "seconds": round(time.perf_counter() - started, 2),
        }
    return summary


def natural_earth_frame(path: Path, table: dict[str, tuple[str, str]]) -> gpd.GeoDataFrame:
    """A Natural Earth admin-1 file as (code, name, geometry) through an ISO 3166-2 table."""
    raw = gpd.read_file(path)
    rows = []
    for iso, name_es, name in zip(
        raw["iso_3166_2"], raw.get("name_es", raw["name"]), raw["name"], strict=True
    ):
        if iso not in table:
            raise ValueError(f"{path}: {name!r} has ISO 3166-2 code {iso!r}, not in the table")
        code, official = table[iso]
        # The name guards the join: a release that reassigned ISO codes would fail here.
        if _fold(name_es) != _fold(official):
            raise ValueError(f"{path}: {iso} is {name_es!r} here but {official!r} in the table")
        rows.append((code, official))
    missing = sorted({c for c, _ in table.values()} - {c for c, _ in rows})
    if missing:
        raise ValueError(f"{path}: no feature for the departments {missing}")
    codes, names = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {"code": codes, "name": names}, geometry=raw.geometry, crs=raw.crs or 4326
    ).to_crs(4326)


def clean_and_simplify(frame: gpd.GeoDataFrame, settings: Simplify) -> gpd.GeoDataFrame:
    """One valid, edge-matched, simplified polygon per code, on the 4-decimal grid, sorted by code.

    Raises ``ValueError`` when an area vanishes on the way (a tolerance too coarse for it).
    """
    geoms = shapely.make_valid(np.asarray(frame.geometry.values, dtype=object))
    geoms = np.array([_polygonal(g) for g in geoms], dtype=object)
    merged = (
        pd.DataFrame({"code": frame["code"].to_numpy(), "name": frame["name"].to_numpy(), "geometry": geoms})
        .groupby("code", sort=True)
        .agg(name=("name", "first"), geometry=("geometry", _union))
    )
    codes = merged.index.to_numpy()
    geoms = merged["geometry"].to_numpy()
    # Gaps are filled by fill_gaps, not by coverage_clean(gap_width=...): same rule, but seconds
    # instead of minutes on mapsPERU's thousands of slivers.
    geoms = fill_gaps(shapely.coverage_clean(geoms, snapping_distance=settings.snap), settings.gap)
    geoms = simplify_coverage(geoms, settings)
    # One grid for the whole coverage: a shared vertex lands on the same grid point on both sides.
    geoms = shapely.set_precision(geoms, GRID)
    geoms = shapely.orient_polygons(geoms, exterior_cw=False)
    lost = codes[shapely.is_empty(geoms) | (shapely.area(geoms) == 0)]
    if len(lost):
        raise ValueError(f"areas lost while simplifying: {list(lost[:10])}")
    if not shapely.coverage_is_valid(geoms):
        raise ValueError("the simplified areas overlap or their borders do not match (slivers)")
    return gpd.GeoDataFrame({"code": codes, "name": merged["name"].to_numpy()}, geometry=geoms, crs=4326)


def dissolve(layer: gpd.GeoDataFrame, parent: dict[str, str], names: dict[str, str]) -> gpd.GeoDataFrame:
    """Merge the areas of a built layer (edge-matched, on the grid) into their parents, sorted by code.

    ``parent`` maps every area's code to its parent's, ``names`` every parent's code to its name.
    The union keeps the areas' own vertices, so no border moves. Raises ``ValueError`` for an
    area without a parent or a parent without a name.
    """
    codes = layer["code"].astype(str)
    orphans = sorted(set(codes) - parent.keys())
    unnamed = sorted({parent[c] for c in codes if c in parent} - names.keys())
    if orphans or unnamed:
        raise ValueError(f"areas without a parent: {orphans[:10]}; parents without a name: {unnamed[:10]}")
    merged_codes = codes.map(parent).to_numpy()
    geoms = shapely.make_valid(np.asarray(layer.geometry.values, dtype=object))
    out = sorted(set(merged_codes))
    merged = np.array([shapely.coverage_union_all(geoms[merged_codes == c]) for c in out], dtype=object)
    merged = shapely.orient_polygons(shapely.set_precision(merged, GRID), exterior_cw=False)
    if not shapely.coverage_is_valid(merged):
        raise ValueError("the merged areas overlap or their borders do not match")
    return gpd.GeoDataFrame({"code": out, "name": [names[c] for c in out]}, geometry=merged, crs=4326)


def fill_gaps(geoms: np.ndarray, width: float) -> np.ndarray:
    """Give every hole of the coverage narrower than ``width`` to the neighbour sharing most border with it.

    Narrower means its largest inscribed circle is: wider holes (lakes, unclaimed land) stay.
    ``geoms`` must be edge-matched (``coverage_clean``); so is the result.
    """
    if width <= 0:
        return geoms
    outline = shapely.get_parts(shapely.coverage_union_all(geoms))
    holes = np.array(
        [shapely.get_interior_ring(p, i) for p in outline for i in range(shapely.get_num_interior_rings(p))],
        dtype=object,
    )
    if not len(holes):
        return geoms
    gaps = shapely.polygons(holes)
    gaps = gaps[shapely.is_empty(shapely.buffer(gaps, -width / 2, quad_segs=2))]
    gap, area = shapely.STRtree(geoms).query(gaps, predicate="intersects")
    shared = shapely.length(shapely.intersection(shapely.boundary(gaps[gap]), geoms[area]))
    pairs = pd.DataFrame({"gap": gap, "area": area, "shared": shared})
    best = pairs.loc[pairs.groupby("gap")["shared"].idxmax()]
    filled = geoms.copy()
    for i, chosen in best.groupby("area")["gap"]:
        filled[i] = shapely.coverage_union_all(np.append(geoms[i], gaps[chosen.to_numpy()]))
    return filled


def simplify_coverage(geoms: np.ndarray, settings: Simplify) -> np.ndarray:
    """Simplify an edge-matched coverage, each area at its tolerance (see ``Simplify``).

    The result is still edge-matched: every border is simplified once, for both its sides.
    """
    union = shapely.coverage_union_all(geoms)
    xmin, ymin, xmax, ymax = union.bounds
    # The outside (sea, neighbouring countries, holes) joins the coverage as one more area of
    # the coarsest tier, so the outline is simplified like any border, at its area's tolerance.
    outside = shapely.difference(shapely.box(xmin - 1, ymin - 1, xmax + 1, ymax + 1), union)
    coverage = np.append(geoms, outside)
    tiers = settings.tiers()
    wanted = np.append(settings.relative * np.sqrt(shapely.area(geoms)), np.inf)
    tier = np.clip(np.searchsorted(tiers, wanted, side="right") - 1, 0, len(tiers) - 1)
    for i, tolerance in enumerate(tiers):
        # Pass i simplifies only the borders between areas of tier i or coarser; the subset's
        # outline, where it meets finer areas, is kept as the previous pass left it.
        subset = tier >= i
        coverage[subset] = shapely.coverage_simplify(coverage[subset], tolerance, simplify_boundary=False)
    return coverage[:-1]


def feature_collection(frame: gpd.GeoDataFrame) -> dict:
    """GeoJSON FeatureCollection: ``id`` = code, properties ``{"code", "name"}``, 4-decimal coordinates."""
    features = [
        {
            "type": "Feature",
            "id": code,
            "properties": {"code": code, "name": name},
            "geometry": _geometry(geom),
        }
        for code, name, geom in zip(frame["code"], frame["name"], frame.geometry.values, strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}


def _write_layer(frame: gpd.GeoDataFrame, key: str, target: Path) -> dict:
    return _write_frame(clean_and_simplify(frame, SIMPLIFY[key]), target, _settings(key))


def _write_frame(shaped: gpd.GeoDataFrame, target: Path, settings: dict) -> dict:
    data = _dumps(feature_collection(shaped))
    _write_atomic(target, data)
    return {
        "features": len(shaped),
        "vertices": int(shapely.get_num_coordinates(shaped.geometry.values).sum()),
        "bytes": len(data),
        "gzip_bytes": len(gzip.compress(data, compresslevel=6, mtime=0)),
        "settings": settings,
    }


def _settings(key: str) -> dict:
    return asdict(SIMPLIFY[key]) | {"decimals": DECIMALS}


def _mirror_keys() -> list[str]:
    return [k for k in SIMPLIFY if not k.startswith("ne-")]


def _polygonal(geom) -> shapely.Geometry:
    """The polygons of a repaired geometry (make_valid can add stray lines or points)."""
    if geom is None:
        return shapely.Polygon()
    polygons = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not polygons:
        return shapely.Polygon()
    return polygons[0] if len(polygons) == 1 else shapely.union_all(polygons)


def _union(geoms: pd.Series) -> shapely.Geometry:
    return geoms.iloc[0] if len(geoms) == 1 else _polygonal(shapely.union_all(geoms.to_numpy()))


def _geometry(geom) -> dict:
    polygons = [
        [_ring(p.exterior), *(_ring(r) for r in p.interiors)]
        for p in shapely.get_parts(geom)
        if not p.is_empty
    ]
    if len(polygons) == 1:
        return {"type": "Polygon", "coordinates": polygons[0]}
    return {"type": "MultiPolygon", "coordinates": polygons}


def _ring(ring) -> list:
    # round() again: grid points such as 77.12340000000001 would otherwise print in full.
    return np.round(shapely.get_coordinates(ring), DECIMALS).tolist()


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().casefold().strip()


def _dumps(value: dict, indent: int | None = None) -> bytes:
    separators = None if indent else (",", ":")
    return json.dumps(value, ensure_ascii=False, indent=indent, separators=separators).encode("utf-8")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_manifest(out_dir: Path) -> dict:
    try:
        return json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _write_atomic(target: Path, data: bytes) -> None:
    """Write beside ``target`` and rename: readers see the old file or the new one, never half."""
    # Not tempfile.mkstemp: its files are private (0600); these are served and shipped.
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "xb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _default_mirror() -> Path:
    from observatory.contract.settings import (
        Settings,  # the one declaration of OBSERVATORY_MIRROR and its default
    )

    mirror = Settings.from_env().mirror
    if not mirror or not Path(mirror).is_dir():
        raise SystemExit("no data mirror: set OBSERVATORY_MIRROR to the folder holding geo/")
    return Path(mirror)


def main(argv: list[str] | None = None) -> int:
    """Command line: build the mirror's layers into OUT_DIR, or regenerate geo/ (--natural-earth)."""
    parser = argparse.ArgumentParser(
        prog="python -m observatory.build.boundaries", description=__doc__.split("\n")[0]
    )
    parser.add_argument("out_dir", nargs="?", type=Path, help="folder for {key}.geojson and manifest.json")
    parser.add_argument(
        "--natural-earth",
        action="store_true",
        help="regenerate the shipped public-domain department layers (default folder: the repository's geo/)",
    )
    parser.add_argument(
        "--peru",
        default="mapsperu",
        choices=("mapsperu", "peru-geojson-2016"),
        help="Peru input layers (default: mapsperu)",
    )
    parser.add_argument("--force", action="store_true", help="rebuild even when the manifest says up to date")
    args = parser.parse_args(argv)
    mirror = _default_mirror()
    started = time.perf_counter()
    if args.natural_earth:
        out_dir = args.out_dir or Path(__file__).resolve().parents[2] / "geo"
        ne = mirror / "geo" / "ne-admin1"
        summary = build_natural_earth(ne / "pe_admin1_ne10m.geojson", ne / "sv_admin1_ne10m.geojson", out_dir)
    elif args.out_dir is None:
        parser.error("give OUT_DIR, or --natural-earth")
    else:
        from observatory.contract.countries import reform_files
        from observatory.contract.settings import Settings

        out_dir = args.out_dir
        layers = mirror_layers(mirror, args.peru)
        reform = reform_files(Settings.from_env().data_dir, "SV")
        if reform:
            layers = with_reform(layers, *reform, country="sv")
        summary = build_boundaries(layers, out_dir, force=args.force)
    for key, info in summary.items():
        state = "built" if info.get("built", True) else "up to date"
        print(
            f"{key:18} {info['features']:>6,} features {info['vertices']:>8,} vertices "
            f"{info['bytes'] / 1024:>8,.0f} KB {info['gzip_bytes'] / 1024:>6,.0f} KB gzip  "
            f"dropped {info.get('dropped', 0):>2}  {state} in {info['seconds']:.1f} s"
        )
    print(f"{len(summary)} layers in {out_dir} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
