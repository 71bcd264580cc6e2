"""Record linkage of de-identified femicide case lists: how many distinct victims do they describe?

Institutions count femicides differently (in Peru the MIMP's women's emergency centres, the
Public Prosecutor and the police; in El Salvador the PNC, the FGR and the IML), and they exchange
de-identified case lists. This offline command links those lists with splink (a Fellegi-Sunter
model on DuckDB) and reports the consolidated count of distinct victims, which records of each
institution were found in another list, and the uncertain pairs a person should look at.

The case-list format (CSV or XLSX, UTF-8, one row per victim as the institution registered her)::

    institution     the institution that registered the case, e.g. PNP, MIMP-CEM, FGR
    record_id       the institution's own opaque record number (not a national ID number);
                    unique within the institution
    date            YYYY-MM-DD, the date of the death or attack
    territory_code  where it happened: Peru ubigeo at 2 (department), 4 (province) or
                    6 (district) digits, or El Salvador code at 2 (department) or 4
                    (municipality) digits; a leading zero dropped by a spreadsheet is restored
    age             the victim's age in whole years (optional column; blank = not recorded)
    relationship    of the aggressor to the victim: partner, ex-partner, family,
                    acquaintance, stranger or unknown (blank = unknown; Spanish terms such
                    as pareja, expareja, conviviente, familiar, conocido, desconocido accepted)
    method          how (optional column; free text compared exactly, so use a vocabulary
                    shared by the institutions, e.g. sharp-object, strangulation, beating,
                    firearm, poisoning, burning, other; blank = not recorded)
    kind            femicide or attempt (optional column; feminicidio/tentativa accepted)

Names and ID numbers are neither needed nor accepted: a column that looks like a name, a DNI or
DUI, an address or a phone number stops the import (``readers.refuse_personal_data``).

The model never sees the truth: its parameters are estimated from the lists themselves (u by
random sampling of record pairs with a fixed seed, m by expectation maximisation within blocks),
so the same files and seed always give the same clusters.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from observatory.build import checks
from observatory.build.errors import IngestError, Problem
from observatory.build.readers import ROW, read_table

COLUMNS = {
    "institution": ["institucion", "entidad", "fuente"],
    "record_id": ["id_registro", "nro_registro", "registro", "id_caso", "caso"],
    "date": ["fecha", "fecha_hecho", "fecha_del_hecho"],
    "territory_code": ["ubigeo", "codigo_territorio", "cod_territorio", "codigo_ubigeo"],
    "age": ["edad", "edad_victima"],
    "relationship": ["vinculo", "relacion", "vinculo_agresor", "relacion_agresor"],
    "method": ["modalidad", "metodo", "medio"],
    "kind": ["tipo", "tipo_caso"],
}
OPTIONAL = ("age", "method", "kind")
WHAT = (
    "a de-identified case list (institution, record_id, date, territory_code, relationship; "
    "optional age, method, kind)"
)
RELATIONSHIPS = {
    "partner": ["pareja", "conviviente", "esposo", "enamorado", "novio", "concubino", "husband"],
    "ex-partner": [
        "expartner",
        "ex partner",
        "expareja",
        "ex pareja",
        "exconviviente",
        "ex conviviente",
        "exesposo",
        "ex esposo",
        "exenamorado",
        "ex enamorado",
    ],
    "family": ["familiar", "pariente", "padre", "hermano", "hijo", "padrastro", "tio"],
    "acquaintance": ["conocido", "amigo", "vecino", "companero"],
    "stranger": ["desconocido", "extrano", "sin vinculo", "ninguno"],
}
# Cell values that mean "not recorded", in any column.
UNKNOWN = {"unknown", "sin dato", "sin datos", "no especificado", "no registrado", "nd", "ns", "-"}
KINDS = {
    "femicide": ["femicidio", "feminicidio", "feminicide", "femicide", "consumado"],
    "attempt": ["tentativa", "tentativa de feminicidio", "intento", "attempted", "attempted femicide"],
}


# --- reading and checking -----------------------------------------------------------------------


def read_case_lists(paths: Sequence[Path], *, encoding: str = "utf-8") -> pd.DataFrame:
    """Every record of the case-list files, checked; raises ``IngestError`` on the first bad file.

    Returns one row per record with ``institution``, ``record_id`` (strings), ``date``
    (datetime64), ``territory_code`` (string of 2, 4 or 6 digits), ``age`` (Int64, NA when not
    recorded), ``relationship``, ``method``, ``kind`` (strings, None when not recorded), and
    ``_file``/``_row`` saying where each record came from.
    """
    if not paths:
        raise ValueError("no case-list files given")
    frames = []
    for path in paths:
        path = Path(path)
        try:
            table = read_table(path, COLUMNS, optional=OPTIONAL, encoding=encoding, what=WHAT)
        except IngestError as exc:
            if exc.message.startswith("refused: the file has columns that look like personal data"):
                raise IngestError(
                    exc.file,
                    "refused: the file has columns that look like personal data. Names and ID "
                    "numbers are neither needed nor accepted: remove these columns; the linkage "
                    "uses only date, place, age, relationship, method and kind.",
                    exc.problems,
                ) from None
            raise
        frame = check_case_list(table, path.name)
        frame["_file"] = path.name
        frames.append(frame)
    records = pd.concat(frames, ignore_index=True)
    dup = records.duplicated(["institution", "record_id"], keep=False)
    if dup.any():
        shown = records.loc[dup].sort_values(["institution", "record_id"]).head(50)
        raise IngestError(
            ", ".join(dict.fromkeys(shown["_file"])),
            "the same institution + record_id appears in more than one file",
            [
                Problem(
                    int(r[ROW]), "record_id", f"{r['_file']}: {r['institution']} {r['record_id']}", "repeated"
                )
                for _, r in shown.iterrows()
            ],
            total=int(dup.sum()),
        )
    return records


def check_case_list(table: pd.DataFrame, file: str, *, today: dt.date | None = None) -> pd.DataFrame:
    """Check and normalise a case list (strings as read, or values already normalised).

    Raises ``IngestError`` naming the file, and the row and column of every offending cell.
    Rows are numbered by ``_row`` when present (the line a person sees), else from 2 as if
    the frame were a CSV with a header. Checking an already checked frame returns it unchanged.
    """
    missing = [c for c in COLUMNS if c not in table and c not in OPTIONAL]
    if missing:
        raise IngestError(file, f"missing column(s): {', '.join(missing)}; expected {WHAT}")
    t = pd.DataFrame({c: _text(table[c]) if c in table else "" for c in COLUMNS})
    t[ROW] = table[ROW].to_numpy() if ROW in table else np.arange(2, len(table) + 2)
    t = t.reset_index(drop=True)

    for column in ("institution", "record_id", "date", "territory_code"):
        blank = t[column] == ""
        if blank.any():
            checks._fail(file, f"empty {column}", t, blank, column, f"{column} is required")

    date = pd.to_datetime(t["date"], format="%Y-%m-%d", errors="coerce")
    bad = date.isna()
    if bad.any():
        checks._fail(file, "invalid dates", t, bad, "date", "not a date YYYY-MM-DD")
    today = today or dt.date.today()
    bad = (date.dt.date > today) | (date.dt.year < 1990)
    if bad.any():
        checks._fail(file, f"dates outside 1990 .. {today.isoformat()}", t, bad, "date", "impossible date")

    code = t["territory_code"].str.replace(r"\.0$", "", regex=True)
    bad = ~code.str.fullmatch(r"\d{1,6}")
    if bad.any():
        checks._fail(
            file, "malformed territory codes", t, bad, "territory_code", "not a code of 2, 4 or 6 digits"
        )
    # Codes go by pairs of digits (department, province/municipality, district): an odd
    # length is a code whose leading zero a spreadsheet dropped.
    code = code.map(lambda c: c.zfill(len(c) + len(c) % 2))

    age = pd.to_numeric(t["age"].where(t["age"] != ""), errors="coerce")
    bad = (t["age"] != "") & (age.isna() | (age % 1 != 0) | (age < 0) | (age > 120))
    if bad.any():
        checks._fail(file, "invalid ages", t, bad, "age", "not a whole number of years 0-120")

    # 'Other' relationship says nothing the comparison could use: it counts as not recorded.
    relationship = _vocabulary(t, "relationship", RELATIONSHIPS, file, unknown={"other", "otro"})
    kind = _vocabulary(t, "kind", KINDS, file)
    method = t["method"].str.lower().str.replace(r"\s+", " ", regex=True)
    method = method.where(~method.isin(UNKNOWN | {""}), None)

    out = pd.DataFrame(
        {
            "institution": t["institution"],
            "record_id": t["record_id"],
            "date": date.astype("datetime64[s]"),
            "territory_code": code,
            "age": age.astype("Int64"),
            "relationship": relationship,
            "method": method.astype(object),
            "kind": kind,
            ROW: t[ROW],
        }
    )
    checks.no_duplicates(out, ["institution", "record_id"], file, ["institution", "record_id"])
    return out


def _text(series: pd.Series) -> pd.Series:
    """Cells as trimmed strings, '' for missing, dates as YYYY-MM-DD, 34.0 as '34'."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.dt.strftime("%Y-%m-%d").fillna("")
    values = [
        ""
        if v is None or (not isinstance(v, str) and pd.isna(v))
        else str(int(v))
        if isinstance(v, float) and v.is_integer()
        else str(v).strip()
        for v in series.astype(object)
    ]
    return pd.Series(values, index=series.index, dtype=object)


def _vocabulary(
    t: pd.DataFrame, column: str, terms: dict[str, list[str]], file: str, unknown: Iterable[str] = ()
) -> pd.Series:
    """Canonical term for each cell, None when blank or unknown; other values are refused."""
    lookup = {checks.slug(alias): canon for canon, aliases in terms.items() for alias in [canon, *aliases]}
    lookup.update({checks.slug(u): None for u in UNKNOWN | set(unknown) | {""}})
    key = t[column].map(checks.slug)
    bad = ~key.isin(set(lookup))
    if bad.any():
        checks._fail(
            file,
            f"unknown {column} values (expected one of {', '.join(terms)}, or blank when not recorded)",
            t,
            bad,
            column,
            f"unknown {column}",
        )
    return key.map(lookup).astype(object).where(key.map(lookup).notna(), None)


# --- the model -----------------------------------------------------------------------------------

MIN_RECORDS_TO_ESTIMATE = 200  # fewer records give too few pairs to estimate from: use PRIOR
MIN_TRAINING_PAIRS = 100  # an EM session needs this many blocked pairs, or it is skipped
# Pairs at or above this probability are merged. On the generated lists (typing slips included)
# the pairs from 0.85 to 0.9 are one victim far more often than not: merging them gains 0.3 to
# 1.6 points of recall for at most 0.5 of precision (python -m bench.linkage).
MATCH_THRESHOLD = 0.85

# Starting values of the model, and the model itself for lists too small to estimate from: per
# comparison, (m, u) of each level in order. Rounded from the parameters estimated on the
# made-up lists of bench/caselists.py (1,000 victims over three years, seeds 0-2), with levels
# the simulation never produces among true matches (a different province, a different method)
# given a small m rather than none, because real registers make mistakes the simulation does not.
PRIOR: dict[str, list[tuple[float, float]]] = {
    "date": [
        (0.35, 0.0015),
        (0.30, 0.002),
        (0.25, 0.004),
        (0.06, 0.007),
        (0.01, 0.0043),  # day and month swapped (SLIP_DATE)
        (0.02, 0.043),
        (0.01, 0.9382),
    ],
    "territory": [
        (0.53, 0.002),
        (0.20, 0.007),
        (0.13, 0.015),
        (0.10, 0.007),
        (0.01, 0.007),  # district codes one keystroke apart (SLIP_TERRITORY)
        (0.02, 0.04),
        (0.01, 0.922),
    ],
    "age": [(0.75, 0.025), (0.20, 0.045), (0.03, 0.09), (0.005, 0.008), (0.015, 0.832)],
    "relationship": [(0.90, 0.25), (0.04, 0.17), (0.06, 0.58)],
    "method": [(0.95, 0.2), (0.05, 0.8)],
    "kind": [(0.93, 0.5), (0.07, 0.5)],
}


# Typing slips: day and month swapped, two digits of a district code or an age swapped or one
# mistyped. Too rare among true matches for EM to estimate (it drives their m to zero, and a
# slip would then count as proof of two victims), so their m stays fixed at PRIOR's: about one
# value in a hundred typed by hand is mistyped (manual data entry errs in 0.5-6.5 % of fields).
SLIP_DATE = "day and month swapped"
SLIP_TERRITORY = "district codes one keystroke apart, another province or department"
SLIP_AGE = "age with its two digits swapped (43 for 34)"


@dataclass(frozen=True)
class LinkageResult:
    """What the linkage found.

    ``clusters`` maps each cluster_id (1, 2, ... in order of earliest date) to its records as
    (institution, record_id); every input record is in exactly one cluster, so
    ``consolidated_count == len(clusters)``. ``institutions`` gives, per institution, its
    ``records``, the ``matched`` ones (in a cluster with another institution's record) and the
    ``unmatched`` ones. ``review`` lists the pairs a person should look at, both records side
    by side (columns ``<field>_l`` and ``<field>_r``), with the ``match_probability`` that
    decided, splink's ``pairwise_probability`` and the ``reason``. ``parameters`` describes the model (estimated or prior, level by level).
    """

    consolidated_count: int
    institutions: dict[str, dict[str, int]]
    clusters: dict[int, list[tuple[str, str]]]
    review: pd.DataFrame
    threshold: float
    review_band: tuple[float, float]
    parameters: dict = field(repr=False)

    def membership(self) -> pd.DataFrame:
        """One row per input record: cluster_id, institution, record_id."""
        rows = [(cid, inst, rid) for cid, members in self.clusters.items() for inst, rid in members]
        return pd.DataFrame(rows, columns=["cluster_id", "institution", "record_id"])

    def summary(self) -> dict:
        """The figures written to summary.json."""
        return {
            "consolidated_count": self.consolidated_count,
            "records": sum(v["records"] for v in self.institutions.values()),
            "institutions": self.institutions,
            "threshold": self.threshold,
            "review_band": list(self.review_band),
            "pairs_to_review": len(self.review),
            "model": self.parameters,
        }


def link(
    records: pd.DataFrame,
    *,
    match_threshold: float = MATCH_THRESHOLD,
    review_band: tuple[float, float] = (0.5, MATCH_THRESHOLD),
    seed: int = 42,
    same_institution: bool = False,
    estimate: bool | None = None,
) -> LinkageResult:
    """Link the records of several institutions' case lists into distinct victims.

    ``records`` has the case-list columns (as returned by ``read_case_lists``, or raw strings:
    they are checked the same way). Splink scores pairs of records on date, territory, age,
    relationship, method and kind; pairs whose match probability is >= ``match_threshold``
    are merged. Pairs with probability in [review_band[0], review_band[1]) go to the review
    list, as do pairs above the threshold that were not merged and pairs that look alike but
    have a rival as alike in the same institution.

    By default (``same_institution=False``) two records of the same institution are never
    merged: a register holds one record per victim, and two near-identical records in one
    register are far more often two victims of one event (a mother and daughter killed
    together) than one victim registered twice. Each cluster then holds at most one record per
    institution (splink's single-best-links clustering), and a pair's probability accounts
    for the other candidates of both records (see ``_one_per_institution``). With
    ``same_institution=True`` the lists are also de-duplicated internally, pairs keep splink's
    probability and clusters are connected components.

    Parameters are estimated from the records (``estimate=True``: u by random sampling with
    ``seed``, m by expectation maximisation) or taken from ``PRIOR`` (``estimate=False``); by
    default they are estimated when there are at least ``MIN_RECORDS_TO_ESTIMATE`` records.
    The same records and seed always give the same result.
    """
    if not 0 < match_threshold <= 1:
        raise ValueError(f"match_threshold must be in (0, 1], not {match_threshold}")
    low, high = review_band
    if not 0 <= low <= high <= 1:
        raise ValueError(f"review_band must be two probabilities low <= high, not {review_band}")
    clean = check_case_list(records, "records")
    clean = clean.sort_values(["institution", "record_id"], kind="stable").reset_index(drop=True)
    clean["unique_id"] = np.arange(len(clean), dtype="int64")
    # splink writes source dataset names into its SQL: give it safe codes, never the names.
    codes = {name: f"s{i}" for i, name in enumerate(sorted(clean["institution"].unique()))}
    clean["source_dataset"] = clean["institution"].map(codes)
    estimate = len(clean) >= MIN_RECORDS_TO_ESTIMATE if estimate is None else estimate

    if len(codes) < 2 and not same_institution:
        # Nothing to link: one institution's records are never merged with each other.
        pairs = pd.DataFrame(
            {"unique_id_l": [], "unique_id_r": [], "match_probability": [], "pairwise_probability": []}
        )
        cluster_of = pd.Series(clean["unique_id"].to_numpy(), index=clean["unique_id"])
        parameters = {"estimated": False, "note": "a single institution: nothing to link"}
    else:
        pairs, cluster_of, parameters = _splink(
            clean, match_threshold, min(low, match_threshold), seed, same_institution, estimate
        )
    return _result(clean, pairs, cluster_of, parameters, match_threshold, (low, high))


def _comparisons() -> list:
    from splink import comparison_level_library as cll
    from splink import comparison_library as cl

    # Territory codes nest (department 2 digits, province or municipality 4, district 6), and
    # institutions record places at different levels: a code that only gives the province
    # agrees with every district in it; two different districts of one province are often
    # the same place recorded as the victim's home by one and as the scene by the other.
    territory = [
        ("same district", "territory_code_l = territory_code_r AND length(territory_code_l) = 6"),
        (
            "same province or municipality (one or both less precise)",
            "substr(territory_code_l, 1, 4) = substr(territory_code_r, 1, 4) "
            "AND least(length(territory_code_l), length(territory_code_r)) = 4",
        ),
        (
            "neighbouring districts of one province",
            "substr(territory_code_l, 1, 4) = substr(territory_code_r, 1, 4)",
        ),
        (
            "same department (one gives only the department)",
            "substr(territory_code_l, 1, 2) = substr(territory_code_r, 1, 2) "
            "AND least(length(territory_code_l), length(territory_code_r)) = 2",
        ),
        # A typing slip (two digits swapped, or one mistyped) that moves a district to another
        # province or department. Only full district codes: departments and provinces are
        # numbered 01, 02, ..., so shorter codes one keystroke apart are as often two places.
        (
            SLIP_TERRITORY,
            "length(territory_code_l) = 6 AND length(territory_code_r) = 6 "
            "AND damerau_levenshtein(territory_code_l, territory_code_r) = 1",
        ),
        (
            "same department, different province",
            "substr(territory_code_l, 1, 2) = substr(territory_code_r, 1, 2)",
        ),
    ]
    intimate = "relationship_l IN ('partner', 'ex-partner') AND relationship_r IN ('partner', 'ex-partner')"
    comparisons = {
        # Dates differ by days between institutions: the attack vs the death, the report.
        # A clerk may also swap day and month (2024-05-03 for 2024-03-05); ``day_swapped`` is the
        # date so read (null when the day is over 12), compared allowing the usual few days.
        "date": cl.CustomComparison(
            [
                cll.ExactMatchLevel("day").configure(label_for_charts="same date"),
                *[
                    cll.AbsoluteDifferenceLevel("day", d).configure(label_for_charts=f"within {d} days")
                    for d in (1, 3, 7)
                ],
                cll.CustomLevel(
                    "abs(day_swapped_l - day_r) <= 3 OR abs(day_l - day_swapped_r) <= 3", SLIP_DATE
                ).configure(fix_m_probability=True),
                cll.AbsoluteDifferenceLevel("day", 31).configure(label_for_charts="within 31 days"),
                cll.ElseLevel(),
            ],
            output_column_name="date",
        ),
        "territory": cl.CustomComparison(
            [
                cll.NullLevel("territory_code"),
                *[
                    cll.CustomLevel(sql, label).configure(fix_m_probability=label == SLIP_TERRITORY)
                    for label, sql in territory
                ],
                cll.ElseLevel(),
            ],
            output_column_name="territory",
        ),
        "age": cl.CustomComparison(
            [
                cll.NullLevel("age"),
                cll.ExactMatchLevel("age").configure(label_for_charts="same age"),
                cll.AbsoluteDifferenceLevel("age", 1).configure(label_for_charts="age within 1 year"),
                cll.AbsoluteDifferenceLevel("age", 3).configure(label_for_charts="age within 3 years"),
                cll.CustomLevel("age_l % 10 = age_r // 10 AND age_l // 10 = age_r % 10", SLIP_AGE).configure(
                    fix_m_probability=True
                ),
                cll.ElseLevel(),
            ],
            output_column_name="age",
        ),
        "relationship": cl.CustomComparison(
            [
                cll.NullLevel("relationship"),
                cll.ExactMatchLevel("relationship").configure(label_for_charts="same relationship"),
                cll.CustomLevel(intimate, "partner vs ex-partner"),
                cll.ElseLevel(),
            ],
            output_column_name="relationship",
        ),
        "method": cl.ExactMatch("method"),
        "kind": cl.ExactMatch("kind"),
    }
    for name, comparison in comparisons.items():
        m, u = zip(*PRIOR[name], strict=True)
        # As the whole model (prior) or as EM's starting point and the fallback for a level
        # the data never shows.
        comparison.configure(m_probabilities=list(m), u_probabilities=list(u))
    return list(comparisons.values())


def _blocking_rules() -> list:
    from splink import block_on
    from splink.blocking_rule_library import CustomRule

    # Pairs of records that are scored at all; every other pair is taken as two victims.
    return [
        block_on("day"),  # the same date, wherever it was recorded (a wrong department)
        CustomRule("l.department = r.department AND abs(l.day - r.day) <= 7"),
        # The same district and age within a year: a mistyped day or month.
        CustomRule("l.territory_code = r.territory_code AND l.age = r.age AND abs(l.day - r.day) <= 366"),
        # Day and month swapped by one of the two, in the same department.
        CustomRule(
            "l.department = r.department "
            "AND (abs(l.day_swapped - r.day) <= 3 OR abs(l.day - r.day_swapped) <= 3)"
        ),
        # The same age, or the same district number, within a week wherever: a mistyped
        # department or province.
        CustomRule("l.age = r.age AND abs(l.day - r.day) <= 7"),
        CustomRule("l.district_digits = r.district_digits AND abs(l.day - r.day) <= 7"),
        # The same place within a month: a mistyped day.
        CustomRule("l.territory_code = r.territory_code AND abs(l.day - r.day) <= 31"),
    ]


def _splink(
    clean: pd.DataFrame, threshold: float, keep_from: float, seed: int, same_institution: bool, estimate: bool
) -> tuple[pd.DataFrame, pd.Series, dict]:
    """Scored pairs, the raw cluster of each unique_id, the model.

    Pairs carry splink's ``pairwise_probability`` and the ``match_probability`` that decides
    (the same, or adjusted by ``_one_per_institution``); those with either >= keep_from are kept.
    """
    import duckdb
    from splink import DuckDBAPI, Linker, SettingsCreator

    table = pd.DataFrame(
        {
            "unique_id": clean["unique_id"],
            "source_dataset": clean["source_dataset"],
            "day": (clean["date"] - pd.Timestamp("1970-01-01")).dt.days.astype("int64"),
            "day_swapped": _day_swapped(clean["date"]),
            "department": clean["territory_code"].str[:2],
            "territory_code": clean["territory_code"],
            "district_digits": clean["territory_code"].str[4:6].replace("", None),
            "age": clean["age"],
            "relationship": clean["relationship"],
            "method": clean["method"],
            "kind": clean["kind"],
        }
    )
    con = duckdb.connect()
    # One thread: sums in the same order on every run, so the same input gives the same model.
    con.execute("SET threads = 1")
    db_api = DuckDBAPI(con)
    settings = SettingsCreator(
        link_type="dedupe_only" if same_institution else "link_only",
        comparisons=_comparisons(),
        blocking_rules_to_generate_predictions=_blocking_rules(),
        retain_matching_columns=False,
        probability_two_random_records_match=_prior_lambda(clean, same_institution),
    )
    if same_institution:
        tables = [db_api.register(table, table_name="caselist")]
    else:
        tables = [
            db_api.register(part.reset_index(drop=True), table_name=f"caselist_{code}")
            for code, part in table.groupby("source_dataset", sort=True)
        ]
    splink_log = logging.getLogger("splink")
    level = splink_log.level
    splink_log.setLevel(logging.ERROR)  # splink narrates every step; the command prints a summary
    try:
        linker = Linker(tables if len(tables) > 1 else tables[0], settings, log_level=None)
        sessions = _train(linker, table, seed, same_institution) if estimate else []
        scored = linker.inference.predict(warning_mode="never")
        pairs = scored.as_pandas_dataframe()
        ids = (
            ["unique_id_l", "unique_id_r"]
            if same_institution
            else ["source_dataset_l", "unique_id_l", "source_dataset_r", "unique_id_r"]
        )
        pairs = pairs[[*ids, "match_probability"]].assign(pairwise_probability=pairs["match_probability"])
        model = linker.misc.save_model_to_json()
        if same_institution:
            pairs = pairs.loc[pairs["match_probability"] >= keep_from].reset_index(drop=True)
            edges = db_api.register(pairs, table_name="scored_pairs")
            clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
                edges, threshold_match_probability=threshold
            )
        else:
            sizes = table["source_dataset"].value_counts().to_dict()
            pairs["match_probability"] = _one_per_institution(
                pairs, sizes, model["probability_two_random_records_match"]
            )
            kept = pairs[["match_probability", "pairwise_probability"]].max(axis=1) >= keep_from
            pairs = pairs.loc[kept].reset_index(drop=True)
            edges = db_api.register(pairs, table_name="scored_pairs")
            # DuckDB 2.0 plans this step's self-join of nodes as a cross product (27 million
            # rows and 20 s for 6,000 records); the join order as splink writes it is linear.
            con.execute("SET disabled_optimizers = 'join_order'")
            clustered = linker.clustering.cluster_using_single_best_links(
                edges, duplicate_free_datasets=sorted(sizes), threshold_match_probability=threshold
            )
            con.execute("RESET disabled_optimizers")
        clusters = clustered.as_pandas_dataframe()
    finally:
        splink_log.setLevel(level)
        con.close()
    cluster_of = clusters.set_index("unique_id")["cluster_id"]
    return pairs, cluster_of, _parameters(model, estimate, sessions, same_institution)


def _day_swapped(date: pd.Series) -> pd.Series:
    """Days since 1970 of each date read with day and month swapped (Int64, NA when the day is
    over 12 or equals the month: no other date to read)."""
    swappable = (date.dt.day <= 12) & (date.dt.day != date.dt.month)
    swapped = pd.to_datetime(
        {
            "year": date.dt.year,
            "month": date.dt.day.where(swappable, 1),
            "day": date.dt.month.where(swappable, 1),
        }
    )
    days = (swapped - pd.Timestamp("1970-01-01")).dt.days.astype("Int64")
    return days.where(swappable, pd.NA)


def _train(linker, table: pd.DataFrame, seed: int, same_institution: bool) -> list[str]:
    """Estimate u by random sampling, then m (and the match rate) by EM; the sessions run."""
    from splink import block_on

    # Every sampled chunk is used: stopping once each level has 100 pairs (splink's default)
    # bases u on a tenth of one side's records, which on short lists is a biased handful.
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=seed, min_count_per_level=None)
    # Each EM session estimates the comparisons its blocking rule leaves free: blocking on age
    # and relationship estimates date and place; blocking on the date estimates the rest.
    candidates = [
        ("same age and relationship", ["age", "relationship"]),
        ("same date", ["day"]),
    ]
    usable = [
        (name, cols)
        for name, cols in candidates
        if _pairs_sharing(table, cols, same_institution) >= MIN_TRAINING_PAIRS
    ]
    for i, (_, cols) in enumerate(usable):
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(*cols),
            estimate_without_term_frequencies=True,
            # The share of pairs that match, from what EM found within the blocks, corrected
            # for the blocking (after the last session, so that it uses every estimate).
            populate_probability_two_random_records_match_from_trained_values=i == len(usable) - 1,
        )
    return [name for name, _ in usable]


def _pairs_sharing(table: pd.DataFrame, columns: list[str], same_institution: bool) -> int:
    """How many pairs a blocking rule on ``columns`` produces (across institutions unless same_institution)."""
    known = table.dropna(subset=columns)
    per_value = known.groupby(columns).size()
    total = int((per_value * (per_value - 1) // 2).sum())
    if same_institution:
        return total
    per_source = known.groupby([*columns, "source_dataset"]).size()
    return total - int((per_source * (per_source - 1) // 2).sum())


def _one_per_institution(pairs: pd.DataFrame, sizes: dict[str, int], rate: float) -> pd.Series:
    """Each pair's probability when every institution registers a victim at most once.

    Splink's probability weighs a pair against a random pair; but record a of institution A
    has at most one true match in institution B, so its candidates in B compete, and it may
    have none (B never saw the victim). With pi the share of A's records that B also holds,
    and BF the Bayes factor of a pair (splink's evidence), the odds that a matches b are

        (pi / n_B) BF(a, b) / [(1 - pi) + (pi / n_B) * sum of BF(a, b') over the other b' in B]

    (pairs never scored have BF close to 0). A lone strong candidate gains: a record with no
    other candidate matches it unless the victim is missing from B. A candidate with a rival
    loses. The same holds from b's side; a pair keeps the lower of the two. pi is estimated
    per ordered pair of institutions as the expected share of matched records, from splink's
    probabilities; the model's ``rate`` (the share of random pairs that match) turns those
    back into Bayes factors.
    """
    if pairs.empty:
        return pairs["match_probability"]
    p = pairs["match_probability"].clip(1e-12, 1 - 1e-12).to_numpy()
    bayes_factor = p / (1 - p) * (1 - rate) / rate
    n = len(pairs)
    # Each pair twice, once from each record's side.
    sides = pd.DataFrame(
        {
            "pair": np.r_[np.arange(n), np.arange(n)],
            "record": np.r_[pairs["unique_id_l"], pairs["unique_id_r"]],
            "mine": np.r_[pairs["source_dataset_l"], pairs["source_dataset_r"]],
            "theirs": np.r_[pairs["source_dataset_r"], pairs["source_dataset_l"]],
            "p": np.r_[p, p],
        }
    )
    expected = sides.groupby(["record", "mine", "theirs"])["p"].sum().clip(upper=1.0)
    matched = expected.groupby(["mine", "theirs"]).sum()
    # At most 0.95: a lone candidate's odds grow by 1 / (1 - pi), here at most twenty-fold.
    share = (matched / matched.index.get_level_values("mine").map(sizes).to_numpy()).clip(0.01, 0.95)
    pi = pd.MultiIndex.from_frame(sides[["mine", "theirs"]]).map(share.to_dict().get).to_numpy(dtype=float)
    weighted = pi / sides["theirs"].map(sizes).to_numpy() * np.r_[bayes_factor, bayes_factor]
    rivals = (
        sides.assign(w=weighted).groupby(["record", "theirs"])["w"].transform("sum").to_numpy() - weighted
    )
    odds = pd.Series(weighted / ((1 - pi) + rivals)).groupby(sides["pair"].to_numpy()).min().sort_index()
    return pd.Series((odds / (1 + odds)).to_numpy(), index=pairs.index)


def _prior_lambda(clean: pd.DataFrame, same_institution: bool) -> float:
    """Share of record pairs that match before any evidence: half of each smaller list is in the larger.

    Only a starting point when parameters are estimated (EM replaces it).
    """
    sizes = [int(v) for v in clean["institution"].value_counts()]
    pairs = sum(a * b for i, a in enumerate(sizes) for b in sizes[i + 1 :])
    expected = 0.5 * sum(min(a, b) for i, a in enumerate(sizes) for b in sizes[i + 1 :])
    if same_institution:
        pairs = len(clean) * (len(clean) - 1) // 2
    return float(min(max(expected / max(pairs, 1), 1e-9), 0.5))


def _parameters(model: dict, estimated: bool, sessions: list[str], same_institution: bool) -> dict:
    comparisons = {
        c["output_column_name"]: [
            {
                "level": level.get("label_for_charts") or level["sql_condition"],
                "m": _round(level.get("m_probability")),
                "u": _round(level.get("u_probability")),
            }
            for level in c["comparison_levels"]
            if not level.get("is_null_level")
        ]
        for c in model["comparisons"]
    }
    return {
        "estimated": estimated,
        "em_sessions": sessions,
        "probability_two_random_records_match": _round(model["probability_two_random_records_match"]),
        "one_record_per_institution": not same_institution,
        "comparisons": comparisons,
        "blocking_rules": [b["blocking_rule"] for b in model["blocking_rules_to_generate_predictions"]],
        "splink": _version("splink"),
    }


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


def _round(value) -> float | None:
    return None if value is None or isinstance(value, str) else float(f"{value:.6g}")


def _result(
    clean: pd.DataFrame,
    pairs: pd.DataFrame,
    cluster_of: pd.Series,
    parameters: dict,
    threshold: float,
    band: tuple[float, float],
) -> LinkageResult:
    clean = clean.assign(raw_cluster=clean["unique_id"].map(cluster_of))
    # Number clusters by earliest date, then institution and record: stable across runs.
    first = clean.sort_values(["date", "institution", "record_id"]).drop_duplicates("raw_cluster")
    number = {raw: i for i, raw in enumerate(first["raw_cluster"], start=1)}
    clean["cluster_id"] = clean["raw_cluster"].map(number).astype("int64")
    clean = clean.sort_values(["cluster_id", "institution", "record_id"])

    clusters: dict[int, list[tuple[str, str]]] = {}
    for cid, inst, rid in zip(clean["cluster_id"], clean["institution"], clean["record_id"], strict=True):
        clusters.setdefault(int(cid), []).append((inst, rid))
    institutions = {}
    size = clean.groupby("cluster_id")["institution"].transform("size")
    for name, part in clean.assign(size=size).groupby("institution", sort=True):
        matched = int((part["size"] > 1).sum())
        institutions[name] = {"records": len(part), "matched": matched, "unmatched": len(part) - matched}

    return LinkageResult(
        consolidated_count=len(clusters),
        institutions=institutions,
        clusters=clusters,
        review=_review(clean, pairs, threshold, band),
        threshold=threshold,
        review_band=band,
        parameters=parameters,
    )


REVIEW_FIELDS = [
    "cluster_id",
    "institution",
    "record_id",
    "date",
    "territory_code",
    "age",
    "relationship",
    "method",
    "kind",
]


def _review(
    clean: pd.DataFrame, pairs: pd.DataFrame, threshold: float, band: tuple[float, float]
) -> pd.DataFrame:
    """The pairs a person should look at, both records side by side, most likely first."""
    by_id = clean.set_index("unique_id")
    left = pairs["unique_id_l"].astype("int64")
    right = pairs["unique_id_r"].astype("int64")
    prob, pairwise = pairs["match_probability"], pairs["pairwise_probability"]
    together = left.map(by_id["cluster_id"]) == right.map(by_id["cluster_id"])
    uncertain = (prob >= band[0]) & (prob < band[1])
    apart = (prob >= threshold) & ~together
    # Alike as a pair, but another record of the same institution is as alike (two victims of
    # one event, say), so the rule of one record per institution left both apart: flagged when
    # neither record found a partner in the other's institution instead.
    institutions = clean.groupby("cluster_id")["institution"].agg(frozenset)
    inst_l, inst_r = left.map(by_id["institution"]), right.map(by_id["institution"])
    seen_l = left.map(by_id["cluster_id"]).map(institutions)
    seen_r = right.map(by_id["cluster_id"]).map(institutions)
    unpaired = pd.Series(
        [a not in sb and b not in sa for a, b, sa, sb in zip(inst_l, inst_r, seen_l, seen_r, strict=True)],
        index=pairs.index,
        dtype=bool,
    )
    rival = (pairwise >= band[0]) & (prob < band[0]) & ~together & unpaired
    keep = (uncertain | apart | rival).to_numpy()
    out = pd.DataFrame(
        {
            "match_probability": prob[keep].round(4).to_numpy(),
            "pairwise_probability": pairwise[keep].round(4).to_numpy(),
            "reason": np.select(
                [apart[keep], rival[keep], together[keep]],
                [
                    "above the threshold but left apart: a record of the same institution matched better",
                    "alike, but so is another record of the same institution: left apart",
                    "uncertain, merged",
                ],
                "uncertain, left apart",
            ),
        }
    )
    for f in REVIEW_FIELDS:
        for side, ids in (("l", left[keep]), ("r", right[keep])):
            values = by_id[f].reindex(ids.to_numpy()).reset_index(drop=True)
            out[f"{f}_{side}"] = values.dt.strftime("%Y-%m-%d") if f == "date" else values
    out = out.sort_values(
        [
            "match_probability",
            "pairwise_probability",
            "institution_l",
            "record_id_l",
            "institution_r",
            "record_id_r",
        ],
        ascending=[False, False, True, True, True, True],
    )
    return out.reset_index(drop=True)


# --- the command ---------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m observatory link``."""
    parser.add_argument(
        "files", nargs="+", type=Path, help="case-list files (CSV or XLSX), one or more per institution"
    )
    parser.add_argument(
        "--out", required=True, type=Path, help="folder for clusters.csv, summary.json, review.csv"
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=MATCH_THRESHOLD,
        help=f"match probability at which two records are merged (default {MATCH_THRESHOLD})",
    )
    parser.add_argument(
        "--review-from",
        type=float,
        default=0.5,
        help="pairs from this probability up to the threshold go to review.csv (default 0.5)",
    )
    parser.add_argument("--seed", type=int, default=42, help="seed of the random sampling (default 42)")
    parser.add_argument(
        "--same-institution",
        action="store_true",
        help="also merge records of the same institution (by default an institution's records are distinct victims)",
    )
    parser.add_argument("--encoding", default="utf-8", help="text encoding of CSV files (default utf-8)")


def run(args: argparse.Namespace) -> int:
    """Read, link, write the three outputs and print a summary; 2 when a file is refused."""
    started = time.perf_counter()
    try:
        records = read_case_lists(args.files, encoding=args.encoding)
    except IngestError as exc:
        print(f"error: linkage refused, nothing was written.\n{exc}", file=sys.stderr)
        return 2
    result = link(
        records,
        match_threshold=args.threshold,
        review_band=(min(args.review_from, args.threshold), args.threshold),
        seed=args.seed,
        same_institution=args.same_institution,
    )
    write(result, args.out)
    print(report(result, time.perf_counter() - started, args.out))
    return 0


def main(argv: list[str] | None = None) -> int:
    """python -m observatory.tools.linkage FILE [FILE...] --out DIR [--threshold 0.85]"""
    parser = argparse.ArgumentParser(prog="python -m observatory link", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


def write(result: LinkageResult, folder: Path) -> None:
    """DIR/clusters.csv (cluster_id, institution, record_id), DIR/summary.json, DIR/review.csv."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    result.membership().to_csv(folder / "clusters.csv", index=False)
    result.review.to_csv(folder / "review.csv", index=False)
    (folder / "summary.json").write_text(
        json.dumps(result.summary(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def report(result: LinkageResult, seconds: float, folder: Path) -> str:
    total = sum(v["records"] for v in result.institutions.values())
    lines = [
        f"{total:,} records from {len(result.institutions)} institutions describe "
        f"{result.consolidated_count:,} distinct victims (threshold {result.threshold:g})",
    ]
    for name, v in result.institutions.items():
        lines.append(
            f"  {name:<24}{v['records']:>7,} records {v['matched']:>7,} matched {v['unmatched']:>7,} unmatched"
        )
    lines.append(f"{len(result.review):,} pairs to review; written to {folder} in {seconds:.1f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
