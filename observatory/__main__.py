"""python -m observatory fetch | build | ingest SOURCE PATH [--release R] [--dry-run] | history | rollback | recipe check FILE --recipe R | link FILES --out DIR | info [--json]"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from observatory.contract.settings import Settings, SettingsError


def _fetch(settings: Settings, args) -> int:
    from observatory.build.sources import FetchError, fetch_all

    try:
        files = fetch_all(settings, only_load=not args.all, progress=not args.quiet)
    except FetchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for f, path in files:
        print(f"ok  {f.source:<24} {f.release or f.key or '':<26} {path}")
    return 0


def _build(settings: Settings, args) -> int:
    from observatory.build.errors import IngestError
    from observatory.build.recipes import RecipeError
    from observatory.build.sources import FetchError
    from observatory.build.warehouse import CheckError, build

    if args.if_missing and settings.warehouse_path.exists():
        from observatory.build.warehouse import missing_tables

        lacking = missing_tables(settings.warehouse_path)
        if not lacking:
            print(f"warehouse present: {settings.warehouse_path} (run `make build` to rebuild)")
            return 0
        print(f"warehouse built by an older version (no {', '.join(lacking)}): rebuilding")
    try:
        build(settings)
    except (FetchError, IngestError, CheckError, RecipeError) as exc:
        print(f"error: build failed, the live warehouse is unchanged.\n{exc}", file=sys.stderr)
        return 2
    if not args.skip_boundaries:
        from observatory.build.boundaries_step import build_boundaries_from_sources

        build_boundaries_from_sources(settings)
    return 0


def _ingest(settings: Settings, args) -> int:
    from observatory.build.errors import IngestError
    from observatory.build.warehouse import CheckError, ingest

    options = {}
    if args.source == "generic":
        options = {"country": args.country or settings.country, "mapping": args.mapping}
    elif args.source == "population":
        options = {"country": args.country or settings.country}
    elif args.country:
        options = {"country": args.country}  # refused if unknown; a declared source knows its country
    try:
        ingest(
            settings,
            args.source,
            Path(args.path),
            release=args.release,
            encoding=args.encoding,
            replace=args.replace,
            allow_older=args.allow_older,
            dry_run=args.dry_run,
            **options,
        )
    except (IngestError, CheckError, KeyError, FileNotFoundError, ValueError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) else exc
        print(f"error: import refused, the warehouse is unchanged.\n{message}", file=sys.stderr)
        return 2
    return 0


def _history(settings: Settings, args) -> int:
    from observatory.build.history import kept

    loads = []
    if settings.warehouse_path.exists():
        import duckdb

        con = duckdb.connect(str(settings.warehouse_path), read_only=True)
        try:
            loads = con.execute(
                "SELECT started_at, status, source, release, file_name, rows_read FROM loads "
                "ORDER BY started_at DESC, load_id LIMIT $n",
                {"n": args.limit},
            ).fetchall()
        finally:
            con.close()
    files = kept(settings)
    if args.json:
        out = {
            "loads": [
                dict(
                    zip(
                        ("started_at", "status", "source", "release", "file_name", "rows_read"),
                        r,
                        strict=True,
                    )
                )
                | {"started_at": str(r[0])}
                for r in loads
            ],
            "kept": [
                {
                    "file": k.path.name,
                    "saved_at": k.saved_at,
                    "replaced_by": k.replaced_by,
                    "rolled_back": k.rolled_back,
                }
                for k in reversed(files)
            ],
        }
        print(json.dumps(out, ensure_ascii=False, indent=2, allow_nan=False))
        return 0
    print(f"loads in the live warehouse, newest first ({settings.warehouse_path.name}):")
    for started, status, source, release, file_name, rows in loads:
        shown = "" if rows is None else f"{rows:,} rows"
        print(f"  {started}  {status:<9} {source:<24} {release or '-':<12} {file_name}  {shown}")
    ready = [k for k in files if not k.rolled_back]
    print(f"kept warehouse files ({len(files)} of at most {settings.history_keep}), newest first:")
    for k in reversed(files):
        mark = "rollback target  " if ready and k is ready[-1] else "                 "
        print(f"  {mark}{k.describe()}")
    if not files:
        print("  none: `observatory rollback` has nothing to bring back")
    return 0


def _rollback(settings: Settings, args) -> int:
    from observatory.build.history import RollbackError, rollback

    try:
        restored = rollback(settings)
    except RollbackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"warehouse rolled back to {restored.describe()}")
    return 0


def _recipe_check(settings: Settings, args) -> int:
    """What FILE would give under a recipe, read against the live warehouse's territories; writes nothing."""
    import duckdb

    from observatory.build.errors import IngestError
    from observatory.build.recipe_runner import check_file
    from observatory.build.recipes import RecipeError, recipe_path
    from observatory.build.warehouse import context

    recipe = Path(args.recipe)
    if not recipe.exists() and not recipe.suffix:
        recipe = recipe_path(Path(settings.data_dir), args.recipe)  # a source name
    if not settings.warehouse_path.exists():
        print(
            f"error: no warehouse at {settings.warehouse_path}: run `python -m observatory build` first",
            file=sys.stderr,
        )
        return 2
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        ctx = context(con, settings, args.encoding)
        report = check_file(Path(args.path), recipe, ctx, release=args.release)
    except (IngestError, RecipeError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        con.close()
    print(report.describe())
    return 0


def _info(settings: Settings, args) -> int:
    from observatory.warehouse.db import Warehouse, WarehouseUnavailable

    try:
        info = Warehouse(settings.warehouse_path).info(settings.country)
    except WarehouseUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2, allow_nan=False))
        return 0
    for s in info["sources"]:
        print(
            f"{s['name']:<24} release {s['release'] or '-':<11} {s['rows']:>8,} rows  {s['first_period']} .. {s['last_period']}"
        )
        print("    " + "  ".join(f"{y}: {v:,}" for y, v in s["totals_by_year"].items()))
    print("territories: " + ", ".join(f"{k} {v}" for k, v in info["territories"].items()))
    for f in info["failed_loads"]:
        print(
            f"failed load: {f['source']} {f['file_name']} at {f['started_at']}: {f['error'].splitlines()[0]}"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m observatory", description=__doc__)
    parser.add_argument(
        "--warehouse",
        help="warehouse file (default: OBSERVATORY_WAREHOUSE or data/warehouse/observatory.duckdb)",
    )
    parser.add_argument(
        "--mirror", help="mirror folder of the declared files (default: OBSERVATORY_MIRROR or ../shared/data)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("fetch", help="find or download every declared file and check its sha256")
    p.add_argument("--all", action="store_true", help="also files not loaded by default (older releases)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=_fetch)

    p = sub.add_parser(
        "build", help="build a new warehouse from the declared sources and rename it into place"
    )
    p.add_argument("--if-missing", action="store_true", help="do nothing when a warehouse exists")
    p.add_argument("--skip-boundaries", action="store_true", help="do not prepare the map boundaries")
    p.set_defaults(run=_build)

    p = sub.add_parser(
        "ingest", help="import one file of a declared source (or 'generic') into the warehouse"
    )
    p.add_argument(
        "source",
        help="a source name from data/sources.toml, 'generic' for the long CSV, or 'population' for an "
        "official population table (territory_code, year, sex, value) that replaces the estimates",
    )
    p.add_argument("path", help="the file to import")
    p.add_argument("--release", help="release label, e.g. 2025-11")
    p.add_argument(
        "--encoding", help="text encoding of a CSV file (default: detected among UTF-8, UTF-16, Windows-1252)"
    )
    p.add_argument(
        "--country", help="generic only: country of the territory codes (default: the configured one)"
    )
    p.add_argument("--mapping", help="generic only: TOML file mapping our column names to the file's headers")
    p.add_argument(
        "--replace",
        action="store_true",
        help="generic only: replace every published cell of the file's indicators (default: merge, "
        "adding or replacing only the file's own cells); says first how many cells go",
    )
    p.add_argument(
        "--allow-older",
        action="store_true",
        help="load a release older than the one loaded (refused otherwise)",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="say what would change (cells added, changed, removed; totals per year; rows dropped) and write nothing",
    )
    p.set_defaults(run=_ingest)

    p = sub.add_parser(
        "history", help="the loads of the live warehouse and the earlier files kept for rollback"
    )
    p.add_argument("--limit", type=int, default=20, help="how many loads to list (default 20)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_history)

    p = sub.add_parser(
        "rollback", help="bring back the warehouse as it was before the last load (one rename, like a build)"
    )
    p.set_defaults(run=_rollback)

    p = sub.add_parser("link", help="link de-identified femicide case lists of several institutions (splink)")
    from observatory.tools import linkage

    linkage.add_arguments(p)
    p.set_defaults(run=lambda settings, args: linkage.run(args))

    p = sub.add_parser("recipe", help="source recipes (data/recipes/): check what a file would give")
    recipe_sub = p.add_subparsers(dest="recipe_command", required=True)
    p = recipe_sub.add_parser(
        "check",
        help="rows read, dropped (with the reason) and kept; the cells and their totals per year; "
        "names that could not be resolved. Writes nothing.",
    )
    p.add_argument("path", help="the file to read")
    p.add_argument(
        "--recipe", required=True, help="a recipe TOML file, or a source name (data/recipes/<source>.toml)"
    )
    p.add_argument("--release", help="release label, for a service directory: the year it describes")
    p.add_argument(
        "--encoding", default="utf-8", help="text encoding of a CSV file when the recipe gives none"
    )
    p.set_defaults(run=_recipe_check)

    p = sub.add_parser(
        "info", help="what the warehouse holds: sources, releases, totals by year, territories"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_info)

    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(warehouse=args.warehouse, mirror=args.mirror)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return args.run(settings, args)


if __name__ == "__main__":
    sys.exit(main())
