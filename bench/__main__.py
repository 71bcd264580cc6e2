"""python -m bench [--quick]: run every benchmark, print the tables, write bench/results.json."""

from __future__ import annotations

import argparse
import datetime as dt
import platform
from pathlib import Path

from bench import build, export, interactions, linkage, record, scale

HERE = Path(__file__).parent


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "--quick", action="store_true", help="one repetition, small scale (CI keeps it working)"
    )
    args = parser.parse_args()
    results = {
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()},
        "quick": args.quick,
    }
    results["build"] = build.run(repeat=1 if args.quick else 3)
    print(build.report(results["build"]))
    results["scale"] = scale.run(quick=args.quick)
    print()
    print(scale.report(results["scale"]))
    results["interactions"] = interactions.run(quick=args.quick)
    print()
    print(interactions.report(results["interactions"]))
    results["export"] = export.run(quick=args.quick)
    print()
    print(export.report(results["export"]))
    results["linkage"] = linkage.run(quick=args.quick)
    print()
    print(linkage.report(results["linkage"]))
    # Other keys of the file (the reliability runs of make fuzz / load / rebuild-under-load) are kept.
    target = record(results, HERE / ("results-quick.json" if args.quick else "results.json"))
    print(f"\nwrote {target}")


if __name__ == "__main__":
    main()
