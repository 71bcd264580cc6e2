"""Figures are pure functions of a published table: tested on hand-made frames, no database."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from observatory.contract.i18n import NBSP
from observatory.present import figures

COLOURS = figures.Colours(
    primary="#4b1f6f",
    accent="#a3195b",
    sequential=("#fcc5c0", "#fa9fb5", "#f768a1", "#c51b8a", "#7a0177"),
    zero="#ffffff",
    suppressed="#7f7f7f",
    no_data="#d9d9d9",
)


def area_table() -> pd.DataFrame:
    """Districts of a made-up province: values, a zero, a suppressed cell, no data, no polygon."""
    rows = [
        ("150101", "Lima", "value", 1400.0, True),
        ("150102", "Ancón", "zero", 0.0, True),
        ("150103", "Ate", "value", 10.0, True),
        ("150104", "Barranco", "suppressed", np.nan, True),
        ("150105", "Breña", "no_data", np.nan, True),
        ("150202", "Paramonga", "value", 42.0, False),
    ]
    frame = pd.DataFrame(rows, columns=["code", "name", "status", "count", "has_polygon"])
    return frame.assign(
        shown=frame["count"], rate=np.nan, provisional=False, unreliable=False, population=np.nan
    )


def test_format_value():
    assert figures.format_value(1400, "count", "es") == f"1{NBSP}400"
    assert figures.format_value(84.04, "rate", "es") == "84,0"
    assert figures.format_value(0.18, "rate", "en") == "0.18"
    assert figures.format_value(np.nan, "rate", "en") == "—"


def test_class_breaks_are_rounded_quantiles_above_zero():
    edges = figures.class_breaks(pd.Series([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, np.nan]))
    assert edges == [1, 2.8, 4.6, 6.4, 8.2, 10]
    assert figures.class_breaks(pd.Series([0, np.nan])) == []
    assert figures.class_breaks(pd.Series([7, 7, 0])) == [7, 7]


def test_classify_and_categories():
    table = area_table()
    edges = [10, 100, 1400]
    classes = figures.classify(table["shown"], edges)
    assert classes.iloc[0] == 1 and classes.iloc[2] == 0 and np.isnan(classes.iloc[1])
    cats = figures.categories(table, edges).tolist()
    # no_data 0, suppressed 1, zero 2, then classes 3.. (Lima top class, Ate bottom class)
    assert cats == [4, 2, 3, 1, 0, 3]


def test_discrete_colorscale_maps_integers_to_colours():
    scale = figures.discrete_colorscale(["#000000", "#111111", "#222222"])
    assert scale == [
        [0.0, "#000000"],
        [0.25, "#000000"],
        [0.25, "#111111"],
        [0.75, "#111111"],
        [0.75, "#222222"],
        [1.0, "#222222"],
    ]


def test_legend_has_classes_with_units_then_statuses():
    items = figures.legend_items([10, 100, 1400], COLOURS, "count", "es")
    assert [i["label"] for i in items] == [
        "10 a 100",
        f"100 a 1{NBSP}400",
        "Cero",
        "Reservado",
        "Sin datos",
    ]
    assert [i["colour"] for i in items[:2]] == ["#fcc5c0", "#7a0177"]


def test_choropleth_draws_only_areas_with_a_polygon():
    fig = figures.choropleth(
        area_table(),
        geojson="/geo/pe-district.geojson",
        edges=[10, 100, 1400],
        colours=COLOURS,
        measure="count",
        unit="denuncias",
        lang="es",
        view=figures.map_view((-77.8, -12.5, -76.0, -11.4)),
        highlight="150102",
        group=["150101", "150103", "150202"],  # 150202 (Paramonga) has no polygon
    )
    data, group, outline = fig.data
    assert isinstance(data, go.Choroplethmap)
    assert data.geojson == "/geo/pe-district.geojson" and data.featureidkey == "id"
    assert list(data.locations) == ["150101", "150102", "150103", "150104", "150105"]  # no Paramonga
    assert list(data.z) == [4, 2, 3, 1, 0]
    assert [c[1] for c in data.customdata] == [f"1{NBSP}400", "0", "10", "Reservado", "Sin datos"]
    assert list(outline.locations) == ["150102"]
    assert list(group.locations) == ["150101", "150103"] and group.marker.line.color == COLOURS.primary
    assert fig.layout.map.style == "white-bg"  # no tile server, no token


def test_map_values_is_what_a_patch_sends():
    values = figures.map_values(area_table(), [10, 100, 1400], COLOURS, "count", "en")
    assert set(values) == {"locations", "z", "customdata", "colorscale", "zmin", "zmax"}
    assert values["zmax"] == 4 and values["colorscale"][0][1] == COLOURS.no_data


def test_map_view_fits_bounds():
    view = figures.map_view((-78.0, -12.0, -76.0, -10.0))
    assert view["center"]["lon"] == pytest.approx(-77.0)
    assert -11.1 < view["center"]["lat"] < -10.9
    # MapLibre: 2 degrees at zoom z span 2 * 512 * 2**z / 360 px, about 390 px at 7.0 (inside 440 x 400).
    assert view["zoom"] == pytest.approx(7.0, abs=0.1)
    assert figures.map_view(None)["zoom"] == pytest.approx(3.6)
    assert figures.map_view((-78.0, -12.0, -76.0, -10.0), 220, 200)["zoom"] == pytest.approx(6.0, abs=0.1)


def series_table(measure_shown) -> pd.DataFrame:
    periods = pd.date_range("2024-10-01", periods=5, freq="MS")
    rows = []
    for role, code, name, value in (("area", "01", "Amazonas", 12.0), ("country", "PE", "Perú", 122.0)):
        for i, p in enumerate(periods):
            rows.append(
                {
                    "role": role,
                    "code": code,
                    "name": name,
                    "period": p,
                    "status": "value",
                    "count": value,
                    "shown": measure_shown(value),
                    "provisional": i == 4,
                    "partial": False,
                }
            )
    return pd.DataFrame(rows)


def test_series_draws_provisional_periods_dashed():
    fig = figures.series_figure(
        series_table(lambda v: v), colours=COLOURS, measure="count", unit="denuncias", step="month", lang="es"
    )
    solid, dashed = fig.data[0], fig.data[1]
    assert solid.name == "Amazonas" and solid.line.dash is None
    assert list(solid.y[:4]) == [12.0] * 4 and solid.y[4] is None  # a gap, sent as null
    assert dashed.line.dash == "dash"
    assert [y is None for y in dashed.y] == [True, True, True, False, False]  # joins the last firm point
    assert fig.data[-1].name == "provisional o incompleto"
    assert list(fig.layout.xaxis.ticktext) == [  # month over year: narrow enough for a phone
        "oct.<br>2024",
        "nov.<br>2024",
        "dic.<br>2024",
        "ene.<br>2025",
        "feb.<br>2025",
    ]


def test_series_reference_lines_start_hidden_for_counts_only():
    counts = figures.series_figure(
        series_table(lambda v: v), colours=COLOURS, measure="count", unit="u", step="month", lang="en"
    )
    rates = figures.series_figure(
        series_table(lambda v: v / 2), colours=COLOURS, measure="rate", unit="u", step="month", lang="en"
    )
    country_count = [tr for tr in counts.data if tr.name == "Perú (country)"][0]
    country_rate = [tr for tr in rates.data if tr.name == "Perú (country)"][0]
    assert country_count.visible == "legendonly" and country_rate.visible is True


def test_ranking_highest_first_with_statuses_last():
    table = area_table()
    order = [r["code"] for r in figures.ranked(figures.records(table))]
    assert order == ["150101", "150202", "150103", "150102", "150104", "150105"]
    fig = figures.ranking_figure(
        table, edges=[10, 100, 1400], colours=COLOURS, measure="count", unit="u", lang="es"
    )
    bar = fig.data[0]
    # Areas with a value only, highest first at the top of a category axis (codes are not numbers).
    assert list(bar.y) == ["150101", "150202", "150103", "150102"]
    assert fig.layout.yaxis.type == "category" and fig.layout.yaxis.autorange == "reversed"
    assert list(fig.layout.yaxis.categoryarray) == list(bar.y)
    assert list(bar.text) == [f"1{NBSP}400", "42", "10", "0"]
    assert fig.layout.separators == "," + NBSP
    assert fig.layout.height == figures.BAR_PX * 4 + 64  # grows with the bars


def test_the_ranking_lists_what_it_does_not_draw_and_follows_the_table_sort():
    table = area_table()
    rows = figures.ranking_rows(table, unplaced={"150202"})
    assert [r["code"] for r in rows.drawn] == ["150101", "150103", "150102"]
    assert [r["name"] for r in rows.unranked] == ["Barranco", "Breña", "Paramonga"]
    text = figures.unranked_text(rows, "count", "casos", "es")
    assert text == (
        "Fuera del gráfico, 3 áreas sin un valor que comparar: "
        "Barranco (Reservado); Breña (Sin datos); Paramonga (42 casos)."
    )
    one = figures.ranking_rows(table[table["code"] != "150105"], unplaced={"150202", "150104"})
    assert figures.unranked_text(one, "count", "u", "en").startswith("Not in the chart, 2 areas")
    lowest = figures.ranking_rows(table, sort={"col": "count", "desc": False})
    assert [r["code"] for r in lowest.drawn] == ["150102", "150103", "150202", "150101"]
    by_name = figures.ranking_rows(table, sort={"col": "name", "desc": False})
    assert [r["code"] for r in by_name.drawn][0] == "150101"  # a name sort still ranks by value


def test_a_long_ranking_draws_its_ends_and_says_how_many_it_leaves_out():
    n = 100
    table = pd.DataFrame(
        {
            "code": [f"{i:06d}" for i in range(n)],
            "name": [f"D{i}" for i in range(n)],
            "status": "value",
            "shown": [float(i) for i in range(n)],
        }
    )
    rows = figures.ranking_rows(table, most=40, ends=15)
    assert len(rows.drawn) == 30 and rows.left_out == 70 and rows.total == 100
    assert rows.drawn[0]["shown"] == 99 and rows.drawn[-1]["shown"] == 0
    assert rows.drawn[14]["shown"] == 85 and rows.drawn[15]["shown"] == 14
    text = figures.unranked_text(rows, "count", "u", "es")
    assert text.startswith(
        "Se muestran las 15 áreas con los valores más altos y las 15 con los más bajos de 100"
    )
    assert text.endswith("de 100; las 70 áreas del medio están en la tabla de abajo, con todas.")
    fig = figures.ranking_figure(rows, edges=[1, 99], colours=COLOURS, measure="count", unit="u", lang="es")
    assert fig.layout.shapes[0].y0 == 14.5  # the dotted line where the middle is left out
    chosen = figures.ranking_rows(table, most=40, ends=15, highlight="000050")
    assert [r["shown"] for r in chosen.drawn][14:17] == [85, 50, 14]  # the chosen area, in its place
    assert chosen.left_out == 69 and chosen.gaps == (14, 15)
    assert len(figures.ranking_rows(table.head(40)).drawn) == 40


def test_empty_figure_carries_the_message():
    fig = figures.empty_figure("No hay datos")
    assert fig.layout.annotations[0].text == "No hay datos"


def test_rate_tooltips_carry_the_confidence_interval():
    import pandas as pd

    from observatory.present.figures import map_values

    table = pd.DataFrame(
        {
            "code": ["01", "15"],
            "name": ["Amazonas", "Lima"],
            "has_polygon": [True, True],
            "status": ["value", "suppressed"],
            "shown": [20.0, float("nan")],
            "value": [40.0, float("nan")],
            "rate": [20.0, float("nan")],
            "ci_low": [14.29, float("nan")],
            "ci_high": [27.24, float("nan")],
            "provisional": [False, False],
            "unreliable": [False, False],
        }
    )
    notes = [c[2] for c in map_values(table, [0, 10, 30], COLOURS, "rate", "es")["customdata"]]
    assert notes[0].startswith("IC 95 %: 14,3 a 27,2")
    assert "IC" not in notes[1]


def test_every_figure_passes_plotly_validation():
    """The figures are built from plain dicts without validation (speed): validated here, a
    misspelt property or a bad value raises."""
    import plotly.graph_objects as go

    built = [
        figures.choropleth(
            area_table(),
            geojson="/geo/pe-district.geojson",
            edges=[10, 100, 1400],
            colours=COLOURS,
            measure="count",
            unit="u",
            lang="es",
            view=figures.map_view((-77.8, -12.5, -76.0, -11.4)),
            highlight="150102",
            group=["150101"],
        ),
        figures.series_figure(
            series_table(lambda v: v), colours=COLOURS, measure="count", unit="u", step="month", lang="es"
        ),
        figures.series_figure(
            series_table(lambda v: v / 2), colours=COLOURS, measure="rate", unit="u", step="year", lang="en"
        ),
        figures.ranking_figure(
            area_table(), edges=[10, 100, 1400], colours=COLOURS, measure="count", unit="u", lang="es"
        ),
        figures.empty_figure("No hay datos"),
    ]
    for fig in built:
        assert isinstance(fig, dict) and set(fig) == {"data", "layout"}  # what Dash sends, as is
        again = go.Figure(dict(fig))  # validates every property
        assert [t.type for t in again.data] == [t["type"] for t in fig["data"]]
