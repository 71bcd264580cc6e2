"""Synthetic observations at national scale (1M, 10M rows) on the real Peru territories.

For benchmarks only: the synthetic warehouse is written under a bench output folder, never over
the live warehouse, and its indicator is unmistakably synthetic. It is built through the real
schema and the real build steps (``create_schema``, ``refresh_catalogue``, ``rebuild_rollup``,
``check``), so what the benchmarks measure is what a national-scale release would cost.

Why a catalogue row of its own instead of data/indicators.toml: the published catalogue must
never list made-up data, and the real ``pe_denuncias_vcm`` declares no breakdowns, so its
roll-up would not exercise the CUBE over breakdowns that a national release brings. The build
inserts ``SYNTHETIC_ID`` straight into this warehouse's own ``indicators`` table, after
``refresh_catalogue``: a copy of ``pe_denuncias_vcm``'s row with the breakdowns
``violence_type,sex,age_group``, a source ``bench_synthetic`` and titles that start with
"SINTÉTICO" / "SYNTHETIC".

The model, per district d, month t and breakdown cell j (4 violence types x 2 sexes x 5 age
groups = 40 cells)::

    mu = s * weight[d] * trend[t] * season[t] * covid[t] * share[j]
    value ~ NegativeBinomial(mean mu, shape K)      # over-dispersed Poisson
    rows with value 0 are left out, like the real SIDPOL file

``weight`` is the district's real complaint total (so the geography is the real one), the trend
grows 2 % a year, the season peaks between December and January, and April-June 2020 dip
(lockdown). The number of months is chosen from ``n_rows``: whole years ending 2025-12 with
about half the cells non-zero (on Peru: 24 months up to ~0.9M rows, 36 for 1M, 264 for 10M).
The scale ``s`` is solved so that the expected number of non-zero cells is ``n_rows``; sampling
then lands within a fraction of a percent of it. Row counts are what is realistic here, not
magnitudes: to fill half the cells of small districts, national totals come out far above the
real ones.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from observatory.build.sources import load_declared
from observatory.build.warehouse import _insert, check, create_schema, rebuild_rollup, refresh_catalogue
from observatory.contract import schema
from observatory.contract.settings import ROOT, Settings

REFERENCE = ROOT / "data" / "warehouse" / "observatory.duckdb"
SYNTHETIC_ID = "synthetic_denuncias"
SYNTHETIC_SOURCE = "bench_synthetic"
TEMPLATE_ID = "pe_denuncias_vcm"  # the synthetic indicator's catalogue row starts as a copy of this one
LAST_MONTH = dt.date(2025, 12, 1)
MIN_MONTHS, MAX_MONTHS = 24, 600
TARGET_DENSITY = 0.5  # share of district x month x cell combinations with a non-zero count
K = 2.0  # negative binomial shape: variance = mu + mu^2 / K
TREND = 0.02  # growth per year
SEASON_AMPLITUDE = 0.15  # +-15 % around the yearly mean, peak between December and January
COVID = {dt.date(2020, 4, 1): 0.45, dt.date(2020, 5, 1): 0.6, dt.date(2020, 6, 1): 0.8}

# Plausible shares, not estimates: they only shape the breakdowns.
VIOLENCE_TYPES = {"psicologica": 0.50, "fisica": 0.38, "sexual": 0.09, "economica_patrimonial": 0.03}
SEXES = {"mujer": 0.86, "hombre": 0.14}
AGE_GROUPS = {"0_17": 0.16, "18_29": 0.30, "30_44": 0.32, "45_59": 0.15, "60_mas": 0.07}
SEXUAL_AGE_GROUPS = {"0_17": 0.45, "18_29": 0.30, "30_44": 0.15, "45_59": 0.07, "60_mas": 0.03}
BREAKDOWN_VALUES = {
    "violence_type": tuple(VIOLENCE_TYPES),
    "sex": tuple(SEXES),
    "age_group": tuple(AGE_GROUPS),
}
CELLS = len(VIOLENCE_TYPES) * len(SEXES) * len(AGE_GROUPS)


def reference_districts(reference: Path = REFERENCE) -> pd.DataFrame:
    """Peru's districts with their real complaint totals: columns ``code`` and ``weight``.

    ``weight`` is the district's ``pe_denuncias_vcm`` total over every period in the reference
    warehouse's roll-up (0 for districts with no complaint on record).
    """
    con = duckdb.connect(str(reference), read_only=True)
    try:
        return con.execute(
            """SELECT t.code, coalesce(sum(r.value), 0) AS weight
               FROM territories t
               LEFT JOIN rollup r ON r.country = t.country AND r.territory_code = t.code
                 AND r.indicator_id = $template AND r.level = 'district'
                 AND r.violence_type = 'total' AND r.sex = 'total' AND r.age_group = 'total'
                 AND r.risk_level = 'total' AND r.institution = ''
               WHERE t.country = 'PE' AND t.level = 'district'
               GROUP BY t.code ORDER BY t.code""",
            {"template": TEMPLATE_ID},
        ).df()
    finally:
        con.close()


def months_for(n_rows: int, n_districts: int) -> int:
    """Whole years of months such that about ``TARGET_DENSITY`` of the cells are non-zero."""
    cells_per_month = n_districts * CELLS
    months = int(np.ceil(n_rows / (cells_per_month * TARGET_DENSITY) / 12)) * 12
    months = max(MIN_MONTHS, months)
    if months > MAX_MONTHS or n_rows > 0.95 * cells_per_month * months:
        raise ValueError(
            f"{n_rows:,} rows do not fit {n_districts} districts over at most {MAX_MONTHS} months"
        )
    return months


def generate(n_rows: int, seed: int, territories: pd.DataFrame) -> pd.DataFrame:
    """Synthetic monthly counts by district and breakdown; the same ``seed`` gives the same rows.

    ``territories`` holds one row per district: ``code`` and ``weight`` (relative size, e.g.
    ``reference_districts()``; zero or missing weights get a small floor so every district can
    appear). Returns about ``n_rows`` rows (within a fraction of a percent) with columns
    ``territory_code, period, violence_type, sex, age_group, value, provisional``: codes and
    breakdowns as pandas categoricals (compact at 10M rows), ``period`` the first day of the
    month, ``value`` a positive integer count, ``provisional`` true for the last month only.
    Rows come ordered by period, then district, then breakdown cell.
    """
    if n_rows <= 0:
        raise ValueError("n_rows must be positive")
    codes = territories["code"].astype(str).to_numpy()
    weight = territories["weight"].fillna(0).to_numpy(dtype=float)
    positive = weight[weight > 0]
    floor = positive.min() / 2 if positive.size else 1.0
    weight = np.where(weight > 0, weight, floor)
    weight = weight / weight.mean()

    months = months_for(n_rows, len(codes))
    periods = pd.date_range(end=pd.Timestamp(LAST_MONTH), periods=months, freq="MS")
    per_month = _month_factors(periods)
    per_cell = np.outer(weight, _cell_shares()).ravel()  # district-major: index = d * CELLS + j

    rng = np.random.default_rng(seed)
    scale = _solve_scale(n_rows, per_month, per_cell, rng)
    cell_index, month_index, values = [], [], []
    # One month at a time keeps memory at one month's cells (~76k on Peru), not 20M at once.
    for m, factor in enumerate(per_month):
        mu = scale * factor * per_cell
        counts = rng.negative_binomial(K, K / (K + mu))
        hit = np.flatnonzero(counts)
        cell_index.append(hit.astype(np.int32))
        month_index.append(np.full(hit.size, m, dtype=np.int16))
        values.append(counts[hit].astype(np.int32))
    cell = np.concatenate(cell_index)
    month = np.concatenate(month_index)
    district, j = np.divmod(cell, CELLS)
    v, rest = np.divmod(j, len(SEXES) * len(AGE_GROUPS))
    s, a = np.divmod(rest, len(AGE_GROUPS))
    return pd.DataFrame(
        {
            "territory_code": pd.Categorical.from_codes(district.astype(np.int32), categories=codes),
            "period": periods.to_numpy().astype("datetime64[s]")[month],
            "violence_type": _categorical(v, VIOLENCE_TYPES),
            "sex": _categorical(s, SEXES),
            "age_group": _categorical(a, AGE_GROUPS),
            "value": np.concatenate(values),
            "provisional": month == months - 1,
        }
    )


def _categorical(codes: np.ndarray, values: dict) -> pd.Categorical:
    return pd.Categorical.from_codes(codes.astype(np.int8), categories=list(values))


def _month_factors(periods: pd.DatetimeIndex) -> np.ndarray:
    years = (periods.year - 2018) + (periods.month - 1) / 12
    trend = (1 + TREND) ** years
    # cos peaks at month 12.5: between December and January.
    season = 1 + SEASON_AMPLITUDE * np.cos(2 * np.pi * (periods.month - 0.5) / 12)
    covid = np.array([COVID.get(p.date(), 1.0) for p in periods])
    return np.asarray(trend * season * covid, dtype=float)


def _cell_shares() -> np.ndarray:
    """The 40 breakdown cells' shares (sum 1), in violence type x sex x age group order."""
    shares = []
    for vt, pv in VIOLENCE_TYPES.items():
        ages = SEXUAL_AGE_GROUPS if vt == "sexual" else AGE_GROUPS
        for ps in SEXES.values():
            shares.extend(pv * ps * pa for pa in ages.values())
    return np.array(shares)


def _solve_scale(n_rows: int, per_month: np.ndarray, per_cell: np.ndarray, rng: np.random.Generator) -> float:
    """The scale s whose expected number of non-zero cells is n_rows (bisection in log space).

    P(value > 0) = 1 - (K / (K + mu))^K. Summing it over every cell (20M at 10M rows) forty
    times would take seconds, so it is summed over a seeded sample of 200k cells, which puts the
    estimate within ~0.2 % of the full sum.
    """
    total_cells = per_month.size * per_cell.size
    take = min(total_cells, 200_000)
    mu = per_month[rng.integers(0, per_month.size, take)] * per_cell[rng.integers(0, per_cell.size, take)]
    target = n_rows / total_cells * take

    def expected(log_s: float) -> float:
        return float(np.sum(1 - (K / (K + np.exp(log_s) * mu)) ** K))

    lo, hi = -30.0, 30.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if expected(mid) < target else (lo, mid)
    return float(np.exp((lo + hi) / 2))


def build_synthetic_warehouse(
    path: Path,
    n_rows: int,
    seed: int = 2025,
    reference: Path = REFERENCE,
    *,
    log: Callable[[str], None] | None = None,
) -> dict:
    """Write a complete warehouse at ``path`` holding ``SYNTHETIC_ID`` besides the reference's data.

    Territories, population, sources, loads and the real observations are copied from the
    ``reference`` warehouse; the synthetic observations are generated on its districts. Then the
    roll-up is rebuilt and the checks run with the real functions (a failure raises
    ``CheckError``). ``path`` must not exist. Returns figures: rows, periods and seconds per step.
    """
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} exists: the synthetic warehouse is always written anew")
    path.parent.mkdir(parents=True, exist_ok=True)
    say = log or (lambda _: None)
    figures: dict = {"n_rows_requested": n_rows, "seed": seed}
    started = time.perf_counter()

    districts = reference_districts(reference)
    frame = generate(n_rows, seed, districts)
    figures["generate_s"] = time.perf_counter() - started
    figures["rows"] = len(frame)
    figures["first_period"] = str(frame["period"].min().date())
    figures["last_period"] = str(frame["period"].max().date())
    say(f"generated {len(frame):,} rows in {figures['generate_s']:.1f}s")

    t = time.perf_counter()
    create_schema(path)
    settings = Settings.from_env(environ={}, warehouse=str(path))
    con = duckdb.connect(str(path))
    try:
        con.execute("SET enable_progress_bar = false")  # benchmarks print figures, not bars
        refresh_catalogue(con, settings, load_declared(settings))
        _copy_reference(con, reference)
        _add_synthetic_catalogue(con, n_rows, len(frame), seed)
        figures["reference_s"] = time.perf_counter() - t

        t = time.perf_counter()
        con.register("_synthetic", frame)
        try:
            con.execute(
                """INSERT INTO observations BY NAME
                   SELECT $id AS indicator_id, 'PE' AS country, CAST(territory_code AS VARCHAR) AS territory_code,
                          CAST(period AS DATE) AS period, 'month' AS granularity,
                          CAST(violence_type AS VARCHAR) AS violence_type, CAST(sex AS VARCHAR) AS sex,
                          CAST(age_group AS VARCHAR) AS age_group, CAST(value AS DOUBLE) AS value,
                          provisional, $load AS load_id
                   FROM _synthetic""",
                {"id": SYNTHETIC_ID, "load": _load_id(n_rows, seed)},
            )
        finally:
            con.unregister("_synthetic")
        del frame
        figures["insert_s"] = time.perf_counter() - t
        say(f"inserted in {figures['insert_s']:.1f}s")

        t = time.perf_counter()
        rebuild_rollup(con)
        figures["rollup_s"] = time.perf_counter() - t
        say(f"rollup rebuilt in {figures['rollup_s']:.1f}s")
        t = time.perf_counter()
        check(con)
        figures["check_s"] = time.perf_counter() - t
        say(f"checked in {figures['check_s']:.1f}s")
        t = time.perf_counter()
        con.execute("CHECKPOINT")
        figures["checkpoint_s"] = time.perf_counter() - t
        figures["rollup_rows"] = con.execute("SELECT count(*) FROM rollup").fetchall()[0][0]
        figures["rollup_rows_synthetic"] = con.execute(
            "SELECT count(*) FROM rollup WHERE indicator_id = $id", {"id": SYNTHETIC_ID}
        ).fetchall()[0][0]
    finally:
        con.close()
    figures["total_s"] = time.perf_counter() - started
    figures["size_mb"] = path.stat().st_size / 2**20
    return figures


def _load_id(n_rows: int, seed: int) -> str:
    return f"{SYNTHETIC_SOURCE}:seed-{seed}:rows-{n_rows}"


def _copy_reference(con: duckdb.DuckDBPyConnection, reference: Path) -> None:
    """Every table of the reference warehouse but the catalogue and the roll-ups (rebuilt here).

    By column name and only the columns and tables both files have, so a reference built by an
    older schema still serves (new columns take their defaults, new tables stay empty).
    """
    con.execute("ATTACH $path AS ref (READ_ONLY)", {"path": str(reference)})
    try:
        con.execute("DELETE FROM sources")  # refresh_catalogue's rows, without the loaded releases
        theirs_tables = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'ref'"
            ).fetchall()
        }
        for table in schema.metadata.tables:  # names from the schema module, never from input
            if table in ("indicators", "rollup", "rollup_total") or table not in theirs_tables:
                continue
            ours = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
            theirs = {r[0] for r in con.execute(f"DESCRIBE ref.{table}").fetchall()}
            cols = ", ".join(c for c in ours if c in theirs)
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM ref.{table}")
    finally:
        con.execute("DETACH ref")


def _add_synthetic_catalogue(con: duckdb.DuckDBPyConnection, n_rows: int, rows: int, seed: int) -> None:
    row = con.execute("SELECT * FROM indicators WHERE id = $id", {"id": TEMPLATE_ID}).df()
    if row.empty:
        raise ValueError(f"the catalogue has no {TEMPLATE_ID} to copy the synthetic indicator from")
    note_es = (
        f"DATOS SINTÉTICOS generados para pruebas de rendimiento (semilla {seed}, {n_rows:,} filas): "
        "no describen ningún hecho real."
    )
    note_en = f"SYNTHETIC DATA generated for benchmarks (seed {seed}, {n_rows:,} rows): they describe no real event."
    row = row.assign(
        id=SYNTHETIC_ID,
        source=SYNTHETIC_SOURCE,
        title_es="SINTÉTICO — " + row["title_es"],
        title_en="SYNTHETIC — " + row["title_en"],
        definition_es=note_es,
        definition_en=note_en,
        caveats_es=note_es,
        caveats_en=note_en,
        publisher="bench/synth.py",
        source_url="",
        licence="Sintético (sin datos reales)",
        breakdowns=",".join(BREAKDOWN_VALUES),
    )
    _insert(con, "indicators", row)
    _insert(
        con,
        "sources",
        pd.DataFrame(
            [
                {
                    "name": SYNTHETIC_SOURCE,
                    "title": "SINTÉTICO — denuncias simuladas sobre los distritos reales (bench/synth.py)",
                    "publisher": "bench/synth.py",
                    "url": "",
                    "licence": "Sintético (sin datos reales)",
                    "release": f"seed-{seed}-rows-{n_rows}",
                    "loaded_at": dt.datetime.now().replace(microsecond=0),
                }
            ]
        ),
    )
    _insert(
        con,
        "loads",
        pd.DataFrame(
            [
                {
                    "load_id": _load_id(n_rows, seed),
                    "source": SYNTHETIC_SOURCE,
                    "release": f"seed-{seed}-rows-{n_rows}",
                    "file_name": "(generated)",
                    "rows_read": rows,
                    "rows_accepted": rows,
                    "rows_rejected": 0,
                    "started_at": dt.datetime.now().replace(microsecond=0),
                    "status": "ok",
                }
            ]
        ),
    )
