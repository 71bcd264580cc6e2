"""The naive peer of issue 6: the common one-file Dash pattern, measured beside the observatory.

Every observation of the measured indicators sits in one pandas DataFrame in memory (as a
gallery app's ``pd.read_csv`` at import time would hold it). Each interaction runs one callback
that filters that frame, groups it and returns three whole new figures: a choropleth of the
areas under the chosen one with the full boundary GeoJSON of their level inlined
(``px.choropleth_map(geojson=...)``), a time series and a ranking. Nothing is cached, nothing is
patched, the geometry travels with every response.

For benchmarks only (bench/interactions.py); the app never imports it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

# Peru's codes: 2 digits a department, 4 a province, 6 a district; the country is "PE".
LEVEL_DIGITS = {"department": 2, "province": 4, "district": 6}
CHILD_LEVEL = {0: "department", 2: "province", 4: "district", 6: "district"}


@dataclass(frozen=True)
class Request:
    """What the naive callback receives: the controls' values after the interaction."""

    indicator: str
    start: str  # YYYY-MM-01
    end: str
    area: str  # "PE" or an ubigeo
    compare: tuple[str, ...] = ()


class NaivePeer:
    """``frame``: columns indicator_id, territory_code, period, value (finest rows, any breakdowns);
    ``geojson``: the boundary layer per level, as dicts loaded once."""

    def __init__(self, frame: pd.DataFrame, geojson: dict[str, dict]):
        self.frame = frame
        self.geojson = geojson

    @classmethod
    def load(cls, warehouse: Path, indicators: list[str], geo_dir: Path) -> NaivePeer:
        """The observations of ``indicators`` (every breakdown row) and Peru's boundary layers."""
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            frame = con.execute(
                """SELECT indicator_id, territory_code, period, violence_type, sex, age_group, value
                   FROM observations WHERE list_contains($ids, indicator_id) AND country = 'PE'""",
                {"ids": indicators},
            ).df()
        finally:
            con.close()
        frame["period"] = pd.to_datetime(frame["period"])
        geojson = {
            level: json.loads((geo_dir / f"pe-{level}.geojson").read_text(encoding="utf-8"))
            for level in LEVEL_DIGITS
        }
        return cls(frame, geojson)

    def _rows(self, r: Request) -> pd.DataFrame:
        df = self.frame
        return df[(df["indicator_id"] == r.indicator) & (df["period"] >= r.start) & (df["period"] <= r.end)]

    def update(self, r: Request) -> dict[str, go.Figure]:
        """The one callback: map, series and ranking for the request, all rebuilt from the frame."""
        area = "" if r.area == "PE" else r.area
        level = CHILD_LEVEL[len(area)]
        digits = LEVEL_DIGITS[level]
        prefix = area[:4] if len(area) == 6 else area  # a district is shown among its siblings
        rows = self._rows(r)
        inside = rows[rows["territory_code"].str.startswith(prefix)] if prefix else rows
        values = (
            inside.assign(code=inside["territory_code"].str[:digits])
            .groupby("code", as_index=False)["value"]
            .sum()
        )
        choropleth = px.choropleth_map(
            values,
            geojson=self.geojson[level],
            locations="code",
            featureidkey="properties.code",
            color="value",
            color_continuous_scale="Purples",
            map_style="carto-positron",
            zoom=4.5,
            center={"lat": -9.2, "lon": -75.0},
            opacity=0.8,
        )
        lines = []
        for code in (r.area, *r.compare):
            part = rows if code == "PE" else rows[rows["territory_code"].str.startswith(code)]
            lines.append(part.groupby("period", as_index=False)["value"].sum().assign(area=code))
        series = px.line(pd.concat(lines, ignore_index=True), x="period", y="value", color="area")
        ranking = px.bar(values.sort_values("value"), x="value", y="code", orientation="h")
        return {"map": choropleth, "series": series, "ranking": ranking}
