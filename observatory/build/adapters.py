"""One adapter per kind of official file: raw file -> checked observation rows.

An adapter reads by header name (never by position), checks every cell, and returns a
``Batch`` whose rows have the ``observations`` columns, or raises ``IngestError`` naming the
file, rows and columns at fault. Adapters never touch the warehouse.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from observatory.build import checks
from observatory.build.errors import IngestError, Problem
from observatory.build.readers import ROW, normalise, read_raw, read_table
from observatory.contract.schema import BREAKDOWNS, TOTAL

OBS_COLUMNS = [
    "indicator_id",
    "country",
    "territory_code",
    "period",
    "granularity",
    *BREAKDOWNS,
    "institution",
    "value",
    "provisional",
    "status",
    "status_date",
]


@dataclass
class Context:
    """What an adapter may know about the warehouse it feeds: territories and the catalogue."""

    territories: pd.DataFrame  # country, code, level, name, parent_code
    indicators: dict[str, dict]
    crosswalks: Path
    today: dt.date = field(default_factory=dt.date.today)
    encoding: str | None = None  # None: detected (readers.decode)
    widths: dict[str, dict[str, int]] = field(default_factory=dict)  # country -> level -> code digits
    recoded: dict[tuple[str, str], str] = field(default_factory=dict)  # (country, former) -> current
    levels: dict[str, tuple[str, ...]] = field(default_factory=dict)  # country -> levels, top first

    def current(self, country: str, codes: pd.Series) -> pd.Series:
        """Former codes that were only recoded (same territory) replaced by their current code."""
        mapping = {f: n for (c, f), n in self.recoded.items() if c == country}
        return codes.map(lambda code: mapping.get(code, code)) if mapping else codes

    def levels_from(self, country: str, level: str) -> list[str]:
        """``level`` and the levels below it in the country's pack."""
        order = list(self.levels.get(country, (level,)))
        return order[order.index(level) :] if level in order else [level]

    def codes(self, country: str, level: str) -> set[str]:
        t = self.territories
        return set(t.loc[(t["country"] == country) & (t["level"] == level), "code"])

    def names(self, country: str, level: str) -> dict[str, str]:
        """Normalised name -> code, for files that give names instead of codes."""
        t = self.territories
        sel = t[(t["country"] == country) & (t["level"] == level)]
        return {normalise(n): c for n, c in zip(sel["name"], sel["code"], strict=True)}


@dataclass
class Batch:
    observations: pd.DataFrame
    rows_read: int
    rows: list[int] | None = None  # the file row of each observation, when one row is one cell

    @property
    def indicators(self) -> list[str]:
        return sorted(self.observations["indicator_id"].unique())


def _frame(**columns) -> pd.DataFrame:
    frame = pd.DataFrame(columns)
    for b in BREAKDOWNS:
        if b not in frame:
            frame[b] = TOTAL
    defaults = {"institution": "", "status": None, "status_date": pd.NaT}
    for column, default in defaults.items():
        if column not in frame:
            frame[column] = default
    frame["status_date"] = pd.to_datetime(frame["status_date"])
    frame["period"] = pd.to_datetime(frame["period"])
    frame["value"] = frame["value"].astype(float)
    frame["provisional"] = frame["provisional"].astype(bool)
    return frame[OBS_COLUMNS]


# --- MININTER SIDPOL ------------------------------------------------------------------------
# Read through data/recipes/pe_sidpol_vcm.toml; the recipe names this check, which needs the
# reporting-unit crosswalk and the department names together (a recipe cannot say that).


def _check_reporting_units(t: pd.DataFrame, ctx: Context, name: str) -> None:
    special = {}
    with open(ctx.crosswalks / "pe_reporting_units.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            special[normalise(r["label"])] = (r["province_from"], r["province_to"])
    dept_names = {code: norm for norm, code in ctx.names("PE", "department").items()}
    label = t["unit"].map({u: normalise(u) for u in t["unit"].unique()})
    prov = t["_code"].str[:4]

    def agrees(lab: str, p: str) -> bool:
        if not lab:
            return True
        if lab in special:
            lo, hi = special[lab]
            return lo <= p <= hi
        return dept_names.get(p[:2]) == lab

    bad = pd.Series([not agrees(a, b) for a, b in zip(label, prov, strict=True)], index=t.index)
    if bad.any():
        rows = t.loc[bad].head(50)
        problems = [
            Problem(int(r[ROW]), "DPTO_HECHO", f"{r['unit']} / {r['_code']}", "label contradicts the ubigeo")
            for _, r in rows.iterrows()
        ]
        raise IngestError(
            name, "reporting unit labels that contradict their ubigeo", problems, total=int(bad.sum())
        )


# --- Femicides and attempts by department, 2009-2016 (wide, two header rows) ---------------

FEMICIDE_TYPES = {"FEMINICIDIO": "pe_feminicidios", "TENTATIVA": "pe_tentativas_feminicidio"}


def feminicidio_dpto(path: Path, ctx: Context) -> Batch:
    """Wide table: row 1 years over the first of each pair, row 2 'HASC, Departamento, Feminicidio,
    Tentativa, ...'. The last year of the table is partial and flagged provisional."""
    name = path.name
    what = "the femicide table by department (HASC codes, two header rows: years, then Feminicidio/Tentativa)"
    rows = read_raw(path, encoding=ctx.encoding, what=what)
    if len(rows) < 3 or normalise(rows[1][1][0] if rows[1][1] else "") != "HASC":
        raise IngestError(
            name,
            f"this is not {what}",
            [Problem(2, "A", rows[1][1][:1] if len(rows) > 1 else None, "expected 'HASC'")],
        )
    (_, years_row), (_, types_row) = rows[0], rows[1]
    columns, year = [], None
    problems = []
    for i in range(2, len(types_row)):
        cell = years_row[i] if i < len(years_row) else ""
        if cell:
            try:
                year = int(float(cell))
            except ValueError:
                problems.append(Problem(1, _col(i), cell, "not a year"))
                continue
        kind = normalise(types_row[i])
        if not kind:
            continue
        if kind not in FEMICIDE_TYPES or year is None:
            problems.append(
                Problem(2, _col(i), types_row[i], "expected Feminicidio or Tentativa under a year")
            )
            continue
        columns.append((i, year, FEMICIDE_TYPES[kind]))
    if problems:
        raise IngestError(name, "unexpected header", problems)
    hasc = _hasc(ctx)
    records = []
    for number, values in rows[2:]:
        code = hasc.get(values[0].strip().upper())
        if code is None:
            problems.append(Problem(number, "HASC", values[0], "unknown HASC department code"))
            continue
        for i, y, indicator in columns:
            records.append(
                {
                    ROW: number,
                    "code": code,
                    "year": y,
                    "indicator": indicator,
                    "count": values[i] if i < len(values) else "",
                    "_col": _col(i),
                }
            )
    if problems:
        raise IngestError(name, "unknown department codes in HASC", problems)
    t = pd.DataFrame(records)
    value = checks.counts(t, "count", name, label="the counts")
    period = pd.to_datetime({"year": t["year"], "month": 1, "day": 1})
    checks.not_future(t, period, "count", name, ctx.today)
    checks.no_duplicates(t.assign(_p=period), ["code", "_p", "indicator"], name, ["HASC", "year", "type"])
    return Batch(
        _frame(
            indicator_id=t["indicator"],
            country="PE",
            territory_code=t["code"],
            period=period,
            granularity="year",
            value=value,
            provisional=t["year"] == t["year"].max(),
        ),
        rows_read=len(rows) - 2,
    )


def _col(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _hasc(ctx: Context) -> dict[str, str]:
    with open(ctx.crosswalks / "pe_hasc.csv", encoding="utf-8") as fh:
        return {r["hasc"]: r["ubigeo"] for r in csv.DictReader(fh)}


# CEM cases (data/recipes/pe_cem_casos.toml) and CEPAL's series (data/recipes/
# cepal_oig_feminicidios.toml) are read through their recipes (observatory.build.recipe_runner).


# --- Generic long CSV ----------------------------------------------------------------------------

GENERIC_COLUMNS = {
    "territory_code": [],
    "period": [],
    "indicator": ["indicator_id"],
    **{b: [] for b in BREAKDOWNS},
    "value": [],
    "provisional": [],
    "institution": ["institucion", "institución"],
    "status": ["estado"],
    "status_date": ["fecha_estado"],
}
STATUSES = {
    "preliminary": "preliminary",
    "preliminar": "preliminary",
    "homologated": "homologated",
    "homologado": "homologated",
    "homologada": "homologated",
    "": None,
}


def generic(path: Path, ctx: Context, *, country: str = "PE", mapping: Path | None = None) -> Batch:
    """``territory_code, period, indicator, [violence_type, sex, age_group, risk_level], value[, provisional]``.

    ``period`` is ``YYYY`` for yearly indicators or ``YYYY-MM`` for monthly ones. Codes that lost
    their leading zero are padded to the width of the level the indicator is published at. A
    mapping file (TOML, ``[columns]`` our name = their header) reads files with other headers.
    """
    name = path.name
    columns = {k: list(v) for k, v in GENERIC_COLUMNS.items()}
    if mapping is not None:
        spec = tomllib.loads(Path(mapping).read_text(encoding="utf-8"))
        for ours, theirs in spec.get("columns", {}).items():
            if ours not in columns:
                raise IngestError(
                    Path(mapping).name, f"unknown column {ours!r}; expected some of {list(columns)}"
                )
            columns[ours].insert(0, theirs)
        country = spec.get("country", country)
    what = "a generic long CSV (territory_code, period, indicator, value)"
    t = read_table(
        path,
        columns,
        optional=[*BREAKDOWNS, "provisional", "institution", "status", "status_date"],
        encoding=ctx.encoding,
        what=what,
    )
    unknown = ~t["indicator"].isin(ctx.indicators)
    if unknown.any():
        checks._fail(
            name,
            "indicators not in the catalogue (add them to data/indicators.toml first)",
            t,
            unknown,
            "indicator",
            "unknown indicator",
        )
    frames = []
    for ind_id, part in t.groupby("indicator", sort=True):
        ind = ctx.indicators[ind_id]
        level = ind["finest_level"]
        if level == "country":
            code = part["territory_code"].str.strip().str.upper()
            bad = code != country
            if bad.any():
                checks._fail(
                    name, "unknown country codes", part, bad, "territory_code", f"expected {country}"
                )
        else:
            # A territorial reform can move codes one level down (El Salvador 2024: municipalities
            # became districts, same codes): codes of the levels below the nominal one are accepted.
            below = ctx.levels_from(country, level)
            known = set().union(*(ctx.codes(country, lv) for lv in below))
            width = ctx.widths.get(country, {}).get(level, 6)
            code = ctx.current(
                country, checks.codes(part, "territory_code", name, known, width=width, what=f"{level} code")
            )
        granularity = ind["granularity"]
        pattern = r"\d{4}" if granularity == "year" else r"\d{4}-\d{2}"
        bad = ~part["period"].str.fullmatch(pattern)
        if bad.any():
            checks._fail(
                name,
                f"periods of {ind_id} must be {'YYYY' if granularity == 'year' else 'YYYY-MM'}",
                part,
                bad,
                "period",
                "wrong period format",
            )
        text = part["period"] + ("-01-01" if granularity == "year" else "-01")
        period = pd.to_datetime(text, errors="coerce", format="%Y-%m-%d")
        bad = period.isna()
        if bad.any():
            checks._fail(name, "invalid periods", part, bad, "period", "not a valid date")
        checks.not_future(part, period, "period", name, ctx.today)
        value = checks.counts(part, "value", name)
        breakdowns = {b: part[b].map(lambda v: checks.slug(v) or TOTAL) for b in BREAKDOWNS}
        allowed = set(filter(None, ind["breakdowns"].split(",")))
        for b, series in breakdowns.items():
            if b not in allowed and (series != TOTAL).any():
                checks._fail(
                    name,
                    f"{ind_id} has no {b} breakdown in the catalogue",
                    part,
                    series != TOTAL,
                    b,
                    "breakdown not allowed",
                )
        provisional = part["provisional"].str.lower().isin(["1", "true", "yes", "si", "sí", "provisional"])
        status_key = part["status"].str.strip().str.lower()
        bad = ~status_key.isin(STATUSES)
        if bad.any():
            checks._fail(
                name, "status must be preliminary or homologated", part, bad, "status", "unknown status"
            )
        status_date = pd.to_datetime(
            part["status_date"].replace("", None), errors="coerce", format="%Y-%m-%d"
        )
        bad = (part["status_date"] != "") & status_date.isna()
        if bad.any():
            checks._fail(name, "status_date must be YYYY-MM-DD", part, bad, "status_date", "not a date")
        frames.append(
            pd.DataFrame(
                {
                    ROW: part[ROW],
                    "indicator_id": ind_id,
                    "country": country,
                    "territory_code": code,
                    "period": period,
                    "granularity": granularity,
                    **breakdowns,
                    "institution": part["institution"].str.strip(),
                    "value": value,
                    "provisional": provisional,
                    "status": status_key.map(STATUSES),
                    "status_date": status_date,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    checks.no_duplicates(
        out,
        ["indicator_id", "territory_code", "period", *BREAKDOWNS, "institution"],
        name,
        ["indicator", "territory_code", "period", "breakdowns"],
    )
    return Batch(_frame(**{c: out[c] for c in OBS_COLUMNS}), rows_read=len(t), rows=out[ROW].tolist())


# --- MIMP national aggregates (JSON) ------------------------------------------------------------

MIMP_SERIES = {
    "feminicidios": "pe_feminicidios_mimp_nacional",
    "tentativas_feminicidio": "pe_tentativas_mimp_nacional",
}


def mimp_agregados(path: Path, ctx: Context) -> Batch:
    """``{"feminicidios": {"por_anio": [{"anio": 2012, "cantidad": 81}, ...]}, ...}``: national yearly series."""
    import json

    name = path.name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise IngestError(name, f"not a JSON file of MIMP aggregates: {exc}") from None
    records = []
    for key, indicator in MIMP_SERIES.items():
        series = data.get(key, {}).get("por_anio") if isinstance(data.get(key), dict) else None
        if not isinstance(series, list):
            raise IngestError(
                name, f"missing {key}.por_anio: this does not look like the MIMP aggregates file"
            )
        for i, item in enumerate(series):
            records.append(
                {
                    ROW: i + 1,
                    "indicator": indicator,
                    "year": str(item.get("anio", "")),
                    "count": str(item.get("cantidad", "")),
                }
            )
    t = pd.DataFrame(records)
    year = checks.years(t, "year", name)
    value = checks.counts(t, "count", name, label="cantidad")
    period = pd.to_datetime({"year": year, "month": 1, "day": 1})
    checks.not_future(t, period, "year", name, ctx.today)
    checks.no_duplicates(t, ["indicator", "year"], name, ["series", "anio"])
    return Batch(
        _frame(
            indicator_id=t["indicator"],
            country="PE",
            territory_code="PE",
            period=period,
            granularity="year",
            value=value,
            provisional=False,
        ),
        rows_read=len(t),
    )


# --- Official population tables --------------------------------------------------------------

POPULATION_COLUMNS = {
    "territory_code": ["ubigeo", "codigo", "code"],
    "year": ["año", "anio", "ano"],
    "sex": ["sexo"],
    "value": ["poblacion", "población", "population"],
}
SEXES = {
    "total": "total",
    "ambos": "total",
    "female": "female",
    "mujeres": "female",
    "mujer": "female",
    "f": "female",
    "male": "male",
    "hombres": "male",
    "hombre": "male",
    "m": "male",
}


def population_table(path: Path, ctx: Context, *, country: str = "PE") -> pd.DataFrame:
    """``territory_code, year, sex, value``: an official population table that replaces the estimates.

    Codes of any level of the country; sex as total/female/male (or mujeres/hombres).
    """
    name = path.name
    t = read_table(
        path,
        POPULATION_COLUMNS,
        encoding=ctx.encoding,
        what="a population table (territory_code, year, sex, value)",
    )
    t = t.assign(territory_code=t["territory_code"].str.strip().str.upper())
    known = set(ctx.territories.loc[ctx.territories["country"] == country, "code"])
    # Spreadsheets drop leading zeros: pad odd-length numeric codes to the even width they had.
    code = t["territory_code"].where(
        ~t["territory_code"].str.fullmatch(r"\d+") | (t["territory_code"].str.len() % 2 == 0),
        "0" + t["territory_code"],
    )
    code = code.where(code != country, country)
    bad = ~code.isin(known)
    if bad.any():
        checks._fail(
            name,
            f"unknown territory codes of {country}",
            t,
            bad,
            "territory_code",
            "unknown territory code",
            code,
        )
    year = checks.years(t, "year", name, first=1900)
    sex = checks.mapped(
        t, "sex", name, lambda v: SEXES.get(str(v).strip().lower()), "sex label (total, female, male)"
    )
    value = pd.to_numeric(t["value"].str.replace(",", "", regex=False), errors="coerce")
    bad = value.isna() | (value < 0)
    if bad.any():
        checks._fail(
            name, "population values must be non-negative numbers", t, bad, "value", "not a population"
        )
    frame = pd.DataFrame({ROW: t[ROW], "territory_code": code, "year": year, "sex": sex, "value": value})
    checks.no_duplicates(frame, ["territory_code", "year", "sex"], name, ["territory_code", "year", "sex"])
    return frame.drop(columns=[ROW]).assign(country=country, estimated=False)


# --- Service directory -------------------------------------------------------------------------

SERVICE_COLUMNS = {
    "id": ["codigo_servicio", "service_id"],
    "type": ["tipo", "tipo_servicio", "service_type"],
    "service_name": ["nombre_servicio", "nombre_centro"],
    "territory_code": ["ubigeo", "district_code"],
    "lat": ["latitud", "latitude"],
    "lon": ["longitud", "longitude"],
    "open_24h": ["24h", "atiende_24h", "open_24_hours"],
}
SHELTER_TYPES = {"HOGAR_REFUGIO", "HOGAR_DE_REFUGIO_TEMPORAL", "HRT", "REFUGIO", "CASA_REFUGIO", "SHELTER"}
COUNTRY_BOXES = {"PE": (-18.6, 0.2, -81.5, -68.5), "SV": (13.0, 14.5, -90.2, -87.6)}  # lat, lat, lon, lon
YES = {"si", "sí", "s", "yes", "y", "true", "1", "x"}
NO = {"no", "n", "false", "0", ""}


def services_directory(path: Path, ctx: Context, *, country: str = "PE", release: str | None = None):
    """The service directory: ``id, type, service_name, territory_code, lat, lon, open_24h``.

    Returns (points, batch): the points for the ``service_points`` table and the count of points
    per district as observations of ``pe_puntos_atencion`` for the release's year. Shelters keep
    only their type and district: their name and coordinates are dropped here, so no later step
    can ever publish them.
    """
    name = path.name
    what = "a service directory (id, type, service_name, territory_code, lat, lon, open_24h)"
    t = read_table(
        path,
        SERVICE_COLUMNS,
        optional=["service_name", "lat", "lon", "open_24h"],
        encoding=ctx.encoding,
        what=what,
    )
    return service_points(t, ctx, name, country=country, release=release)


def service_points(t: pd.DataFrame, ctx: Context, name: str, *, country: str, release: str | None):
    """Points and counts from a table already read into the canonical service columns (as
    ``services_directory`` and the directory recipes read it). Shelters lose their name and
    coordinates here."""
    if not release or not re.fullmatch(r"\d{4}(-\d{2})?", release):
        raise IngestError(
            name, "a service directory needs --release YYYY (or YYYY-MM): the date it describes"
        )
    kind = t["type"].map(lambda v: checks.slug(v).upper())
    bad = kind == ""
    if bad.any():
        checks._fail(name, "service points without a type", t, bad, "type", "empty type")
    code = checks.codes(
        t, "territory_code", name, ctx.codes(country, "district"), width=6, what="district code"
    )
    shelter = kind.isin(SHELTER_TYPES)
    lat = pd.to_numeric(t["lat"].str.replace(",", ".", regex=False), errors="coerce")
    lon = pd.to_numeric(t["lon"].str.replace(",", ".", regex=False), errors="coerce")
    lo_lat, hi_lat, lo_lon, hi_lon = COUNTRY_BOXES.get(country, (-90, 90, -180, 180))
    given = (t["lat"] != "") | (t["lon"] != "")
    outside = ~shelter & given & ~(lat.between(lo_lat, hi_lat) & lon.between(lo_lon, hi_lon))
    if outside.any():
        checks._fail(
            name,
            f"coordinates outside {country} (latitude, longitude in decimal degrees)",
            t,
            outside,
            "lat",
            "outside the country",
            t["lat"] + ", " + t["lon"],
        )
    flag = t["open_24h"].str.strip().str.lower()
    bad = ~flag.isin(YES | NO)
    if bad.any():
        checks._fail(name, "open_24h must be si/no", t, bad, "open_24h", "not si/no")
    checks.no_duplicates(t, ["id"], name, ["id"])
    points = pd.DataFrame(
        {
            "country": country,
            "id": t["id"].str.strip(),
            "type": kind,
            "name": t["service_name"].where(~shelter & (t["service_name"] != "")),
            "territory_code": code,
            "lat": lat.where(~shelter),
            "lon": lon.where(~shelter),
            "open_24h": flag.isin(YES).where(t["open_24h"] != ""),
            "is_shelter": shelter,
            "release": release,
        }
    )
    counts = points.groupby("territory_code", as_index=False).size()
    year = int(release[:4])
    batch = Batch(
        _frame(
            indicator_id="pe_puntos_atencion",
            country=country,
            territory_code=counts["territory_code"],
            period=pd.Timestamp(year, 1, 1),
            granularity="year",
            value=counts["size"],
            provisional=False,
        ),
        rows_read=len(t),
    )
    return points, batch


# What a recipe cannot say stays in code: the femicide table's two header rows (years over pairs
# of columns), MIMP's JSON document, and the generic long CSV (itself the declarative format).
ADAPTERS: dict[str, Callable[..., Batch]] = {
    "feminicidio_dpto": feminicidio_dpto,
    "mimp_agregados": mimp_agregados,
    "generic": generic,
}
