"""bench/browser.py drives both apps in Chromium on the tiny warehouse: every interaction happens
and its callback requests are counted (what it found, never how long it took)."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import replace

import pytest

from bench import browser as bench
from bench.naive import NaivePeer, _names, create_app
from observatory.contract.settings import Settings
from tests.browser.conftest import serving
from tests.browser.tiny_geo import boundaries_for, write_layers
from tests.fixtures import tiny


@pytest.fixture(scope="module")
def measured(tmp_path_factory, browser):
    from observatory.web.app import create_app as observatory

    folder = tmp_path_factory.mktemp("bench-browser")
    warehouse = tiny.build(folder / "observatory.duckdb")
    geo = write_layers(folder / "geo")
    ours = observatory(
        Settings.from_env(environ={}, warehouse=str(warehouse)), boundaries=boundaries_for(geo)
    )
    naive = create_app(
        NaivePeer.load(warehouse, ["pe_denuncias_vcm"], geo), "pe_denuncias_vcm", _names(warehouse)
    )
    steps = bench.plan(bench.facts(warehouse, "pe_denuncias_vcm", geo))
    # The fixture's counts are the same every month: its annual rates do not change with the
    # period, its counts do (a real release's rates do too).
    steps = [replace(s, before={**s.before, "measure": "count"}) if s.key == "period" else s for s in steps]
    with ExitStack() as stack:
        bases = {
            "observatory": stack.enter_context(serving(ours.server)),
            "naive": stack.enter_context(serving(naive.server)),
        }
        shots = folder / "shots"
        shots.mkdir()
        raw = bench.measure(bases, steps, runs=1, shots=shots, browser=browser)
    return {"raw": raw, "steps": steps, "shots": shots}


def test_every_interaction_happens_on_both_apps(measured):
    raw = measured["raw"]
    assert raw["failures"] == {"observatory": [], "naive": []}
    for app in ("observatory", "naive"):
        for step in measured["steps"]:
            (sample,) = raw["samples"][app][step.key]
            assert 0 < sample["drawn_ms"] <= sample["settled_ms"], (app, step.key)
            assert (measured["shots"] / f"{app}-{step.key}.png").stat().st_size > 10_000
    ours = {k: v[0] for k, v in raw["samples"]["observatory"].items()}
    assert ours["department"]["url"].endswith("/?area=15")
    assert ours["drill"]["url"].split("?")[1].startswith("area=1501")  # the click on Lima's polygon
    assert "compare=1502" in ours["compare"]["url"]
    assert "measure=count" in ours["measure"]["url"]
    assert ours["drill"]["geometry"] == 0  # the districts' layer was prefetched before the click


def test_requests_are_counted_in_the_page_and_by_playwright(measured):
    raw = measured["raw"]
    for step in measured["steps"]:
        (naive,) = raw["samples"]["naive"][step.key]
        assert naive["requests"] == naive["requests_seen"] == 1, step.key  # the one callback
        assert naive["chain"] == 1 and naive["response_bytes"] > 0
        (ours,) = raw["samples"]["observatory"][step.key]
        assert ours["requests"] == ours["requests_seen"] >= 1, step.key
        assert ours["server_ms"] > 0 and ours["before_request_ms"] >= 0
