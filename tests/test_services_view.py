"""The services view (/servicios) on the tiny warehouse with a made-up directory (tests/fixtures/services.py).

Known answers: Lima department holds CEM-1, SAR-1 and the shelter HRT-1 (all in district 150101),
Amazonas holds CEM-2; complaints in 2024 (the directory's year) are 110 a month in Lima and 12 in
Amazonas, so Lima has 1 320 / 3 = 440 cases per point and Amazonas 144.
"""

from __future__ import annotations

import pytest
from dash import no_update
from dash.exceptions import PreventUpdate

from observatory.contract.i18n import NBSP
from observatory.contract.settings import Settings
from observatory.contract.site import load_site
from observatory.views import explore
from observatory.warehouse.db import Warehouse
from observatory.web import services
from tests.browser.tiny_geo import boundaries_for, write_layers
from tests.fixtures import services as fixture
from tests.fixtures import tiny
from tests.test_callbacks import find, text


def geo(country, level):
    return f"/geo/{country.lower()}-{level}.geojson"


def make_ctx(warehouse, folder):
    settings = Settings.from_env(environ={}, warehouse=str(warehouse))
    return explore.Context(
        Warehouse(warehouse), settings, load_site(settings.site_path), boundaries_for(write_layers(folder))
    )


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    folder = tmp_path_factory.mktemp("services")
    return make_ctx(fixture.build(folder / "observatory.duckdb"), folder / "geo")


@pytest.fixture(scope="module")
def empty_ctx(tmp_path_factory):
    """The tiny warehouse with no directory loaded."""
    folder = tmp_path_factory.mktemp("no-services")
    return make_ctx(tiny.build(folder / "observatory.duckdb"), folder / "geo")


def state(ctx, search):
    return services.resolve(ctx, services.parse(search))


def figures_of(ctx, search):
    s = state(ctx, search)
    d = services.directory(ctx)
    view = services.case_view(ctx, s, d.year)
    return services.area_table(ctx, s, view, d.year), services.area_figures(ctx, s, view, d.year), view


# --------------------------------------------------------------------------- figures


def test_counts_and_cases_per_point_by_department(ctx):
    table, fig, view = figures_of(ctx, "")
    assert (view.start.year, view.start.month, view.end.month) == (2024, 1, 12)  # the directory's year
    by = table.set_index("code")
    assert by.loc["15", ["points", "public_points", "shelters"]].tolist() == [3, 2, 1]
    assert by.loc["01", ["points", "public_points", "shelters"]].tolist() == [1, 1, 0]
    assert by.loc["15", "cases"] == 1320 and by.loc["15", "cases_per_point"] == 440
    assert by.loc["01", "cases"] == 144 and by.loc["01", "cases_per_point"] == 144
    assert by.loc["15", "points_rate"] == pytest.approx(3 / 5_000_000 * 100_000)
    assert not by.loc["99", "without"]  # 'No especificado' is not a territory that could lack a service
    assert (
        fig["points"] == 4 and fig["shelters"] == 1 and fig["cases"] == 1464 and fig["cases_per_point"] == 366
    )
    assert (fig["districts"], fig["districts_without"]) == (6, 4)


def test_territories_without_any_point(ctx):
    table, fig, _ = figures_of(ctx, "?area=15")
    assert table.loc[table["without"], "code"].tolist() == ["1502"]
    assert (fig["districts"], fig["districts_without"]) == (4, 3)
    table, _, _ = figures_of(ctx, "?area=1501")
    assert table.loc[table["without"], "code"].tolist() == ["150102"]


def test_a_type_filter_counts_only_those_types(ctx):
    table, fig, _ = figures_of(ctx, "?area=15&type=CEM")
    by = table.set_index("code")
    assert by.loc["1501", "points"] == 1 and by.loc["1501", "cases_per_point"] == 1200  # 100 x 12
    assert fig["points"] == 1 and fig["shelters"] == 0
    table, fig, _ = figures_of(ctx, "?area=15&type=none")
    assert fig["points"] == 0 and table["without"].all()


def test_nearest_distances_match_a_haversine_in_python(ctx):
    far = services.farthest(ctx, state(ctx, ""))
    assert far["code"].tolist()[0] == "150202"  # Paramonga, the farthest district from any point
    got = dict(zip(far["code"], far["distance_km"], strict=True))
    for code in fixture.CENTROIDS:
        assert got[code] == pytest.approx(fixture.expected_distance(code), rel=1e-9)
    assert got["150101"] == 0.0 and got["010101"] == 0.0
    assert set(far["nearest_id"]) <= {"CEM-1", "CEM-2", "SAR-1"}  # never the shelter
    lima = services.farthest(ctx, state(ctx, "?area=15"))
    assert set(lima["code"]) == {"150101", "150102", "150201", "150202"}
    assert lima.iloc[0][["district_name", "province_name", "department_name"]].tolist() == [
        "Paramonga",
        "Barranca",
        "Lima",
    ]


def test_shelters_are_never_located(ctx):
    points = services.points_table(ctx, state(ctx, ""))
    assert points["id"].tolist() == ["CEM-2", "CEM-1", "SAR-1"]  # Amazonas first, then Lima
    out = services.on_content(ctx, "", geo_url_of=geo)
    dump = str(out["map"].to_plotly_json()) + str(out["points"]) + str(out["farthest"])
    assert "Secreto" not in dump and "HRT-1" not in dump and "-11.96" not in dump
    drawn = [tr for tr in out["map"].data if tr.type == "scattermap"]
    assert sorted(len(tr.lat) for tr in drawn) == [1, 2]  # SAR-1; CEM-1 and CEM-2


# --------------------------------------------------------------------------- callbacks


def test_content_for_a_department(ctx):
    out = services.on_content(ctx, "?area=15", geo_url_of=geo)
    assert set(out) == set(services.CONTENT_KEYS)
    assert text(find(out["key"], "svc-total")) == "3"
    assert text(find(out["key"], "svc-cases-per-point")) == "440"
    assert text(find(out["key"], "svc-kf-without")) == "3 de 4"
    assert [tr.type for tr in out["map"].data][-1] == "scattermap"
    assert list(out["map"].data[0].locations) == ["1501", "1502"]
    assert "Barranca" in text(out["without"]) and "Lima" not in text(out["without"]).split(":")[-1]
    farthest = text(out["farthest"])
    assert "Paramonga Barranca Lima" in farthest
    assert text(out["points"]).count("CEM Lima Cercado") == 1 and "Chachapoyas" not in text(out["points"])
    assert [text(li) for li in out["breadcrumb"].children] == ["Perú", "Lima"]
    assert out["notice"] is None and out["lang_href"] == "/servicios?area=15&lang=en"


def test_content_in_english(ctx):
    out = services.on_content(ctx, "?lang=en", geo_url_of=geo)
    assert text(find(out["key"], "svc-total")) == "4"
    assert text(find(out["key"], "svc-cases-per-point")) == "366"
    assert "Service points" in text(out["areas"]) or "Points" in text(out["areas"])
    assert f"1{NBSP}320" not in text(out["areas"]) and "1,320" in text(out["areas"])


def test_controls_write_the_url(ctx):
    search, options, area, type_options, chosen = services.on_sync(ctx, "svc-area", "", area="15")
    assert (search, area) == ("?area=15", "15")
    assert [o["value"] for o in options][:2] == ["PE", "01"]
    assert [o["value"] for o in type_options] == ["CEM", "HOGAR_REFUGIO", "SAR"]
    assert "(solo conteo)" in type_options[1]["label"] and chosen == ["CEM", "HOGAR_REFUGIO", "SAR"]
    assert services.on_sync(ctx, "svc-types", "?area=15", types=["SAR", "CEM"])[0] == "?area=15&type=CEM,SAR"
    assert services.on_sync(ctx, "svc-types", "?area=15", types=[])[0] == "?area=15&type=none"
    everything = ["CEM", "HOGAR_REFUGIO", "SAR"]
    assert services.on_sync(ctx, "svc-types", "?area=15&type=CEM", types=everything)[0] == "?area=15"
    click = {"points": [{"location": "1502"}]}
    assert services.on_sync(ctx, "svc-map", "?area=15", click=click)[0] == "?area=1502"
    # The URL changed (a link, the back button): the controls follow, the URL stays.
    out = services.on_sync(ctx, services.LOCATION, "?area=01&type=SAR")
    assert out[0] is no_update and out[2] == "01" and out[4] == ["SAR"]


def test_bad_input_is_corrected_or_ignored(ctx):
    assert state(ctx, "?area=XX&type=BOGUS,CEM") == services.ServicesState("PE", ("CEM",), "es")
    with pytest.raises(PreventUpdate):
        services.on_sync(ctx, "svc-map", "", click={"points": [{}]})
    with pytest.raises(PreventUpdate):
        services.on_sync(ctx, "svc-area", "", area=["15"])
    out = services.on_content(ctx, "?area=%3Cscript%3E&type=%00", geo_url_of=geo)
    assert text(find(out["key"], "svc-total")) == "4"


def test_bad_input_is_said_in_a_notice(ctx):
    out = services.on_content(ctx, "?area=XX&type=BOGUS,CEM&lang=en", geo_url_of=geo)
    notes = [text(n) for n in out["notice"]]
    assert notes == [
        "There is no place “XX”; showing the country.",
        "There is no service type “BOGUS”; it was removed from the filter.",
    ]
    assert text(find(out["key"], "svc-total")) == "2"  # the CEM points of the whole country
    assert services.on_content(ctx, "?area=15&type=CEM", geo_url_of=geo)["notice"] is None


def test_no_directory_says_so_and_how_to_load_one(empty_ctx):
    out = services.on_content(empty_ctx, "", geo_url_of=geo)
    assert "no se ha cargado" in text(out["notice"]) and "ingest pe_servicios" in text(out["notice"])
    assert out["key"] is None and out["points"] is None and out["farthest"] is None
    assert out["map"].data[0].type == "choroplethmap"  # the case map is still there
    assert services.on_sync(empty_ctx, "svc-area", "", area="15")[3] == []


# --------------------------------------------------------------------------- API


@pytest.fixture(scope="module")
def client(ctx):
    from observatory.web.app import create_app

    app = create_app(ctx.settings, boundaries=ctx.boundaries)
    app.server.config["OBSERVATORY_API_LIMIT"] = "10000 per minute"
    return app.server.test_client()


def test_api_publishes_the_services_figures(client):
    r = client.get("/api/v1/services?area=15")
    assert r.status_code == 200, r.data
    body = r.json
    assert body["figures"]["points"] == 3 and body["figures"]["cases_per_point"] == 440
    assert body["districts_without_service"] == ["150102", "150201", "150202"]
    rows = {row["code"]: row for row in body["data"]}
    assert rows["1501"]["points"] == 3 and rows["1501"]["shelters"] == 1 and rows["1502"]["without"]
    assert body["case_indicator"] == "pe_denuncias_vcm" and body["directory_release"] == "2024"
    assert "Secreto" not in r.get_data(as_text=True)
    csv = client.get("/api/v1/services?area=15&type=CEM&format=csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert client.get("/api/v1/services?type=CEM").json["figures"]["points"] == 2


def test_api_refuses_bad_services_parameters(client):
    assert client.get("/api/v1/services?area=XX").status_code == 404  # well formed, no such area
    assert client.get("/api/v1/services?type=cem").status_code == 400  # types are upper case
    r = client.get("/api/v1/services?type=SPA")
    assert r.status_code == 400 and "SPA" in r.json["error"] and "CEM" in r.json["error"]
    assert client.get("/api/v1/services?colour=red").status_code == 400
