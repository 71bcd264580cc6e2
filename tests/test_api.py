"""/api/v1 on the tiny warehouse: the same numbers as the page, the same disclosure, clear 400s.

Exact values from tests/fixtures/tiny.py: 2024-01..2025-02, Amazonas (01) 168, Lima (15) 1540,
country 1708; feminicides of 2015 are suppressed in both departments.
"""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from observatory.views import explore, urlstate
from observatory.web import api, api_models
from tests.test_exports import make_app


@pytest.fixture(scope="module")
def app(tiny_warehouse, tmp_path_factory):
    return make_app(tiny_warehouse, tmp_path_factory.mktemp("geo"))


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


@pytest.fixture(scope="module")
def ctx(app):
    return app.server.extensions["observatory"]


def get(client, url: str, status: int = 200):
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code, r.data[:300])
    return r


def records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", date_format="iso"))


def test_observations_are_the_numbers_the_page_shows(client, ctx):
    query = "from=2024-01&measure=count"
    body = get(client, f"/api/v1/observations?{query}").json
    shown = explore.area_table(ctx, explore.resolve(ctx, urlstate.parse("?" + query)))
    by_code = {r["code"]: r for r in body["data"]}
    assert {c: by_code[c]["count"] for c in ("01", "15")} == {"01": 168, "15": 1540}
    assert [r["code"] for r in body["data"]] == shown["code"].tolist()
    for col in ("status", "count", "rate", "ci_low", "ci_high", "population"):
        assert [r[col] for r in body["data"]] == [r[col] for r in records(shown)], col
    assert body["view"] == {
        "area": "PE",
        "from": "2024-01",
        "to": "2025-02",
        "measure": "count",
        "step": "month",
        "breakdowns": {},
        "compare": [],
        "group": "",
        "lang": "es",
    }
    assert body["source"]["release"] == "tiny-1"
    assert body["permalink"].endswith("/?from=2024-01&to=2025-02&measure=count")


def test_series_sums_to_the_key_figure(client):
    body = get(client, "/api/v1/series?area=01&from=2024-01&to=2025-02&measure=count").json
    area = [r for r in body["data"] if r["role"] == "area"]
    assert sum(r["count"] for r in area) == 168
    country = [r for r in body["data"] if r["role"] == "country"]
    assert sum(r["count"] for r in country) == 1708


def test_suppressed_cells_are_suppressed_never_numbers(client):
    body = get(client, "/api/v1/observations?ind=pe_feminicidios&from=2015&to=2015&measure=count").json
    cells = {r["code"]: r for r in body["data"]}
    for code in ("01", "15"):
        assert cells[code]["status"] == "suppressed"
        assert cells[code]["count"] is None and cells[code]["rate"] is None
        assert cells[code]["ci_low"] is None and cells[code]["ci_high"] is None
    assert body["disclosure"]["rule"] == "suppress"
    csv = get(client, "/api/v1/observations?ind=pe_feminicidios&from=2015&to=2015&format=csv").data
    frame = pd.read_csv(io.BytesIO(csv), dtype={"code": str}, encoding="utf-8-sig").set_index("code")
    assert frame.loc[["01", "15"], "count"].isna().all()


def test_csv_has_the_same_rows(client):
    csv = get(client, "/api/v1/observations?from=2024-01&measure=count&format=csv")
    assert csv.mimetype == "text/csv"
    frame = pd.read_csv(io.BytesIO(csv.data), dtype={"code": str}, encoding="utf-8-sig")
    assert dict(zip(frame["code"], frame["count"], strict=True))["01"] == 168


def test_indicators_and_territories(client):
    inds = get(client, "/api/v1/indicators?lang=en").json["data"]
    vcm = next(i for i in inds if i["id"] == "pe_denuncias_vcm")
    assert vcm["title"].startswith("Police complaints") and vcm["first_period"] == "2024-01"
    assert vcm["measures"] == ["count", "rate", "smoothed"] and vcm["source"]["release"] == "tiny-1"
    deps = get(client, "/api/v1/territories?level=department").json["data"]
    assert {d["code"] for d in deps} >= {"01", "15"}
    lima = get(client, "/api/v1/territories?parent=15").json["data"]
    assert {d["code"] for d in lima} == {"1501", "1502"}
    assert get(client, "/api/v1/indicators?format=csv").mimetype == "text/csv"


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        ("/api/v1/observations?ind=nope", 400, "nope"),
        ("/api/v1/observations?area=9999", 404, "9999"),
        ("/api/v1/observations?from=2024-13", 400, "2024-13"),
        ("/api/v1/observations?from=1990-01", 422, "2024-01"),
        ("/api/v1/observations?measure=share", 400, "share"),
        ("/api/v1/observations?format=xml", 400, "xml"),
        ("/api/v1/observations?colour=red", 400, "colour"),
        ("/api/v1/observations?area=01&area=15", 400, "area"),
        ("/api/v1/observations?area=01%27%20OR%201=1", 400, "area"),
        ("/api/v1/series?sex=otro", 422, "sex=otro"),
        ("/api/v1/territories?level=planet", 400, "planet"),
        ("/api/v1/territories?level=", 400, "level"),
        ("/api/v1/territories?parent=77", 404, "77"),
        ("/api/v1/observations?lang=fr", 400, "fr"),
        ("/api/v1/indicators?lang=AAA", 400, "AAA"),
        ("/api/v1/services?type=cem", 400, "cem"),
    ],
)
def test_invalid_parameters_are_refused_with_a_message(client, url, status, says):
    """400 outside the document, 404 for an area that does not exist, 422 for values that do not
    go together; always JSON naming the parameter or value."""
    r = get(client, url, status)
    assert r.mimetype == "application/json"
    assert r.json["status"] == status and says in r.json["error"]


def test_messages_follow_the_language(client):
    assert (
        get(client, "/api/v1/observations?ind=nope&lang=en", 400)
        .json["error"]
        .startswith("There is no indicator")
    )
    assert (
        get(client, "/api/v1/observations?ind=nope", 400).json["error"].startswith("No existe el indicador")
    )


def test_the_document_states_the_servers_constraints(client):
    doc = json.loads(get(client, "/api/v1/openapi.json").data)
    params = {p["name"]: p["schema"] for p in doc["paths"]["/observations"]["get"]["parameters"]}
    assert params["lang"]["enum"] == ["es", "en"] and params["format"]["enum"] == ["json", "csv"]
    assert params["ind"]["enum"] == [
        ind.id for ind in explore.catalogue(client.application.extensions["observatory"])
    ]
    assert {"pe_denuncias_vcm", "pe_feminicidios", "pe_cem_casos"} <= set(params["ind"]["enum"])
    assert (
        params["from"]["pattern"] == api_models.PERIOD and params["area"]["pattern"] == f"^{api_models.CODE}$"
    )
    level = next(p for p in doc["paths"]["/territories"]["get"]["parameters"] if p["name"] == "level")
    assert level["schema"]["enum"] == ["country", "department", "province", "district"]
    for path in ("/observations", "/series", "/territories", "/services"):
        assert {"200", "400", "404", "422", "429"} <= set(doc["paths"][path]["get"]["responses"])


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/indicators?lang=en",
        "/api/v1/territories?level=district",
        "/api/v1/observations?from=2024-01&measure=count",
        "/api/v1/observations?ind=pe_feminicidios&area=01",
        "/api/v1/series?area=15&compare=01&step=year",
        "/api/v1/series?ind=pe_cem_casos&risk_level=leve",
        "/api/v1/services",
        "/api/v1/observations?area=9999",
        "/api/v1/observations?lang=fr",
    ],
)
def test_responses_are_valid_against_the_document(client, url):
    """Each answer (and each refusal) has the schema its status has in /api/v1/openapi.json."""
    import jsonschema_rs  # schemathesis' own validator

    doc = json.loads(get(client, "/api/v1/openapi.json").data)
    r = client.get(url)
    path = url.split("?")[0].removeprefix("/api/v1")
    response = doc["paths"][path]["get"]["responses"][str(r.status_code)]
    schema = response["content"]["application/json"]["schema"]
    assert r.status_code != 500
    jsonschema_rs.validate({**schema, "components": doc["components"]}, r.json)


def test_openapi_describes_every_route(app, client):
    doc = json.loads(get(client, "/api/v1/openapi.json").data)
    assert doc["openapi"].startswith("3.")
    routes = {
        r.rule.removeprefix("/api/v1")
        for r in app.server.url_map.iter_rules()
        if r.rule.startswith("/api/v1/")
    }
    assert routes == set(doc["paths"])
    params = {p["name"] for p in doc["paths"]["/observations"]["get"]["parameters"]}
    assert params == set(api.VIEW_KEYS) | {"format"}
    for path in ("/indicators", "/observations", "/series", "/territories"):
        assert {"200", "400", "429"} <= set(doc["paths"][path]["get"]["responses"])
