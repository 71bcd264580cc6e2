"""bench/browser.py's logic and bench/naive.py's app, on the tiny warehouse, without timing anything."""

from __future__ import annotations

import base64
import json
import shutil

import numpy as np
import pytest

from bench import browser
from bench.naive import NaivePeer, _names, create_app
from tests.browser.tiny_geo import BOXES, write_layers


@pytest.fixture(scope="module")
def naive(tiny_warehouse, tmp_path_factory):
    folder = tmp_path_factory.mktemp("naive")
    path = folder / "observatory.duckdb"
    shutil.copyfile(tiny_warehouse, path)
    geo = write_layers(folder / "geo")
    peer = NaivePeer.load(path, ["pe_denuncias_vcm"], geo)
    return {"app": create_app(peer, "pe_denuncias_vcm", _names(path)), "path": path, "geo": geo}


def _callback(client, area: str, changed: str, **inputs) -> dict:
    """Post the naive app's one callback as the browser does after ``changed`` (an input's id),
    with the area it holds; its JSON response."""
    (spec,) = client.get("/_dash-dependencies").get_json()
    values = {"f-from": "2024-03", "f-to": "2025-02", "f-measure": "count", "f-compare": [], **inputs}
    prop = {d["id"]: d["property"] for d in spec["inputs"]}
    body = {
        "output": spec["output"],
        "outputs": [
            dict(zip(("id", "property"), o.split("."), strict=True))
            for o in spec["output"][2:-2].split("...")
        ],
        "inputs": [{**d, "value": values.get(d["id"])} for d in spec["inputs"]],
        "state": [{**d, "value": area} for d in spec["state"]],
        "changedPropIds": [f"{changed}.{prop[changed]}"],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]


def _array(value) -> list:
    """A plotly JSON array: a list, or a typed array sent as base64 (``{"dtype", "bdata"}``)."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()
    return list(value)


def test_the_naive_app_serves_one_callback_that_inlines_the_whole_layer(naive):
    client = naive["app"].server.test_client()
    assert client.get("/").status_code == 200
    deps = client.get("/_dash-dependencies").get_json()
    assert len(deps) == 1  # one callback for every interaction
    out = _callback(client, "PE", "f-department", **{"f-department": "15"})
    figure = out["map"]["figure"]
    assert out["area"]["data"] == "15"
    assert figure["data"][0]["locations"] == ["1501", "1502"]
    assert len(figure["data"][0]["geojson"]["features"]) == len(BOXES["province"])  # the full layer
    assert set(out) == {"map", "series", "ranking", "area"}


def test_the_naive_rate_is_per_100000_women(naive):
    client = naive["app"].server.test_client()
    out = _callback(client, "1501", "f-measure", **{"f-measure": "rate"})
    trace = out["map"]["figure"]["data"][0]
    z = dict(zip(trace["locations"], _array(trace["z"]), strict=True))
    # Lima district: 100 a month x 12 (tiny.MONTHLY) over 140 000 women (tiny.POP_F).
    assert z["150101"] == pytest.approx(1200 / 140000 * 100_000)


def test_a_click_on_the_map_drills_down_and_the_page_query_sets_the_first_view(naive):
    client = naive["app"].server.test_client()
    click = {"points": [{"location": "1501"}]}
    out = _callback(client, "15", "map", map=click, **{"f-department": "15"})
    assert out["area"]["data"] == "1501"
    assert out["map"]["figure"]["data"][0]["locations"] == ["150101"]
    layout = client.get("/_dash-layout", headers={"Referer": "http://127.0.0.1/?area=1501&measure=count"})
    text = json.dumps(layout.get_json())
    assert '"id": "area", "data": "1501"' in text and '"value": "count"' in text


def test_the_plan_starts_each_step_where_the_reader_is(naive):
    facts = browser.facts(naive["path"], "pe_denuncias_vcm", naive["geo"])
    assert facts.last_period == "2025-02"
    w, s, e, n = BOXES["province"]["1501"]
    assert w < facts.point[0] < e and s < facts.point[1] < n  # inside Lima province
    steps = {s.key: s for s in browser.plan(facts)}
    assert list(steps) == ["department", "period", "drill", "compare", "measure"]
    assert browser.query(steps["drill"].before) == "/?area=15"
    assert steps["period"].value == "2024-01"
    assert steps["compare"].search == "Barranca"
    other = browser.plan(browser.Facts("synthetic_denuncias", "2025-12", facts.names, facts.point))
    assert other[0].before == {"ind": "synthetic_denuncias"}


def test_where_the_time_goes_is_counted_once_per_instant():
    calls = [  # two requests in parallel, then one that waited for them
        {"start": 10, "request": 11, "first_byte": 40, "end": 42, "bytes": 100, "body": 80},
        {"start": 12, "request": 12, "first_byte": 30, "end": 31, "bytes": 50, "body": 40},
        {"start": 45, "request": 45, "first_byte": 60, "end": 61, "bytes": 10, "body": 5},
    ]
    raw = {"drawn_ms": 90, "settled_ms": 80, "requests": 3, "calls": calls, "geometry": [{}]}
    out = browser.breakdown(raw)
    assert out["chain"] == 2
    assert out["server_ms"] == (40 - 11) + (60 - 45)
    assert out["before_request_ms"] == 10 and out["span_ms"] == 51 and out["after_response_ms"] == 29
    assert out["settled_ms"] == 90  # never before the map is drawn
    assert out["response_bytes"] == 160 and out["geometry"] == 1
    assert browser.union([(0, 10), (5, 8), (20, 25)]) == 15


def test_the_report_and_the_ratios(naive):
    sample = {"drawn_ms": 100.0, "settled_ms": 150.0, "requests": 1, "requests_seen": 1, "chain": 1}
    sample |= {"geometry": 0, "response_bytes": 2048, "before_request_ms": 5.0, "server_ms": 20.0}
    slow = {**sample, "drawn_ms": 400.0, "settled_ms": 300.0}
    steps = {"department": {"label": "choose a department", "before": "/", "control": "f-department"}}
    scale = {
        "indicator": "pe_denuncias_vcm",
        "runs": 1,
        "load_average": [1.0, 1.0],
        "steps": steps,
        "observatory": {"department": browser.summarise([sample])},
        "naive": {"department": browser.summarise([slow])},
        "failures": {"observatory": [], "naive": []},
        "console_errors": {"observatory": [], "naive": []},
    }
    scale["ratios"] = browser.ratios(scale)
    assert scale["ratios"]["department"] == {"faster_to_drawn": 4.0, "faster_to_settled": 2.0}
    text = browser.report({"scales": {"real": scale}})
    assert "| choose a department | 100 / 150 | 1 | 400 / 300 | 1 | 4.00 / 2.00 |" in text
