"""bench/interactions.py and bench/naive.py measure what they claim, on the tiny warehouse.

The measuring code runs end to end (callbacks, Dash payloads through Flask, the naive peer, the
report); the assertions are about shapes and bytes, never about time.
"""

from __future__ import annotations

import json
import shutil

import pytest

from bench import interactions
from bench.naive import NaivePeer, Request
from tests.browser.tiny_geo import BOXES, write_layers


@pytest.fixture(scope="module")
def measured(tiny_warehouse, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    path = folder / "observatory.duckdb"
    shutil.copyfile(tiny_warehouse, path)
    write_layers(folder / "geo")
    app, ctx = interactions.make_app(path)
    steps = interactions.plan(ctx, "pe_denuncias_vcm", "pe_feminicidios", province="1501", department="15")
    result = {
        "indicator": "pe_denuncias_vcm",
        "server": interactions.measure_server(ctx, app, steps, runs=2),
        **interactions.measure_bytes(ctx, app, steps),
        "naive": interactions.measure_naive(ctx, path, steps, runs=1),
    }
    result["ratios"] = interactions.ratios(result)
    return {"result": result, "steps": steps, "path": path, "ctx": ctx, "app": app}


def test_the_five_interactions_change_the_view(measured):
    server = measured["result"]["server"]
    assert list(server) == ["indicator", "period", "department", "districts", "compare"]
    assert server["department"]["after"] == "?area=15"
    assert server["districts"]["after"] == "?area=1501"
    assert server["period"]["after"] == "?area=1501&from=2024-01"
    assert server["compare"]["after"].startswith("?area=1501&compare=")
    for figures in server.values():
        assert figures["cold"]["runs"] == figures["warm"]["runs"] == 2
        assert set(figures["json_bytes_per_callback"]) == {"view"}  # one request per interaction


def test_same_areas_send_a_patch_smaller_than_a_new_map(measured):
    server = measured["result"]["server"]
    assert server["period"]["map_is_patch"] and server["compare"]["map_is_patch"]
    assert not server["districts"]["map_is_patch"] and not server["department"]["map_is_patch"]
    patch = server["period"]["map_json_bytes"]
    full = server["districts"]["map_json_bytes"]
    assert 0 < patch < full


def test_bytes_are_what_flask_sends_compressed(measured):
    result = measured["result"]
    for key, sent in result["interactions"].items():
        assert 0 < sent["bytes"] < sent["raw_bytes"], key
        # The raw body through Flask is the body our serialisation predicts, callback by callback
        # (the compare options are tiny and may go uncompressed).
        assert sent["raw_bytes"] == result["server"][key]["json_bytes"], key
    first = result["first_load"]
    assert "/" in first["items"] and "/geo/pe-department.geojson" in first["items"]
    assert any("plotly.min" in item for item in first["items"])
    assert first["bytes"] < first["raw_bytes"]


def test_the_naive_peer_inlines_the_full_geojson_every_time(measured):
    naive = measured["result"]["naive"]["interactions"]
    assert naive["districts"]["geojson_features"] == len(BOXES["district"])
    assert naive["department"]["geojson_features"] == len(BOXES["province"])
    layer = (measured["ctx"].settings.geo_dir / "pe-district.geojson").read_text(encoding="utf-8")
    for key in ("period", "districts", "compare"):
        assert measured["result"]["ratios"][key]["district_level"] is True
        assert naive[key]["json_bytes"] > len(layer)  # the geometry travels with every answer


def test_our_callbacks_never_carry_geometry(measured):
    """The boundaries are a file the browser caches; a map names its URL, a patch not even that."""
    app, ctx = measured["app"], measured["ctx"]
    client = app.server.test_client()
    for step in measured["steps"]:
        for name, body in interactions.payloads(ctx, app, step, interactions.drawn_key(ctx, step.before)):
            text = client.post("/_dash-update-component", json=body).get_data(as_text=True)
            assert '"coordinates"' not in text, (step.key, name)


def test_the_naive_peer_sums_what_the_observatory_shows(measured):
    peer = NaivePeer.load(measured["path"], ["pe_denuncias_vcm"], measured["ctx"].settings.geo_dir)
    figs = peer.update(Request("pe_denuncias_vcm", "2024-03-01", "2025-02-01", "1501"))
    shown = dict(zip(figs["map"].data[0].locations, figs["map"].data[0].z, strict=True))
    # tiny.MONTHLY x 12 months; like the common pattern, areas without rows are left off the map.
    assert shown == {"150101": 1200}
    assert json.loads(figs["map"].to_json())["data"][0]["geojson"]["type"] == "FeatureCollection"


def test_the_payloads_are_the_ones_the_browser_posts(measured):
    app, ctx = measured["app"], measured["ctx"]
    client = app.server.test_client()
    step = measured["steps"][3]  # drill to districts
    sent = interactions.payloads(ctx, app, step, interactions.drawn_key(ctx, step.before))
    assert [name for name, _ in sent] == ["view"]
    view = client.post("/_dash-update-component", json=sent[0][1]).get_json()
    assert view["response"]["url"]["search"] == "?area=1501"
    assert view["response"]["map"]["figure"]["data"][0]["locations"] == ["150101", "150102"]


def test_the_report_prints_every_figure(measured):
    result = measured["result"]
    result["http"] = {
        "clients": 50,
        "workers": 2,
        "threads": 4,
        "requests": 10,
        "seconds": 1.0,
        "all": {"median_ms": 5.0, "p95_ms": 9.0},
        "errors": 0,
        "interactions": {k: {"median_ms": 5.0, "p95_ms": 9.0} for k in result["server"]},
        "worker_rss_mb": 100.0,
        "worker_peak_rss_mb": 120.0,
    }
    text = interactions.report({"runs": 2, "scales": {"real": result}})
    for label in ("change indicator", "drill to districts", "first page load", "naive", "HTTP", "RSS"):
        assert label in text
