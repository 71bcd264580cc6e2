"""Peru's territorial register: every department, province and district code, with names and vintages.

The register is the union of two reference tables, because neither alone is complete:
mapsPERU 2.0.0 (1,891 current districts, names with accents) and the INEI ubigeo table
(1,892 rows: two codes retired in 2014, one newer district, and one row with no INEI code).
A code known to either is valid; whether it has a polygon depends on the boundary layer in use.
Neither table dates its codes: the vintages come from the crosswalk of former codes (``vintages``).
"""

from __future__ import annotations

import csv
import json
import re
import tomllib
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


_PARTICLES = {"de", "del", "la", "las", "los", "el", "y", "e"}


def spanish_title(name: str) -> str:
    """``SAN JOSE DE LA MONTAÑA`` -> ``San Jose de la Montaña``: a file written in capitals, in
    the case Spanish names take (accents the file lacks cannot be restored: see ``[names]``)."""
    words = name.lower().split()
    return " ".join(
        w if i and w in _PARTICLES else "-".join(p[:1].upper() + p[1:] for p in w.split("-"))
        for i, w in enumerate(words)
    )


def columns(table: pd.DataFrame, spec: str | list[str]) -> pd.Series:
    """A pack's column reference: one column, or a list of columns whose stripped values are
    joined (Bolivia's files give a province as department ``idep`` + ``iprov``: ``02`` + ``01``)."""
    names = [spec] if isinstance(spec, str) else list(spec)
    missing = [n for n in names if n not in table.columns]
    if missing:
        raise ValueError(f"columns {missing} not in the file (it has {list(table.columns)[:12]})")
    out = table[names[0]].str.strip()
    for name in names[1:]:
        out = out + table[name].str.strip()
    return out


def declarative(pack, locate, data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Territories and population of a country pack whose ``loader`` is 'declarative'.

    ``locate(source, key) -> Path`` finds a declared file. Codes are padded to the pack's widths,
    names replaced by the pack's official spellings, and the pack's reform applied when the
    observatory has supplied its files.
    """
    rows = [
        {
            "country": pack.code,
            "code": pack.code,
            "level": "country",
            "name": pack.name_es,
            "parent_code": None,
        }
    ]
    for spec in pack.territories:
        table = _csv(locate(spec["file"]["source"], spec["file"]["key"]))
        level = spec["level"]
        code = columns(table, spec["code"])
        keep = code != ""
        table, code = table[keep], code[keep].map(lambda c, lv=level: pack.pad(c, lv))
        parent_level = pack.parent_level(level)
        parent = (
            columns(table, spec["parent"]).map(lambda c, lv=parent_level: pack.pad(c, lv))
            if spec.get("parent")
            else pd.Series(pack.code, index=table.index)
        )
        frame = pd.DataFrame(
            {
                "country": pack.code,
                "code": code,
                "level": level,
                "name": table[spec["name"]].str.strip(),
                "parent_code": parent,
                "area_km2": pd.to_numeric(table[spec["area_km2"]], errors="coerce")
                if spec.get("area_km2")
                else None,
            }
        ).drop_duplicates("code")
        if spec.get("name_case") == "title":
            frame["name"] = frame["name"].map(spanish_title)
        official = pack.names.get(level, {})
        frame["name"] = [official.get(c, n) for c, n in zip(frame["code"], frame["name"], strict=True)]
        notes = pack.notes.get(level, {})
        if notes:
            frame["vintage_note"] = frame["code"].map(notes)
        rows += frame.to_dict("records")
    territories = pd.DataFrame(rows)
    territories = _apply_reform(pack, territories, data_dir)
    territories["has_boundary"] = territories["level"].isin(list(pack.boundaries))
    parts = []
    for spec in pack.population:
        level = spec.get("level", pack.levels[-1])
        path = locate(spec["file"]["source"], spec["file"]["key"])
        table = _csv(path)
        table = table[table[spec["code"]].str.strip() != ""]
        codes = set(table[spec["code"]].str.strip().map(lambda c, lv=level: pack.pad(c, lv)))
        unknown = sorted(codes - set(territories["code"]))
        if unknown:  # their people would be lost from every sum above them
            raise ValueError(f"{Path(path).name}: population codes that are not territories: {unknown[:10]}")
        for sex, column in spec["columns"].items():
            parts.append(
                pd.DataFrame(
                    {
                        "country": pack.code,
                        "territory_code": table[spec["code"]]
                        .str.strip()
                        .map(lambda c, lv=level: pack.pad(c, lv)),
                        "year": int(spec["year"]),
                        "sex": sex,
                        "source": spec["source"],
                        "value": pd.to_numeric(table[column], errors="coerce"),
                        "estimated": False,
                        "note": f"{spec['source']} ({Path(spec['file']['key']).name})",
                    }
                )
            )
    population = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if not population.empty:
        population = _roll_population(population, territories)
    return territories, population


def _roll_population(population: pd.DataFrame, territories: pd.DataFrame) -> pd.DataFrame:
    """Sum the finest population rows up to every ancestor (the country included)."""
    parent = dict(zip(territories["code"], territories["parent_code"], strict=True))
    out = [population]
    current = population
    while True:
        up = current.assign(territory_code=current["territory_code"].map(parent)).dropna(
            subset=["territory_code"]
        )
        if up.empty:
            break
        up = up.groupby(
            ["country", "territory_code", "year", "sex", "source", "estimated", "note"], as_index=False
        )["value"].sum()
        out.append(up)
        current = up
    return pd.concat(out, ignore_index=True)


def _apply_reform(pack, territories: pd.DataFrame, data_dir: Path) -> pd.DataFrame:
    """El Salvador 2024: former municipalities become districts of the new municipalities.

    Applied only when the observatory has supplied both reform files; codes come from them, and
    district names from the crosswalk's optional ``former_name`` column.
    """
    reform = pack.reform
    if not reform:
        return territories
    municipalities = Path(data_dir) / reform["municipalities"]
    crosswalk = Path(data_dir) / reform["crosswalk"]
    if not (municipalities.exists() and crosswalk.exists()):
        return territories
    new = _csv(municipalities)
    links = _csv(crosswalk)
    former = territories["level"] == "municipality"
    known = set(territories.loc[former, "code"])
    mapping = {
        pack.pad(r["former_code"], "district"): r["municipality_code"].strip()
        for r in links.to_dict("records")
    }
    unknown = sorted(set(mapping) - known)
    missing = sorted(known - set(mapping))
    if unknown or missing:
        raise ValueError(
            f"{crosswalk.name}: former codes not among the municipalities: {unknown[:10]}; "
            f"municipalities without a new municipality: {missing[:10]}"
        )
    undeclared = sorted(set(mapping.values()) - set(new["code"].str.strip()))
    if undeclared:
        raise ValueError(
            f"{crosswalk.name}: municipality codes not in {municipalities.name}: {undeclared[:10]}"
        )
    territories = territories.copy()
    territories.loc[former, "level"] = "district"
    territories.loc[former, "parent_code"] = territories.loc[former, "code"].map(mapping)
    if "former_name" in links:  # the decree's spelling, with the accents the boundary file lacks
        spelled = {
            pack.pad(r["former_code"], "district"): r["former_name"].strip()
            for r in links.to_dict("records")
            if r["former_name"].strip()
        }
        codes = territories.loc[former, "code"]
        territories.loc[former, "name"] = codes.map(spelled).fillna(territories.loc[former, "name"])
    territories.loc[former, "vintage_note"] = (
        f"municipio hasta el {reform['valid_from']}; distrito desde entonces"
    )
    added = pd.DataFrame(
        {
            "country": pack.code,
            "code": new["code"].str.strip(),
            "level": "municipality",
            "name": new["name"].str.strip(),
            "parent_code": new["department"].str.strip().map(lambda c: pack.pad(c, "department")),
            "valid_from": pd.Timestamp(reform["valid_from"]).date(),
            "vintage_note": f"municipio creado por la reforma del {reform['valid_from']}",
        }
    )
    return pd.concat([territories, added], ignore_index=True)


def groups(folder: Path, territories: pd.DataFrame) -> pd.DataFrame:
    """Every group file in ``folder`` as rows of ``territory_groups``; unknown codes stop the build."""
    rows = []
    known = set(zip(territories["country"], territories["code"], strict=True))
    for path in sorted(Path(folder).glob("*.toml")):
        spec = tomllib.loads(path.read_text(encoding="utf-8"))
        missing = [k for k in ("id", "country", "name_es", "name_en", "members") if k not in spec]
        if missing:
            raise ValueError(f"{path.name}: missing {', '.join(missing)}")
        if not re.fullmatch(r"[a-z0-9_]+", spec["id"]):
            raise ValueError(f"{path.name}: id {spec['id']!r} must be lowercase letters, digits and _")
        unknown = [m for m in spec["members"] if (spec["country"], m) not in known]
        if unknown:
            raise ValueError(f"{path.name}: unknown territory codes {unknown} for {spec['country']}")
        rows += [
            {
                "country": spec["country"],
                "group_id": spec["id"],
                "territory_code": member,
                "name_es": spec["name_es"],
                "name_en": spec["name_en"],
                "description_es": spec.get("description_es"),
                "description_en": spec.get("description_en"),
            }
            for member in spec["members"]
        ]
    return pd.DataFrame(rows)


def changes(path: Path, country: str, territories: pd.DataFrame) -> pd.DataFrame:
    """The crosswalk of former codes; both codes must be in the register."""
    table = _csv(path)
    known = set(territories.loc[territories["country"] == country, "code"])
    unknown = sorted((set(table["former_code"]) | set(table["current_code"])) - known)
    if unknown:
        raise ValueError(f"{path.name}: codes not in the territorial register: {unknown}")
    bad = sorted(set(table["kind"]) - {"recoded", "split"})
    if bad:
        raise ValueError(f"{path.name}: kind must be recoded or split, not {bad}")
    return table.assign(country=country)[["country", "former_code", "current_code", "kind", "note"]]


_YEAR = re.compile(r"\((\d{4})\)")


def change_year(note: str | None) -> int | None:
    """The year of a change as the crosswalk's note gives it, ``(2014)``; None unless exactly one."""
    years = set(_YEAR.findall(note or ""))
    return int(years.pop()) if len(years) == 1 else None


def vintages(territories: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """``valid_from`` and ``valid_to`` from the crosswalk of former codes (``changes``).

    A former code stopped being valid in the year of its change, and the current code it went
    to began in that year. The crosswalk gives only the year, so ``valid_from`` is 1 January and
    ``valid_to`` 31 December of it (both inclusive), and the note says so. Dates already set (a
    country pack's reform) are kept; every other code stays NULL: no reference table dates it.
    """
    out = territories.copy()
    for column in ("valid_from", "valid_to"):
        out[column] = pd.to_datetime(out[column]) if column in out else pd.NaT
    notes = (
        out["vintage_note"].copy()
        if "vintage_note" in out
        else pd.Series(None, index=out.index, dtype=object)
    )
    at = {key: i for i, key in zip(out.index, zip(out["country"], out["code"], strict=True), strict=True)}
    for change in changes.to_dict("records"):
        year = change_year(change["note"])
        if year is None:
            continue
        former, current, kind = change["former_code"], change["current_code"], change["kind"]
        for code, column, date, text in (
            (former, "valid_to", pd.Timestamp(year, 12, 31), f"code replaced by {current} in {year}"),
            (current, "valid_from", pd.Timestamp(year, 1, 1), f"code in use from {year}, after {former}"),
        ):
            i = at.get((change["country"], code))
            if i is None or pd.notna(out.at[i, column]):
                continue
            out.at[i, column] = date
            text = f"{text} ({kind}; only the year is known)"
            notes[i] = "; ".join(x for x in (notes[i], text) if isinstance(x, str) and x)
    out["vintage_note"] = notes
    return out
