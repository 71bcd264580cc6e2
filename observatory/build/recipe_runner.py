"""Apply a source recipe (``observatory.build.recipes``) to a file: rows -> checked cells.

``run`` reads the recipe's columns by header name, drops and keeps rows (each dropped row is
counted under its reason), turns dates, codes and names into periods and official codes, adds
rows up to the indicator's period and territory, and returns the observations (or, for a service
directory, the points) with a ``Report`` of what happened. A case list (one row per victim) only
ever leaves here as counts. Nothing here touches the warehouse.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from observatory.build import adapters, checks
from observatory.build.adapters import Batch, Context
from observatory.build.errors import IngestError, Problem
from observatory.build.places import Gazetteer, Unresolved, fold
from observatory.build.readers import ROW, read_table
from observatory.build.recipes import Recipe, RecipeError, load_recipe, recipe_path
from observatory.contract.schema import BREAKDOWNS, TOTAL

KEYS = ["indicator_id", "country", "territory_code", "period", "granularity", *BREAKDOWNS]


@dataclass
class Report:
    """What a file gave under a recipe: rows read, dropped (per reason) and kept; the cells."""

    recipe: str
    file: str
    rows_read: int = 0
    dropped: Counter = field(default_factory=Counter)
    dropped_rows: dict[str, list[int]] = field(default_factory=dict)
    cells: pd.DataFrame = field(default_factory=pd.DataFrame)
    unresolved: list[Unresolved] = field(default_factory=list)
    points: Counter = field(default_factory=Counter)  # service directories: points per type
    changed: dict[str, list[int]] = field(default_factory=dict)  # kept rows with a cell emptied, per reason

    @property
    def kept(self) -> int:
        return self.rows_read - sum(self.dropped.values())

    def totals(self) -> dict[str, dict[int, int]]:
        """indicator -> year -> total of the cells (every breakdown at its total)."""
        if self.cells.empty:
            return {}
        c = self.cells  # disjoint cells: a breakdown's values add up to its total
        frame = c.assign(year=c["period"].dt.year).groupby(["indicator_id", "year"])["value"].sum()
        out: dict[str, dict[int, int]] = {}
        for (ind, year), value in frame.items():
            out.setdefault(ind, {})[int(year)] = int(value)
        return out

    def describe(self) -> str:
        lines = [f"{self.file} read with recipe {self.recipe}", f"rows read: {self.rows_read:,}"]
        for reason, n in self.dropped.most_common():
            rows = self.dropped_rows.get(reason, [])
            shown = ", ".join(map(str, rows[:5])) + (", ..." if len(rows) > 5 else "")
            lines.append(f"dropped: {n:,}  {reason} (rows {shown})")
        lines.append(f"rows kept: {self.kept:,}")
        for reason, rows in self.changed.items():
            lines.append(f"kept, {reason}: {len(rows):,} (rows {', '.join(map(str, rows[:5]))})")
        if self.points:
            lines.append(
                f"service points: {sum(self.points.values()):,} ("
                + ", ".join(f"{k} {v:,}" for k, v in self.points.most_common())
                + ")"
            )
        if not self.cells.empty:
            lines.append(f"cells: {len(self.cells):,}")
            for ind, years in self.totals().items():
                lines.append(f"  {ind}: " + ", ".join(f"{y} {v:,}" for y, v in sorted(years.items())))
        if self.unresolved:
            lines.append(f"unresolved names: {len(self.unresolved)}")
            lines += [f"  {u.describe()}" for u in self.unresolved]
        else:
            lines.append("unresolved names: none")
        return "\n".join(lines)


@dataclass
class Outcome:
    batch: Batch | None
    report: Report
    points: pd.DataFrame | None = None


def for_source(data_dir: Path, source: str) -> tuple[Recipe, Path]:
    path = recipe_path(data_dir, source)
    return load_recipe(path), path


def run(
    recipe: Recipe,
    path: Path,
    ctx: Context,
    *,
    recipe_name: str = "recipe",
    release: str | None = None,
    strict: bool = True,
) -> Outcome:
    """The file's cells under ``recipe``. ``strict``: an unresolved name stops the import (the
    error lists each with its row and nearest candidates); otherwise those rows are dropped and
    listed in the report (``recipe check``)."""
    path = Path(path)
    name = path.name
    what = recipe.description or f"a file of {recipe.source} (recipe {recipe_name})"
    t = read_table(
        path,
        recipe.columns,
        optional=recipe.optional,
        encoding=recipe.encoding or ctx.encoding,
        sheet=recipe.sheet,
        what=what,
        allow=recipe.allow_columns,
    )
    report = Report(recipe_name, name, rows_read=len(t))
    t = _filter(recipe, t, report)
    if recipe.kind == "service_directory":
        return _directory(recipe, t, ctx, name, release, report)
    country = recipe.country
    indicator = _indicator(recipe, t, ctx, name)
    code, country_col = _territory(recipe, t, ctx, name, report, strict)
    if not strict and report.unresolved:
        unresolved = code.isna()
        _count(report, "place name not resolved", t.loc[unresolved, ROW])
        t, code, indicator = t[~unresolved], code[~unresolved], indicator[~unresolved]
        country_col = country_col[~unresolved] if isinstance(country_col, pd.Series) else country_col
    if t.empty:
        report.cells = pd.DataFrame(columns=[*KEYS, "value", "provisional"])
        return Outcome(None, report)
    if recipe.unique:
        keyed = t.assign(
            **{f"_u_{c}": code if c == recipe.territory.code else t[c].map(fold) for c in recipe.unique}
        )
        checks.no_duplicates(keyed, [f"_u_{c}" for c in recipe.unique], name, recipe.unique)
    granularities = {ctx.indicators[i]["granularity"] for i in indicator.unique()}
    if len(granularities) != 1:
        raise RecipeError(f"{recipe_name}: indicators of different granularities {sorted(granularities)}")
    granularity = granularities.pop()
    period = _period(recipe, t, name, granularity)
    checks.not_future(t, period, _period_column(recipe), name, ctx.today)
    code = _to_finest(code, indicator, ctx, country if isinstance(country_col, str) else None)
    value = (
        pd.Series(1, index=t.index)
        if recipe.value.count_rows
        else checks.counts(t, recipe.value.sum, name, label=recipe.value.label or None)
    )
    breakdowns = _breakdowns(recipe, t, name, indicator, ctx)
    if "pe_reporting_units" in recipe.checks and t["unit"].astype(str).str.len().gt(0).any():
        adapters._check_reporting_units(t.assign(_code=code), ctx, name)
    frame = pd.DataFrame(
        {
            "indicator_id": indicator,
            "country": country_col,
            "territory_code": code,
            "period": period,
            "granularity": granularity,
            **{b: breakdowns.get(b, TOTAL) for b in BREAKDOWNS},
            "value": value,
        },
        index=t.index,
    )
    # Rows become cells: several rows of one cell (a case list's victims, a file's sub-rows) add up.
    cells = frame.groupby(KEYS, as_index=False, sort=True)["value"].sum()
    if recipe.period.provisional == "last":
        cells["provisional"] = cells["period"] == cells["period"].max()
    else:
        cells["provisional"] = False
    report.cells = cells
    return Outcome(
        Batch(adapters._frame(**{c: cells[c] for c in cells.columns}), rows_read=report.rows_read), report
    )


def _count(report: Report, reason: str, rows) -> None:
    rows = [int(r) for r in rows]
    if rows:
        report.dropped[reason] += len(rows)
        report.dropped_rows.setdefault(reason, []).extend(rows)


def _filter(recipe: Recipe, t: pd.DataFrame, report: Report) -> pd.DataFrame:
    for rule in recipe.drop:
        text = t[rule.column].map(fold)
        hit = pd.Series(False, index=t.index)
        if rule.equals:
            hit |= text.isin({fold(v) for v in rule.equals})
        if rule.matches is not None:
            hit |= text.str.contains(rule.matches, regex=True)
        if rule.empty:
            hit |= text == ""
        _count(report, rule.reason, t.loc[hit, ROW])
        t = t[~hit]
    for rule in recipe.keep:
        ok = t[rule.column].map(fold).isin({fold(v) for v in rule.values})
        reason = rule.reason or f"{rule.column} not one of {', '.join(rule.values)}"
        _count(report, reason, t.loc[~ok, ROW])
        t = t[ok]
    return t


def _indicator(recipe: Recipe, t: pd.DataFrame, ctx: Context, name: str) -> pd.Series:
    spec = recipe.indicator
    if spec.id is not None:
        out = pd.Series(spec.id, index=t.index)
    else:
        table = {fold(k): v for k, v in spec.map.items()}
        out = t[spec.column].map(lambda v: table.get(fold(v)))
        bad = out.isna()
        if bad.any():
            checks._fail(
                name,
                f"values of {spec.column} with no indicator in the recipe",
                t,
                bad,
                spec.column,
                "no indicator",
            )
    unknown = sorted(set(out) - set(ctx.indicators))
    if unknown:
        raise RecipeError(
            f"recipe for {recipe.source}: indicator(s) {unknown} are not in data/indicators.toml"
        )
    return out


def _period_column(recipe: Recipe) -> str:
    p = recipe.period
    return p.date or (p.year if isinstance(p.year, str) else next(iter(recipe.columns)))


def _period(recipe: Recipe, t: pd.DataFrame, name: str, granularity: str) -> pd.Series:
    p = recipe.period
    if p.date is not None:
        text = t[p.date].astype(str).str.strip()
        parsed = pd.Series(pd.NaT, index=t.index, dtype="datetime64[ns]")
        for f in p.formats:  # several ways of writing a date in one file: the first that fits
            missing = parsed.isna()
            if not missing.any():
                break
            parsed[missing] = pd.to_datetime(text[missing], format=f, errors="coerce")
        bad = parsed.isna()
        if bad.any():
            checks._fail(
                name,
                f"dates in {p.date} not written as {' or '.join(p.formats)}",
                t,
                bad,
                p.date,
                "not a date",
            )
        year, month = parsed.dt.year, parsed.dt.month
    else:
        if isinstance(p.year, int):
            year = pd.Series(p.year, index=t.index)
        else:
            year = checks.years(t, p.year, name, first=1900)
        month = checks.months(t, p.month, name) if p.month else None
        if granularity == "month" and month is None:
            raise RecipeError(
                f"{recipe.source}: the indicator is monthly but the recipe gives no month or date"
            )
    if granularity == "year":
        return pd.to_datetime({"year": year, "month": 1, "day": 1})
    return pd.to_datetime({"year": year, "month": month, "day": 1})


def _territory(
    recipe: Recipe, t: pd.DataFrame, ctx: Context, name: str, report: Report, strict: bool
) -> tuple[pd.Series, pd.Series | str]:
    spec, country = recipe.territory, recipe.country
    what = spec.what or f"{spec.level} code"
    if spec.names:
        crosswalk = ctx.crosswalks / spec.crosswalk if spec.crosswalk else None
        gaz = Gazetteer.load(country, ctx.territories, crosswalk)
        code, problems = gaz.resolve_frame(t, spec.names, ROW)
        report.unresolved = problems
        if problems and strict:
            raise IngestError(
                name,
                f"{len(problems)} place name(s) not found within their parent; confirm each in "
                f"data/crosswalks/{spec.crosswalk} (country, level, parent_code, name, code, note) "
                f"or run `observatory recipe check` to see them all",
                [
                    Problem(u.row, spec.names[u.level], u.name, u.describe().split(": ", 1)[1])
                    for u in problems[:50]
                ],
                total=len(problems),
            )
        return code, country
    if spec.constant is not None:
        code = pd.Series(spec.constant, index=t.index)
        column = next(iter(recipe.columns))
        text = code
    else:
        column = spec.code
        text = t[column].astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
        if recipe.recode:
            text = text.replace(recipe.recode)
        if spec.lookup:
            with open(ctx.crosswalks / spec.lookup, encoding="utf-8") as fh:
                table = {fold(r[spec.lookup_key]): r[spec.lookup_value] for r in csv.DictReader(fh)}
            code = text.map(lambda v: table.get(fold(v)))
            bad = code.isna()
            if bad.any():
                checks._fail(
                    name,
                    f"unknown names in {column}",
                    t,
                    bad,
                    column,
                    f"not in data/crosswalks/{spec.lookup}",
                )
            text = code
        if spec.pad:
            malformed = ~text.str.fullmatch(r"\d+")
            if not spec.first:
                malformed |= text.str.len() > spec.pad
            if malformed.any():
                checks._fail(
                    name,
                    f"malformed {what}s in {column}",
                    t,
                    malformed,
                    column,
                    f"not a {spec.pad}-digit code",
                )
            text = text.str.zfill(spec.pad)
        if spec.first:
            short = text.str.len() < spec.first
            if short.any():
                checks._fail(
                    name, f"codes in {column} shorter than {spec.first} digits", t, short, column, "too short"
                )
            text = text.str[: spec.first]
        code = text
    if spec.level == "country":
        known = set(ctx.territories.loc[ctx.territories["level"] == "country", "code"])
        country_col: pd.Series | str = code
    else:
        below = ctx.levels_from(country, spec.level)
        known = set().union(*(ctx.codes(country, lv) for lv in below))
        country_col = country
    unknown = ~code.isin(known)
    if unknown.any():
        checks._fail(
            name,
            f"unknown {what}s in {column}{spec.unknown_hint}",
            t,
            unknown,
            column,
            f"unknown {what}",
            code,
        )
    if spec.level != "country":
        code = ctx.current(country, code)
    return code, country_col


def _to_finest(code: pd.Series, indicator: pd.Series, ctx: Context, country: str | None) -> pd.Series:
    """Codes cut to the width of each indicator's finest level (district rows add up to departments)."""
    if country is None:
        return code
    widths = ctx.widths.get(country, {})
    out = code.copy()
    for ind_id in indicator.unique():
        level = ctx.indicators[ind_id]["finest_level"]
        rows = indicator == ind_id
        if level == "country":
            out[rows] = country
        elif level in widths:
            out[rows] = code[rows].str[: widths[level]]
    return out


def _breakdowns(recipe: Recipe, t: pd.DataFrame, name: str, indicator: pd.Series, ctx: Context) -> dict:
    out = {}
    for b, spec in recipe.breakdowns.items():
        table = {fold(k): v for k, v in spec.map.items()}
        raw = t[spec.column].astype(str)

        def value(v: str, table=table, spec=spec) -> str | None:
            key = fold(v)
            if not key:
                return spec.missing
            if key in table:
                return table[key]
            return checks.slug(v) if spec.unmapped == "slug" else None

        mapped = raw.map(value)
        bad = mapped.isna()
        if bad.any():
            checks._fail(
                name,
                f"values of {spec.column} not in the recipe's map for {b}",
                t,
                bad,
                spec.column,
                "unmapped",
            )
        for ind_id in indicator.unique():
            allowed = set(filter(None, ctx.indicators[ind_id]["breakdowns"].split(",")))
            if b not in allowed:
                raise RecipeError(f"{recipe.source}: {ind_id} has no {b} breakdown in the catalogue")
        out[b] = mapped
    return out


def _directory(
    recipe: Recipe, t: pd.DataFrame, ctx: Context, name: str, release: str | None, report: Report
) -> Outcome:
    """A service directory: the points (shelters stripped of name and place) and their counts."""
    spec = recipe.services
    if release is None and spec is not None and spec.release_year:
        release = str(spec.release_year)
    frame = t.copy()
    for column in ("id", "service_name", "lat", "lon", "open_24h"):
        if column not in frame:
            frame[column] = ""
    prefix = spec.id_prefix if spec else "P"
    generated = frame[ROW].map(lambda r: f"{prefix}-{int(r):05d}")
    frame["id"] = frame["id"].where(frame["id"].astype(str).str.strip() != "", generated)
    if recipe.recode:
        frame["territory_code"] = frame["territory_code"].replace(recipe.recode)
    half = (frame["lat"].astype(str).str.strip() == "") != (frame["lon"].astype(str).str.strip() == "")
    if half.any() and spec is not None and spec.incomplete_coordinates == "drop":
        report.changed["coordinates dropped (latitude or longitude missing)"] = [
            int(r) for r in frame.loc[half, ROW]
        ]
        frame.loc[half, ["lat", "lon"]] = ""
    points, batch = adapters.service_points(frame, ctx, name, country=recipe.country, release=release)
    report.points = Counter(points["type"])
    report.cells = batch.observations[KEYS + ["value", "provisional"]]
    return Outcome(batch, report, points)


def check_file(path: Path, recipe_file: Path, ctx: Context, *, release: str | None = None) -> Report:
    """``observatory recipe check``: what the file would give, unresolved names listed, nothing written."""
    recipe = load_recipe(recipe_file)
    outcome = run(recipe, path, ctx, recipe_name=Path(recipe_file).name, release=release, strict=False)
    return outcome.report
