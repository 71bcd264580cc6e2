"""Data at national scale (issue 6): build cost and read latency of synthetic warehouses.

``python -m bench.scale [--quick] [--scales 1000000,10000000] [--out bench/data] [--runs 30]``

For each scale, in fresh processes (so each peak RSS is that step's alone):

1. ``build``: a synthetic warehouse (bench/synth.py) through the real build steps.
2. ``insert``: the observations insert alone, without a primary key (as schema.py declares it
   since issue 6; uniqueness is a query of the build's checks, timed too) and with the former key.
3. ``rollup``: on copies of the built warehouse with an empty roll-up, ``rebuild_rollup`` and
   ``check`` as observatory/build/warehouse.py has them (``current``) and as proposed here:
   parents first at the finest breakdowns, one GROUPING SETS pass per indicator, checks on the
   roll-up alone; ``proposed-unsorted`` prices the sort, ``proposed+year`` writes the rows
   sorted plus a yearly pre-aggregate, once more under a 3 GB memory limit.
4. ``reads``: representative dashboard queries through the app's read-only attach pattern
   (observatory/warehouse/db.py) on the current and the proposed layout: median and p95 wall time over
   ``--runs`` runs after one cold run, median CPU time, row groups read.

Since issue 6, warehouse.py builds the roll-up and runs the checks as proposed here (sorted,
without the yearly table): ``current`` and ``proposed-unsorted`` now differ by the sort alone.
The yearly pre-aggregate was not adopted: at 10M rows a query is 10-20 ms of an interaction's
several hundred (bench/interactions.py), so it would not pay for its build time and space.

The queries are this module's own SQL strings (shaped like observatory/warehouse/sql/explore_*.sql),
never files under observatory/warehouse/sql. Synthetic warehouses are written under ``--out``
(default bench/data/, to be ignored by git); ``--quick`` (100k rows, one run) works in a
temporary folder and leaves nothing behind. Tests never run this module.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from observatory.build.warehouse import CheckError
from observatory.contract import schema

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "data"
SCALES = (1_000_000, 10_000_000)
QUICK_SCALE = 100_000
RUNS = 30
TARGET_MS = 10.0

# --- the proposed roll-up and checks (an experimental copy; warehouse.py is not changed here) ----

KEYS = "indicator_id, country, territory_code, period, granularity, institution"
B = ", ".join(schema.BREAKDOWNS)
# Every dashboard query fixes indicator, level and one value of each breakdown, then ranges over
# periods and territories: rows written in this order make each such slice a few contiguous row
# groups, which DuckDB's min/max zonemaps skip to without any index.
ORDER = f"level, {B}, institution, granularity, period, country, territory_code"  # one indicator per INSERT


def rebuild_rollup_proposed(
    con: duckdb.DuckDBPyConnection, *, sort: bool = True, yearly: bool = False, phases: dict | None = None
) -> None:
    """Same rows as ``warehouse.rebuild_rollup`` (unique keys: duplicates never arise), computed cheaper.

    1. Parents first, at the finest breakdowns: each level is summed from the one below into a
       small temp table (provinces, departments, country), instead of summing every CUBE row
       of every district up the hierarchy. The observations themselves are read in place, never
       copied into a temp table (temp tables live in memory).
    2. One GROUPING SETS pass per indicator with breakdowns, over every coarser set only (the
       finest set is the rows themselves), straight into ``rollup`` sorted by ``ORDER``. A
       rolled-up breakdown whose rows all say 'total' already would repeat a finer row: HAVING
       drops it, which replaces ``SELECT DISTINCT`` over every column.
    ``sort=False`` writes the same rows unsorted (to price the sort). ``yearly``: also write
    ``rollup_year`` (monthly indicators summed by calendar year, same columns and order), created
    here because schema.py does not declare it. ``phases`` receives seconds per phase.
    """
    phases = {} if phases is None else phases
    started = time.perf_counter()
    con.execute("DELETE FROM rollup")
    obs = f"""SELECT o.indicator_id, o.country, o.territory_code, o.period, o.granularity, o.institution,
                     {", ".join("o." + b for b in schema.BREAKDOWNS)}, t.level, o.value, o.provisional
              FROM observations o JOIN territories t ON t.country = o.country AND t.code = o.territory_code"""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _up AS SELECT *, 0 AS step FROM ({obs}) LIMIT 0")
    source = f"({obs})"
    for step in range(1, len(schema.LEVELS)):
        added = con.execute(
            f"""INSERT INTO _up
                SELECT c.indicator_id, c.country, t.parent_code, c.period, c.granularity, c.institution,
                       {", ".join("c." + b for b in schema.BREAKDOWNS)}, p.level,
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
    phases["parents_s"] = time.perf_counter() - started
    started = time.perf_counter()
    every = f"(SELECT * FROM ({obs}) UNION ALL SELECT * EXCLUDE (step) FROM _up)"
    for ind_id, breakdowns in con.execute("SELECT id, breakdowns FROM indicators ORDER BY id").fetchall():
        dims = [b for b in breakdowns.split(",") if b in schema.BREAKDOWNS]  # allow-list: these become SQL
        rows = f"SELECT {KEYS}, level, {B}, value, provisional FROM {every} WHERE indicator_id = $id"
        if dims:
            fixed = [*KEYS.split(", "), "level", *(b for b in schema.BREAKDOWNS if b not in dims)]
            sets = ", ".join(
                "(" + ", ".join(fixed + list(kept)) + ")"
                for r in range(len(dims))
                for kept in itertools.combinations(dims, r)
            )
            if len(dims) > 1:
                rolled = {b: f"coalesce({b}, 'total')" for b in dims}
                unique = " AND ".join(f"NOT (GROUPING({d}) = 1 AND bool_and({d} = 'total'))" for d in dims)
            else:  # one breakdown: the only coarser set rolls it up, and GROUPING() would reject it
                rolled = {dims[0]: "'total'"}
                unique = f"NOT bool_and({dims[0]} = 'total')"
            coalesced = ", ".join(f"{rolled[b]} AS {b}" if b in dims else b for b in schema.BREAKDOWNS)
            rows += f"""
                UNION ALL
                SELECT {KEYS}, level, {coalesced}, sum(value), bool_or(provisional)
                FROM {every} WHERE indicator_id = $id
                GROUP BY GROUPING SETS ({sets}) HAVING {unique}"""
        order = f"ORDER BY {ORDER}" if sort else ""
        con.execute(f"INSERT INTO rollup BY NAME SELECT * FROM ({rows}) {order}", {"id": ind_id})
    con.execute("DROP TABLE IF EXISTS _up")
    phases["breakdowns_write_s"] = time.perf_counter() - started
    started = time.perf_counter()
    if yearly:
        con.execute(
            f"""CREATE OR REPLACE TABLE rollup_year AS
                SELECT indicator_id, country, level, territory_code, CAST(date_trunc('year', period) AS DATE) AS period,
                       granularity, {B}, institution, sum(value) AS value, bool_or(provisional) AS provisional,
                       count(*) AS months
                FROM rollup WHERE granularity = 'month'
                GROUP BY ALL ORDER BY indicator_id, {ORDER}"""
        )
        phases["yearly_s"] = time.perf_counter() - started


def check_proposed(con: duckdb.DuckDBPyConnection) -> None:
    """The checks of ``warehouse.check`` without the ``_base`` temp table, on ``rollup`` alone.

    1., 2. as in warehouse.py (one level per indicator and country; no unknown territory).
    3. Per indicator and period, the country row with every declared breakdown at 'total'
       equals the sum of the observations (no row lost on the way up).
    4. At the country, each breakdown's values add up to its 'total' (the CUBE is right).
    5. Every parent equals the sum of its children, for every breakdown: one aggregation over
       children (+) and parents (-) instead of an aggregation joined back to the roll-up.
    """
    bad = con.execute(
        """SELECT o.indicator_id, o.country, list(DISTINCT t.level ORDER BY t.level) FROM observations o
           JOIN territories t ON t.country = o.country AND t.code = o.territory_code
           GROUP BY ALL HAVING count(DISTINCT t.level) > 1 ORDER BY 1"""
    ).fetchall()
    if bad:
        raise CheckError(f"observations of one indicator at several levels: {bad}")
    orphans = con.execute(
        """SELECT DISTINCT o.indicator_id, o.territory_code FROM observations o
           LEFT JOIN territories t ON t.country = o.country AND t.code = o.territory_code
           WHERE t.code IS NULL LIMIT 10"""
    ).fetchall()
    if orphans:
        raise CheckError(f"observations for unknown territories: {orphans}")
    declared = ", ".join(
        f"CASE WHEN list_contains(d.dims, '{b}') THEN 'total' ELSE o.{b} END AS {b}"
        for b in schema.BREAKDOWNS
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
              AND {" AND ".join(f"top.{b} = obs.{b}" for b in schema.BREAKDOWNS)}
            WHERE top.value IS NULL OR abs(obs.v - top.value) > 1e-6 LIMIT 5"""
    ).fetchall()
    if mismatch:
        raise CheckError(f"country total differs from the sum of observations: {mismatch}")
    for b in schema.BREAKDOWNS:
        rest = [x for x in schema.BREAKDOWNS if x != b]
        cube = con.execute(
            f"""WITH parts AS (
                  SELECT indicator_id, country, period, granularity, institution, {", ".join(rest)},
                         sum(value) FILTER (WHERE {b} <> 'total') AS parts, sum(value) FILTER (WHERE {b} = 'total') AS total
                  FROM rollup WHERE level = 'country' GROUP BY ALL)
                SELECT * FROM parts WHERE parts IS NOT NULL AND abs(parts - coalesce(total, 0)) > 1e-6 LIMIT 5"""
        ).fetchall()
        if cube:
            raise CheckError(f"at the country, the values of {b} do not add up to its total: {cube}")
    observed = """SELECT DISTINCT o.indicator_id, o.country, t.level FROM observations o
                  JOIN territories t ON t.country = o.country AND t.code = o.territory_code"""
    parents = con.execute(
        f"""WITH observed AS ({observed}),
            signed AS (
              SELECT r.indicator_id, r.country, t.parent_code AS code, r.period, r.granularity, r.institution,
                     {", ".join("r." + b for b in schema.BREAKDOWNS)}, r.value AS v
              FROM rollup r JOIN territories t ON t.country = r.country AND t.code = r.territory_code
              WHERE t.parent_code IS NOT NULL
              UNION ALL
              SELECT r.indicator_id, r.country, r.territory_code, r.period, r.granularity, r.institution, {B}, -r.value
              FROM rollup r ANTI JOIN observed USING (indicator_id, country, level))
            SELECT indicator_id, country, code, period, granularity, institution, {B}, sum(v) FROM signed
            GROUP BY ALL HAVING abs(sum(v)) > 1e-6 LIMIT 5"""
    ).fetchall()
    if parents:
        raise CheckError(f"a parent differs from the sum of its children: {parents}")


# --- the representative reads ----------------------------------------------------------------

AREA_VALUES = """
WITH areas AS (
    SELECT country, code, name, has_boundary FROM territories
    WHERE level = $level AND country = $country AND ($parent IS NULL OR parent_code = $parent)
),
vals AS (
    SELECT country, territory_code AS code, sum(value) AS value, bool_or(provisional) AS provisional
    FROM {table}
    WHERE indicator_id = $indicator AND level = $level AND country = $country
      AND granularity = 'month' AND period BETWEEN $start AND $end
      AND violence_type = $violence_type AND sex = $sex AND age_group = $age_group AND risk_level = 'total'
      AND territory_code IN (SELECT code FROM areas)
    GROUP BY country, territory_code
)
SELECT a.country, a.code, a.name, a.has_boundary, v.value, coalesce(v.provisional, false) AS provisional
FROM areas a LEFT JOIN vals v ON v.country = a.country AND v.code = a.code
ORDER BY a.country, a.code
"""
SERIES = """
SELECT country, territory_code AS code, CAST(date_trunc($step, period) AS DATE) AS period,
       sum(value) AS value, bool_or(provisional) AS provisional
FROM {table}
WHERE indicator_id = $indicator AND {codes} AND country = $country
  AND granularity = 'month' AND period BETWEEN $start AND $end
  AND violence_type = $violence_type AND sex = $sex AND age_group = $age_group AND risk_level = 'total'
GROUP BY ALL
ORDER BY code, period
"""
# The same values without the territories CTE and join (the app holds the territory list already):
# DuckDB spends most of a small query planning it, ~1 ms per join, CTE or ORDER BY on this machine.
LEAN_VALUES = """
SELECT territory_code AS code, sum(value) AS value, bool_or(provisional) AS provisional
FROM {table}
WHERE indicator_id = $indicator AND level = $level AND country = $country
  AND granularity = 'month' AND period BETWEEN $start AND $end
  AND violence_type = $violence_type AND sex = $sex AND age_group = $age_group AND risk_level = 'total'
GROUP BY territory_code
"""
LIST_CONTAINS = "list_contains($codes, territory_code)"
FIVE_DISTRICTS = ["150101", "150132", "040101", "130101", "010101"]


def queries(first: str, last: str) -> list[dict]:
    """The measured reads on the synthetic indicator, for a warehouse covering months first..last."""
    from bench.synth import SYNTHETIC_ID

    last_year = int(last[:4]) - 1 if last[5:7] != "12" else int(last[:4])
    common = {
        "indicator": SYNTHETIC_ID,
        "country": "PE",
        "violence_type": "total",
        "sex": "total",
        "age_group": "total",
    }
    year = {"start": f"{last_year}-01-01", "end": f"{last_year}-12-01"}
    whole = {"start": first, "end": last}
    out = [
        ("a", "districts of Lima province, 12 months, violence_type=sexual", AREA_VALUES, "rollup",
         {**common, **year, "level": "district", "parent": "1501", "violence_type": "sexual"}),
        ("b", "all departments, one year", AREA_VALUES, "rollup", {**common, **year, "level": "department", "parent": "PE"}),
        ("b'", "all departments, one year (yearly table)", AREA_VALUES, "rollup_year",
         {**common, **year, "end": year["start"], "level": "department", "parent": "PE"}),
        ("c", "national monthly series, whole range", SERIES, "rollup", {**common, **whole, "codes": ["PE"], "step": "month"}),
        ("d", "monthly series of 5 districts, whole range", SERIES, "rollup",
         {**common, **whole, "codes": FIVE_DISTRICTS, "step": "month"}),
        ("e", "all districts, 12 months", AREA_VALUES, "rollup", {**common, **year, "level": "district", "parent": None}),
        ("f", "all districts, whole range", AREA_VALUES, "rollup", {**common, **whole, "level": "district", "parent": None}),
        ("f'", "all districts, whole range (yearly table)", AREA_VALUES, "rollup_year",
         {**common, **whole, "start": f"{first[:4]}-01-01", "level": "district", "parent": None}),
    ]  # fmt: skip
    # explore_series.sql filters with list_contains(), which DuckDB evaluates row by row; = ANY()
    # is pushed into the scan like IN.
    d = next(q for q in out if q[0] == "d")
    extra = [("d'", d[1] + " (= ANY)", *d[2:], "territory_code = ANY($codes)")]
    for key in ("b", "e"):  # the whole level: no parent filter, so no need for the territories table
        q = next(q for q in out if q[0] == key)
        params = {k: v for k, v in q[4].items() if k != "parent"}
        extra.append((key + "*", q[1] + " (lean SQL)", LEAN_VALUES, q[3], params, LIST_CONTAINS))
    return [
        {
            "key": k,
            "label": label,
            "sql": sql.format(table=table, codes=codes),
            "table": table,
            "params": params,
        }
        for k, label, sql, table, params, codes in [(*q, LIST_CONTAINS) for q in out] + extra
    ]


# --- one step per process ----------------------------------------------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _used_mb(con: duckdb.DuckDBPyConnection) -> float:
    """Bytes in used blocks: comparable between files that were rewritten in place."""
    blocks, size = con.execute("SELECT used_blocks, block_size FROM pragma_database_size()").fetchall()[0]
    return blocks * size / 2**20


def _table_mb(con: duckdb.DuckDBPyConnection, table: str) -> float:
    """The blocks one table's columns occupy (names from this module only)."""
    blocks = con.execute(
        f"SELECT count(DISTINCT block_id) FROM pragma_storage_info('{table}') WHERE block_id >= 0"
    ).fetchall()[0][0]
    return blocks * 256 / 1024


def step_build(n_rows: int, path: Path) -> dict:
    from bench.synth import build_synthetic_warehouse

    figures = build_synthetic_warehouse(path, n_rows)
    return {**figures, "peak_rss_mb": _peak_mb()}


def step_insert(n_rows: int, path: Path, key: bool) -> dict:
    """Time inserting the synthetic observations alone, with the schema's primary key or without it."""
    from bench.synth import generate, reference_districts
    from observatory.build.warehouse import create_schema

    frame = generate(n_rows, 2025, reference_districts())
    create_schema(path)
    con = duckdb.connect(str(path))
    con.execute("SET enable_progress_bar = false")
    table = "observations"  # as schema.py declares it now: NOT NULLs, no PRIMARY KEY, hence no ART index
    if key:  # as it was declared before issue 6, to price the key's index
        con.execute("CREATE TABLE observations_key AS FROM observations LIMIT 0")
        con.execute(f"ALTER TABLE observations_key ADD PRIMARY KEY ({KEYS}, {B})")
        table = "observations_key"
    started = time.perf_counter()
    con.register("_synthetic", frame)
    con.execute(
        f"""INSERT INTO {table} (indicator_id, country, territory_code, period, granularity, violence_type, sex,
                                 age_group, risk_level, institution, value, provisional, load_id)
            SELECT 'synthetic_denuncias', 'PE', CAST(territory_code AS VARCHAR), CAST(period AS DATE), 'month',
                   CAST(violence_type AS VARCHAR), CAST(sex AS VARCHAR), CAST(age_group AS VARCHAR), 'total', '',
                   CAST(value AS DOUBLE), provisional, 'bench' FROM _synthetic"""
    )
    con.execute("CHECKPOINT")
    figures = {"rows": len(frame), "insert_s": time.perf_counter() - started, "used_mb": _used_mb(con)}
    del frame
    # Without the key, uniqueness becomes a build check: what does that query cost?
    started = time.perf_counter()
    keys = [*KEYS.split(", "), *schema.BREAKDOWNS]  # the natural key, whether schema.py declares it or not
    dup = con.execute(
        f"SELECT {', '.join(keys)}, count(*) FROM {table} GROUP BY ALL HAVING count(*) > 1 LIMIT 5"
    ).fetchall()
    figures["unique_check_s"] = time.perf_counter() - started
    figures["duplicates"] = len(dup)
    con.close()
    return {**figures, "peak_rss_mb": _peak_mb()}


def step_rollup(variant: str, path: Path, memory_limit: str | None = None) -> dict:
    """On a built warehouse: empty the roll-up (untimed), then time the variant's rebuild and checks."""
    from observatory.build.warehouse import check, rebuild_rollup

    con = duckdb.connect(str(path))
    con.execute("SET enable_progress_bar = false")
    con.execute("DELETE FROM rollup")
    con.execute("DROP TABLE IF EXISTS rollup_year")
    con.execute("CHECKPOINT")
    if memory_limit:
        con.execute("SET memory_limit = $m", {"m": memory_limit})
    figures: dict = {"variant": variant, "memory_limit": memory_limit}
    started = time.perf_counter()
    if variant == "current":
        rebuild_rollup(con)
    else:
        figures["phases"] = {}
        rebuild_rollup_proposed(
            con,
            sort=variant != "proposed-unsorted",
            yearly=variant == "proposed+year",
            phases=figures["phases"],
        )
    figures["rollup_s"] = time.perf_counter() - started
    t = time.perf_counter()
    (check if variant == "current" else check_proposed)(con)
    figures["check_s"] = time.perf_counter() - t
    t = time.perf_counter()
    con.execute("CHECKPOINT")
    figures["checkpoint_s"] = time.perf_counter() - t
    figures["rollup_rows"] = con.execute("SELECT count(*) FROM rollup").fetchall()[0][0]
    if variant == "proposed+year":
        figures["rollup_year_rows"] = con.execute("SELECT count(*) FROM rollup_year").fetchall()[0][0]
    figures["used_mb"] = _used_mb(con)
    figures["rollup_mb"] = _table_mb(con, "rollup")
    if variant == "proposed+year":
        figures["rollup_year_mb"] = _table_mb(con, "rollup_year")
    con.close()
    figures["peak_rss_mb"] = _peak_mb()
    return figures


def step_reads(path: Path, runs: int) -> dict:
    """Each query once cold, then ``runs`` times, through observatory.warehouse.db's read-only attach.

    Besides wall time: the process CPU time (all DuckDB threads; steadier than wall time on a
    shared machine) and the row groups the scan of the roll-up read, from EXPLAIN ANALYZE.
    """
    from observatory.warehouse.db import Warehouse

    wh = Warehouse(path)
    con = wh._connection()  # the attach of Warehouse.run; the SQL here is the bench's, not sql/*.sql
    tables = {
        r[0]
        for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'w'").fetchall()
    }
    first, last = con.execute(
        """SELECT min(period)::VARCHAR, max(period)::VARCHAR FROM w.rollup
           WHERE indicator_id = 'synthetic_denuncias' AND level = 'country'"""
    ).fetchall()[0]
    out = {}
    for q in queries(first, last):
        if q["table"] not in tables:
            continue
        wall, cpu, rows = [], [], 0
        for _ in range(runs + 1):
            cur = con.cursor()
            started, cpu_started = time.perf_counter(), time.process_time()
            cur.execute("USE w")
            rows = len(cur.execute(q["sql"], q["params"]).df())
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            cur.close()
        cur = con.cursor()
        cur.execute("USE w")
        plan = cur.execute("EXPLAIN ANALYZE " + q["sql"], q["params"]).fetchall()[0][1]
        cur.close()
        scanned = max(
            ((int(a), int(b)) for a, b in re.findall(r"Row Groups Scanned: (\d+) / (\d+)", plan)),
            key=lambda ab: ab[1],
            default=(0, 0),
        )
        warm = sorted(wall[1:])
        out[q["key"]] = {
            "label": q["label"],
            "rows": rows,
            "cold_ms": wall[0],
            "median_ms": statistics.median(warm),
            "p95_ms": warm[min(len(warm) - 1, round(0.95 * (len(warm) - 1)))],
            "cpu_median_ms": statistics.median(cpu[1:]),
            "row_groups": f"{scanned[0]}/{scanned[1]}",
        }
    return {"queries": out, "peak_rss_mb": _peak_mb(), "load_average": os.getloadavg()[0]}


# --- the experiment ----------------------------------------------------------------------------

# (variant, memory limit): the roll-up as warehouse.py builds it, the proposal without its sort
# (to price the sort), the proposal with the yearly table, and the same under a memory cap.
ROLLUPS = (
    ("current", None),
    ("proposed-unsorted", None),
    ("proposed+year", None),
    ("proposed+year", "3GB"),
)
READS = ("current", "proposed+year")


def _subprocess(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.scale", "--step", *args],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(
    quick: bool, scales: tuple[int, ...] | None = None, out: Path | None = None, runs: int | None = None
) -> dict:
    """Every step at every scale, each in a fresh process; returns the figures (JSON-ready).

    ``quick``: 100k rows, one run per query, in a temporary folder (CI keeps this working).
    Otherwise 1M and 10M rows (or ``scales``), ``RUNS`` runs, warehouses kept under ``out``
    (the built one and the proposed layout, for later experiments; the rest is deleted).
    """
    scales = scales or ((QUICK_SCALE,) if quick else SCALES)
    runs = runs or (1 if quick else RUNS)
    tmp = tempfile.TemporaryDirectory(prefix="bench-scale-") if quick else None
    folder = Path(tmp.name) if tmp else (out or OUT)
    folder.mkdir(parents=True, exist_ok=True)
    result: dict = {"quick": quick, "runs": runs, "scales": {}}
    try:
        for n in scales:
            built = folder / f"synthetic-{n}.duckdb"
            built.unlink(missing_ok=True)
            figures: dict = {"build": _subprocess("build", str(n), str(built)), "insert": {}}
            for key in ("key", "nokey"):
                scratch = folder / f"insert-{n}-{key}.duckdb"
                scratch.unlink(missing_ok=True)
                figures["insert"][key] = _subprocess("insert", str(n), str(scratch), key)
                scratch.unlink()
            figures["rollup"], figures["reads"] = [], {}
            for variant, limit in ROLLUPS:
                copy = folder / f"synthetic-{n}-{variant}.duckdb"
                shutil.copyfile(built, copy)
                figures["rollup"].append(
                    _subprocess("rollup", variant, str(copy), *([limit] if limit else []))
                )
                if variant in READS and variant not in figures["reads"]:
                    figures["reads"][variant] = _subprocess("reads", str(copy), str(runs))
                if variant != READS[-1]:
                    copy.unlink()
            result["scales"][str(n)] = figures
    finally:
        if tmp:
            tmp.cleanup()
    return result


def report(result: dict) -> str:
    """The figures as plain-text tables."""
    lines = []
    for n, f in result["scales"].items():
        b = f["build"]
        lines += [
            f"Synthetic warehouse, {int(n):,} rows asked, {b['rows']:,} generated "
            f"({b['first_period'][:7]}..{b['last_period'][:7]})",
            f"  build as warehouse.py does it: generate {b['generate_s']:.1f}s, insert {b['insert_s']:.1f}s, "
            f"rollup {b['rollup_s']:.1f}s, check {b['check_s']:.1f}s, total {b['total_s']:.1f}s; "
            f"file {b['size_mb']:.0f} MB, peak RSS {b['peak_rss_mb']:.0f} MB",
        ]
        for key, v in f["insert"].items():
            label = "with primary key" if key == "key" else "without key"
            lines.append(
                f"  observations insert {label:<17}{v['insert_s']:>7.1f}s {v['used_mb']:>7.0f} MB used,"
                f" peak RSS {v['peak_rss_mb']:>6.0f} MB; uniqueness query {v['unique_check_s']:.1f}s"
            )
        lines.append(
            f"  {'roll-up + checks':<28}{'rollup s':>9}{'check s':>9}{'rows':>13}{'used MB':>9}{'RSS MB':>8}"
        )
        for r in f["rollup"]:
            name = r["variant"] + (f" @{r['memory_limit']}" if r["memory_limit"] else "")
            lines.append(
                f"  {name:<28}{r['rollup_s']:>9.1f}{r['check_s']:>9.1f}{r['rollup_rows']:>13,}"
                f"{r['used_mb']:>9.0f}{r['peak_rss_mb']:>8.0f}"
            )
        reads = f["reads"]
        variants = list(reads)
        lines.append(
            f"  {'reads: warm median/p95 ms (cpu ms) row groups':<60}" + "".join(f"{v:>30}" for v in variants)
        )
        keys = list(dict.fromkeys(k for v in variants for k in reads[v]["queries"]))
        for k in keys:
            label = next(reads[v]["queries"][k]["label"] for v in variants if k in reads[v]["queries"])
            cells = []
            for v in variants:
                q = reads[v]["queries"].get(k)
                cells.append(
                    f"{q['median_ms']:.1f}/{q['p95_ms']:.1f} ({q['cpu_median_ms']:.1f}) {q['row_groups']}"
                    if q
                    else "-"
                )
            lines.append(f"  ({k:<2}) {label[:53]:<54}" + "".join(f"{c:>30}" for c in cells))
        lines.append(
            f"  {'reader peak RSS MB / load average':<60}"
            + "".join(
                f"{reads[v]['peak_rss_mb']:>24.0f} / {reads[v]['load_average']:>3.1f}" for v in variants
            )
        )
        lines.append("")
    lines.append(
        f"target: each read under {TARGET_MS:.0f} ms warm at 10M rows (30 ms p95 server-side per interaction)"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100k rows, one run, temporary folder")
    parser.add_argument("--scales", help="comma list of row counts (default 1000000,10000000)")
    parser.add_argument("--out", type=Path, help=f"folder for the synthetic warehouses (default {OUT})")
    parser.add_argument("--runs", type=int, help=f"runs per query (default {RUNS})")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--step", nargs="+", help=argparse.SUPPRESS
    )  # one step, run by run() in a fresh process
    args = parser.parse_args()
    if args.step:
        name, *rest = args.step
        if name == "build":
            figures = step_build(int(rest[0]), Path(rest[1]))
        elif name == "insert":
            figures = step_insert(int(rest[0]), Path(rest[1]), rest[2] == "key")
        elif name == "rollup":
            figures = step_rollup(rest[0], Path(rest[1]), rest[2] if len(rest) > 2 else None)
        elif name == "reads":
            figures = step_reads(Path(rest[0]), int(rest[1]))
        else:
            raise SystemExit(f"unknown step {name}")
        print(json.dumps(figures))
        return
    scales = tuple(int(s) for s in args.scales.split(",")) if args.scales else None
    result = run(args.quick, scales=scales, out=args.out, runs=args.runs)
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
