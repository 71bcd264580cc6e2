"""Build a fresh warehouse from the reference files and one SIDPOL release; print timings as JSON.

Run as its own process by bench/build.py so that its peak memory is the build's alone.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

from observatory.build.sources import load_declared, locate
from observatory.build.warehouse import Writer, _ingest_into, load_reference, refresh_catalogue
from observatory.contract.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--release", default="2025-11")
    parser.add_argument("--warehouse", required=True)
    args = parser.parse_args()
    t0 = time.perf_counter()
    settings = Settings.from_env(warehouse=args.warehouse)
    declared = load_declared(settings)
    f = declared.file("pe_sidpol_vcm", release=args.release)
    path = locate(settings, f)
    with Writer(settings, fresh=True, declared=declared) as con:
        refresh_catalogue(con, settings, declared)
        t1 = time.perf_counter()
        load_reference(con, settings, declared, log=lambda _: None)
        t2 = time.perf_counter()
        result = _ingest_into(con, settings, declared, "pe_sidpol_vcm", path, args.release)
        t3 = time.perf_counter()
    t4 = time.perf_counter()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    json.dump(
        {
            "rows": result.rows_read,
            "total_s": t4 - t0,
            "reference_s": t2 - t1,
            "ingest_s": t3 - t2,
            "rollup_checks_rename_s": t4 - t3,
            "peak_rss_mb": peak_kb / 1024,
            "size_mb": Path(args.warehouse).stat().st_size / 2**20,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
