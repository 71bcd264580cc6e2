"""Benchmarks write their figures into one results file without dropping each other's."""

from __future__ import annotations

import json

from bench import record


def test_record_sets_its_keys_and_keeps_the_others(tmp_path):
    path = tmp_path / "results.json"
    record({"load": {"requests": 10}}, path, under="reliability")
    record({"export": {"warm_median_s": 0.6}, "when": "today"}, path)
    record({"export": {"warm_median_s": 0.5}}, path)
    record({"fuzz": {"requests": 20}}, path, under="reliability")
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "reliability": {"load": {"requests": 10}, "fuzz": {"requests": 20}},
        "export": {"warm_median_s": 0.5},
        "when": "today",
    }
