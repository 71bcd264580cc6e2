"""Fuzzing the public endpoints in-process (bench/fuzz.py holds the strategies).

Every server-side callback of ``app.callback_map`` and every rule of ``app.server.url_map`` is
discovered at run time, so new routes (/api/v1, /download) are covered as soon as they land; the
API's parameters come from its OpenAPI document, and a test checks that each route accepts exactly
the parameters the fuzzer sends it.
A profile sets the number of cases: ``ci`` (default, a few hundred in all) or ``soak``
(HYPOTHESIS_PROFILE=soak); ``python -m bench.fuzz --cases 10000`` is the long run.

Contract: no response ever carries a traceback; no request writes to the warehouse; no request
gets a 5xx (malformed callback bodies are turned away by serving.callback_body_problem, and the
callbacks ignore values of the wrong type).
"""

from __future__ import annotations

import logging

import flask
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bench import fuzz

settings.register_profile(
    "ci", max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
settings.register_profile(
    "soak", max_examples=1000, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(__import__("os").environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="module")
def soak(tiny_warehouse, tmp_path_factory):
    logging.disable(logging.CRITICAL)  # every rejected request is logged; the test asserts instead
    try:
        s = fuzz.Soak(tmp_path_factory.mktemp("fuzz"), source=tiny_warehouse)
        yield s
        assert fuzz.sha256(s.warehouse) == s.digest, "a request changed the warehouse file"
    finally:
        logging.disable(logging.NOTSET)


SUITES = "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>"


def _run(strategy, send, *, allow_5xx: bool, examples: int | None = None, shrink: bool = True) -> int:
    """Send hypothesis cases; each must pass ``fuzz.problem``. Returns how many were sent."""
    options = {"max_examples": examples} if examples else {}
    sent = []
    if not shrink:  # known failures: report the first one quickly
        options["phases"] = [Phase.explicit, Phase.generate]

    @settings(**options)
    @given(payload=strategy)
    def case(payload):
        response = send(payload)
        sent.append(response.status_code)
        reason = fuzz.problem(response.status_code, response.get_data(), allow_5xx=allow_5xx)
        assert reason is None, f"{reason} for {payload!r:.2000}"

    case()
    return len(sent)


def test_targets_are_discovered_from_the_app(soak):
    outputs = {cb.output for cb in soak.callbacks}
    assert "download.data" in outputs and any(o.startswith("..url.search...") for o in outputs)
    assert any("_pages_content" in o for o in outputs)  # the Dash Pages router (registered lazily)
    rules = {r.rule for r in soak.routes}
    assert {"/", "/health", "/_dash-layout", "/_dash-dependencies", "/geo/<name>"} <= rules
    assert fuzz.UPDATE not in rules


def test_no_response_ever_carries_a_traceback(soak):
    """Whatever arrives (junk values, broken bodies, random URLs), nothing leaks and nothing is written."""
    client = soak.client
    targets = [st.sampled_from(soak.callbacks).flatmap(lambda cb: fuzz.callback_bodies(cb, soak.known))]
    assert _run(targets[0], lambda p: fuzz.post_callback(client, p), allow_5xx=True, examples=60)
    assert _run(
        fuzz.envelopes(soak.callbacks, soak.clientside),
        lambda p: fuzz.post_callback(client, p),
        allow_5xx=True,
        examples=40,
    )


def test_routes_survive_random_paths_and_query_strings(soak):
    client = soak.client
    assert _run(
        fuzz.route_requests([r for r in soak.routes if r.rule != SUITES], soak.known),
        lambda p: fuzz.open_route(client, *p),
        allow_5xx=False,
        examples=100,
    )


def test_api_download_and_embed_parameters_survive_fuzzing(soak):
    """The routes' own parameters (format, level, parent, type, size, group, ...) with real,
    enumerated and junk values: a 400 with a message or an answer, never a 5xx."""
    client = soak.client
    assert _run(
        fuzz.parameter_requests(soak.routes, soak.known),
        lambda p: fuzz.open_route(client, *p),
        allow_5xx=False,
        examples=120,
    )


@pytest.mark.parametrize(
    "rule, url",
    [
        *[(r, r) for r in ("/api/v1/indicators", "/api/v1/territories", "/api/v1/observations")],
        *[(r, r) for r in ("/api/v1/series", "/api/v1/services")],
        ("/download/<name>", "/download/table.csv"),
        ("/embed/<chart>", "/embed/map"),
    ],
)
def test_every_parameter_a_route_accepts_is_fuzzed(soak, rule, url):
    """The route's own list of accepted parameters (its 400 for an unknown one names them) is the
    list the fuzzer draws from: a parameter added to a route without reaching the OpenAPI
    document (or fuzz.DOWNLOAD_KEYS) fails here."""
    r = soak.client.get(url + "?lang=en&no_such_parameter=1")
    assert r.status_code == 400
    text = r.get_json()["error"] if r.is_json else r.get_data(as_text=True)
    accepted = text.split("Accepted parameters: ", 1)[1].strip().rstrip(".").split(", ")
    assert set(accepted) == set(fuzz.route_parameters()[rule])
    assert set(accepted) <= set(fuzz.query_keys()) == set(soak.known["keys"])


def test_the_fuzzer_finds_a_5xx_behind_the_api_parameters(soak, monkeypatch):
    """A planted bug that only the API's own parameters reach (the page's URL has none of them)
    must make the run fail: the fuzzer sends them, and a 5xx is caught."""
    from observatory.web import api

    real = api.check_params

    def broken(allowed, lang):
        if {"level", "parent", "type", "size", "format"} & set(flask.request.args):
            raise ZeroDivisionError("planted")
        return real(allowed, lang)

    monkeypatch.setattr(api, "check_params", broken)
    with pytest.raises(AssertionError, match="status 500"):
        _run(
            fuzz.parameter_requests(soak.routes, soak.known),
            lambda p: fuzz.open_route(soak.client, *p),
            allow_5xx=False,
            examples=200,
            shrink=False,
        )


def test_component_suites_answer_404_for_unknown_packages(soak):
    r = soak.client.get("/_dash-component-suites/no-such-package/x.js")
    assert r.status_code == 404


def test_real_looking_views_never_fail(soak):
    """Query strings built from the URL's keys and real or junk values, through every URL callback."""
    client = soak.client
    url_callbacks = [cb for cb in soak.callbacks if ("url", "search") in cb.inputs + cb.state]

    def body(cb, search):
        b = {
            "output": cb.output,
            "outputs": cb.outputs,
            "inputs": [{"id": c, "property": p, "value": None} for c, p in cb.inputs],
            "state": [{"id": c, "property": p, "value": None} for c, p in cb.state],
            "changedPropIds": ["url.search"],
        }
        for item in b["inputs"] + b["state"]:
            if (item["id"], item["property"]) == ("url", "search"):
                item["value"] = search
            elif item["property"] == "n_clicks":
                item["value"] = 1
        return b

    strategy = st.tuples(st.sampled_from(url_callbacks), fuzz.searches(soak.known))
    assert _run(strategy, lambda p: fuzz.post_callback(client, body(*p)), allow_5xx=False, examples=60)


def test_callbacks_never_answer_5xx_to_arbitrary_values(soak):
    client = soak.client
    for cb in soak.callbacks:
        assert _run(
            fuzz.callback_bodies(cb, soak.known),
            lambda p: fuzz.post_callback(client, p),
            allow_5xx=False,
            shrink=False,
        )


def test_malformed_callback_bodies_get_a_4xx(soak):
    client = soak.client
    assert _run(
        fuzz.envelopes(soak.callbacks, soak.clientside),
        lambda p: fuzz.post_callback(client, p),
        allow_5xx=False,
        shrink=False,
    )


def test_production_configuration_has_no_dev_tools(tiny_warehouse):
    """What gunicorn serves: Settings from an empty environment -> debug and every dev tool off."""
    from observatory.contract.settings import Settings
    from observatory.web.app import create_app

    assert Settings.from_env(environ={}).debug is False
    # Only the warehouse is pointed at a built one (a fresh clone has none until `make build`).
    settings_ = Settings.from_env(environ={}, warehouse=str(tiny_warehouse))
    assert settings_.debug is False
    app = create_app(settings_)
    server = app.server
    assert server.debug is False and not server.config.get("DEBUG")
    assert not server.config.get("PROPAGATE_EXCEPTIONS")
    assert app._dev_tools.ui is False and app._dev_tools.props_check is False
    assert app._dev_tools.hot_reload is False and app._dev_tools.serve_dev_bundles is False
    client = server.test_client()
    reload = client.get("/_reload-hash")
    # Dash always mounts the route; with hot reload off it never reports a reload or file paths.
    assert reload.status_code in (200, 404)
    if reload.status_code == 200:
        data = reload.get_json()
        assert not data.get("reloadHash") and not data.get("hard") and not data.get("files")
    page = client.get("/").get_data(as_text=True)
    assert '"ui": true' not in page and '"hot_reload"' not in page and '"props_check": true' not in page
    # An exception inside a callback: a JSON 500 without a traceback (the Werkzeug debugger is off).
    r = client.post(fuzz.UPDATE, data=b'{"output": "no.such"}', content_type="application/json")
    assert fuzz.problem(r.status_code, r.get_data(), allow_5xx=True) is None
    assert b"Werkzeug Debugger" not in r.get_data() and b"__debugger__" not in r.get_data()
