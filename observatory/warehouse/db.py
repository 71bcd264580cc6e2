"""The one door to the warehouse: read-only, named SQL, bound parameters, a cursor per call.

The warehouse file is ATTACHed READ_ONLY to an in-memory DuckDB with external access off, so
no query can write to it or read any other file. When a build renames a new warehouse into
place, the next call sees a new inode and re-attaches: workers serve the new data without a
restart, and calls already running finish on the old file.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from functools import cache
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

SQL_DIR = Path(__file__).parent / "sql"
SLOW_QUERY_SECONDS = 0.2
log = logging.getLogger("observatory.warehouse.db")


class WarehouseUnavailable(RuntimeError):
    """The warehouse is missing or unreadable: the app shows its maintenance page."""


@cache
def sql(name: str) -> str:
    """The text of ``sql/NAME.sql``; names come from code, never from a request."""
    path = SQL_DIR / f"{name}.sql"
    if path.parent != SQL_DIR or not path.exists():
        raise KeyError(f"no query named {name!r}")
    return path.read_text(encoding="utf-8")


class Warehouse:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._stamp: tuple[int, int] | None = None

    def _connection(self) -> duckdb.DuckDBPyConnection:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise WarehouseUnavailable(f"no warehouse at {self.path}: run `make build`") from None
        stamp = (st.st_ino, st.st_mtime_ns)
        if stamp == self._stamp and self._con is not None:
            return self._con
        with self._lock:
            if stamp != self._stamp or self._con is None:
                self._con = self._attach()
                self._stamp = stamp
            return self._con

    def _attach(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(":memory:")
        try:
            con.execute("ATTACH $path AS w (READ_ONLY)", {"path": str(self.path)})
            con.execute("USE w")
            con.execute("SELECT count(*) FROM indicators").fetchone()
        except duckdb.Error as exc:
            con.close()
            raise WarehouseUnavailable(f"the warehouse at {self.path} cannot be read: {exc}") from None
        # One thread per query: under a threaded server, requests run side by side already and
        # DuckDB's own threads would only compete with them (measured in bench/scale.py).
        con.execute("SET threads = 1")
        # Memory a query used goes back to the system a few seconds later, not at the next one
        # (jemalloc's background purge): a worker's population query alone kept ~25 MB.
        con.execute("SET allocator_background_threads = true")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        return con

    def available(self) -> bool:
        """Cheap check for every request: the file is there and attached (re-attached if replaced)."""
        try:
            self._connection()
            return True
        except WarehouseUnavailable:
            return False

    def health(self) -> dict:
        """{'ok': bool, 'reason': str, ...}; never raises."""
        try:
            row = self.run("health").iloc[0]
            return {"ok": True, "observations": int(row["observations"]), "built_at": str(row["built_at"])}
        except WarehouseUnavailable as exc:
            return {"ok": False, "reason": str(exc)}

    def run(self, name: str, **params) -> pd.DataFrame:
        """Run ``sql/NAME.sql`` with ``params`` bound as ``$name`` parameters."""
        return self._fetch(name, params, lambda result: result.df())

    def arrays(self, name: str, **params) -> dict[str, np.ndarray]:
        """Like ``run``, as one NumPy array per column (numbers and dates: no Python object per cell)."""
        return self._fetch(
            name, params, lambda result: {k: np.asarray(v) for k, v in result.fetchnumpy().items()}
        )

    def _fetch(self, name: str, params: dict, fetch):
        text = sql(name)
        started = time.perf_counter()
        cur = self._connection().cursor()
        try:
            cur.execute("USE w")
            out = fetch(cur.execute(text, params))
        except duckdb.Error as exc:
            if "does not exist" in str(exc) and "Table" in str(exc):
                raise WarehouseUnavailable(f"the warehouse at {self.path} is incomplete: {exc}") from None
            raise
        finally:
            cur.close()
        elapsed = time.perf_counter() - started
        if elapsed > SLOW_QUERY_SECONDS:
            log.warning("slow query %s took %.3fs with %s", name, elapsed, params)
        return out

    def info(self, country: str = "PE") -> dict:
        """What ``python -m observatory info --json`` prints."""
        sources = []
        for s in self.run("info_sources").to_dict("records"):
            totals = self.run("info_totals_by_year", source=s["name"])
            sources.append(
                {
                    "name": s["name"],
                    "release": None if pd.isna(s["release"]) else str(s["release"]),  # JSON has no NaN
                    "rows": int(s["rows"]),
                    "first_period": str(s["first_period"]),
                    "last_period": str(s["last_period"]),
                    "totals_by_year": {str(int(r.year)): _number(r.total) for r in totals.itertuples()},
                }
            )
        levels = self.run("info_territories", country=country)
        failed = self.run("info_failed_loads").to_dict("records")
        from observatory.contract.settings import Settings
        from observatory.warehouse.ledger import failed_loads, interrupted_loads

        beside = Settings.from_env(warehouse=str(self.path))
        failed += failed_loads(beside) + interrupted_loads(beside)
        return {
            "sources": sources,
            "territories": {r.level: int(r.n) for r in levels.itertuples()},
            "failed_loads": [{k: str(v) for k, v in f.items() if k in _FAILED_KEYS} for f in failed],
        }


_FAILED_KEYS = ("source", "release", "file_name", "started_at", "error")


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)
