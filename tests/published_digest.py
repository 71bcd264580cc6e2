"""What the warehouse publishes, per indicator: rows, a digest of every row and totals per year.

``python -m tests.published_digest WAREHOUSE > FILE`` writes the figure a rewrite must keep;
``tests/test_recipes_published.py`` builds the warehouse through the recipes and compares.
"""

from __future__ import annotations

import hashlib
import json
import sys

import duckdb


def digest(path: str, indicators: list[str] | None = None) -> dict:
    con = duckdb.connect(path, read_only=True)
    try:
        ids = indicators or [
            r[0] for r in con.execute("SELECT DISTINCT indicator_id FROM observations ORDER BY 1").fetchall()
        ]
        out = {}
        for ind in ids:
            rows = con.execute(
                """SELECT territory_code, strftime(period, '%Y-%m'), violence_type, sex, age_group, risk_level,
                          institution, value, provisional
                   FROM observations WHERE indicator_id = $i ORDER BY ALL""",
                {"i": ind},
            ).fetchall()
            text = "\n".join("|".join(map(str, r)) for r in rows)
            years = con.execute(
                "SELECT year(period), sum(value) FROM observations WHERE indicator_id = $i GROUP BY 1 ORDER BY 1",
                {"i": ind},
            ).fetchall()
            out[ind] = {
                "rows": len(rows),
                "sha256": hashlib.sha256(text.encode()).hexdigest(),
                "totals_by_year": {str(y): int(v) for y, v in years},
            }
        revisions = con.execute(
            "SELECT source, new_release, year, old_release, total_before, total_after FROM revisions ORDER BY ALL"
        ).fetchall()
        out["_revisions"] = [
            list(map(lambda v: v if isinstance(v, (int, str)) or v is None else float(v), r))
            for r in revisions
        ]
        return out
    finally:
        con.close()


if __name__ == "__main__":
    json.dump(digest(sys.argv[1]), sys.stdout, indent=1, sort_keys=True)
    print()
