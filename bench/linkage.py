"""Record linkage of made-up case lists whose true matches are known (target: precision and recall >= 0.95).

For each size, ``bench.caselists`` makes case lists of three institutions (at Peru's density of
cases, so 3,000 victims span about seven years; with its errors, typing slips included),
``observatory.tools.linkage.link`` links them without seeing the truth, and the clusters are scored
against the truth:

- pairwise precision: of the record pairs put in one cluster, the share that are one victim;
- pairwise recall: of the record pairs that are one victim, the share put in one cluster;
- the consolidated count next to the true number of victims.

Each size runs with several seeds (a new made-up country each time) and the verdict uses the
worst. A last row packs 3,000 victims into three years, two and a half times Peru's density.
Times are of ``link`` in this process, after a warm-up run that imports splink.

    python -m bench.linkage [--quick]   (a full run is recorded in bench/results.json)
"""

from __future__ import annotations

import argparse
import statistics
import time

import pandas as pd

from bench import record
from bench.caselists import generate
from observatory.tools.linkage import link

TARGET = 0.95
SIZES = (300, 1_000, 3_000)
SEEDS = (1, 2, 3)
DENSE = (3_000, 3)  # victims, years


def score(clusters: pd.DataFrame, truth: pd.DataFrame) -> dict:
    """Pairwise precision and recall of ``clusters`` (cluster_id, institution, record_id) against ``truth``."""
    both = clusters.merge(truth, on=["institution", "record_id"], validate="one_to_one")
    if len(both) != len(truth):
        raise ValueError("the clusters do not hold every record of the truth exactly once")

    def pairs(sizes: pd.Series) -> int:
        return int((sizes * (sizes - 1) // 2).sum())

    found = pairs(both.groupby("cluster_id").size())
    true = pairs(both.groupby("victim").size())
    right = pairs(both.groupby(["cluster_id", "victim"]).size())
    return {
        "precision": right / found if found else 1.0,
        "recall": right / true if true else 1.0,
        "pairs_found": found,
        "pairs_true": true,
    }


def run_one(victims: int, seed: int, years: int | None = None) -> dict:
    lists = generate(victims, seed=seed, years=years)
    started = time.perf_counter()
    result = link(lists.records)
    seconds = time.perf_counter() - started
    return {
        "victims": victims,
        "years": lists.years,
        "seed": seed,
        "records": len(lists.records),
        "consolidated": result.consolidated_count,
        "to_review": len(result.review),
        "seconds": round(seconds, 2),
        **{
            k: round(v, 4) if isinstance(v, float) else v
            for k, v in score(result.membership(), lists.truth).items()
        },
    }


def run(quick: bool = False) -> dict:
    """Every size with every seed (quick: 300 victims, one seed, no dense row)."""
    link(generate(60, seed=0).records)  # warm-up: import splink and DuckDB's extensions
    sizes, seeds = ((SIZES[0],), SEEDS[:1]) if quick else (SIZES, SEEDS)
    runs = [run_one(n, s) for n in sizes for s in seeds]
    if not quick:
        runs += [run_one(DENSE[0], s, years=DENSE[1]) | {"dense": True} for s in seeds]
    return {"target": TARGET, "seeds": list(seeds), "runs": runs}


def report(result: dict) -> str:
    lines = [
        f"Record linkage of made-up case lists, 3 institutions, seeds {result['seeds']} "
        f"(target: precision and recall >= {result['target']})",
        f"  {'victims':>8}{'years':>6}{'records':>9}  {'counted':<13}{'precision':>10}{'recall':>8}"
        f"{'review':>8}{'time (s)':>10}",
    ]
    groups: dict[tuple, list[dict]] = {}
    for r in result["runs"]:
        groups.setdefault((r["victims"], r["years"], r.get("dense", False)), []).append(r)
    verdicts = []
    for (victims, years, dense), runs in groups.items():
        worst_p = min(r["precision"] for r in runs)
        worst_r = min(r["recall"] for r in runs)
        low, high = min(r["consolidated"] for r in runs), max(r["consolidated"] for r in runs)
        counted = f"{low:,}" if low == high else f"{low:,}-{high:,}"
        lines.append(
            f"  {victims:>8,}{years:>6}{round(statistics.median(r['records'] for r in runs)):>9,}  {counted:<13}"
            f"{worst_p:>10.4f}{worst_r:>8.4f}{round(statistics.median(r['to_review'] for r in runs)):>8}"
            f"{statistics.median(r['seconds'] for r in runs):>10.1f}" + ("  dense" if dense else "")
        )
        if not dense:
            verdicts.append(worst_p >= result["target"] and worst_r >= result["target"])
    lines.append(
        "  counted: consolidated count (range over seeds); precision, recall: worst seed; "
        "records, review, time: median"
    )
    lines.append(f"  target met at Peru's density: {'yes' if all(verdicts) else 'NO'}")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.linkage", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 victims, one seed")
    quick = parser.parse_args().quick
    result = run(quick=quick)
    print(report(result))
    if not quick:
        print(f"recorded in {record({'linkage': result})}")
