"""Serving: security headers, framing only for embeds, /health, the maintenance page, size limits."""

from __future__ import annotations

import shutil

import dash
import pytest
from dash import html

from observatory.contract.settings import Settings
from observatory.warehouse.db import Warehouse
from observatory.web.serving import install


def make_app(path) -> dash.Dash:
    app = dash.Dash(__name__)
    app.layout = html.Div("observatorio")
    install(app, Settings.from_env(environ={}, warehouse=str(path)), Warehouse(path))

    @app.server.route("/embed/chart")
    def _embed():
        return "<p>chart</p>"

    return app


@pytest.fixture
def client(tiny_warehouse, tmp_path):
    path = tmp_path / "observatory.duckdb"
    shutil.copyfile(tiny_warehouse, path)
    app = make_app(path)
    return app.server.test_client(), path, app


def test_pages_carry_security_headers_and_refuse_framing(client):
    c, _, app = client
    r = c.get("/")
    assert r.status_code == 200
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert app.csp_hashes() and all(h in csp for h in app.csp_hashes())
    assert "''" not in csp  # hashes are quoted once
    assert "unsafe-eval" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert r.headers["X-Frame-Options"] == "DENY"


def test_only_embed_routes_may_be_framed(client):
    c, _, _ = client
    r = c.get("/embed/chart")
    assert "frame-ancestors *" in r.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in r.headers


def test_health_reports_the_warehouse(client):
    c, _, _ = client
    r = c.get("/health")
    assert r.status_code == 200
    body = r.get_json()
    assert body["ok"] is True and body["observations"] > 0


def test_a_missing_warehouse_gives_the_maintenance_page_and_health_says_why(client):
    c, path, _ = client
    path.unlink()
    r = c.get("/")
    assert r.status_code == 503
    text = r.get_data(as_text=True)
    assert "Estamos actualizando los datos" in text and "Línea 100" in text and "{{" not in text
    h = c.get("/health")
    assert h.status_code == 503
    assert "no warehouse at" in h.get_json()["reason"]


def test_a_corrupt_warehouse_gives_the_maintenance_page(tmp_path):
    path = tmp_path / "observatory.duckdb"
    path.write_bytes(b"this is not a duckdb file" * 100)
    c = make_app(path).server.test_client()
    assert c.get("/").status_code == 503
    h = c.get("/health")
    assert h.status_code == 503 and "cannot be read" in h.get_json()["reason"]


def real_app_client(path):
    """The production app (``create_app``, as ``gunicorn app:server`` builds it) over ``path``."""
    from observatory.web.app import create_app

    return create_app(Settings.from_env(environ={}, warehouse=str(path))).server.test_client()


PAGES = ("/", "/instituciones", "/servicios")


def assert_maintenance(c, reason: str) -> None:
    for page in PAGES:
        r = c.get(page)
        assert r.status_code == 503, page
        assert r.headers["Retry-After"] == "120"
        text = r.get_data(as_text=True)
        assert "Estamos actualizando los datos" in text and "Línea 100" in text, page
        assert "Traceback" not in text and "_dash-renderer" not in text, page
    h = c.get("/health")
    assert h.status_code == 503
    assert reason in h.get_json()["reason"]


def test_the_real_app_without_a_warehouse_shows_the_maintenance_page(tmp_path, tiny_warehouse):
    path = tmp_path / "observatory.duckdb"
    c = real_app_client(path)
    assert_maintenance(c, "no warehouse at observatory.duckdb: run `make build`")
    assert str(tmp_path) not in c.get("/health").get_data(as_text=True)  # no server path in public
    shutil.copyfile(tiny_warehouse, path)  # a build puts one in place: served without a restart
    assert c.get("/").status_code == 200
    assert c.get("/health").get_json()["ok"] is True


def test_the_real_app_over_a_corrupt_warehouse_shows_the_maintenance_page(tmp_path):
    path = tmp_path / "observatory.duckdb"
    path.write_bytes(b"this is not a duckdb file" * 100)
    assert_maintenance(real_app_client(path), "cannot be read")


def test_a_rebuilt_warehouse_is_served_without_a_restart(client, tiny_warehouse):
    c, path, _ = client
    path.unlink()
    assert c.get("/health").status_code == 503
    shutil.copyfile(tiny_warehouse, path)
    assert c.get("/health").status_code == 200


def test_large_requests_are_refused(client):
    c, _, _ = client
    r = c.post("/_dash-update-component", data=b"x" * (300 * 1024), content_type="application/json")
    assert r.status_code == 413
    assert "larger than" in r.get_json()["error"]


@pytest.mark.parametrize(
    "body",
    [{}, [], None, "A", {"output": "x"}, {"output": "content.children", "outputs": {}, "inputs": [[None]]}],
    ids=["empty", "list", "null", "string", "unknown-output", "bad-inputs"],
)
def test_malformed_callback_bodies_get_a_400_not_a_500(client, body):
    c, _, _ = client
    r = c.post("/_dash-update-component", json=body)
    assert r.status_code == 400
    assert "error" in r.get_json()


def test_an_unknown_component_resource_is_a_404(client):
    c, _, _ = client
    r = c.get("/_dash-component-suites/no-such-package/x.js")
    assert r.status_code == 404


def test_settle_reads_the_reference_data_and_freezes_what_exists(tiny_warehouse, tmp_path):
    """app.py's ``settle``: the catalogue, territories and the opening indicator's totals read, then every object so far out of
    the collector's full passes; without a warehouse it still starts (read later)."""
    import gc

    from observatory.web.app import create_app, settle

    app = create_app(Settings.from_env(environ={}, warehouse=str(tiny_warehouse)))
    gc.unfreeze()
    try:
        settle(app)
        assert gc.get_freeze_count() > 0
        assert gc.get_count()[2] == 0  # nothing left in the oldest generation to walk
        snap = app.server.extensions["observatory"].snapshot
        kept = {key[1] for key in snap.kept._items}
        assert {"catalogue", "territories"} <= kept
        assert len(snap.totals) == 1  # the opening indicator's totals
        missing = create_app(Settings.from_env(environ={}, warehouse=str(tmp_path / "none.duckdb")))
        settle(missing)  # no warehouse: nothing read, and no error
    finally:
        gc.unfreeze()


def test_a_settled_worker_knows_the_scripts_of_a_page_another_worker_sent(tiny_warehouse):
    """gunicorn runs several workers: the page shell can come from one and its scripts be asked
    of another. Dash learns which scripts it may serve (``registered_paths``) only when it renders
    a shell, so ``settle`` renders one: what the precompressed copies do not cover (async chunks,
    small files) would otherwise be answered 404 by a worker that never sent a page."""
    import gc

    from observatory.web.app import create_app, settle

    fresh = create_app(Settings.from_env(environ={}, warehouse=str(tiny_warehouse)))
    assert not fresh.registered_paths  # what a new worker knew
    app = create_app(Settings.from_env(environ={}, warehouse=str(tiny_warehouse)))
    try:
        settle(app)
    finally:
        gc.unfreeze()
    assert {"dash", "plotly"} <= set(app.registered_paths)
    assert any(p.startswith("dcc/") for p in app.registered_paths["dash"])
