"""python -m bench.load [--users 50 --seconds 60 | --quick]: the reader journeys under load.

Starts ``gunicorn app:server`` (2 workers with threads) on 127.0.0.1 and a free port over the
warehouse (default: the real one, read-only), runs the journeys of bench/locustfile.py headless
through locust's Python API, bounded in users and time, prints requests, failures and
p50/p95 per step, stops gunicorn and exits non-zero on any failed request. A full run (not
``--quick``) also records the figures under "reliability" -> "load" in bench/results.json.
"""

from __future__ import annotations

# isort: off
# locust patches the standard library with gevent: import it before anything else.
import locust  # noqa: F401
import gevent
from locust.env import Environment

# isort: on
import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable
from pathlib import Path

from bench.fuzz import RESULTS, record
from bench.server import Gunicorn, free_port, health  # noqa: F401  (re-exported for rebuild_under_load)
from observatory.contract.settings import Settings


def indicators(warehouse: Path) -> list[str]:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return [
            r[0] for r in con.execute("SELECT DISTINCT indicator_id FROM observations ORDER BY 1").fetchall()
        ]
    except duckdb.Error:
        return [r[0] for r in con.execute("SELECT id FROM indicators ORDER BY 1").fetchall()]
    finally:
        con.close()


def run_locust(
    host: str, users: int, seconds: float, during: Callable[[], None] | None = None
) -> Environment:
    """The journeys for ``seconds`` with ``users`` readers; ``during()`` runs in a greenlet meanwhile."""
    from bench.locustfile import Reader

    env = Environment(user_classes=[Reader], host=host)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=max(1.0, users / 5))
    side = gevent.spawn(during) if during else None
    gevent.sleep(seconds)
    if side is not None:
        side.join(timeout=300)
    runner.quit()
    return env


def _row(name: str, entry) -> dict:
    def ms(q: float) -> float:
        return float(entry.get_response_time_percentile(q)) if entry.num_requests else 0.0

    return {
        "step": name,
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "p50_ms": ms(0.5),
        "p95_ms": ms(0.95),
    }


def report(env: Environment) -> dict:
    """Print requests, failures and p50/p95 per step; return the same figures (the total's
    failures include exceptions raised inside a journey)."""
    rows = [_row(e.name, e) for e in sorted(env.stats.entries.values(), key=lambda e: e.name)]
    total = _row("total", env.stats.total)
    print(f"{'step':<34} {'requests':>9} {'failures':>9} {'p50 ms':>8} {'p95 ms':>8}")
    for r in [*rows, total]:
        print(
            f"{r['step']:<34} {r['requests']:>9} {r['failures']:>9} {r['p50_ms']:>8.0f} {r['p95_ms']:>8.0f}"
        )
    rps = env.stats.total.total_rps
    print(f"requests/s: {rps:.1f}")
    for err in env.stats.errors.values():
        print(f"  error x{err.occurrences}: {err.method} {err.name}: {err.error}")
    failures = total["failures"]
    for tb, info in (env.runner.exceptions or {}).items():
        print(f"  exception in a journey x{info['count']}: {info['msg']}\n{tb}")
        failures += info["count"]
    return {
        "date": dt.date.today().isoformat(),
        "requests": total["requests"],
        "failures": failures,
        "p50_ms": total["p50_ms"],
        "p95_ms": total["p95_ms"],
        "requests_per_s": round(rps, 1),
        "steps": rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--quick", action="store_true", help="10 users for 10 seconds (CI)")
    parser.add_argument("--warehouse", default=None, help="default: the configured (real) warehouse")
    parser.add_argument(
        "--results",
        type=Path,
        default=RESULTS,
        help='results file whose "reliability" -> "load" a full run sets',
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.users, args.seconds = 10, 10
    warehouse = Path(args.warehouse or Settings.from_env().warehouse)
    os.environ["OBSERVATORY_LOAD_INDICATORS"] = ",".join(indicators(warehouse))
    server = Gunicorn(warehouse)
    try:
        print(f"gunicorn on {server.base} (2 workers x 4 threads), {warehouse}")
        print(f"{args.users} users for {args.seconds:.0f}s")
        env = run_locust(server.base, args.users, args.seconds)
    finally:
        server.stop()
    figures = report(env)
    requests, failures = figures["requests"], figures["failures"]
    if failures:
        print(f"gunicorn log ({server.log}):\n{server.log_tail()}")
    print(
        f"requests: {requests}, failures: {failures}, p50 {figures['p50_ms']:.0f} ms, p95 {figures['p95_ms']:.0f} ms"
    )
    if not args.quick:
        command = f"python -m bench.load --users {args.users} --seconds {args.seconds:g}"
        record(
            "load",
            {"command": command, "users": args.users, "seconds": args.seconds, **figures},
            args.results,
        )
        print(f'recorded under "reliability" -> "load" in {args.results}')
    return 1 if failures or not requests else 0


if __name__ == "__main__":
    sys.exit(main())
