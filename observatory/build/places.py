"""Place names to official codes, each name looked up within its parent.

Files that give department, province and district NAMES instead of codes (MIMP's case list, the
CEM tables) are resolved here, one level at a time, top first: a district is only looked for among
the districts of the province already found, so homonyms (four districts called Independencia)
never collide. Names are compared folded (``fold``: no accents, no case, no punctuation, single
spaces). A folded name that is still not found is looked up in the reviewed crosswalk
(``data/crosswalks/pe_place_names.csv``: variants and typos a person has confirmed, each with its
parent). Anything else is *unresolved*: reported with its row and the nearest candidates, never
guessed; a person confirms the right one by adding a line to the crosswalk.
"""

from __future__ import annotations

import csv
import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

CROSSWALK_COLUMNS = ("country", "level", "parent_code", "name", "code", "note")


def fold(name: object) -> str:
    """'  Víctor  Fajardo ' -> 'VICTOR FAJARDO'; 'Prov. Const. del Callao' -> 'PROV CONST DEL CALLAO'."""
    text = unicodedata.normalize("NFKD", str(name).replace("\ufeff", "")).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Z0-9]+", " ", text.upper()).strip()


@dataclass(frozen=True)
class Unresolved:
    """A name that matched nothing within its parent, with the nearest names there (name, code)."""

    row: int
    level: str
    name: str
    parent: str  # the parent's code, or '' at the top level
    candidates: tuple[tuple[str, str], ...]
    why: str = "not found"

    def describe(self) -> str:
        near = ", ".join(f"{n} ({c})" for n, c in self.candidates) or "no close name"
        where = f" in {self.parent}" if self.parent else ""
        return f"row {self.row}: {self.level} {self.name!r}{where} {self.why}; nearest: {near}"


@dataclass
class Gazetteer:
    """Every territory of one country by level and parent, plus the reviewed crosswalk."""

    country: str
    territories: pd.DataFrame  # country, code, level, name, parent_code
    crosswalk: dict[tuple[str, str, str], str] = field(
        default_factory=dict
    )  # (level, parent, folded) -> code
    _index: dict[tuple[str, str], dict[str, list[tuple[str, str]]]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        t = self.territories
        t = t[t["country"] == self.country]
        for code, level, name, parent in zip(t["code"], t["level"], t["name"], t["parent_code"], strict=True):
            key = (level, "" if parent is None or pd.isna(parent) or parent == self.country else parent)
            self._index.setdefault(key, {}).setdefault(fold(name), []).append((name, code))

    @classmethod
    def load(cls, country: str, territories: pd.DataFrame, crosswalk: Path | None) -> Gazetteer:
        return cls(country, territories, read_crosswalk(crosswalk, country) if crosswalk else {})

    def resolve(self, level: str, name: str, parent: str = "") -> tuple[str | None, tuple, str]:
        """(code, candidates, why): the code of ``name`` among ``level`` areas under ``parent``."""
        folded = fold(name)
        names = self._index.get((level, parent), {})
        found = names.get(folded)
        if found and len(found) == 1:
            return found[0][1], (), ""
        if found:  # two areas of the same name under one parent: say so, never pick one
            return None, tuple(found), "matches several areas"
        fixed = self.crosswalk.get((level, parent, folded))
        if fixed is not None:
            if any(code == fixed for found in names.values() for _, code in found):
                return fixed, (), ""
            return (
                None,
                (),
                f"is given {fixed} by the crosswalk, which is no {level} of {parent or self.country}",
            )
        return None, self.nearest(folded, names), "not found"

    @staticmethod
    def nearest(folded: str, names: dict[str, list[tuple[str, str]]], n: int = 3) -> tuple:
        """Closest names by spelling, then names that contain the given one or are contained in it."""
        close = difflib.get_close_matches(folded, list(names), n=n, cutoff=0.6)
        words = set(folded.split())
        overlap = sorted(
            (k for k in names if k not in close and (folded in k or k in folded or words & set(k.split()))),
            key=lambda k: -difflib.SequenceMatcher(None, folded, k).ratio(),
        )
        return tuple(item for k in [*close, *overlap][:n] for item in names[k])

    def resolve_frame(
        self, frame: pd.DataFrame, columns: dict[str, str], row_column: str
    ) -> tuple[pd.Series, list[Unresolved]]:
        """Codes of the finest level named by ``columns`` (level -> column, top level first).

        Each distinct path of names is resolved once. A row whose name (or a parent's) is
        unresolved gets no code and one ``Unresolved`` for the first level that failed.
        """
        levels = list(columns)
        paths = frame[[columns[lv] for lv in levels]].astype(str)
        codes: dict[tuple[str, ...], tuple[str | None, Unresolved | None]] = {}
        out, problems = [], []
        for row, values in zip(frame[row_column], paths.itertuples(index=False, name=None), strict=True):
            key = tuple(values)
            if key not in codes:
                codes[key] = self._path(levels, key)
            code, problem = codes[key]
            out.append(code)
            if problem is not None:
                problems.append(
                    Unresolved(
                        int(row), problem.level, problem.name, problem.parent, problem.candidates, problem.why
                    )
                )
        return pd.Series(out, index=frame.index, dtype=object), problems

    def _path(self, levels: list[str], names: Iterable[str]) -> tuple[str | None, Unresolved | None]:
        parent = ""
        for level, name in zip(levels, names, strict=True):
            code, candidates, why = self.resolve(level, name, parent)
            if code is None:
                return None, Unresolved(0, level, name, parent, candidates, why)
            parent = code
        return parent, None


def read_crosswalk(path: Path, country: str) -> dict[tuple[str, str, str], str]:
    """``country, level, parent_code, name, code, note``: one confirmed correction per line."""
    path = Path(path)
    if not path.exists():
        return {}
    out = {}
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in CROSSWALK_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path.name}: missing column(s) {', '.join(missing)}")
        for number, r in enumerate(reader, start=2):
            if r["country"].strip() != country:
                continue
            key = (r["level"].strip(), r["parent_code"].strip(), fold(r["name"]))
            if key in out and out[key] != r["code"].strip():
                raise ValueError(f"{path.name}: row {number}: {r['name']!r} is given two codes")
            out[key] = r["code"].strip()
    return out
