"""The naive peer of issues 6 and 18: the common one-file Dash pattern, measured beside the observatory.

Every observation of the measured indicators sits in one pandas DataFrame in memory (as a
gallery app's ``pd.read_csv`` at import time would hold it). Each interaction runs one callback
that filters that frame, groups it and returns three whole new figures: a choropleth of the
areas under the chosen one with the full boundary GeoJSON of their level inlined
(``px.choropleth_map(geojson=...)``), a time series and a ranking. Nothing is cached, nothing is
patched, the geometry travels with every response.

``NaivePeer.update`` is that callback's body (bench/interactions.py times it alone);
``create_app`` serves it as the real Dash app (bench/browser.py drives it in Chromium beside the
observatory), with the observatory's control ids so that the same clicks work on both:
``f-department``, ``f-from``, ``f-to``, ``f-compare``, ``f-measure`` (count / rate) and a click
on the map (``map``) to drill down; the first view comes from the query string (``area``,
``from``, ``to``, ``compare``, ``measure``), read when the page is served. Served by gunicorn:
``gunicorn 'bench.naive:wsgi()'`` with ``NAIVE_WAREHOUSE`` (default: the real warehouse),
``NAIVE_INDICATOR`` (default ``pe_denuncias_vcm``) and ``NAIVE_GEO`` (default: the ``geo``
folder beside the warehouse).

For benchmarks only; the observatory never imports it. The basemap is plotly's ``white-bg``,
as the observatory's: no tiles are fetched from the internet by either.
"""

from __future__ import annotations

import json
import os
import urllib.parse
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
    measure: str = "count"  # or "rate": per 100 000 women


class NaivePeer:
    """``frame``: columns indicator_id, territory_code, period, value (finest rows, any breakdowns);
    ``geojson``: the boundary layer per level, as dicts loaded once; ``population``: columns
    territory_code, value (each district's latest female population), for rates."""

    def __init__(self, frame: pd.DataFrame, geojson: dict[str, dict], population: pd.DataFrame | None = None):
        self.frame = frame
        self.geojson = geojson
        self.population = population

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
            population = con.execute(
                """SELECT territory_code, arg_max(value, year) AS value FROM population
                   WHERE country = 'PE' AND sex = 'female' AND length(territory_code) = 6
                   GROUP BY territory_code"""
            ).df()
        finally:
            con.close()
        frame["period"] = pd.to_datetime(frame["period"])
        geojson = {
            level: json.loads((geo_dir / f"pe-{level}.geojson").read_text(encoding="utf-8"))
            for level in LEVEL_DIGITS
        }
        return cls(frame, geojson, population)

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
        if r.measure == "rate":
            values = self._per_women(values, r, digits)
        choropleth = px.choropleth_map(
            values,
            geojson=self.geojson[level],
            locations="code",
            featureidkey="properties.code",
            color="value",
            color_continuous_scale="Purples",
            map_style="white-bg",
            zoom=4.5,
            center={"lat": -9.2, "lon": -75.0},
            opacity=0.8,
        )
        lines = []
        for code in (r.area, *r.compare):
            part = rows if code == "PE" else rows[rows["territory_code"].str.startswith(code)]
            line = part.groupby("period", as_index=False)["value"].sum()
            if r.measure == "rate":
                women = self._women(code)
                line["value"] = line["value"] / women * 100_000 if women else float("nan")
            lines.append(line.assign(area=code))
        series = px.line(pd.concat(lines, ignore_index=True), x="period", y="value", color="area")
        ranking = px.bar(values.sort_values("value"), x="value", y="code", orientation="h")
        return {"map": choropleth, "series": series, "ranking": ranking}

    def _per_women(self, values: pd.DataFrame, r: Request, digits: int) -> pd.DataFrame:
        """Values per 100 000 women (each district's latest female population, summed per area)."""
        pop = self.population
        women = (
            pop.assign(code=pop["territory_code"].str[:digits])
            .groupby("code", as_index=False)["value"]
            .sum()
            .rename(columns={"value": "women"})
        )
        out = values.merge(women, on="code", how="left")
        out["value"] = out["value"] / out["women"] * 100_000
        return out[["code", "value"]]

    def _women(self, code: str) -> float:
        pop = self.population
        part = pop if code == "PE" else pop[pop["territory_code"].str.startswith(code)]
        return float(part["value"].sum())


# --- the naive peer as a Dash app (bench/browser.py) ---------------------------------------------


def _names(warehouse: Path) -> dict[str, str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "SELECT code, name FROM territories WHERE country = 'PE' AND level IN ('department', 'province')"
        ).fetchall()
    finally:
        con.close()
    return dict(rows)


def _page_args() -> dict[str, str]:
    """The page's query string: Dash asks for the layout from the page (``/_dash-layout``), so the
    page's own address is the request's referrer; a request for the page itself has it in its URL."""
    import flask

    if not flask.has_request_context():
        return {}
    if flask.request.path.endswith("/_dash-layout") and flask.request.referrer:
        query = urllib.parse.urlsplit(flask.request.referrer).query
        return dict(urllib.parse.parse_qsl(query))
    return dict(flask.request.args)


def _month(value: str | None) -> str | None:
    return f"{value}-01" if value else None


def create_app(peer: NaivePeer, indicator: str, names: dict[str, str]):
    """The one-file app: the controls, three graphs and one callback that rebuilds them all."""
    from dash import Dash, Input, Output, State, ctx, dcc, html

    months = sorted(peer.frame.loc[peer.frame["indicator_id"] == indicator, "period"].unique())
    periods = [pd.Timestamp(m).strftime("%Y-%m") for m in months]
    period_options = [{"label": p, "value": p} for p in reversed(periods)]
    departments = sorted((c for c in names if len(c) == 2), key=lambda c: names[c])
    places = sorted(names, key=lambda c: (len(c), names[c]))
    app = Dash(__name__, title="naive peer")

    def layout():
        args = _page_args()
        area = args.get("area") or "PE"
        end = args.get("to") or periods[-1]
        start = args.get("from") or periods[max(0, periods.index(end) - 11)]
        compare = [c for c in (args.get("compare") or "").split(",") if c]
        measure = args.get("measure") or "rate"
        return html.Main(
            [
                html.H1("Naive peer"),
                dcc.Store(id="area", data=area),
                dcc.Dropdown(
                    id="f-department",
                    options=[{"label": names[c], "value": c} for c in departments],
                    value=area[:2] if area != "PE" else None,
                    placeholder="Perú",
                ),
                dcc.Dropdown(id="f-from", options=period_options, value=start, clearable=False),
                dcc.Dropdown(id="f-to", options=period_options, value=end, clearable=False),
                dcc.RadioItems(
                    id="f-measure",
                    options=[{"label": "Número", "value": "count"}, {"label": "Tasa", "value": "rate"}],
                    value=measure,
                ),
                dcc.Dropdown(
                    id="f-compare",
                    options=[{"label": names[c], "value": c} for c in places],
                    value=compare,
                    multi=True,
                ),
                dcc.Graph(id="map", style={"height": "520px"}),
                dcc.Graph(id="series"),
                dcc.Graph(id="ranking"),
            ]
        )

    app.layout = layout

    @app.callback(
        Output("map", "figure"),
        Output("series", "figure"),
        Output("ranking", "figure"),
        Output("area", "data"),
        Input("f-department", "value"),
        Input("f-from", "value"),
        Input("f-to", "value"),
        Input("f-compare", "value"),
        Input("f-measure", "value"),
        Input("map", "clickData"),
        State("area", "data"),
    )
    def update(department, start, end, compare, measure, click, area):
        if ctx.triggered_id == "f-department":
            area = department or "PE"
        elif ctx.triggered_id == "map" and click:
            clicked = click["points"][0]["location"]
            area = clicked if len(clicked) < 6 else area
        figs = peer.update(
            Request(indicator, _month(start), _month(end), area or "PE", tuple(compare or ()), measure)
        )
        return figs["map"], figs["series"], figs["ranking"], area

    return app


def wsgi():
    """The Flask server for gunicorn (``'bench.naive:wsgi()'``), from the NAIVE_* variables."""
    from observatory.contract.settings import Settings

    warehouse = Path(os.environ.get("NAIVE_WAREHOUSE") or Settings.from_env().warehouse_path)
    indicator = os.environ.get("NAIVE_INDICATOR", "pe_denuncias_vcm")
    geo = Path(os.environ.get("NAIVE_GEO") or warehouse.parent / "geo")
    peer = NaivePeer.load(warehouse, [indicator], geo)
    return create_app(peer, indicator, _names(warehouse)).server
