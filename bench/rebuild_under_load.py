"""python -m bench.rebuild_under_load [--quick]: rebuild the warehouse while readers use the site.

Copies the live warehouse (and its boundaries) to a temporary folder, starts gunicorn on the copy
(its own OBSERVATORY_WAREHOUSE; OBSERVATORY_MIRROR keeps its default, ../shared/data), runs the
journeys of bench/locustfile.py and, meanwhile, rebuilds the warehouse into the same path
(``python -m observatory build``: a new file renamed into place) twice. Prints requests,
failures and p50/p95 per step, and shows that the same workers serve the new warehouse: /health's
``built_at`` (the ``loads`` ledger) changes after each build while the worker pids stay.
Exits non-zero on any failed request or if the new warehouse is not served. A full run (not
``--quick``) also records the figures under "reliability" -> "rebuild_under_load" in
bench/results.json.
"""

from __future__ import annotations

# isort: off
# locust patches the standard library with gevent: import it before anything else.
import locust  # noqa: F401
import gevent

# isort: on
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.load import RESULTS, Gunicorn, health, indicators, record, report, run_locust
from observatory.contract.settings import ROOT, Settings


def rebuild(warehouse: Path) -> tuple[float, int]:
    """``python -m observatory build`` into ``warehouse`` (a separate process, as in production)."""
    env = {**os.environ, "OBSERVATORY_WAREHOUSE": str(warehouse)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "observatory", "build"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        print(done.stdout[-2000:], done.stderr[-2000:])
    return time.perf_counter() - started, done.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.rebuild_under_load", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--builds", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="10 users, 25 seconds, one build (CI)")
    parser.add_argument(
        "--results",
        type=Path,
        default=RESULTS,
        help='results file whose "reliability" -> "rebuild_under_load" a full run sets',
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.users, args.seconds, args.builds = 10, 25, 1
    live = Settings.from_env().warehouse_path
    folder = Path(tempfile.mkdtemp(prefix="rebuild-under-load-"))
    warehouse = folder / "observatory.duckdb"
    shutil.copyfile(live, warehouse)
    if (live.parent / "geo").is_dir():
        shutil.copytree(live.parent / "geo", folder / "geo")
    os.environ["OBSERVATORY_LOAD_INDICATORS"] = ",".join(indicators(warehouse))
    server = Gunicorn(warehouse)
    seen: list[str] = []
    builds: list[tuple[float, int]] = []
    try:
        before = health(server.base)
        pids = server.workers()
        print(f"gunicorn on {server.base}, workers {pids}, warehouse copy {warehouse}")
        print(f"before: built_at {before.get('built_at')}, inode {warehouse.stat().st_ino}")
        seen.append(str(before.get("built_at")))
        gap = args.seconds / (args.builds + 1)

        def rebuilds():
            for _ in range(args.builds):
                gevent.sleep(gap)
                # A child process; gevent's subprocess lets the readers run while it works.
                result = rebuild(warehouse)
                builds.append(result)
                state = health(server.base)
                seen.append(str(state.get("built_at")))
                print(
                    f"rebuild {len(builds)}: {result[0]:.1f}s, exit {result[1]}; "
                    f"/health built_at {state.get('built_at')}, inode {warehouse.stat().st_ino}"
                )

        print(f"{args.users} users for {args.seconds:.0f}s, {args.builds} rebuild(s) during the load")
        env = run_locust(server.base, args.users, args.seconds, during=rebuilds)
        after = health(server.base)
        still = server.workers()
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    figures = report(env)
    requests, failures = figures["requests"], figures["failures"]
    if failures:
        print(f"gunicorn log ({server.log}):\n{server.log_tail()}")
    changed = len(set(seen)) == len(seen) and len(builds) == args.builds and all(rc == 0 for _, rc in builds)
    print(f"after: built_at {after.get('built_at')}, observations {after.get('observations')}")
    print(f"workers before {pids}, after {still}: {'same (no restart)' if pids == still else 'RESTARTED'}")
    served = changed and pids == still
    print(f"new warehouse served without a restart: {served}")
    print(
        f"requests: {requests}, failures: {failures}, p50 {figures['p50_ms']:.0f} ms, p95 {figures['p95_ms']:.0f} ms"
    )
    if not args.quick:
        record(
            "rebuild_under_load",
            {
                "command": f"python -m bench.rebuild_under_load --users {args.users} --seconds {args.seconds:g} "
                f"--builds {args.builds}",
                "users": args.users,
                "seconds": args.seconds,
                **figures,
                "builds": [{"seconds": round(t, 1), "exit": rc} for t, rc in builds],
                "workers_restarted": pids != still,
                "new_warehouse_served_without_restart": served,
            },
            args.results,
        )
        print(f'recorded under "reliability" -> "rebuild_under_load" in {args.results}')
    return 0 if requests and not failures and changed and pids == still else 1


if __name__ == "__main__":
    sys.exit(main())
