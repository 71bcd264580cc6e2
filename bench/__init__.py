"""Benchmarks: scripts that print figures and write bench/results.json. Never run by the tests."""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).parent / "results.json"


def record(updates: dict, path: Path = RESULTS, under: str | None = None) -> Path:
    """Set ``updates``' keys in the results file (inside its ``under`` key when given), keeping the
    figures of every other benchmark: read, set and written back at once."""
    merged = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    (merged.setdefault(under, {}) if under else merged).update(updates)
    path.write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")
    return path
