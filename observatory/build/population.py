"""Population denominators for Peru, from the declared reference files.

Three sources coexist in the ``population`` table; the rate code picks, for each level and
year, the best one available and says which (see ``denominator_es`` in the catalogue):

- ``inei_proyecciones``: INEI estimates and projections by department, sex and year 1995-2030;
- ``censo_2017``: the 2017 census by district and sex, summed up to provinces and departments;
- ``estimada_2020``: 2020 population per district estimated as area x density (ubigeo table),
  flagged estimated; the only district figure that covers the newest districts.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from observatory.build.readers import read_table
from observatory.build.territories import _csv

COLUMNS = ["country", "territory_code", "year", "sex", "source", "value", "estimated", "note"]


def _roll_up(frame: pd.DataFrame) -> pd.DataFrame:
    """District rows plus their sums for provinces (4 digits), departments (2) and Peru."""
    parts = [frame]
    for width in (4, 2):
        part = frame.assign(territory_code=frame["territory_code"].str[:width])
        parts.append(
            part.groupby([c for c in COLUMNS if c != "value"], dropna=False, as_index=False)["value"].sum()
        )
    part = frame.assign(territory_code="PE")
    parts.append(
        part.groupby([c for c in COLUMNS if c != "value"], dropna=False, as_index=False)["value"].sum()
    )
    return pd.concat(parts, ignore_index=True)[COLUMNS]


def census_2017(path: Path) -> pd.DataFrame:
    t = read_table(
        path,
        {"ubigeo": ["UBIGEO"], "total": ["POBTOTAL"], "male": ["POBMASCU"], "female": ["POBFEMEN"]},
        what="the 2017 census population by district and sex",
    )
    t["territory_code"] = t["ubigeo"].str.replace(r"\.0$", "", regex=True).str.zfill(6)
    long = t.melt(id_vars=["territory_code"], value_vars=["total", "male", "female"], var_name="sex")
    long["value"] = pd.to_numeric(long["value"], errors="raise")
    long = long.assign(
        country="PE",
        year=2017,
        source="censo_2017",
        estimated=False,
        note="Censo 2017 (INEI); los distritos creados después no tienen cifra propia",
    )
    return _roll_up(long[COLUMNS])


def inei_projections(path: Path) -> pd.DataFrame:
    t = read_table(
        path,
        {"ubigeo": ["ubigeo_dep"], "sex": ["sexo"], "year": ["anio", "año"], "value": ["poblacion"]},
        what="INEI population by department, sex and year",
    )
    sex = t["sex"].str.lower().map({"total": "total", "hombres": "male", "mujeres": "female"})
    if sex.isna().any():
        raise ValueError(f"{path.name}: unknown sex labels {sorted(set(t.loc[sex.isna(), 'sex']))}")
    code = t["ubigeo"].str.zfill(2).where(t["ubigeo"].str.zfill(2) != "00", "PE")
    return pd.DataFrame(
        {
            "country": "PE",
            "territory_code": code,
            "year": t["year"].astype(int),
            "sex": sex,
            "source": "inei_proyecciones",
            "value": pd.to_numeric(t["value"]).astype(float),
            "estimated": True,
            "note": "Estimaciones y proyecciones INEI 1995-2030 (anteriores a la revisión con el censo 2017)",
        }
    )[COLUMNS]


def estimated_2020(path: Path) -> pd.DataFrame:
    t = _csv(path)
    t = t[t["inei"].str.fullmatch(r"\d{6}")]
    area = pd.to_numeric(t["superficie"], errors="coerce")
    density = pd.to_numeric(t["pob_densidad_2020"].replace("NA", None), errors="coerce")
    value = (area * density).round()
    frame = pd.DataFrame(
        {
            "country": "PE",
            "territory_code": t["inei"].str.zfill(6),
            "year": 2020,
            "sex": "total",
            "source": "estimada_2020",
            "value": value,
            "estimated": True,
            "note": "Población 2020 estimada como superficie x densidad (tabla de ubigeos); aproximada",
        }
    ).dropna(subset=["value"])
    return _roll_up(frame[COLUMNS])
