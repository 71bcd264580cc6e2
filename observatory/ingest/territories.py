"""Peru's territorial register: every department, province and district code, with names and vintages.

The register is the union of two reference tables, because neither alone is complete:
mapsPERU 2.0.0 (1,891 current districts, names with accents) and the INEI ubigeo table
(1,892 rows: two codes retired in 2014, one newer district, and one row with no INEI code).
A code known to either is valid; whether it has a polygon depends on the boundary layer in use.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd

UNASSIGNED = "99"  # 'No especificado': counts whose department the source does not give
COUNTRY_NAMES = {"PE": "Perú", "SV": "El Salvador"}


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _valid(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["inei"].str.fullmatch(r"\d{6}")]


def _centre(record: dict) -> tuple[float | None, float | None]:
    return _num(record.get("coords_x")), _num(record.get("coords_y"))


def _num(value: str) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def boundary_codes(path: Path) -> set[str]:
    """District codes that have a polygon in a boundary layer (attribute CSV or GeoJSON)."""
    if path.suffix == ".csv":
        return set(_csv(path)["COD_DISTRITO"].str.zfill(6))
    with open(path, encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    out = set()
    for feat in features:
        props = feat["properties"]
        code = props.get("COD_DISTRITO") or props.get("IDDIST") or feat.get("id")
        out.add(str(code).zfill(6))
    return out


def peru(paths: dict[str, Path], boundaries: set[str], layer: str) -> pd.DataFrame:
    """All Peru territories as rows of the ``territories`` table.

    ``paths`` holds the declared reference files by key (district_names, province_names,
    department_names from mapsPERU; districts, provinces, departments from the ubigeo table).
    ``boundaries`` are the district codes of the boundary layer named ``layer``.
    """
    rows: list[dict] = [
        {"country": "PE", "code": "PE", "level": "country", "name": COUNTRY_NAMES["PE"], "parent_code": None}
    ]
    # The ubigeo table writes missing values as "NA" (one row has no INEI code at all).
    ub_dep, ub_prov, ub_dist = (_valid(_csv(paths[key])) for key in ("departments", "provinces", "districts"))
    mp_dep, mp_prov, mp_dist = (
        _csv(paths["department_names"]),
        _csv(paths["province_names"]),
        _csv(paths["district_names"]),
    )

    geo = {r["inei"]: r for r in pd.concat([ub_dep, ub_prov, ub_dist]).to_dict("records")}

    def add(code6: str, level: str, name: str, parent: str, note: str | None = None, centre=None) -> None:
        """``centre``: mapsPERU's interior point (lon, lat); else the capital's coordinates."""
        width = {"department": 2, "province": 4, "district": 6}[level]
        info = geo.get(code6, {})
        lon, lat = (
            centre
            if centre and None not in centre
            else (_num(info.get("longitude")), _num(info.get("latitude")))
        )
        rows.append(
            {
                "country": "PE",
                "code": code6[:width],
                "level": level,
                "name": name,
                "parent_code": parent,
                "vintage_note": note,
                "area_km2": _num(info.get("superficie")),
                "lat": lat,
                "lon": lon,
            }
        )

    for r in mp_dep.to_dict("records"):
        add(r["COD_DEPARTAMENTO"].zfill(6), "department", r["DEPARTAMENTO"], "PE", centre=_centre(r))
    for r in mp_prov.to_dict("records"):
        code = r["COD_PROVINCIA"].zfill(6)
        add(code, "province", r["PROVINCIA"], code[:2], centre=_centre(r))
    current = set()
    for r in mp_dist.to_dict("records"):
        code = r["COD_DISTRITO"].zfill(6)
        current.add(code)
        add(code, "district", r["DISTRITO"], code[:4], centre=_centre(r))
    known_prov = {r["code"] for r in rows if r["level"] == "province"}
    for r in ub_prov.to_dict("records"):
        if r["inei"] and r["inei"][:4] not in known_prov:
            add(r["inei"], "province", r["provincia"].title(), r["inei"][:2], "only in the INEI ubigeo table")
    for r in ub_dist.to_dict("records"):
        code = r["inei"]
        if code and code not in current:
            note = "in the INEI ubigeo table but not in mapsPERU 2.0.0: a retired code or a district not yet mapped"
            add(code, "district", r["distrito"].title(), code[:4], note)
    rows.append(
        {
            "country": "PE",
            "code": UNASSIGNED,
            "level": "department",
            "name": "No especificado",
            "parent_code": "PE",
            "vintage_note": "unassigned: counts whose source gives no department",
        }
    )
    frame = pd.DataFrame(rows)
    is_district = frame["level"] == "district"
    frame["has_boundary"] = ~is_district | frame["code"].isin(boundaries)
    frame.loc[frame["code"] == UNASSIGNED, "has_boundary"] = False
    no_polygon = is_district & ~frame["has_boundary"]
    frame.loc[no_polygon, "vintage_note"] = (
        frame.loc[no_polygon, "vintage_note"]
        .fillna("")
        .map(lambda n: "; ".join(x for x in (n, f"no polygon in the boundary layer {layer}") if x))
    )
    return frame


def countries(path: Path) -> pd.DataFrame:
    """Country-level rows for every country of the multi-country series (crosswalk file)."""
    with open(path, encoding="utf-8") as fh:
        records = list(csv.DictReader(fh))
    return pd.DataFrame(
        [
            {
                "country": r["iso2"],
                "code": r["iso2"],
                "level": "country",
                "name": r["name_es"],
                "parent_code": None,
            }
            for r in records
            if r["iso2"] != "PE"
        ]
    ).assign(has_boundary=False)
