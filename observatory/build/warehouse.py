"""Writing the warehouse: build from the declared sources, or ingest one file into a copy.

Every write goes through ``Writer``: it works on a new file beside the live warehouse, runs the
checks, and only then renames it into place, so a failure at any point (bad file, failed check,
a killed process) leaves the live warehouse byte-for-byte as it was. Failed imports are logged
in ``failed-loads.jsonl`` beside it and copied into the ``loads`` ledger by the next good write.

What an import changes is said before it counts: ``Changes`` holds the cells added, changed and
removed and the totals per year before and after, for a ``dry_run`` (the same work on a copy that
is then thrown away) as for a real import. A declared source's file replaces that source's cells;
a generic file merges: it adds or replaces exactly its own cells (``replace=True`` replaces all of
its indicators). The file a write replaces is kept for ``rollback`` (``ingest/history.py``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import sqlalchemy as sa

from observatory.build import history
from observatory.build import population as pop
from observatory.build import territories as terr
from observatory.build.adapters import ADAPTERS, Batch, Context, population_table, services_directory
from observatory.build.errors import IngestError, Problem
from observatory.build.sources import Declared, FetchError, SourceFile, load_declared, locate, sha256_of
from observatory.contract import schema
from observatory.contract.countries import packs
from observatory.contract.indicators import accepting_generic, load_catalogue
from observatory.contract.settings import Settings
from observatory.warehouse.ledger import failed_loads, interrupted_loads

Log = Callable[[str], None]


class CheckError(RuntimeError):
    """A built warehouse failed a consistency check; it was not put in place."""


@dataclass
class Changes:
    """What an import does to the published cells (key: indicator, country, territory, period,
    granularity, breakdowns, institution), and the totals per indicator and year around it."""

    mode: str  # source (the file replaces its source) | merge | replace (generic)
    added: int = 0
    changed: int = 0
    removed: int = 0
    totals: dict[str, dict[int, tuple[float | None, float | None]]] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)  # reason -> rows read but not kept as a cell

    def describe(self) -> list[str]:
        lines = [
            f"cells: {self.added:,} added, {self.changed:,} changed, {self.removed:,} removed ({self.mode})"
        ]
        for indicator, years in self.totals.items():
            moved = [f"{y} {_n(b)} -> {_n(a)}" for y, (b, a) in sorted(years.items()) if b != a]
            lines.append(f"  {indicator} totals by year: " + ("; ".join(moved) if moved else "unchanged"))
        if self.dropped:
            lines.append("rows dropped: " + "; ".join(f"{n:,} {why}" for why, n in self.dropped.items()))
        else:
            lines.append("rows dropped: none")
        return lines


def _n(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


@dataclass
class LoadResult:
    load_id: str
    source: str
    release: str | None
    file_name: str
    status: str  # ok | unchanged | dry-run
    rows_read: int
    rows_accepted: int
    revisions: list[dict]
    changes: Changes | None = None


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def create_schema(path: Path) -> None:
    """Create every table of ``observatory.contract.schema`` in a new DuckDB file, through SQLAlchemy."""
    engine = sa.create_engine(f"duckdb:///{path}")
    try:
        schema.metadata.create_all(engine)
    finally:
        engine.dispose()


class Writer:
    """``with Writer(settings) as con:`` yields a connection to a new warehouse file.

    ``fresh=True`` starts from an empty schema, otherwise from a copy of the live warehouse.
    On a clean exit the catalogue is refreshed, the roll-up rebuilt, the checks run and the new
    file renamed over the live one. On any exception the new file is deleted.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        fresh: bool = False,
        declared: Declared | None = None,
        attempt: dict | None = None,
        dry_run: bool = False,
    ):
        self.settings = settings
        self.fresh = fresh
        self.dry_run = dry_run
        self.declared = declared or load_declared(settings)
        self.live = settings.warehouse_path
        token = f"{os.getpid()}.{uuid.uuid4().hex[:8]}"
        self.tmp = self.live.with_name(f".{self.live.name}.{token}.tmp")
        if dry_run:  # a dry run writes nothing beside the warehouse, not even its work file
            self._scratch = Path(tempfile.mkdtemp(prefix="observatory-dry-run-"))
            self.tmp = self._scratch / self.live.name
        # A marker says a write is under way; one left by a killed process becomes a failed load.
        self.marker = self.live.with_name(f".{self.live.name}.{token}.running.json")
        self.attempt = {"source": "build", "release": None, "file_name": "(build)", **(attempt or {})}
        self.con: duckdb.DuckDBPyConnection | None = None

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        if not self.dry_run:
            self.live.parent.mkdir(parents=True, exist_ok=True)
            record = {**self.attempt, "pid": os.getpid(), "started_at": _now().isoformat()}
            self.marker.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        if self.fresh or not self.live.exists():
            create_schema(self.tmp)
        else:
            shutil.copyfile(self.live, self.tmp)
            create_schema(self.tmp)  # tables this version declares that an older warehouse lacks
        self.con = duckdb.connect(str(self.tmp))
        return self.con

    def __exit__(self, exc_type, exc, tb) -> None:
        con = self.con
        try:
            if exc_type is None:
                refresh_catalogue(con, self.settings, self.declared)
                if not self.dry_run:
                    _merge_failed_loads(con, self.settings)
                rebuild_denominators(con)
                rebuild_service_access(con)
                rebuild_rollup(con)
                check(con)
                con.execute("CHECKPOINT")
        except BaseException:
            con.close()
            self._discard()
            raise
        con.close()
        if exc_type is not None or self.dry_run:
            self._discard()
            return
        with open(self.tmp, "rb") as fh:
            os.fsync(fh.fileno())
        history.keep(self.settings, {k: self.attempt.get(k) for k in ("source", "release", "file_name")})
        os.replace(self.tmp, self.live)
        self.marker.unlink(missing_ok=True)
        self.settings.failed_loads_path.unlink(missing_ok=True)

    def _discard(self) -> None:
        self.tmp.unlink(missing_ok=True)
        self.tmp.with_name(self.tmp.name + ".wal").unlink(missing_ok=True)
        self.marker.unlink(missing_ok=True)
        if self.dry_run:
            shutil.rmtree(self._scratch, ignore_errors=True)


# --- reference data ---------------------------------------------------------------------------


def refresh_catalogue(con: duckdb.DuckDBPyConnection, settings: Settings, declared: Declared) -> None:
    """Declared sources and the indicator catalogue, as the data files say now."""
    catalogue = load_catalogue(Path(settings.data_dir) / "indicators.toml", set(declared.sources))
    con.execute("DELETE FROM indicators")
    _insert(con, "indicators", pd.DataFrame(catalogue))
    existing = {r[0] for r in con.execute("SELECT name FROM sources").fetchall()}
    for name, meta in declared.sources.items():
        url = next((f.url for f in declared.files if f.source == name), "")
        if name in existing:
            con.execute(
                "UPDATE sources SET title = $title, publisher = $publisher, url = $url, licence = $licence WHERE name = $name",
                {
                    "title": meta["title"],
                    "publisher": meta["publisher"],
                    "url": url,
                    "licence": meta["licence"],
                    "name": name,
                },
            )
        else:
            con.execute(
                "INSERT INTO sources (name, title, publisher, url, licence) VALUES ($name, $title, $publisher, $url, $licence)",
                {
                    "name": name,
                    "title": meta["title"],
                    "publisher": meta["publisher"],
                    "url": url,
                    "licence": meta["licence"],
                },
            )


def load_reference(con: duckdb.DuckDBPyConnection, settings: Settings, declared: Declared, log: Log) -> None:
    """Territories and population of Peru (plus country rows for the multi-country series)."""
    t0 = time.perf_counter()
    paths = {
        f.key: locate(settings, f)
        for f in declared.files
        if f.source in ("pe_ubigeo", "pe_mapsperu") and f.key
    }
    if settings.boundary_layer == "peru-geojson-2016":
        layer_file = locate(settings, declared.file("pe_peru_geojson_2016", key="pe-district-2016"))
    else:
        layer_file = paths["district_names"]
    parts = [terr.peru(paths, terr.boundary_codes(layer_file), settings.boundary_layer)]
    extra_population = []
    for code, country in packs(settings.data_dir).items():
        if country.loader != "declarative":
            continue
        try:
            found, people = terr.declarative(
                country,
                lambda source, key: locate(settings, declared.file(source, key=key)),
                Path(settings.data_dir),
            )
        except FetchError as exc:
            log(f"reference: country pack {code} skipped, its files are missing: {exc}")
            continue
        parts.append(found)
        extra_population.append(people)
    have = set(pd.concat(parts)["code"])
    others = terr.countries(Path(settings.data_dir) / "crosswalks" / "cepal_countries.csv")
    parts.append(others[~others["code"].isin(have)])
    territories = pd.concat(parts, ignore_index=True)
    changes = terr.changes(
        Path(settings.data_dir) / "crosswalks" / "pe_district_changes.csv", "PE", territories
    )
    territories = terr.vintages(territories, changes)
    con.execute("DELETE FROM territories")
    _insert(con, "territories", territories)
    census = locate(settings, declared.file("pe_population", key="census_2017_district_sex"))
    projections = locate(settings, declared.file("pe_population", key="inei_department_sex_year"))
    population = pd.concat(
        [
            pop.census_2017(census),
            pop.inei_projections(projections),
            pop.estimated_2020(paths["districts"]),
            *extra_population,
        ],
        ignore_index=True,
    )
    con.execute("DELETE FROM population")
    _insert(con, "population", population)
    con.execute("DELETE FROM territory_changes")
    _insert(con, "territory_changes", changes)
    con.execute("DELETE FROM territory_groups")
    groups = terr.groups(Path(settings.data_dir) / "groups", territories)
    if not groups.empty:
        _insert(con, "territory_groups", groups)
    counts = territories.groupby("level").size().to_dict()
    log(
        f"reference: {counts} territories, {len(population):,} population rows ({time.perf_counter() - t0:.1f}s)"
    )


# --- observations -------------------------------------------------------------------------------


def context(con: duckdb.DuckDBPyConnection, settings: Settings, encoding: str | None = None) -> Context:
    territories = con.execute("SELECT country, code, level, name, parent_code FROM territories").df()
    catalogue = load_catalogue(Path(settings.data_dir) / "indicators.toml")
    countries = packs(settings.data_dir)
    recoded = con.execute(
        "SELECT country, former_code, current_code FROM territory_changes WHERE kind = 'recoded'"
    ).fetchall()
    return Context(
        recoded={(c, f): n for c, f, n in recoded},
        territories=territories,
        indicators={i["id"]: i for i in catalogue},
        crosswalks=Path(settings.data_dir) / "crosswalks",
        encoding=encoding,
        widths={c: p.code_widths for c, p in countries.items()},
        levels={c: p.levels for c, p in countries.items()},
    )


KEY = (
    "indicator_id",
    "country",
    "territory_code",
    "period",
    "granularity",
    *schema.BREAKDOWNS,
    "institution",
)


def apply_batch(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    release: str | None,
    path: Path,
    sha: str,
    batch: Batch,
    started: dt.datetime,
    replace_indicators: list[str] | None = None,
    mode: str = "source",
) -> LoadResult:
    """Put the batch's cells in; record the per-year revisions and the load.

    ``mode``: ``source`` replaces every cell of the source's indicators (a declared source's new
    release); ``replace`` every cell of ``replace_indicators``; ``merge`` only the cells the batch
    holds (same key), leaving every other cell as it was.
    """
    load_id = f"{source}:{release or 'unreleased'}:{sha[:12]}:{uuid.uuid4().hex[:6]}"
    indicators = replace_indicators or [
        r[0] for r in con.execute("SELECT id FROM indicators WHERE source = $s", {"s": source}).fetchall()
    ]
    old_release = con.execute("SELECT release FROM sources WHERE name = $s", {"s": source}).fetchone()
    old_release = old_release[0] if old_release else None
    before = _year_totals(con, indicators)
    before_each = _indicator_year_totals(con, indicators)
    obs = batch.observations.assign(load_id=load_id)
    con.register("_batch", obs)
    try:
        changes = _changes(con, indicators, mode)
        if mode == "merge":
            on = " AND ".join(f"o.{k} = b.{k}" for k in KEY)
            con.execute(f"DELETE FROM observations o USING _batch b WHERE {on}")
        else:
            con.execute(
                "DELETE FROM observations WHERE list_contains($ids, indicator_id)", {"ids": indicators}
            )
    finally:
        con.unregister("_batch")
    _insert(con, "observations", obs)
    after = _year_totals(con, indicators)
    after_each = _indicator_year_totals(con, indicators)
    changes.totals = {
        i: {
            y: (before_each.get(i, {}).get(y), after_each.get(i, {}).get(y))
            for y in sorted(set(before_each.get(i, {})) | set(after_each.get(i, {})))
        }
        for i in indicators
        if before_each.get(i) or after_each.get(i)
    }
    combined = batch.rows_read - len(obs)
    if combined > 0:
        changes.dropped["rows added into the same cell as another row (split labels of one territory)"] = (
            combined
        )
    revisions = []
    if old_release is not None and before:
        for year in sorted(set(before) | set(after)):
            b, a = before.get(year), after.get(year)
            if b != a:
                revisions.append(
                    {
                        "source": source,
                        "new_release": release or load_id,
                        "year": year,
                        "old_release": old_release,
                        "total_before": b,
                        "total_after": a,
                    }
                )
        con.execute(
            "DELETE FROM revisions WHERE source = $s AND new_release = $r",
            {"s": source, "r": release or load_id},
        )
        if revisions:
            _insert(con, "revisions", pd.DataFrame(revisions))
    # A merge without a release label keeps the source's release: its other cells still are that release.
    con.execute(
        "UPDATE sources SET release = CASE WHEN $keep THEN release ELSE $release END, file_name = $file, "
        "sha256 = $sha, loaded_at = $at WHERE name = $name",
        {
            "keep": mode == "merge" and release is None,
            "release": release,
            "file": path.name,
            "sha": sha,
            "at": _now(),
            "name": source,
        },
    )
    record = {
        "load_id": load_id,
        "source": source,
        "release": release,
        "file_name": path.name,
        "sha256": sha,
        "rows_read": batch.rows_read,
        "rows_accepted": batch.rows_read,
        "rows_rejected": 0,
        "started_at": started,
        "finished_at": _now(),
        "status": "ok",
        "error": None,
    }
    _insert(con, "loads", pd.DataFrame([record]))
    return LoadResult(
        load_id, source, release, path.name, "ok", batch.rows_read, batch.rows_read, revisions, changes
    )


def _changes(con: duckdb.DuckDBPyConnection, indicators: list[str], mode: str) -> Changes:
    """Cells of ``_batch`` added to, changed in, and (outside a merge) removed from the observations."""
    key = ", ".join(KEY)
    old = (
        f"SELECT {key}, value FROM observations o WHERE EXISTS "
        f"(SELECT 1 FROM _batch b WHERE {' AND '.join(f'o.{k} = b.{k}' for k in KEY)})"
        if mode == "merge"
        else f"SELECT {key}, value FROM observations WHERE list_contains($ids, indicator_id)"
    )
    new = f"SELECT {', '.join(f'CAST({k} AS DATE) AS {k}' if k == 'period' else k for k in KEY)}, value FROM _batch"
    params = {} if mode == "merge" else {"ids": indicators}
    added, removed, changed = con.execute(
        f"""WITH old AS ({old}), new AS ({new})
            SELECT (SELECT count(*) FROM new ANTI JOIN old USING ({key})),
                   (SELECT count(*) FROM old ANTI JOIN new USING ({key})),
                   (SELECT count(*) FROM old JOIN new USING ({key}) WHERE old.value <> new.value)""",
        params,
    ).fetchone()
    return Changes(mode, int(added), int(changed), int(removed))


def _indicator_year_totals(
    con: duckdb.DuckDBPyConnection, indicators: list[str]
) -> dict[str, dict[int, float]]:
    rows = con.execute(
        "SELECT indicator_id, year(period) AS y, sum(value) FROM observations "
        "WHERE list_contains($ids, indicator_id) GROUP BY ALL",
        {"ids": indicators},
    ).fetchall()
    out: dict[str, dict[int, float]] = {}
    for i, y, v in rows:
        out.setdefault(i, {})[int(y)] = float(v)
    return out


def _year_totals(con: duckdb.DuckDBPyConnection, indicators: list[str]) -> dict[int, float]:
    rows = con.execute(
        "SELECT year(period) AS y, sum(value) FROM observations WHERE list_contains($ids, indicator_id) GROUP BY y",
        {"ids": indicators},
    ).fetchall()
    return {int(y): float(v) for y, v in rows}


REFERENCE_POPULATION = ("inei_proyecciones", "censo_2017", "estimada_2020")


def rebuild_denominators(con: duckdb.DuckDBPyConnection) -> None:
    """One population per territory, year and sex for rates, best source first.

    1. A population table the observatory loaded itself (``ingest population``): as given.
    2. Departments and the country: INEI estimates and projections for that year.
    3. Provinces and districts: the 2017 census carried to the year by its department's growth
       in the INEI projections (census x projection(year) / projection(2017)), flagged estimated.
    4. Districts without a census figure (created after 2017): the 2020 area x density estimate,
       women by their department's census share; flagged estimated.
    """
    con.execute("DELETE FROM denominators")
    con.execute(
        """INSERT INTO denominators BY NAME
        WITH official AS (
            SELECT country, territory_code, year, sex, value, 'población oficial: ' || source AS method,
                   estimated, 1 AS priority
            FROM population WHERE NOT list_contains($reference, source)),
        projection AS (
            SELECT country, territory_code, year, sex, value,
                   'proyección INEI del departamento para el año' AS method, true AS estimated, 2 AS priority
            FROM population WHERE source = 'inei_proyecciones'),
        growth AS (
            SELECT p.territory_code AS dept, p.year, p.sex, p.value / b.value AS factor
            FROM population p JOIN population b
              ON b.source = 'inei_proyecciones' AND b.territory_code = p.territory_code
             AND b.sex = p.sex AND b.year = 2017
            WHERE p.source = 'inei_proyecciones'),
        census AS (
            SELECT c.country, c.territory_code, g.year, c.sex, c.value * g.factor AS value,
                   'censo 2017 ajustado por el crecimiento INEI del departamento' AS method,
                   g.year <> 2017 AS estimated, 3 AS priority
            FROM population c
            JOIN territories t ON t.country = c.country AND t.code = c.territory_code
            JOIN growth g ON g.dept = left(c.territory_code, 2) AND g.sex = c.sex
            WHERE c.source = 'censo_2017' AND t.level IN ('province', 'district')),
        share AS (
            SELECT f.territory_code AS dept, f.value / t.value AS women
            FROM population f JOIN population t
              ON t.source = f.source AND t.territory_code = f.territory_code AND t.year = f.year AND t.sex = 'total'
            WHERE f.source = 'censo_2017' AND f.sex = 'female' AND length(f.territory_code) = 2),
        estimate AS (
            SELECT e.country, e.territory_code, g.year, s.sex,
                   e.value * CASE s.sex WHEN 'female' THEN sh.women ELSE 1 END * g.factor / g2020.factor AS value,
                   'estimación 2020 (superficie x densidad) ajustada al año' AS method, true AS estimated,
                   4 AS priority
            FROM population e
            JOIN territories t ON t.country = e.country AND t.code = e.territory_code AND t.level = 'district'
            CROSS JOIN (VALUES ('female'), ('total')) s(sex)
            JOIN share sh ON sh.dept = left(e.territory_code, 2)
            JOIN growth g ON g.dept = left(e.territory_code, 2) AND g.sex = s.sex
            JOIN growth g2020 ON g2020.dept = g.dept AND g2020.sex = s.sex AND g2020.year = 2020
            WHERE e.source = 'estimada_2020'),
        ranked AS (
            SELECT *, row_number() OVER (PARTITION BY country, territory_code, year, sex ORDER BY priority) AS r
            FROM (SELECT * FROM official UNION ALL SELECT * FROM projection
                  UNION ALL SELECT * FROM census UNION ALL SELECT * FROM estimate))
        SELECT country, territory_code, year, sex, value, method, estimated FROM ranked WHERE r = 1""",
        {"reference": list(REFERENCE_POPULATION)},
    )


def rebuild_service_access(con: duckdb.DuckDBPyConnection) -> None:
    """For every district: the nearest public service point in a straight line from its centroid.

    Great-circle (haversine) distance on a sphere of the Earth's mean radius, 6,371.0088 km.
    Shelters have no coordinates (dropped at import), so they are never anyone's nearest point.
    """
    con.execute("DELETE FROM service_access")
    con.execute(
        """INSERT INTO service_access BY NAME
        WITH d AS (SELECT country, code, lat, lon FROM territories WHERE level = 'district'),
        p AS (SELECT country, id, type, lat, lon FROM service_points WHERE lat IS NOT NULL AND lon IS NOT NULL),
        pairs AS (
            SELECT d.country, d.code, p.id, p.type,
                   2 * 6371.0088 * asin(sqrt(
                       pow(sin(radians(p.lat - d.lat) / 2), 2)
                       + cos(radians(d.lat)) * cos(radians(p.lat)) * pow(sin(radians(p.lon - d.lon) / 2), 2)
                   )) AS km
            FROM d JOIN p ON p.country = d.country
            WHERE d.lat IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY d.country, d.code ORDER BY km, p.id) = 1),
        inside AS (SELECT country, territory_code, count(*) AS n FROM service_points GROUP BY ALL)
        SELECT d.country, d.code AS territory_code, pairs.id AS nearest_id, pairs.type AS nearest_type,
               pairs.km AS distance_km, coalesce(inside.n, 0) AS points_in_district
        FROM d
        LEFT JOIN pairs ON pairs.country = d.country AND pairs.code = d.code
        LEFT JOIN inside ON inside.country = d.country AND inside.territory_code = d.code
        WHERE d.country IN (SELECT DISTINCT country FROM service_points)"""
    )


ROLLUP_KEYS = "indicator_id, country, territory_code, period, granularity, institution"
# Every dashboard query fixes indicator, level and one value of each breakdown, then ranges over
# periods and territories: rows written in this order make each such slice a few contiguous row
# groups, which DuckDB's min/max zonemaps skip to without any index (bench/scale.py measures it).
ROLLUP_ORDER = (
    f"level, {', '.join(schema.BREAKDOWNS)}, institution, granularity, period, country, territory_code"
)


def rebuild_rollup(con: duckdb.DuckDBPyConnection) -> None:
    """Sum observations up the territorial hierarchy (and across breakdowns) into ``rollup``.

    Each indicator is observed at one level (checked), so summing each level into its parents
    never counts a row twice.

    1. Parents first, at the finest breakdowns: each level is summed from the one below into a
       small temp table (provinces, departments, country). The observations are read in place,
       never copied (temp tables live in memory).
    2. One GROUPING SETS pass per indicator over the coarser sets of its own breakdowns (the
       finest set is the rows themselves), straight into ``rollup``, sorted by ``ROLLUP_ORDER``.
       A rolled-up breakdown whose rows all say 'total' already (the file had no such breakdown
       for that cell) would repeat a finer row: HAVING drops it.
    3. The rows with every breakdown at 'total' copied into ``rollup_total``, sorted by area and
       period: most views ask for them, and read them there from a table a fraction the size.
    """
    keys, b = ROLLUP_KEYS, ", ".join(schema.BREAKDOWNS)
    con.execute("DELETE FROM rollup")
    obs = f"""SELECT o.indicator_id, o.country, o.territory_code, o.period, o.granularity, o.institution,
                     {", ".join("o." + x for x in schema.BREAKDOWNS)}, t.level, o.value, o.provisional
              FROM observations o JOIN territories t ON t.country = o.country AND t.code = o.territory_code"""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _up AS SELECT *, 0 AS step FROM ({obs}) LIMIT 0")
    source = f"({obs})"
    for step in range(1, len(schema.LEVELS)):
        added = con.execute(
            f"""INSERT INTO _up
                SELECT c.indicator_id, c.country, t.parent_code, c.period, c.granularity, c.institution,
                       {", ".join("c." + x for x in schema.BREAKDOWNS)}, p.level,
                       sum(c.value), bool_or(c.provisional), $step
                FROM {source} c
                JOIN territories t ON t.country = c.country AND t.code = c.territory_code
                JOIN territories p ON p.country = t.country AND p.code = t.parent_code
                GROUP BY ALL""",
            {"step": step},
        ).fetchall()[0][0]
        if added == 0:
            break
        source = f"(SELECT * EXCLUDE (step) FROM _up WHERE step = {step})"
    every = f"(SELECT * FROM ({obs}) UNION ALL SELECT * EXCLUDE (step) FROM _up)"
    for ind_id, breakdowns in con.execute("SELECT id, breakdowns FROM indicators ORDER BY id").fetchall():
        dims = [x for x in breakdowns.split(",") if x in schema.BREAKDOWNS]  # allow-list: these become SQL
        rows = f"SELECT {keys}, level, {b}, value, provisional FROM {every} WHERE indicator_id = $id"
        if dims:
            fixed = [*keys.split(", "), "level", *(x for x in schema.BREAKDOWNS if x not in dims)]
            sets = ", ".join(
                "(" + ", ".join(fixed + list(kept)) + ")"
                for r in range(len(dims))
                for kept in itertools.combinations(dims, r)
            )
            if len(dims) > 1:
                rolled = {d: f"coalesce({d}, 'total')" for d in dims}
                unique = " AND ".join(f"NOT (GROUPING({d}) = 1 AND bool_and({d} = 'total'))" for d in dims)
            else:  # one breakdown: the only coarser set rolls it up, and GROUPING() would reject it
                rolled = {dims[0]: "'total'"}
                unique = f"NOT bool_and({dims[0]} = 'total')"
            coalesced = ", ".join(f"{rolled[x]} AS {x}" if x in dims else x for x in schema.BREAKDOWNS)
            rows += f"""
                UNION ALL
                SELECT {keys}, level, {coalesced}, sum(value), bool_or(provisional)
                FROM {every} WHERE indicator_id = $id
                GROUP BY GROUPING SETS ({sets}) HAVING {unique}"""
        con.execute(
            f"INSERT INTO rollup BY NAME SELECT * FROM ({rows}) ORDER BY {ROLLUP_ORDER}", {"id": ind_id}
        )
    con.execute("DROP TABLE IF EXISTS _up")
    totals = " AND ".join(f"{x} = 'total'" for x in schema.BREAKDOWNS)
    con.execute("DELETE FROM rollup_total")
    con.execute(
        f"""INSERT INTO rollup_total BY NAME
            SELECT * EXCLUDE ({b}) FROM rollup WHERE {totals}
            ORDER BY indicator_id, level, granularity, country, territory_code, period, institution"""
    )


def missing_tables(path: Path) -> list[str]:
    """Tables of ``observatory.contract.schema`` that the warehouse at ``path`` lacks (built by an older
    version of the observatory): such a warehouse must be rebuilt before the app can read it."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    finally:
        con.close()
    return sorted(set(schema.metadata.tables) - present)


def check(con: duckdb.DuckDBPyConnection) -> None:
    """Build-time checks; any failure raises CheckError and the warehouse is not put in place.

    1. Each indicator's observations sit at one level per country (so roll-ups never double count).
    2. No cell is observed twice (``observations`` has no primary key: its index cost more than
       the whole rest of a national-scale build, and the adapters reject duplicates already).
    3. No cell appears twice in the roll-up: a file that mixes rows with and without a breakdown
       for the same cell would count it twice. Every territory reaches the country, so such a
       mix always shows there, and only the country rows need looking at.
    4. No observation for an unknown territory.
    5. Per indicator and period, the country row with every declared breakdown at 'total'
       equals the sum of the observations (no row lost on the way up).
    6. At the country, each breakdown's values add up to its 'total'.
    7. Every parent equals the sum of its children, for every breakdown.
    """
    bad = con.execute(
        """SELECT o.indicator_id, o.country, list(DISTINCT t.level ORDER BY t.level) FROM observations o
           JOIN territories t ON t.country = o.country AND t.code = o.territory_code
           GROUP BY ALL HAVING count(DISTINCT t.level) > 1 ORDER BY 1"""
    ).fetchall()
    if bad:
        raise CheckError(
            "observations of one indicator at several levels (their roll-up would count twice): "
            + "; ".join(f"{i} ({c}): {levels}" for i, c, levels in bad)
        )
    b = ", ".join(schema.BREAKDOWNS)
    key = f"{ROLLUP_KEYS}, {b}"
    doubled = con.execute(
        f"SELECT {key}, count(*) FROM observations GROUP BY ALL HAVING count(*) > 1 LIMIT 5"
    ).fetchall()
    if doubled:
        raise CheckError(
            f"a cell is observed twice (the same indicator, territory, period and breakdowns): {doubled}"
        )
    twice = con.execute(
        f"SELECT {key}, count(*) FROM rollup WHERE level = 'country' GROUP BY ALL HAVING count(*) > 1 LIMIT 5"
    ).fetchall()
    if twice:
        raise CheckError(
            "a cell appears twice in the roll-up: a file mixes rows with and without a breakdown for the "
            f"same cell (give every row its breakdown value, or none): {twice}"
        )
    orphans = con.execute(
        """SELECT DISTINCT o.indicator_id, o.territory_code FROM observations o
           LEFT JOIN territories t ON t.country = o.country AND t.code = o.territory_code
           WHERE t.code IS NULL LIMIT 10"""
    ).fetchall()
    if orphans:
        raise CheckError(f"observations for unknown territories: {orphans}")
    declared = ", ".join(
        f"CASE WHEN list_contains(d.dims, '{x}') THEN 'total' ELSE o.{x} END AS {x}"
        for x in schema.BREAKDOWNS
    )
    mismatch = con.execute(
        f"""WITH d AS (SELECT id, string_split(breakdowns, ',') AS dims FROM indicators),
            obs AS (
              SELECT o.indicator_id, o.country, o.period, o.granularity, o.institution, {declared},
                     sum(o.value) AS v
              FROM observations o JOIN d ON d.id = o.indicator_id GROUP BY ALL)
            SELECT obs.indicator_id, obs.period, obs.v, top.value FROM obs
            LEFT JOIN rollup top ON top.level = 'country'
              AND top.indicator_id = obs.indicator_id AND top.country = obs.country AND top.period = obs.period
              AND top.granularity = obs.granularity AND top.institution = obs.institution
              AND {" AND ".join(f"top.{x} = obs.{x}" for x in schema.BREAKDOWNS)}
            WHERE top.value IS NULL OR abs(obs.v - top.value) > 1e-6 LIMIT 5"""
    ).fetchall()
    if mismatch:
        raise CheckError(
            "consistency check failed, country total differs from the sum of observations: "
            + "; ".join(f"{i} {p}: observations {s} vs country {c}" for i, p, s, c in mismatch)
        )
    for x in schema.BREAKDOWNS:
        rest = ", ".join(y for y in schema.BREAKDOWNS if y != x)
        cube = con.execute(
            f"""WITH parts AS (
                  SELECT indicator_id, country, period, granularity, institution, {rest},
                         sum(value) FILTER (WHERE {x} <> 'total') AS parts,
                         sum(value) FILTER (WHERE {x} = 'total') AS total
                  FROM rollup WHERE level = 'country' GROUP BY ALL)
                SELECT * FROM parts WHERE parts IS NOT NULL AND abs(parts - coalesce(total, 0)) > 1e-6 LIMIT 5"""
        ).fetchall()
        if cube:
            raise CheckError(
                f"consistency check failed, at the country the values of {x} do not add up to its total: {cube}"
            )
    observed = """SELECT DISTINCT o.indicator_id, o.country, t.level FROM observations o
                  JOIN territories t ON t.country = o.country AND t.code = o.territory_code"""
    # Children count +, parents -: one aggregation, no join of an aggregate back to the roll-up.
    parents = con.execute(
        f"""WITH observed AS ({observed}),
            signed AS (
              SELECT r.indicator_id, r.country, t.parent_code AS code, r.period, r.granularity, r.institution,
                     {", ".join("r." + x for x in schema.BREAKDOWNS)}, r.value AS v
              FROM rollup r JOIN territories t ON t.country = r.country AND t.code = r.territory_code
              WHERE t.parent_code IS NOT NULL
              UNION ALL
              SELECT r.indicator_id, r.country, r.territory_code, r.period, r.granularity, r.institution, {b}, -r.value
              FROM rollup r ANTI JOIN observed USING (indicator_id, country, level))
            SELECT indicator_id, code, period, sum(v) FROM signed
            GROUP BY indicator_id, country, code, period, granularity, institution, {b}
            HAVING abs(sum(v)) > 1e-6 LIMIT 5"""
    ).fetchall()
    if parents:
        raise CheckError(
            "consistency check failed, a parent differs from the sum of its children: "
            + "; ".join(f"{i} {c} {p}: children minus parent {d}" for i, c, p, d in parents)
        )


# --- the two commands ------------------------------------------------------------------------------


def build(settings: Settings, log: Log = print) -> list[LoadResult]:
    """A new warehouse from every declared ``load = true`` file, in order; then renamed into place."""
    declared = load_declared(settings)
    results = []
    started = time.perf_counter()
    with Writer(settings, fresh=True, declared=declared) as con:
        refresh_catalogue(con, settings, declared)
        load_reference(con, settings, declared, log)
        for f in declared.files:
            if not f.load:
                continue
            path = locate(settings, f)
            result = _ingest_into(con, settings, declared, f.source, path, f.release, encoding=f.encoding)
            log(_describe(result))
            results.append(result)
    log(f"warehouse built in {time.perf_counter() - started:.1f}s: {settings.warehouse_path}")
    return results


def ingest(
    settings: Settings,
    source: str,
    path: Path,
    *,
    release: str | None = None,
    encoding: str | None = None,
    replace: bool = False,
    allow_older: bool = False,
    dry_run: bool = False,
    log: Log = print,
    **options,
) -> LoadResult:
    """Import one file into a copy of the live warehouse and put the copy in place.

    A declared source's file replaces that source's cells; its release, when not given, is the
    one ``sources.toml`` declares for a file with this sha256, and a release older than the one
    loaded is refused unless ``allow_older``. A generic file merges its cells (``replace``: all
    cells of its indicators go first). ``dry_run`` does all of it, checks included, on a scratch
    copy and says what would change; nothing is written. Importing the file the source already
    holds changes nothing at all (``_already_loaded``). A failure is logged beside the warehouse
    and re-raised; the live file is untouched.
    """
    path = Path(path)
    declared = load_declared(settings)
    if not settings.warehouse_path.exists():
        raise FileNotFoundError(
            f"no warehouse at {settings.warehouse_path}: run `python -m observatory build` first"
        )
    if source not in ("generic", "population"):
        declared.adapter(source)
    if options.get("country") is not None:
        known_country(settings, options["country"])
    if replace and source != "generic":
        raise ValueError(
            "--replace is for generic files: a declared source's file always replaces its source"
        )
    started = _now()
    try:
        sha = sha256_of(path) if path.exists() and path.is_file() else ""
        if release is None and source not in ("generic", "population"):
            release = next(
                (f.release for f in declared.files if f.source == source and f.sha256 == sha), None
            )
        held_by = (
            _already_loaded(settings, source, path, release, sha, encoding, {**options, "replace": replace})
            if sha
            else None
        )
        if held_by is not None:
            label = _population_label(path, release) if source == "population" else release
            result = LoadResult("", held_by, label, path.name, "unchanged", 0, 0, [])
            log(_describe(result))
            return result
        attempt = {"source": source, "release": release, "file_name": path.name}
        with Writer(settings, declared=declared, attempt=attempt, dry_run=dry_run) as con:
            result = _ingest_into(
                con,
                settings,
                declared,
                source,
                path,
                release,
                encoding=encoding,
                sha=sha or None,
                replace=replace,
                allow_older=allow_older,
                log=log,
                **options,
            )
    except (IngestError, CheckError, OSError, ValueError) as exc:
        if not dry_run:
            _log_failure(settings, source, release, path, started, exc)
        raise
    if dry_run:
        result.status = "dry-run"
    log(_describe(result))
    return result


def known_country(settings: Settings, code: str) -> None:
    """Raise ValueError naming ``code`` and the country packs there are, unless it is one."""
    available = packs(settings.data_dir)
    if code not in available:
        listed = ", ".join(f"{c} ({p.name_en})" for c, p in sorted(available.items()))
        raise ValueError(
            f"unknown country {code!r}: no country pack data/countries/{code.lower()}.toml; available: {listed}"
        )


_RELEASE = re.compile(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def _release_key(label: str | None) -> tuple[int, ...] | None:
    match = _RELEASE.fullmatch(label or "")
    return tuple(int(g) for g in match.groups() if g) if match else None


def _refuse_older_release(con, source: str, release: str | None, file: str) -> None:
    """Releases labelled by date (YYYY, YYYY-MM, YYYY-MM-DD) are ordered; others are not."""
    row = con.execute("SELECT release FROM sources WHERE name = $s", {"s": source}).fetchone()
    loaded = row[0] if row else None
    new, old = _release_key(release), _release_key(loaded)
    if new is None or old is None:
        return
    common = min(len(new), len(old))
    if new[:common] < old[:common]:
        raise IngestError(
            file,
            f"release {release} is older than release {loaded} of {source}, which is loaded: it would "
            f"replace newer figures. Pass --allow-older to load it anyway (or --dry-run to see what changes).",
        )


def _refuse_declared_indicators(
    batch: Batch, ctx: Context, declared: Declared, settings: Settings, file: str
):
    """Generic rows may not mix into an indicator a declared source feeds, unless the catalogue
    says it takes them (``accepts_generic``)."""
    takes = accepting_generic(Path(settings.data_dir) / "indicators.toml")
    frame = batch.observations
    rows = batch.rows or [None] * len(frame)
    problems, fed = [], {}
    for position, indicator in enumerate(frame["indicator_id"]):
        src = ctx.indicators[indicator]["source"]
        adapter = declared.sources.get(src, {}).get("adapter")
        if adapter in (None, "generic") or indicator in takes:
            continue
        fed[indicator] = src
        if len(problems) < 50:
            problems.append(
                Problem(rows[position], "indicator", indicator, f"fed by the declared source {src}")
            )
    if fed:
        named = "; ".join(
            f"{i} is fed by the declared source {src} ({declared.sources[src]['title']})"
            for i, src in fed.items()
        )
        raise IngestError(
            file,
            f"generic rows refused: {named}. Import that source's own file "
            f"(`ingest {next(iter(fed.values()))} FILE --release R`), or, if the observatory really "
            "completes this indicator with its own figures, set accepts_generic = true for it in "
            "data/indicators.toml",
            problems,
            total=sum(1 for i in frame["indicator_id"] if i in fed),
        )


def _ingest_into(
    con,
    settings,
    declared,
    source,
    path,
    release,
    *,
    encoding=None,
    sha: str | None = None,
    replace: bool = False,
    allow_older: bool = False,
    log: Log | None = None,
    **options,
) -> LoadResult:
    started = _now()
    sha = sha or sha256_of(path)  # hashed once per import, whoever asks
    ctx = context(con, settings, encoding)
    if source == "population":
        country = options.get("country") or settings.country
        return _ingest_population(con, ctx, path, release, started, sha, country=country)
    if source != "generic" and declared.adapter(source) == "recipe":
        if not allow_older:  # a release replaces its source's cells: never by an older one
            _refuse_older_release(con, source, release, path.name)
        return _ingest_recipe(con, settings, ctx, source, path, release, started, sha, options)
    if source != "generic" and declared.adapter(source) == "services":
        country = options.get("country") or settings.country
        if not allow_older:
            _refuse_older_release(con, source, release, path.name)
        points, batch = services_directory(path, ctx, country=country, release=release)
        con.execute("DELETE FROM service_points WHERE country = $c", {"c": country})
        _insert(con, "service_points", points)
        return apply_batch(
            con, source=source, release=release, path=path, sha=sha, batch=batch, started=started
        )
    if source == "generic":
        batch = ADAPTERS["generic"](path, ctx, **options)
        _refuse_declared_indicators(batch, ctx, declared, settings, path.name)
        sources = {ctx.indicators[i]["source"] for i in batch.indicators}
        if len(sources) != 1:
            first = {}  # the first row of each source's indicators, to point at
            for position, indicator in enumerate(batch.observations["indicator_id"]):
                first.setdefault(ctx.indicators[indicator]["source"], (position, indicator))
            rows = batch.rows or [None] * len(batch.observations)
            raise IngestError(
                path.name,
                f"a generic file must hold indicators of one source, found {sorted(sources)}: split it",
                [
                    Problem(rows[i], "indicator", ind, f"of source {src}")
                    for src, (i, ind) in sorted(first.items())
                ],
            )
        target = sources.pop()
        if not allow_older:
            _refuse_older_release(con, target, release, path.name)
        if replace and log is not None:
            going = con.execute(
                "SELECT indicator_id, count(*) FROM observations WHERE list_contains($ids, indicator_id) GROUP BY 1 ORDER BY 1",
                {"ids": batch.indicators},
            ).fetchall()
            for indicator, n in going or [(", ".join(batch.indicators), 0)]:
                log(
                    f"--replace: all {n:,} published cells of {indicator} go; the file's cells take their place"
                )
        result = apply_batch(
            con,
            source=target,
            release=release,
            path=path,
            sha=sha,
            batch=batch,
            started=started,
            replace_indicators=batch.indicators,
            mode="replace" if replace else "merge",
        )
        return result
    if not allow_older:  # before reading: the release is known from the command or sources.toml
        _refuse_older_release(con, source, release, path.name)
    batch = ADAPTERS[declared.adapter(source)](path, ctx)
    return apply_batch(con, source=source, release=release, path=path, sha=sha, batch=batch, started=started)


def _ingest_recipe(con, settings, ctx, source, path, release, started, sha, options) -> LoadResult:
    """A source read through its recipe (data/recipes/<source>.toml, observatory.build.recipe_runner)."""
    from observatory.build import recipe_runner

    recipe, recipe_file = recipe_runner.for_source(Path(settings.data_dir), source)
    outcome = recipe_runner.run(recipe, path, ctx, recipe_name=recipe_file.name, release=release)
    if outcome.points is not None:
        country = options.get("country") or recipe.country
        con.execute("DELETE FROM service_points WHERE country = $c", {"c": country})
        _insert(con, "service_points", outcome.points)
    return apply_batch(
        con,
        source=source,
        release=release,
        path=path,
        sha=sha,
        batch=outcome.batch,
        started=started,
        replace_indicators=sorted(
            set(outcome.batch.indicators)
            | {
                r[0]
                for r in con.execute("SELECT id FROM indicators WHERE source = $s", {"s": source}).fetchall()
            }
        ),
    )


def _population_label(path: Path, release: str | None) -> str:
    """The ``population.source`` an official population table is kept under."""
    return f"oficial_{release or path.stem}"


def _population_rows(path: Path, ctx: Context, release: str | None, country: str) -> pd.DataFrame:
    frame = population_table(path, ctx, country=country)
    return frame.assign(source=_population_label(path, release), note=f"cargada de {path.name}")


def _ingest_population(
    con, ctx: Context, path: Path, release, started, sha: str, *, country: str
) -> LoadResult:
    """An official population table, kept under its own source label; it outranks the estimates."""
    label = _population_label(path, release)
    frame = _population_rows(path, ctx, release, country)
    con.execute("DELETE FROM population WHERE source = $s", {"s": label})
    _insert(con, "population", frame)
    load_id = _population_load_id(label, sha)
    record = {
        "load_id": load_id,
        "source": "population",
        "release": label,
        "file_name": path.name,
        "sha256": sha,
        "rows_read": len(frame),
        "rows_accepted": len(frame),
        "rows_rejected": 0,
        "started_at": started,
        "finished_at": _now(),
        "status": "ok",
    }
    con.execute("DELETE FROM loads WHERE load_id = $id", {"id": load_id})
    _insert(con, "loads", pd.DataFrame([record]))
    return LoadResult(load_id, "population", label, path.name, "ok", len(frame), len(frame), [])


def _population_load_id(label: str, sha: str) -> str:
    return f"population:{label}:{sha[:12]}"


def _already_loaded(
    settings: Settings, source: str, path: Path, release: str | None, sha: str, encoding: str, options: dict
) -> str | None:
    """The source that already holds exactly this file, so importing it again would change nothing.

    A declared source: it holds a file with this sha256. ``generic`` and ``population``: the same
    file (sha256 and name) was loaded into the source with the same release, and it still reads
    into exactly the rows the warehouse keeps for it, so another mapping file or country, or a
    newer load over part of it, makes it a real import. Reads the live warehouse read-only.
    """
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        if source not in ("generic", "population"):
            row = con.execute("SELECT sha256 FROM sources WHERE name = $s", {"s": source}).fetchone()
            return source if row and row[0] == sha else None
        if source == "population":
            label = _population_label(path, release)
            seen = con.execute(
                "SELECT count(*) FROM loads WHERE load_id = $id AND status = 'ok' AND file_name = $file",
                {"id": _population_load_id(label, sha), "file": path.name},
            ).fetchone()[0]
            if not seen:
                return None
            country = options.get("country") or settings.country
            rows = _population_rows(path, context(con, settings, encoding), release, country)
            return (
                "population" if _holds(con, "population", rows, "source = $label", {"label": label}) else None
            )
        holders = {
            r[0]
            for r in con.execute(
                "SELECT name FROM sources WHERE sha256 = $sha AND file_name = $file AND release IS NOT DISTINCT FROM $release",
                {"sha": sha, "file": path.name, "release": release},
            ).fetchall()
        }
        if not holders:
            return None
        ctx = context(con, settings, encoding)
        replace = options.pop("replace", False)
        batch = ADAPTERS["generic"](path, ctx, **options)
        held = {ctx.indicators[i]["source"] for i in batch.indicators}
        if len(held) != 1 or not held <= holders:
            return None
        same = _holds(
            con,
            "observations",
            batch.observations,
            "list_contains($ids, indicator_id)",
            {"ids": batch.indicators},
            within=not replace,  # a merged file is held when its cells are; --replace: exactly
        )
        return held.pop() if same else None
    finally:
        con.close()


def _holds(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pd.DataFrame,
    where: str,
    params: dict,
    within: bool = False,
) -> bool:
    """Whether the rows of ``table`` matching ``where`` are exactly the rows of ``frame``, counting
    repeats, in ``frame``'s columns cast to the table's types (``within``: every row of ``frame``
    is among them, as for a merged file). ``table`` and ``where`` come from this module, never
    from input."""
    assert table in schema.metadata.tables
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $t",
            {"t": table},
        ).fetchall()
    )
    columns = [c for c in frame.columns if c in types]
    stored = f"SELECT {', '.join(columns)} FROM {table} WHERE {where}"
    given = f"SELECT {', '.join(f'CAST({c} AS {types[c]}) AS {c}' for c in columns)} FROM _frame"
    con.register("_frame", frame)
    try:
        both = "" if within else f" UNION ALL ({stored} EXCEPT ALL {given})"
        differ = con.execute(
            f"SELECT count(*) FROM (({given} EXCEPT ALL {stored}){both})",
            params,
        ).fetchall()[0][0]
    finally:
        con.unregister("_frame")
    return differ == 0


def _describe(r: LoadResult) -> str:
    if r.status == "unchanged":
        return f"{r.source} {r.release or ''}: {r.file_name} is already loaded; nothing changed"
    text = f"{r.source} {r.release or ''}: {r.rows_accepted:,} rows from {r.file_name}"
    if r.status == "dry-run":
        text = f"dry run, nothing written: {r.source} {r.release or ''}: {r.rows_accepted:,} rows read from {r.file_name}"
    if r.revisions:
        text += "; revised years: " + ", ".join(
            f"{v['year']} {v['total_before'] or 0:,.0f} -> {v['total_after'] or 0:,.0f}" for v in r.revisions
        )
    if r.changes is not None:
        text += "\n  " + "\n  ".join(r.changes.describe())
    return text


def _log_failure(
    settings: Settings, source: str, release: str | None, path: Path, started: dt.datetime, exc: Exception
) -> None:
    record = {
        "load_id": f"{source}:{release or 'unreleased'}:failed:{uuid.uuid4().hex[:6]}",
        "source": source,
        "release": release,
        "file_name": path.name,
        "sha256": sha256_of(path) if path.exists() and path.is_file() else None,
        "rows_read": None,
        "rows_accepted": 0,
        "rows_rejected": exc.rows_rejected if isinstance(exc, IngestError) else None,
        "started_at": started.isoformat(),
        "finished_at": _now().isoformat(),
        "status": "failed",
        "error": str(exc)[:4000],
    }
    settings.failed_loads_path.parent.mkdir(parents=True, exist_ok=True)
    with open(settings.failed_loads_path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def _merge_failed_loads(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    records = failed_loads(settings) + interrupted_loads(settings, clean=True)
    if records:
        frame = pd.DataFrame(records)
        frame["started_at"] = pd.to_datetime(frame["started_at"])
        frame["finished_at"] = pd.to_datetime(frame["finished_at"])
        con.execute("DELETE FROM loads WHERE list_contains($ids, load_id)", {"ids": list(frame["load_id"])})
        _insert(con, "loads", frame)


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Bulk insert by column name; ``table`` comes from this module, never from input."""
    assert table in schema.metadata.tables
    con.register("_frame", frame)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _frame")
    finally:
        con.unregister("_frame")


def source_file_for(declared: Declared, source: str, release: str | None) -> SourceFile | None:
    for f in declared.files:
        if f.source == source and f.release == release:
            return f
    return None
