"""The indicator catalogue (data/indicators.toml): checked here, loaded into the warehouse by the build.

The app reads the catalogue back from the warehouse's ``indicators`` table, so what is
published always matches what was built.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from observatory.contract.schema import BREAKDOWNS, LEVELS

REQUIRED = (
    "kind",
    "country",
    "source",
    "granularity",
    "finest_level",
    "zero_fill",
    "disclosure",
    "unit_es",
    "unit_en",
    "title_es",
    "title_en",
    "definition_es",
    "definition_en",
    "numerator_es",
    "numerator_en",
    "publisher",
    "source_url",
    "licence",
    "frequency_es",
    "frequency_en",
    "caveats_es",
    "caveats_en",
)
OPTIONAL = (
    "denominator",
    "denominator_es",
    "denominator_en",
    "rate_per",
    "breakdowns",
    "group",
    "institution",
    "group_note_es",
    "group_note_en",
)
# Read from the catalogue but not published in the indicators table.
BUILD_ONLY = ("accepts_generic",)
CHOICES = {
    "kind": ("case", "service"),
    "granularity": ("month", "year"),
    "disclosure": ("publish", "suppress"),
    "denominator": (None, "female", "total"),
    "finest_level": LEVELS,
}


class CatalogueError(ValueError):
    """The catalogue file is wrong: the message names the file, the indicator and the field."""


def load_catalogue(path: Path, declared_sources: set[str] | None = None) -> list[dict]:
    """Return one dict per indicator with every schema column filled, or raise CatalogueError."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path.name}: not valid TOML ({exc})") from None
    out = []
    for ind_id, entry in raw.items():
        where = f"{path.name}: indicator [{ind_id}]"
        if not isinstance(entry, dict):
            raise CatalogueError(f"{where}: expected a table")
        missing = [k for k in REQUIRED if k not in entry]
        if missing:
            raise CatalogueError(f"{where}: missing field(s) {', '.join(missing)}")
        unknown = set(entry) - set(REQUIRED) - set(OPTIONAL) - set(BUILD_ONLY)
        if unknown:
            raise CatalogueError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        for key, allowed in CHOICES.items():
            if entry.get(key) not in allowed:
                raise CatalogueError(f"{where}: {key} = {entry.get(key)!r}, expected one of {allowed}")
        breakdowns = list(entry.get("breakdowns", []))
        bad = [b for b in breakdowns if b not in BREAKDOWNS]
        if bad:
            raise CatalogueError(f"{where}: unknown breakdown(s) {bad}, expected some of {BREAKDOWNS}")
        if entry.get("denominator") and not (entry.get("denominator_es") and entry.get("denominator_en")):
            raise CatalogueError(
                f"{where}: an indicator with a denominator must name it (denominator_es/_en)"
            )
        if entry.get("group") and not entry.get("institution"):
            raise CatalogueError(f"{where}: an indicator in a group must name its institution")
        if declared_sources is not None and entry["source"] not in declared_sources:
            raise CatalogueError(f"{where}: source {entry['source']!r} is not declared in sources.toml")
        row = {"id": ind_id, **{k: entry.get(k) for k in REQUIRED + OPTIONAL}}
        row["breakdowns"] = ",".join(breakdowns)
        row["rate_per"] = int(entry.get("rate_per", 100_000))
        out.append(row)
    if not out:
        raise CatalogueError(f"{path.name}: no indicators")
    return out


def accepting_generic(path: Path) -> set[str]:
    """Indicators fed by a declared source that also take rows of the generic CSV
    (``accepts_generic = true`` in the catalogue)."""
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    return {k for k, v in raw.items() if isinstance(v, dict) and v.get("accepts_generic") is True}
