"""Serving from caches: plotly.js compressed once on disk, callback responses kept as sent.

The copies here are made at brotli/gzip level 1 (level 11 takes half a minute on plotly.js); what
is checked is which copy is sent and that it decodes to the file Dash would serve.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import shutil

import brotli
import dash
import pytest
from dash import dcc, html

from bench import interactions
from observatory.contract.settings import Settings
from observatory.warehouse.db import Warehouse
from observatory.web import serving
from tests.browser.tiny_geo import write_layers

PLOTLY_URL = "/_dash-component-suites/plotly/package_data/plotly.min.js"
PLOTLY_FINGERPRINTED = "/_dash-component-suites/plotly/package_data/plotly.v6_0_0m1700000000.min.js"


def plotly_file():
    return serving.suite_files()[serving.PLOTLY_JS]


def scripts_app(tiny_warehouse, folder) -> dash.Dash:
    app = dash.Dash(__name__)
    app.layout = html.Div([dcc.Graph(id="g")])
    settings = Settings.from_env(
        environ={}, warehouse=str(tiny_warehouse), compressed_dir=str(folder), precompress=False
    )
    serving.install(app, settings, Warehouse(tiny_warehouse))
    app.server.extensions["observatory.precompressed"].join(30)
    client = app.server.test_client()
    assert client.get("/").status_code == 200  # Dash registers its scripts' paths on the first page
    return app


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compressed")
    serving.precompress({serving.PLOTLY_JS: plotly_file()}, folder, br_quality=1, gzip_level=1)
    return folder


def test_suite_files_include_plotly_and_the_large_bundles():
    files = serving.suite_files()
    assert serving.PLOTLY_JS in files
    assert ("dash", "dcc/dash_core_components.js") in files
    assert all(p.is_file() and p.suffix == ".js" for p in files.values())


def test_precompress_names_copies_by_content_and_writes_each_once(tmp_path):
    path = plotly_file()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    files = {serving.PLOTLY_JS: path}
    assert serving.precompress(files, tmp_path, br_quality=1, gzip_level=1) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{digest}.br", f"{digest}.gz"]
    assert serving.precompress(files, tmp_path, br_quality=1, gzip_level=1) == 0


def test_plotly_is_sent_from_its_brotli_copy(tiny_warehouse, copies):
    app = scripts_app(tiny_warehouse, copies)
    raw = plotly_file().read_bytes()
    r = app.server.test_client().get(PLOTLY_URL, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert r.status_code == 200
    assert r.headers["Content-Encoding"] == "br"
    assert r.headers["Vary"] == "Accept-Encoding"
    assert r.data == (copies / f"{hashlib.sha256(raw).hexdigest()}.br").read_bytes()
    assert brotli.decompress(r.data) == raw
    assert r.headers["Content-Security-Policy"]  # the site's headers still apply
    etag = r.headers["ETag"]
    again = app.server.test_client().get(PLOTLY_URL, headers={"Accept-Encoding": "br", "If-None-Match": etag})
    assert again.status_code == 304


def test_gzip_when_brotli_is_not_accepted_and_identity_when_nothing_is(tiny_warehouse, copies):
    client = scripts_app(tiny_warehouse, copies).server.test_client()
    raw = plotly_file().read_bytes()
    gz = client.get(PLOTLY_URL, headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(gz.data) == raw
    plain = client.get(PLOTLY_URL, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert plain.data == raw
    assert client.get(PLOTLY_URL).data == raw


def test_a_fingerprinted_url_gets_dash_cache_headers(tiny_warehouse, copies):
    client = scripts_app(tiny_warehouse, copies).server.test_client()
    r = client.get(PLOTLY_FINGERPRINTED, headers={"Accept-Encoding": "br"})
    assert r.headers["Content-Encoding"] == "br"
    assert r.headers["Cache-Control"] == f"public, max-age={serving.FINGERPRINTED_MAX_AGE}"
    assert brotli.decompress(r.data) == plotly_file().read_bytes()


def test_unregistered_paths_are_left_to_dash(tiny_warehouse, copies):
    client = scripts_app(tiny_warehouse, copies).server.test_client()
    r = client.get("/_dash-component-suites/plotly/package_data/other.js", headers={"Accept-Encoding": "br"})
    assert r.status_code == 404


def test_missing_copies_fall_back_to_compression_per_request(tiny_warehouse, tmp_path):
    app = scripts_app(tiny_warehouse, tmp_path)  # an empty folder, no background build
    r = app.server.test_client().get(PLOTLY_URL, headers={"Accept-Encoding": "br"})
    assert r.status_code == 200 and r.headers["Content-Encoding"] == "br"
    assert brotli.decompress(r.data) == plotly_file().read_bytes()
    assert "-br" not in r.headers.get("ETag", "")  # Dash's etag, compressed by flask-compress


def test_copies_of_an_older_file_are_not_sent(tiny_warehouse, copies, tmp_path):
    # Copies named by another file's content: what an upgraded package finds.
    for p in copies.iterdir():
        shutil.copyfile(p, tmp_path / p.name.replace(p.name[:8], "00000000"))
    app = scripts_app(tiny_warehouse, tmp_path)
    r = app.server.test_client().get(PLOTLY_URL, headers={"Accept-Encoding": "br"})
    assert brotli.decompress(r.data) == plotly_file().read_bytes()
    assert "-br" not in r.headers.get("ETag", "")


def test_a_file_changed_after_start_up_is_served_by_dash(tiny_warehouse, copies):
    app = scripts_app(tiny_warehouse, copies)
    packed = app.server.extensions["observatory.precompressed"]
    ready = packed._ready[serving.PLOTLY_JS]
    packed._ready[serving.PLOTLY_JS] = dataclasses.replace(ready, mtime_ns=ready.mtime_ns - 1)
    r = app.server.test_client().get(PLOTLY_URL, headers={"Accept-Encoding": "br"})
    assert brotli.decompress(r.data) == plotly_file().read_bytes()
    assert "-br" not in r.headers.get("ETag", "")


# --- callback responses ---------------------------------------------------------------------------


def explore_app(warehouse, folder, cache_mb: int):
    from observatory.web.app import create_app

    settings = Settings.from_env(
        environ={},
        warehouse=str(warehouse),
        compressed_dir=str(folder / "compressed"),
        precompress=False,
        response_cache_mb=cache_mb,
    )
    write_layers(warehouse.parent / "geo")
    app = create_app(settings)
    return app, app.server.extensions["observatory"]


def landing_bodies(ctx, app) -> list[dict]:
    landing = interactions.Interaction("load", "first load", "", "url", "", None, False)
    return [body for _, body in interactions.payloads(ctx, app, landing, None)]


@pytest.fixture
def warehouse(tiny_warehouse, tmp_path):
    path = tmp_path / "wh" / "observatory.duckdb"
    path.parent.mkdir()
    shutil.copyfile(tiny_warehouse, path)
    return path


@pytest.mark.parametrize("encoding", ["gzip, deflate, br", ""])
def test_cached_responses_are_the_bytes_an_uncached_app_sends(warehouse, tmp_path, encoding):
    cached, ctx = explore_app(warehouse, tmp_path, 32)
    plain, _ = explore_app(warehouse, tmp_path, 0)
    assert plain.server.extensions["observatory.responses"] is None
    cache = cached.server.extensions["observatory.responses"]
    headers = {"Accept-Encoding": encoding}
    bodies = landing_bodies(ctx, cached)
    assert len(bodies) == 1  # the page's one view callback
    for body in bodies:
        first = cached.server.test_client().post("/_dash-update-component", json=body, headers=headers)
        hits = cache.hits
        second = cached.server.test_client().post("/_dash-update-component", json=body, headers=headers)
        other = plain.server.test_client().post("/_dash-update-component", json=body, headers=headers)
        assert first.status_code == second.status_code == other.status_code == 200
        assert second.data == first.data == other.data, body["output"]
        for h in ("Content-Type", "Content-Encoding", "Vary"):
            assert second.headers.get(h) == other.headers.get(h), h
        assert second.headers["Content-Security-Policy"] == other.headers["Content-Security-Policy"]
        assert cache.hits == hits + 1
    assert len(cache) == len(bodies)
    assert not cache._pending  # every claim released


def test_a_new_warehouse_misses_the_cache(warehouse, tmp_path):
    app, ctx = explore_app(warehouse, tmp_path, 32)
    cache = app.server.extensions["observatory.responses"]
    client = app.server.test_client()
    body = landing_bodies(ctx, app)[0]
    before = client.post("/_dash-update-component", json=body).data
    client.post("/_dash-update-component", json=body)
    assert (cache.hits, cache.misses) == (1, 1)
    fresh = warehouse.with_name("new.duckdb")
    shutil.copyfile(warehouse, fresh)
    fresh.replace(warehouse)  # what a build does: a new file renamed into place
    after = client.post("/_dash-update-component", json=body)
    assert (cache.hits, cache.misses) == (1, 2)
    assert after.status_code == 200 and after.data == before


def test_bad_bodies_are_refused_before_the_cache(warehouse, tmp_path):
    app, ctx = explore_app(warehouse, tmp_path, 32)
    cache = app.server.extensions["observatory.responses"]
    client = app.server.test_client()
    body = landing_bodies(ctx, app)[0]
    assert client.post("/_dash-update-component", json=body).status_code == 200
    bad = {**body, "inputs": "nope"}
    assert client.post("/_dash-update-component", json=bad).status_code == 400
    assert client.post("/_dash-update-component", data=b"[1, 2]").status_code == 400
    assert (cache.hits, cache.misses) == (0, 1)


def test_the_cache_keeps_within_its_budget():
    cache = serving.ResponseCache(budget=100, entry_limit=60)
    cache.put("a", b"x" * 50, ())
    cache.put("b", b"y" * 40, ())
    cache.put("big", b"z" * 61, ())  # over the entry limit: not kept
    assert cache.get("a") is not None  # a is now the most recent
    cache.put("c", b"w" * 30, ())  # 120 > 100: b, the least recent, goes
    assert cache.get("b") is None and cache.get("big") is None
    assert cache.get("a") and cache.get("c") and cache.size == 80


def test_identical_requests_arriving_together_wait_for_one_answer():
    cache = serving.ResponseCache(budget=100)
    assert cache.claim("k") is None  # the first computes
    waiting = cache.claim("k")
    assert waiting is not None and not waiting.is_set()
    cache.release("k")
    assert waiting.is_set()
    assert cache.claim("k") is None
