"""The explore view: from a view state (the URL) to the exact tables every card shows.

No Dash and no figures here. ``resolve`` checks a state against the catalogue and the
territories and fills its defaults; ``area_table``, ``series_table`` and ``key_figures`` run
one query each and apply the catalogue's zero-fill rule and the disclosure rule
(``stats.present_columns``), so the map, the ranking, the table, a download and a future API all
publish the same cells.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from observatory.contract import countries
from observatory.contract.i18n import lang_or_default, t
from observatory.contract.schema import BREAKDOWNS, LEVELS
from observatory.contract.settings import Settings
from observatory.contract.site import Site
from observatory.views import disclosure, stats
from observatory.views.urlstate import MAX_COMPARE, MAX_VALUE_LENGTH, ViewState, is_safe, to_search
from observatory.warehouse import queries, snapshot
from observatory.warehouse.db import Warehouse
from observatory.warehouse.snapshot import Snapshot

MEASURES = ("count", "rate")
STEPS = ("month", "year")
DEFAULT_MONTHS = 12  # a monthly indicator opens on its latest twelve months
AREA_COLUMNS = [
    "country",
    "code",
    "name",
    "level",
    "status",
    "count",
    "rate",
    "ci_low",
    "ci_high",
    "smoothed",
    "unreliable",
    "shown",
    "population",
    "population_source",
    "population_year",
    "provisional",
    "has_polygon",
]
SERIES_COLUMNS = [
    "role",
    "country",
    "code",
    "name",
    "period",
    "status",
    "count",
    "rate",
    "ci_low",
    "ci_high",
    "unreliable",
    "shown",
    "population",
    "population_source",
    "population_year",
    "provisional",
    "partial",
]


# --------------------------------------------------------------------------- context


@dataclass(frozen=True, eq=False)
class Context:
    """What every view needs: the warehouse, settings, site identity and boundaries (may be None).

    ``warehouse`` is the live ``Warehouse`` (the app's context) or one version of it, a
    ``Snapshot`` (a request's context, made by ``pin``): every view of a request then reads the
    same version, and the warehouse's version is checked once, when the request pins it.
    """

    warehouse: Warehouse | Snapshot
    settings: Settings
    site: Site
    boundaries: Any = None

    @property
    def snapshot(self) -> Snapshot:
        """The version of the warehouse this context reads (the current one, unless pinned)."""
        return snapshot.current(self.warehouse)

    @property
    def key(self) -> tuple:
        """What, besides the snapshot's version, a remembered view depends on."""
        return (self.settings, id(self.site), id(self.boundaries))

    @property
    def country(self) -> str:
        return self.settings.country

    @property
    def pack(self) -> countries.Pack:
        """The country pack of the country served (cached by ``countries.packs``)."""
        return countries.pack(self.settings.data_dir, self.country)

    def level_label(self, level: str, lang: str) -> str:
        """What the country calls ``level`` (``Provincia`` in Peru, ``Municipio`` in El Salvador)."""
        return self.pack.label(level, lang_or_default(lang))


def pin(ctx: Context) -> Context:
    """``ctx`` reading the warehouse's current snapshot for the rest of a request."""
    if isinstance(ctx.warehouse, Snapshot):
        return ctx
    return dataclasses.replace(ctx, warehouse=snapshot.current(ctx.warehouse))


def kept(ctx: Context, key: tuple, compute: Callable[[], Any]):
    """Reference data of the context's snapshot: computed once per warehouse version, never dropped."""
    return ctx.snapshot.kept.get((ctx.key, *key), compute)


def remembered(ctx: Context, key: tuple, compute: Callable[[], Any]):
    """A view's table or figure in the snapshot's memo (the last ``Settings.memo_entries``)."""
    return ctx.snapshot.memo.get((ctx.key, *key), compute)


# --------------------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class Indicator:
    id: str
    kind: str
    country: str
    source: str
    granularity: str
    finest_level: str
    zero_fill: bool
    disclosure: str
    denominator: str | None
    rate_per: int
    breakdowns: tuple[str, ...]
    first_period: pd.Timestamp | None
    last_period: pd.Timestamp | None
    last_final_period: pd.Timestamp | None
    meta: dict = field(compare=False, hash=False, repr=False)

    @property
    def has_rate(self) -> bool:
        return self.denominator in ("female", "total")

    @property
    def multi_country(self) -> bool:
        return self.country == "*"

    def text(self, name: str, lang: str) -> str:
        value = self.meta.get(f"{name}_{lang}") or self.meta.get(f"{name}_es") or ""
        return "" if isinstance(value, float) else str(value)

    def get(self, name: str, default=None):
        value = self.meta.get(name, default)
        return default if value is None or (isinstance(value, float) and np.isnan(value)) else value


def _ts(value) -> pd.Timestamp | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value)


class Catalogue:
    """The indicators the site can show, the default first."""

    def __init__(self, frame: pd.DataFrame, default_id: str):
        items = []
        for row in frame.to_dict("records"):
            denominator = row.get("denominator")
            items.append(
                Indicator(
                    id=row["id"],
                    kind=row["kind"],
                    country=row["country"],
                    source=row["source"],
                    granularity=row["granularity"],
                    finest_level=row["finest_level"],
                    zero_fill=bool(row["zero_fill"]),
                    disclosure=row["disclosure"],
                    denominator=denominator if isinstance(denominator, str) else None,
                    rate_per=int(row.get("rate_per") or 100_000),
                    breakdowns=tuple(b for b in (row.get("breakdowns") or "").split(",") if b in BREAKDOWNS),
                    first_period=_ts(row.get("first_period")),
                    last_period=_ts(row.get("last_period")),
                    last_final_period=_ts(row.get("last_final_period")),
                    meta=row,
                )
            )
        items.sort(key=lambda i: (i.id != default_id, i.first_period is None, i.kind, i.id))
        self.items: tuple[Indicator, ...] = tuple(items)
        self._by_id = {i.id: i for i in items}

    def __contains__(self, ind_id: str) -> bool:
        return ind_id in self._by_id

    def __getitem__(self, ind_id: str) -> Indicator:
        return self._by_id[ind_id]

    def __iter__(self):
        return iter(self.items)

    @property
    def default(self) -> Indicator:
        with_data = [i for i in self.items if i.first_period is not None]
        return (with_data or list(self.items))[0]


# --------------------------------------------------------------------------- territories


def fold(text: str) -> str:
    """Lower case without accents, for searching and sorting names (Áncash next to Amazonas);
    ``Territories`` folds its names once."""
    return "".join(
        c for c in unicodedata.normalize("NFD", str(text).lower()) if unicodedata.category(c) != "Mn"
    )


class Territories:
    """Lookups over the territories table: names, parents, children, the levels in use."""

    def __init__(self, frame: pd.DataFrame, country: str):
        self.country = country
        self.frame = frame.set_index("code", drop=False)
        self.frame = self.frame[~self.frame.index.duplicated(keep="first")]
        own = frame[frame["country"] == country]
        self.levels: tuple[str, ...] = tuple(lv for lv in LEVELS if lv in set(own["level"]))
        self._children: dict[str, list[str]] = {}
        for code, parent in zip(own["code"], own["parent_code"], strict=True):
            if isinstance(parent, str) and parent != code:
                self._children.setdefault(parent, []).append(code)
        # Plain dicts for the lookups every request makes by the hundred (a DataFrame cell costs
        # tens of microseconds, a dict entry tens of nanoseconds).
        f, codes = self.frame, self.frame.index.tolist()
        self._name = dict(zip(codes, (str(n) for n in f["name"].tolist()), strict=True))
        self._level = dict(zip(codes, (str(v) for v in f["level"].tolist()), strict=True))
        self._country = dict(zip(codes, (str(v) for v in f["country"].tolist()), strict=True))
        self._parent = {
            c: p
            for c, p in zip(codes, f["parent_code"].tolist(), strict=True)
            if isinstance(p, str) and p != c and p in self._name
        }
        self._folded = pd.Series([fold(n) for n in self._name.values()], index=self.frame.index, dtype=object)
        self._fold = dict(zip(codes, self._folded.tolist(), strict=True))

    def __contains__(self, code: str) -> bool:
        return code in self._name

    def row(self, code: str) -> dict:
        return self.frame.loc[code].to_dict()

    def name(self, code: str) -> str:
        return self._name.get(code, code)

    def level(self, code: str) -> str:
        return self._level[code]

    def country_of(self, code: str) -> str:
        return self._country[code]

    def parent(self, code: str) -> str | None:
        return self._parent.get(code)

    def ancestors(self, code: str) -> list[str]:
        """From the top (the country) down to ``code`` itself."""
        chain, seen = [code], {code}
        while (parent := self.parent(chain[-1])) is not None and parent not in seen:
            chain.append(parent)
            seen.add(parent)
        return chain[::-1]

    def children(self, code: str) -> list[str]:
        return list(self._children.get(code, []))

    def ancestor_at(self, code: str, level: str) -> str | None:
        return next((c for c in self.ancestors(code) if self.level(c) == level), None)

    def below(self, level: str) -> str | None:
        """The next level down in this country, or None."""
        if level not in self.levels:
            return None
        i = self.levels.index(level)
        return self.levels[i + 1] if i + 1 < len(self.levels) else None

    def depth(self, level: str) -> int:
        return self.levels.index(level) if level in self.levels else LEVELS.index(level)

    def options(self, codes: Iterable[str]) -> list[tuple[str, str]]:
        """(code, name) sorted by name as a reader would (accents ignored)."""
        folded = self._fold
        return sorted(
            ((c, self.name(c)) for c in codes), key=lambda p: (folded.get(p[0]) or fold(p[1]), p[0])
        )

    def label(self, code: str) -> str:
        """``Ancón (Lima, Lima)``: the name with its parents, for pickers across levels."""
        above = [self.name(c) for c in self.ancestors(code)[1:-1]][::-1]
        return f"{self.name(code)} ({', '.join(above)})" if above else self.name(code)

    def search(self, text: str, levels: Iterable[str], limit: int = 30, countries: bool = False) -> list[str]:
        """Codes whose name starts with (then contains) ``text``, at the given levels."""
        needle = fold(text.strip())
        levels = set(levels)
        frame = self.frame[self.frame["level"].isin(levels)]
        if not countries:
            frame = frame[frame["country"] == self.country]
        if not needle:
            return []
        names = self._folded.loc[frame.index]
        starts = frame.index[names.str.startswith(needle)].tolist()
        contains = frame.index[
            names.str.contains(needle, regex=False) & ~names.str.startswith(needle)
        ].tolist()
        return (starts + contains)[:limit]


def catalogue(ctx: Context) -> Catalogue:
    """The indicators, once per warehouse version."""
    return kept(
        ctx,
        ("catalogue",),
        lambda: Catalogue(queries.indicators(ctx.warehouse, ctx.country), ctx.site.default_indicator),
    )


def territories(ctx: Context) -> Territories:
    """The territories, once per warehouse version."""
    return kept(
        ctx,
        ("territories",),
        lambda: Territories(queries.territories(ctx.warehouse, ctx.country), ctx.country),
    )


@dataclass(frozen=True)
class Group:
    """A named set of territories (data/groups/*.toml): a filter and a map highlight."""

    id: str
    names: tuple[str, str]
    descriptions: tuple[str, str]
    members: tuple[str, ...]

    def name(self, lang: str) -> str:
        return self.names[1] if lang == "en" else self.names[0]

    def description(self, lang: str) -> str:
        return self.descriptions[1] if lang == "en" else self.descriptions[0]


def _read_groups(ctx: Context) -> dict[str, Group]:
    frame = queries.group_members(ctx.warehouse, ctx.country)
    out = {}
    for gid, rows in frame.groupby("group_id", sort=True):
        first = rows.iloc[0]
        out[str(gid)] = Group(
            id=str(gid),
            names=(str(first["name_es"]), str(first["name_en"])),
            descriptions=tuple(
                "" if pd.isna(first[k]) else str(first[k]) for k in ("description_es", "description_en")
            ),
            members=tuple(rows["territory_code"].astype(str)),
        )
    return out


def groups(ctx: Context) -> dict[str, Group]:
    """The country's territory groups, by id (once per warehouse version)."""
    return kept(ctx, ("groups",), lambda: _read_groups(ctx))


def group_status(ctx: Context, group_id: str, codes: Iterable[str]) -> dict[str, str]:
    """For each code in the group: ``in`` (a member, or inside one) or ``part`` (holds members).

    Codes outside the group are left out. A group of provinces seen at department level marks
    the departments that hold them as ``part``: highlighted, but not counted as the group.
    """
    group = groups(ctx).get(group_id)
    if group is None:
        return {}
    terr = territories(ctx)
    members = {m for m in group.members if m in terr}
    holding = {a for m in members for a in terr.ancestors(m)[:-1]}
    out = {}
    for code in codes:
        if code not in terr:
            continue
        if members & set(terr.ancestors(code)):
            out[code] = "in"
        elif code in holding:
            out[code] = "part"
    return out


def in_group(ctx: Context, view: View, table: pd.DataFrame) -> pd.DataFrame:
    """The rows of an area table that the view's group keeps (all rows when no group is set)."""
    if not view.state.group or table.empty:
        return table
    status = group_status(ctx, view.state.group, table["code"])
    return table[table["code"].isin(status)].reset_index(drop=True)


def breakdown_options(ctx: Context, ind: Indicator) -> dict[str, list[str]]:
    """For each of the indicator's breakdowns, the values it takes (besides 'total')."""
    if not ind.breakdowns:
        return {}
    found = kept(ctx, ("breakdown_values", ind.id), lambda: _breakdown_values(ctx, ind.id))
    return {b: list(found.get(b, ())) for b in ind.breakdowns}


def _breakdown_values(ctx: Context, indicator: str) -> dict[str, tuple[str, ...]]:
    """An indicator's breakdown values: reference data (what the breakdown controls offer), read
    once per warehouse version rather than once per view."""
    frame = queries.breakdown_values(ctx.warehouse, indicator, ctx.country)
    return {b: tuple(part["value"]) for b, part in frame.groupby("breakdown", sort=False)}


# --------------------------------------------------------------------------- periods


def period_text(ts: pd.Timestamp, granularity: str) -> str:
    return f"{ts.year}" if granularity == "year" else f"{ts.year}-{ts.month:02d}"


def parse_period(text: str, granularity: str, edge: str) -> pd.Timestamp | None:
    """``2024-03`` or ``2024`` -> the first day of that month/year; None when malformed.

    A bare year on a monthly indicator means January (start) or December (end) of that year.
    """
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?", text or "")
    if not m:
        return None
    year = int(m[1])
    month = int(m[2]) if m[2] else (1 if edge == "start" else 12)
    if not (1 <= month <= 12 and 1900 <= year <= 2100):
        return None
    return pd.Timestamp(year, 1, 1) if granularity == "year" else pd.Timestamp(year, month, 1)


def shift_year(ts: pd.Timestamp, years: int = -1) -> pd.Timestamp:
    return ts + pd.DateOffset(years=years)


def period_grid(start: pd.Timestamp, end: pd.Timestamp, step: str) -> pd.DatetimeIndex:
    """The first day of every month or year from start to end."""
    if step == "year":
        return pd.date_range(pd.Timestamp(start.year, 1, 1), pd.Timestamp(end.year, 1, 1), freq="YS")
    return pd.date_range(start, end, freq="MS")


def default_period(ind: Indicator) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    if ind.last_period is None:
        return None
    end = ind.last_period
    if ind.granularity == "year":
        return end, end
    start = max(ind.first_period, end - pd.DateOffset(months=DEFAULT_MONTHS - 1))
    return start, end


# --------------------------------------------------------------------------- resolving a state


@dataclass(frozen=True)
class Notice:
    """Something the reader should know about the view: an i18n key under ``notice.`` and its fields."""

    key: str
    params: tuple[tuple[str, str], ...] = ()

    @property
    def fields(self) -> dict[str, str]:
        return dict(self.params)


def notice(key: str, **params) -> Notice:
    """A notice for the page to show: a key of ``notice.*`` in the locales and its parameters."""
    return Notice(key, tuple(sorted((k, str(v)) for k, v in params.items())))


def quoted(value) -> str:
    """A reader's value as a notice may repeat it: codes and years as sent, anything else as '?'."""
    ok = isinstance(value, str) and len(value) <= MAX_VALUE_LENGTH and is_safe(value)
    return value if ok else "?"


@dataclass(frozen=True)
class View:
    """A checked state and what follows from it: periods, the map's level and parent."""

    state: ViewState
    indicator: Indicator
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    previous: tuple[pd.Timestamp, pd.Timestamp] | None
    area_level: str
    map_level: str | None
    map_parent: str | None
    map_country: str | None
    highlight: str | None
    notices: tuple[Notice, ...] = ()

    @property
    def lang(self) -> str:
        return self.state.lang

    @property
    def has_data(self) -> bool:
        return self.start is not None

    @property
    def breakdowns(self) -> dict[str, str]:
        return {b: self.state.breakdown(b) for b in BREAKDOWNS}

    @property
    def smoothing(self) -> bool:
        """Whether the map, ranking and table show the empirical Bayes smoothed rate (a rate view
        that asked for it, on a map of districts)."""
        return bool(self.state.smooth) and self.state.measure == "rate" and self.map_level == "district"


def defaults(ctx: Context, ind: Indicator | None = None) -> ViewState:
    """The state a bare URL shows for ``ind`` (the site's default indicator when None)."""
    ind_id = ind.id if ind is not None else None
    return kept(ctx, ("defaults", ind_id), lambda: _defaults(ctx, ind_id))


def _defaults(ctx: Context, ind_id: str | None) -> ViewState:
    """``defaults``, once per warehouse version (a view asks for them a dozen times)."""
    cat = catalogue(ctx)
    ind = cat[ind_id] if ind_id is not None else cat.default
    period = default_period(ind)
    terr = territories(ctx)
    area = ctx.site.default_area if ctx.site.default_area in terr else ctx.country
    return ViewState(
        indicator=cat.default.id,
        area=area,
        start=period_text(period[0], ind.granularity) if period else "",
        end=period_text(period[1], ind.granularity) if period else "",
        measure="rate" if ind.has_rate else "count",
        step="month" if ind.granularity == "month" else "year",
        breakdowns=(),
        compare=(),
        lang="es",
    )


def _allowed_area(terr: Territories, ind: Indicator, code: str, country: str) -> bool:
    if code not in terr:
        return False
    if terr.country_of(code) != country:
        return ind.multi_country and terr.level(code) == "country"
    return True


def resolve(ctx: Context, raw: ViewState) -> View:
    """Check ``raw`` against the catalogue and territories; fill defaults; say what was changed."""
    return remembered(ctx, ("resolve", raw), lambda: _resolve(ctx, raw))


def _resolve(ctx: Context, raw: ViewState) -> View:
    cat, terr = catalogue(ctx), territories(ctx)
    notes: list[Notice] = []
    lang = raw.lang if raw.lang in ("es", "en") else "es"
    if raw.lang and raw.lang != lang:
        notes.append(notice("unknown_lang", value=raw.lang))

    if raw.indicator and raw.indicator in cat:
        ind = cat[raw.indicator]
    else:
        ind = cat.default
        if raw.indicator:
            notes.append(notice("unknown_indicator", value=raw.indicator))
    base = defaults(ctx, ind)

    # Area: known, in this country (or a country, for multi-country series), not finer than the data.
    finest = ind.finest_level if ind.finest_level in terr.levels else "country"
    area = raw.area or base.area
    if not _allowed_area(terr, ind, area, ctx.country):
        notes.append(notice("unknown_area", value=raw.area))
        area = base.area
    if terr.depth(terr.level(area)) > terr.depth(finest):
        coarser = terr.ancestor_at(area, finest) or base.area
        notes.append(notice("area_too_fine", area=terr.name(area), shown=terr.name(coarser)))
        area = coarser

    # Period: well formed, inside the indicator's coverage, in order.
    start = end = None
    previous = None
    if ind.first_period is not None:
        d_start, d_end = default_period(ind)
        start = parse_period(raw.start, ind.granularity, "start") if raw.start else d_start
        end = parse_period(raw.end, ind.granularity, "end") if raw.end else d_end
        if start is None or end is None:
            notes.append(notice("bad_period", value=f"{raw.start}..{raw.end}"))
            start, end = d_start, d_end
        if start > end:
            start, end = end, start
        first, last = ind.first_period, ind.last_period
        if start < first or end > last or start > last or end < first:
            notes.append(
                notice(
                    "period_clamped",
                    first=period_text(first, ind.granularity),
                    last=period_text(last, ind.granularity),
                )
            )
            start, end = min(max(start, first), last), max(min(end, last), first)
        prev = (shift_year(start), shift_year(end))
        previous = prev if prev[0] >= first else None
    else:
        notes.append(notice("no_data_indicator"))

    measure = raw.measure or base.measure
    if measure not in MEASURES or (measure == "rate" and not ind.has_rate):
        if raw.measure:
            notes.append(notice("measure_unavailable", value=raw.measure))
        measure = base.measure
    step = raw.step or base.step
    if ind.granularity == "year" or step not in STEPS:
        if raw.step and raw.step != "year":
            notes.append(notice("step_unavailable", value=raw.step))
        step = base.step

    breakdowns = {}
    if raw.breakdowns:
        available = breakdown_options(ctx, ind)
        for name, value in raw.breakdowns:
            if value in available.get(name, ()):
                breakdowns[name] = value
            else:
                notes.append(notice("unknown_breakdown", value=f"{name}={value}"))

    compare: list[str] = []
    for code in raw.compare:
        ok = _allowed_area(terr, ind, code, ctx.country) and terr.depth(terr.level(code)) <= terr.depth(
            finest
        )
        if not ok:
            notes.append(notice("unknown_compare", value=quoted(code)))
        elif code != area and code not in compare:
            compare.append(code)
    if len(compare) > MAX_COMPARE:
        notes.append(notice("too_many_compare", n=MAX_COMPARE))
        compare = compare[:MAX_COMPARE]

    group = raw.group
    if group and group not in groups(ctx):
        notes.append(notice("unknown_group", value=quoted(group)))
        group = ""

    state = ViewState(
        indicator=ind.id,
        area=area,
        start=period_text(start, ind.granularity) if start is not None else "",
        end=period_text(end, ind.granularity) if end is not None else "",
        measure=measure,
        step=step,
        breakdowns=tuple(sorted(breakdowns.items())),
        compare=tuple(compare),
        lang=lang,
        group=group,
        smooth=raw.smooth if measure == "rate" else "",
    )

    # The map: the level below the area, or the area among its siblings at the finest level.
    level = terr.level(area)
    below = terr.below(level) if terr.country_of(area) == ctx.country else None
    if below is not None and terr.depth(below) <= terr.depth(finest):
        map_level, map_parent, highlight = below, area, None
    else:
        map_level, map_parent, highlight = level, terr.parent(area), area
    map_country = None if (map_level == "country" and ind.multi_country) else terr.country_of(area)
    return View(
        state=state,
        indicator=ind,
        start=start,
        end=end,
        previous=previous,
        area_level=level,
        map_level=map_level,
        map_parent=map_parent,
        map_country=map_country,
        highlight=highlight,
        notices=tuple(notes),
    )


def canonical_search(ctx: Context, view: View) -> str:
    """The shortest query string that reproduces ``view``."""
    return to_search(view.state, defaults(ctx, view.indicator))


def permalink_search(ctx: Context, view: View) -> str:
    """Like ``canonical_search`` but with the period always written: the default period moves
    with every release, a link to cite must not."""
    return to_search(view.state, defaults(ctx, view.indicator).with_(start="", end=""))


# --------------------------------------------------------------------------- tables


def _population(
    ctx: Context, view: View, codes: list[str], years: list[int], country: str | None
) -> pd.DataFrame:
    """The denominators of ``codes`` for ``years`` (``queries.population``'s rows)."""
    ind = view.indicator
    if not ind.has_rate or not codes:
        return pd.DataFrame(columns=["code", "year", "population", "population_source", "population_year"])
    parts = []
    for year in sorted({int(y) for y in years}):
        held = population_of_year(ctx, country, ind.denominator, year)
        parts.append(held.frame.iloc[sorted({i for c in set(codes) for i in held.rows.get(c, ())})])
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return frame.reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class _YearPopulation:
    """Every territory's denominator for one year: the rows, each code's rows in them, and the
    first row's population, source and population year by code (what a view looks up)."""

    frame: pd.DataFrame
    rows: dict[str, tuple[int, ...]]
    first: dict[str, tuple[float, Any, float]]


def population_of_year(ctx: Context, country: str | None, sex: str, year: int) -> _YearPopulation:
    """Every territory's denominator for one year: reference data, read once per warehouse
    version (like the territories) rather than once per view."""
    return kept(ctx, ("population", country, sex, year), lambda: _read_population(ctx, country, sex, year))


def _read_population(ctx: Context, country: str | None, sex: str, year: int) -> _YearPopulation:
    frame = territories(ctx).frame
    codes = frame.index[frame["country"] == country] if country else frame.index
    pop = queries.population(ctx.warehouse, country=country, codes=list(codes), years=[year], sex=sex)
    rows: dict[str, list[int]] = {}
    first: dict[str, tuple[float, Any, float]] = {}
    columns = [pop[c].tolist() for c in ("code", "population", "population_source", "population_year")]
    for i, (code, people, source, people_year) in enumerate(zip(*columns, strict=True)):
        rows.setdefault(code, []).append(i)
        first.setdefault(code, (float(people), source, float(people_year)))
    return _YearPopulation(pop, {c: tuple(r) for c, r in rows.items()}, first)


_NO_DENOMINATOR = (np.nan, None, np.nan)


def _denominators(
    ctx: Context, view: View, keys: list[tuple[str, int]], country: str | None
) -> tuple[np.ndarray, list, np.ndarray]:
    """Population, its source and its year for each (code, year) of ``keys`` (NaN, None, NaN
    where there is none, or the indicator has no rate)."""
    ind = view.indicator
    if not ind.has_rate:
        found = [_NO_DENOMINATOR] * len(keys)
    else:
        years = {y: population_of_year(ctx, country, ind.denominator, y).first for y in {y for _, y in keys}}
        found = [years[y].get(code, _NO_DENOMINATOR) for code, y in keys]
    years_of = np.array([f[2] for f in found], dtype=float)
    if len(found) and not np.isnan(years_of).any():
        years_of = years_of.astype(np.int32)  # as the warehouse holds it, when every area has one
    return np.array([f[0] for f in found], dtype=float), [f[1] for f in found], years_of


def hidden(
    ctx: Context, view: View, start: pd.Timestamp, end: pd.Timestamp, country: str | None
) -> set[str] | None:
    """Codes the disclosure rule hides over the whole table (every level and breakdown) of a period.

    None for indicators whose source publishes every value.
    """
    ind = view.indicator
    if ind.disclosure != "suppress":
        return None
    return disclosure.hidden_codes(
        ctx.warehouse,
        indicator=ind.id,
        country=country or ctx.country,
        start=start.date(),
        end=end.date(),
        k=ctx.settings.disclosure_k,
        breakdown=view.breakdowns,
    )


def _present_columns(
    ctx: Context, view: View, value: np.ndarray, population: np.ndarray, codes: list[str], hidden_codes
) -> dict[str, np.ndarray]:
    """``stats.present_columns`` with the view's disclosure rule, measure and rate base: the
    published columns (``count`` for ``count_shown``). ``hidden_codes``: what the rule hid over
    the whole table (None where the source publishes every value)."""
    ind = view.indicator
    out = stats.present_columns(
        value,
        population,
        codes,
        disclosure=ind.disclosure,
        k=ctx.settings.disclosure_k,
        measure=view.state.measure,
        rate_per=ind.rate_per,
        hidden=hidden_codes
        if hidden_codes is not None
        else (set() if ind.disclosure == "suppress" else None),
    )
    out["count"] = out.pop("count_shown")
    return out


def _polygons(ctx: Context, country: str | None, level: str) -> frozenset[str] | None:
    """Codes with a polygon in the served layer; None when there is no layer for the level."""
    if ctx.boundaries is None or country is None:
        return None
    try:
        if ctx.boundaries.layer_path(country, level) is None:
            return None
        return ctx.boundaries.codes(country, level)  # a frozenset of str, kept with the layer
    except (FileNotFoundError, KeyError, ValueError):
        return None


def map_available(ctx: Context, view: View) -> bool:
    return view.map_level is not None and _polygons(ctx, view.map_country, view.map_level) is not None


def map_unavailable_text(ctx: Context, view: View) -> str:
    """Why there is no choropleth, naming the level (e.g. El Salvador's 2024 municipalities)."""
    if view.map_level is None or view.map_country is None:
        return t("map.unavailable_any", view.lang)
    label = ctx.level_label(view.map_level, view.lang)
    country = countries.packs(ctx.settings.data_dir).get(view.map_country)
    name = country.name(view.lang) if country else view.map_country
    return t("map.unavailable", view.lang, level=label.lower(), country=name)


def _table(ctx: Context, name: str, view: View, compute: Callable[[], Any]):
    """A view table from the snapshot's memo; a copy the caller may change (pandas copies on
    write: a shallow copy shares the data until a caller changes it)."""
    out = remembered(ctx, (name, view), compute)
    return out.copy(deep=False) if isinstance(out, pd.DataFrame) else dict(out)


def area_table(ctx: Context, view: View) -> pd.DataFrame:
    """The sub-areas of the view (map, ranking and table), exactly as published.

    One row per area at ``view.map_level`` under ``view.map_parent``, in code order, with the
    columns of ``AREA_COLUMNS``: ``status`` is value | zero | suppressed | no_data; ``count`` and
    ``rate`` are NaN where nothing may be shown; ``shown`` is the one the view's measure uses.
    Raw suppressed counts never leave this function.
    """
    return _table(ctx, "area_table", view, lambda: _area_table(ctx, view))


def _area_table(ctx: Context, view: View) -> pd.DataFrame:
    if not view.has_data or view.map_level is None:
        return pd.DataFrame(columns=AREA_COLUMNS)
    ind = view.indicator
    frame = queries.area_values(
        ctx.warehouse,
        indicator=ind.id,
        country=view.map_country,
        level=view.map_level,
        parent=view.map_parent,
        start=view.start,
        end=view.end,
        granularity=ind.granularity,
        breakdowns=view.breakdowns,
    )
    # Assembled from arrays into one frame at the end: pandas' per-operation overhead was most
    # of a view's time (bench/interactions.py).
    codes = frame["code"].tolist()
    value = frame["value"].to_numpy(dtype=float, na_value=np.nan)
    if ind.zero_fill:
        value = np.where(np.isnan(value), 0.0, value)
    year = view.end.year
    population, source, population_year = _denominators(
        ctx, view, [(c, year) for c in codes], view.map_country
    )
    hidden_codes = hidden(ctx, view, view.start, view.end, view.map_country)
    out = _present_columns(ctx, view, value, population, codes, hidden_codes)
    out["smoothed"] = np.full(len(codes), np.nan)
    if view.map_level == "district" and ind.has_rate:
        # Small districts' rates swing wildly: an empirical Bayes rate, labelled as such, beside
        # the raw one. Only visible counts go in, so it cannot reveal a suppressed one.
        status = out["status"]
        counted = np.where((status == "value") | (status == "zero"), out["count"], np.nan)
        out["smoothed"] = stats.empirical_bayes(counted, population, ind.rate_per).to_numpy()
        if view.smoothing:  # the reader asked to see (and shade) the smoothed rate
            out["shown"] = out["smoothed"]
    polygons = _polygons(ctx, view.map_country, view.map_level)
    out["has_polygon"] = (
        # A membership test per row: Series.isin copies the whole set of a layer's codes each time.
        np.array([c in polygons for c in codes], dtype=bool)
        if polygons is not None
        else frame["has_boundary"].to_numpy(dtype=bool)
    )
    given = {
        "country": frame["country"].to_numpy(),
        "code": frame["code"].to_numpy(),
        "name": frame["name"].to_numpy(),
        "level": np.full(len(codes), view.map_level, dtype=object),
        "population": population,
        "population_source": np.array([np.nan if x is None else x for x in source], dtype=object),
        "population_year": population_year,
        "provisional": frame["provisional"].to_numpy(dtype=bool),
    }
    return pd.DataFrame({c: given[c] if c in given else out[c] for c in AREA_COLUMNS})


def series_roles(ctx: Context, view: View) -> list[tuple[str, str]]:
    """(role, code) of the lines drawn: the area, its parent, the country, then compared areas."""
    terr = territories(ctx)
    area = view.state.area
    roles = [("area", area)]
    chain = terr.ancestors(area)
    if len(chain) >= 3:
        roles.append(("parent", chain[-2]))
    if len(chain) >= 2:
        roles.append(("country", chain[0]))
    roles += [("compare", c) for c in view.state.compare if c not in {code for _, code in roles}]
    return roles


def series_table(ctx: Context, view: View) -> pd.DataFrame:
    """The time series drawn, long format (``SERIES_COLUMNS``), one row per line and period.

    Periods with no rows are true zeros for zero-fill indicators and no data otherwise; a
    yearly step over a monthly indicator marks years not wholly inside the period as partial.
    A yearly indicator's series starts at its first year (``series_start``), so a view of one year
    still shows the trend it belongs to; the map and key figures keep the period chosen.
    """
    return _table(ctx, "series_table", view, lambda: _series_table(ctx, view))


def _series_table(ctx: Context, view: View) -> pd.DataFrame:
    if not view.has_data:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    ind, terr, step = view.indicator, territories(ctx), view.state.step
    start = series_start(view)
    roles = series_roles(ctx, view)
    codes = [c for _, c in roles]
    multi = ind.multi_country and view.area_level == "country"
    country = None if multi else terr.country_of(view.state.area)
    raw = queries.series(
        ctx.warehouse,
        indicator=ind.id,
        country=country,
        codes=codes,
        start=start,
        end=view.end,
        granularity=ind.granularity,
        step=step,
        breakdowns=view.breakdowns,
    )
    grid = period_grid(start, view.end, step)
    # Every line on the whole grid at once, as arrays: (role, code) x period, then the values and
    # denominators looked up per cell (a few hundred; merges cost several milliseconds).
    n = len(grid)
    periods = list(grid)
    cell_codes = [c for c in codes for _ in range(n)]
    cell_periods = periods * len(codes)
    found: dict = {}
    columns = [raw[c].tolist() for c in ("code", "period", "value", "provisional")]
    for code, period, value, provisional in zip(*columns, strict=True):
        found.setdefault((code, pd.Timestamp(period)), (value, provisional))
    cells = [found.get(key, (np.nan, False)) for key in zip(cell_codes, cell_periods, strict=True)]
    value = np.array([c[0] for c in cells], dtype=float)
    if ind.zero_fill:
        value = np.where(np.isnan(value), 0.0, value)
    population, source, population_year = _denominators(
        ctx, view, [(c, p.year) for c, p in zip(cell_codes, cell_periods, strict=True)], country
    )
    # Each period is its own published table: the disclosure rule applies period by period. One
    # call for all of it, with cells keyed by code and period.
    if ind.disclosure == "suppress":
        hidden_cells = set()
        for period in grid:
            first, last = _bucket(period, step, view)
            hidden_cells |= {f"{c}|{period.date()}" for c in hidden(ctx, view, first, last, country) or ()}
        keys = [f"{c}|{p.date()}" for c, p in zip(cell_codes, cell_periods, strict=True)]
        out = _present_columns(ctx, view, value, population, keys, hidden_cells)
    else:  # nothing to key by period: every value is published
        out = _present_columns(ctx, view, value, population, cell_codes, None)
    given = {
        "role": np.repeat(np.array([r for r, _ in roles], dtype=object), n),
        "country": np.repeat(np.array([terr.country_of(c) for c in codes], dtype=object), n),
        "code": np.array(cell_codes, dtype=object),
        "name": np.repeat(np.array([terr.name(c) for c in codes], dtype=object), n),
        "period": np.tile(grid.to_numpy(), len(roles)),
        "population": population,
        "population_source": np.array(source, dtype=object),
        "population_year": population_year.astype(float),
        "provisional": np.array([bool(c[1]) for c in cells], dtype=bool),
        "partial": np.tile(np.asarray(_partial(grid, view, step), dtype=bool), len(roles)),
    }
    return pd.DataFrame({c: given[c] if c in given else out[c] for c in SERIES_COLUMNS})


def series_start(view: View) -> pd.Timestamp:
    """Where the series begins: the period's start, or a yearly indicator's first year."""
    first = view.indicator.first_period
    if view.indicator.granularity == "year" and first is not None:
        return min(first, view.start)
    return view.start


def _bucket(period: pd.Timestamp, step: str, view: View) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first and last period of the data a series point sums (a year may be cut by the range)."""
    if step == "year" and view.indicator.granularity == "month":
        return max(period, view.start), min(pd.Timestamp(period.year, 12, 1), view.end)
    return period, period


def _partial(grid: pd.DatetimeIndex, view: View, step: str) -> list[bool]:
    """Years (of a monthly indicator) that the period or the data only partly cover."""
    if step != "year" or view.indicator.granularity == "year":
        return [False] * len(grid)
    first = max(view.start, view.indicator.first_period)
    last = min(view.end, view.indicator.last_period)
    return [first > p or last < pd.Timestamp(p.year, 12, 1) for p in grid]


def key_figures(ctx: Context, view: View) -> dict:
    """The selected area's total in the period, its rate, and the change against a year earlier.

    Keys: code, name, status, count, rate, ci_low, ci_high, unreliable, population,
    population_source, population_year, provisional, previous_status, previous_count, change
    (a ratio; None when the earlier period is outside the data or its count is 0 or hidden).
    """
    return _table(ctx, "key_figures", view, lambda: _key_figures(ctx, view))


def _key_figures(ctx: Context, view: View) -> dict:
    terr, ind = territories(ctx), view.indicator
    code = view.state.area
    out: dict = {"code": code, "name": terr.name(code), "status": "no_data", "count": np.nan, "rate": np.nan}
    if not view.has_data:
        return out | {"change": None, "previous_status": "no_data", "previous_count": np.nan}
    prev = view.previous or (shift_year(view.start), shift_year(view.end))
    row = queries.area_total(
        ctx.warehouse,
        indicator=ind.id,
        country=terr.country_of(code),
        level=terr.level(code),
        code=code,
        start=view.start,
        end=view.end,
        previous_start=prev[0],
        previous_end=prev[1],
        granularity=ind.granularity,
        breakdowns=view.breakdowns,
    )
    current, previous = row["value"], row["previous"] if view.previous else np.nan
    if ind.zero_fill:
        current = 0.0 if pd.isna(current) else current
        if view.previous is not None:
            previous = 0.0 if pd.isna(previous) else previous
    country = terr.country_of(code)
    population, source, population_year = _denominators(
        ctx, view, [(code, view.end.year), (code, prev[1].year)], country
    )
    # Each period is its own published cell; the rule over each period's whole table decides.
    cells = None
    if ind.disclosure == "suppress":
        cells = {"now"} if code in (hidden(ctx, view, view.start, view.end, country) or ()) else set()
        cells |= {"before"} if code in (hidden(ctx, view, prev[0], prev[1], country) or ()) else set()
    columns = _present_columns(
        ctx, view, np.array([current, previous], dtype=float), population, ["now", "before"], cells
    )
    columns["population"] = population
    now, before = ({name: column[i] for name, column in columns.items()} for i in (0, 1))
    change = None
    if view.previous is not None and before["status"] == "value" and now["status"] in ("value", "zero"):
        if (
            view.state.measure == "rate"
            and pd.notna(now["rate"])
            and pd.notna(before["rate"])
            and before["rate"]
        ):
            change = float(now["rate"] / before["rate"] - 1)
        elif pd.notna(before["count"]) and before["count"]:
            change = float(now["count"] / before["count"] - 1)
    return out | {
        "status": now["status"],
        "count": now["count"],
        "rate": now["rate"],
        "ci_low": now["ci_low"],
        "ci_high": now["ci_high"],
        "unreliable": bool(now["unreliable"]),
        "population": now["population"],
        "population_source": source[0],
        "population_year": None if np.isnan(population_year[0]) else int(population_year[0]),
        "provisional": bool(row["provisional"]),
        "previous_status": before["status"] if view.previous else "no_data",
        "previous_count": before["count"],
        "previous_rate": before["rate"],
        "previous_start": prev[0] if view.previous else None,
        "previous_end": prev[1] if view.previous else None,
        "change": change,
    }


def compare_candidates(ctx: Context, view: View, text: str, limit: int = 30) -> list[str]:
    """Codes a reader may add to the comparison: search by name at the levels the indicator has."""
    terr, ind = territories(ctx), view.indicator
    finest = ind.finest_level if ind.finest_level in terr.levels else "country"
    levels = terr.levels[: terr.depth(finest) + 1]
    return [
        c
        for c in terr.search(text, levels, limit=limit + 1, countries=ind.multi_country)
        if c != view.state.area and _allowed_area(terr, ind, c, ctx.country)
    ][:limit]


def sibling_suggestions(ctx: Context, view: View, limit: int = 30) -> list[str]:
    """Areas next to the selected one (same parent and level), offered before any search."""
    terr = territories(ctx)
    parent = terr.parent(view.state.area)
    codes = terr.children(parent) if parent else []
    if view.indicator.multi_country and view.area_level == "country":
        frame = terr.frame
        codes = frame.index[(frame["level"] == "country")].tolist()
    return [c for c in codes if c != view.state.area][:limit]
