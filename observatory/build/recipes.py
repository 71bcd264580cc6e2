"""Source recipes: one TOML file per source (``data/recipes/<source>.toml``) says how to read it.

A recipe is data, not code. It names the columns to read (each under several header spellings,
matched without case, accents or surrounding spaces), the rows to keep and to drop, the
constants, how dates are written, how codes are cut or padded, how names become codes, how rows
add up to the indicator's period and territory, and which columns give breakdowns. The models
below check a recipe before any file is read: a mistake is reported with the recipe file and the
key at fault. ``observatory.build.recipe_runner`` applies a recipe to a file.

What a recipe cannot say stays in code (``observatory/build/adapters.py``): tables whose layout
is not one row per record (the femicide table's two header rows), JSON documents, and checks
between columns that need a reference table (SIDPOL's reporting units), which a recipe names
under ``checks``.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from observatory.contract.schema import BREAKDOWNS, LEVELS

# Checks written in code that a recipe may ask for by name (see recipe_runner.CHECKS).
NAMED_CHECKS = ("pe_reporting_units",)
KINDS = ("observations", "case_list", "service_directory")
SERVICE_FIELDS = ("id", "type", "service_name", "territory_code", "lat", "lon", "open_24h")


class RecipeError(ValueError):
    """A recipe that cannot be used: the message names the recipe file and the key."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Keep(_Model):
    """Keep only rows whose ``column`` is one of ``values`` (compared folded); count the others."""

    column: str
    values: list[str] = Field(min_length=1)
    reason: str = ""


class Drop(_Model):
    """Drop rows whose ``column`` equals one of ``equals`` or matches the regular expression
    ``matches`` (both on the folded text: capitals, no accents); e.g. footer TOTAL rows."""

    column: str
    equals: list[str] = []
    matches: str | None = None
    empty: bool = False
    reason: str

    @field_validator("matches")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _something(self) -> Drop:
        if not self.equals and self.matches is None and not self.empty:
            raise ValueError("say which rows to drop: equals, matches or empty = true")
        return self


class Indicator(_Model):
    """A constant indicator id, or one per value of a column (``column`` + ``map``)."""

    id: str | None = None
    column: str | None = None
    map: dict[str, str] = {}

    @model_validator(mode="after")
    def _one(self) -> Indicator:
        if (self.id is None) == (self.column is None):
            raise ValueError("give either id (one indicator) or column and map (one per value)")
        if self.column is not None and not self.map:
            raise ValueError("a column of indicators needs a map from its values to indicator ids")
        return self


class Period(_Model):
    """The period: a year column (with an optional month column), a date column written in one of
    ``formats`` (strftime codes, tried in order), or a constant ``year`` for files that lack it."""

    year: int | str | None = None
    month: str | None = None
    date: str | None = None
    formats: list[str] = []
    provisional: Literal["none", "last"] = "none"

    @model_validator(mode="after")
    def _source(self) -> Period:
        if (self.year is None) == (self.date is None):
            raise ValueError("give either year (a column name, or a constant year) or date with formats")
        if self.date is not None and not self.formats:
            raise ValueError("a date column needs its formats, e.g. formats = ['%d/%m/%Y', '%Y-%m-%d']")
        if isinstance(self.year, int) and not 1900 <= self.year <= 2100:
            raise ValueError(f"year {self.year} is not a year")
        for f in self.formats:
            if "%" not in f:
                raise ValueError(f"format {f!r} has no % codes (e.g. '%d/%m/%Y')")
        return self


class Territory(_Model):
    """Where: a code column (optionally padded, then cut to its first digits), a lookup table,
    names resolved level by level within their parent, or a constant code.

    ``level`` is the level of the codes read; rows are then added up to the indicator's
    ``finest_level`` by cutting the code to that level's width.
    """

    level: str
    code: str | None = None
    pad: int | None = Field(default=None, ge=1, le=12)
    first: int | None = Field(default=None, ge=1, le=12)
    names: dict[str, str] = {}  # level -> column, top level first
    crosswalk: str | None = "pe_place_names.csv"
    lookup: str | None = None  # a crosswalk CSV: key column -> value column
    lookup_key: str | None = None
    lookup_value: str | None = None
    constant: str | None = None
    what: str = ""  # how errors name the codes, e.g. "district ubigeo" (default: "<level> code")
    unknown_hint: str = ""

    @field_validator("level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value not in LEVELS:
            raise ValueError(f"{value!r} is not a level; expected one of {LEVELS}")
        return value

    @model_validator(mode="after")
    def _one(self) -> Territory:
        given = [x for x in (self.code, self.constant, self.names or None) if x]
        if len(given) != 1:
            raise ValueError("give exactly one of code (a column), names (level = column) or constant")
        if self.names:
            bad = [lv for lv in self.names if lv not in LEVELS]
            if bad:
                raise ValueError(f"names: {bad} are not levels; expected some of {LEVELS}")
            if list(self.names)[-1] != self.level:
                raise ValueError(f"names must end at level {self.level!r}, the level of the codes read")
        if self.lookup and not (self.lookup_key and self.lookup_value and self.code):
            raise ValueError("a lookup needs code (the column), lookup_key and lookup_value")
        return self


class Value(_Model):
    """Count the rows (one per event or victim) or add up a column."""

    count_rows: bool = False
    sum: str | None = None
    label: str = ""  # how errors name the column, e.g. "CANTIDAD"

    @model_validator(mode="after")
    def _one(self) -> Value:
        if self.count_rows == (self.sum is not None):
            raise ValueError("give either count_rows = true or sum = 'column'")
        return self


class Breakdown(_Model):
    """A breakdown from a column: its values through ``map`` (folded keys), else their slug."""

    column: str
    map: dict[str, str] = {}
    missing: str = "no_especificado"
    unmapped: Literal["slug", "error"] = "slug"


class Services(_Model):
    """For a service directory: shelter types (their name and coordinates are never kept) and
    the release year the directory describes."""

    release_year: int | None = None
    id_prefix: str = "P"
    # A point with a latitude and no longitude (or the reverse): refuse the file, or keep the
    # point without coordinates (counted in the report).
    incomplete_coordinates: Literal["refuse", "drop"] = "refuse"


class Recipe(_Model):
    """One source file's recipe. ``columns`` maps our name to the header spellings it may have."""

    source: str
    description: str = ""
    kind: Literal["observations", "case_list", "service_directory"] = "observations"
    country: str = "PE"
    sheet: str | None = None
    encoding: str | None = None
    columns: dict[str, list[str]]
    optional: list[str] = []
    allow_columns: dict[str, str] = {}  # header -> why it is not personal data (service directories)
    keep: list[Keep] = []
    drop: list[Drop] = []
    indicator: Indicator | None = None
    period: Period | None = None
    territory: Territory | None = None
    value: Value | None = None
    breakdowns: dict[str, Breakdown] = {}
    # Columns that identify a row: a repeat stops the import (the territory column is compared as
    # the code it becomes, so '50104' and '050104' are the same district).
    unique: list[str] = []
    # Codes newer than the territorial register, each counted in the area it was created from.
    recode: dict[str, str] = {}
    checks: list[str] = []
    services: Services | None = None

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, spellings in value.items():
            if not spellings:
                raise ValueError(f"column {name!r} has no header spelling")
        return value

    @field_validator("breakdowns")
    @classmethod
    def _breakdowns(cls, value: dict[str, Breakdown]) -> dict[str, Breakdown]:
        bad = [b for b in value if b not in BREAKDOWNS]
        if bad:
            raise ValueError(f"{bad} are not breakdowns; expected some of {list(BREAKDOWNS)}")
        return value

    @field_validator("checks")
    @classmethod
    def _checks(cls, value: list[str]) -> list[str]:
        bad = [c for c in value if c not in NAMED_CHECKS]
        if bad:
            raise ValueError(f"unknown check(s) {bad}; a recipe may name {list(NAMED_CHECKS)}")
        return value

    @model_validator(mode="after")
    def _whole(self) -> Recipe:
        declared = set(self.columns)
        if self.kind == "service_directory":
            missing = [c for c in ("type", "territory_code") if c not in declared]
            if missing:
                raise ValueError(f"a service directory needs columns {missing}")
            unknown = declared - set(SERVICE_FIELDS)
            if unknown:
                raise ValueError(
                    f"a service directory reads only {list(SERVICE_FIELDS)}, not {sorted(unknown)}"
                )
        else:
            for part in ("indicator", "period", "territory", "value"):
                if getattr(self, part) is None:
                    raise ValueError(f"missing [{part}]")
            if self.kind == "case_list" and not self.value.count_rows:
                raise ValueError(
                    "a case list is counted: [value] count_rows = true (rows are never summed or kept)"
                )
        if self.allow_columns and self.kind != "service_directory":
            raise ValueError("allow_columns is for service directories only: personal data is never read")
        used = self._used()
        unknown = sorted(c for c in used if c not in declared)
        if unknown:
            raise ValueError(f"uses column(s) {unknown} not declared under [columns] ({sorted(declared)})")
        bad = [c for c in self.optional if c not in declared]
        if bad:
            raise ValueError(f"optional column(s) {bad} are not declared under [columns]")
        return self

    def _used(self) -> set[str]:
        used = {k.column for k in self.keep} | {d.column for d in self.drop} | set(self.unique)
        used |= {b.column for b in self.breakdowns.values()}
        if self.indicator and self.indicator.column:
            used.add(self.indicator.column)
        if self.period:
            used |= {c for c in (self.period.month, self.period.date) if c}
            if isinstance(self.period.year, str):
                used.add(self.period.year)
        if self.territory:
            used |= {c for c in (self.territory.code,) if c} | set(self.territory.names.values())
        if self.value and self.value.sum:
            used.add(self.value.sum)
        return used


def recipe_path(data_dir: Path, source: str) -> Path:
    return Path(data_dir) / "recipes" / f"{source}.toml"


def load_recipe(path: Path) -> Recipe:
    """Read and check a recipe; a mistake raises ``RecipeError`` naming the file and the key."""
    path = Path(path)
    if not path.exists():
        raise RecipeError(f"{path}: recipe not found")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RecipeError(f"{path.name}: not valid TOML ({exc})") from None
    try:
        return Recipe.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "(top level)"
            message = err["msg"].removeprefix("Value error, ")
            lines.append(f"{path.name}: key {key}: {message}")
        raise RecipeError("\n".join(lines)) from None
