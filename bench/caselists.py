"""Made-up de-identified femicide case lists whose true matches are known, for the linkage bench and tests.

A set of true victims is drawn first; each is then seen by a random subset of the institutions,
and each institution writes its own record of her with its own kind of errors: the date a few
days off (date of the attack vs date of death, date of the report), the age off by one or not
recorded, the place given only at province or department level or as a neighbouring district,
the relationship not recorded or, rarely, recorded differently, the method not recorded, now
and then an attempt counted as a femicide (the victim died later) or the reverse, and typing
slips: day and month swapped, two digits of a territory code or an age transposed, a digit
replaced by another (about 1 in 100 dates, codes and ages; manual data entry errs in 0.5-6.5 %
of fields, most often by one keystroke). Some victims are known to one institution only, and a
few events have two victims (same date, place and method), which is the case that makes careless
linkage merge two women into one.

Nothing here is real: territory codes follow the shape of Peru's ubigeo (department 2 digits,
province 4, district 6) on a made-up map with one large capital, where any two districts of a
province count as neighbours. The generator never reads a real file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

INSTITUTIONS = ("MIMP-CEM", "MINISTERIO-PUBLICO", "PNP")
# Share of all victims each institution registers: the women's emergency centres see most cases,
# the police fewer (not every victim reports), so the lists overlap only in part.
COVERAGE = (0.8, 0.7, 0.6)
RELATIONSHIPS = ("partner", "ex-partner", "family", "acquaintance", "stranger", "unknown")
RELATIONSHIP_SHARE = (0.42, 0.2, 0.12, 0.1, 0.06, 0.1)
METHODS = ("sharp-object", "strangulation", "beating", "firearm", "poisoning", "burning", "other")
METHOD_SHARE = (0.3, 0.22, 0.2, 0.12, 0.06, 0.04, 0.06)
# Victims a year in Peru's registers: the MIMP's emergency centres count about 150 femicides and
# 250-300 attempted femicides a year.
PER_YEAR = 450
COLUMNS = ["institution", "record_id", "date", "territory_code", "age", "relationship", "method", "kind"]


@dataclass(frozen=True)
class Noise:
    """How often an institution's record differs from the truth (each a probability per record)."""

    date_shift: tuple[float, float, float, float] = (0.55, 0.25, 0.12, 0.08)  # 0, 1, 2, 3 days off
    age_off_by_one: float = 0.12
    age_missing: float = 0.1
    territory_province: float = 0.12  # only the province is given
    territory_department: float = 0.05  # only the department is given
    territory_neighbour: float = 0.08  # a neighbouring district
    relationship_missing: float = 0.15
    relationship_wrong: float = 0.04
    method_missing: float = 0.2
    kind_flipped: float = 0.03  # an attempt recorded as a femicide after the victim died, or back
    date_typo: float = 0.01  # day and month swapped (05-03 for 03-05), else a digit of the day mistyped
    territory_typo: float = 0.01  # two neighbouring digits of the code swapped, or one digit mistyped
    age_typo: float = 0.01  # the age's two digits swapped (43 for 34), or one digit mistyped
    double_victim_events: float = 0.02  # share of events with two victims


@dataclass(frozen=True)
class CaseLists:
    """The institutions' records (as read from their CSV files) and the truth behind them.

    ``records`` has the case-list columns, every value a string ('' when not recorded), like
    ``observatory.tools.linkage.read_case_lists`` sees them before its checks. ``truth`` maps each
    (institution, record_id) to the made-up victim it describes.
    """

    records: pd.DataFrame
    truth: pd.DataFrame
    victims: int
    years: int

    def write(self, folder: Path) -> list[Path]:
        """One CSV per institution in ``folder``, in the documented case-list format."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for institution, part in self.records.groupby("institution", sort=True):
            path = folder / f"{institution.lower()}.csv"
            part[COLUMNS].to_csv(path, index=False)
            paths.append(path)
        return paths


def generate(
    victims: int,
    *,
    seed: int = 0,
    institutions: tuple[str, ...] = INSTITUTIONS,
    coverage: tuple[float, ...] = COVERAGE,
    noise: Noise = Noise(),
    years: int | None = None,
    last_year: int = 2024,
) -> CaseLists:
    """Case lists describing ``victims`` women, reproducible from ``seed``.

    The victims are spread over the ``years`` years up to ``last_year``; by default over as
    many years as Peru takes to count that many (``PER_YEAR``), since how many cases share a
    week and a province is what makes linkage hard. Each victim is registered by each institution
    with that institution's ``coverage`` probability, and by at least one. Records are
    shuffled and carry opaque record numbers.
    """
    years = years or max(1, round(victims / PER_YEAR))
    rng = np.random.default_rng(seed)
    geography = _geography(rng)
    truth = _victims(victims, rng, geography, noise, last_year - years + 1, years)
    seen = rng.random((victims, len(institutions))) < np.asarray(coverage)
    nobody = ~seen.any(axis=1)
    seen[nobody, rng.integers(0, len(institutions), nobody.sum())] = True

    frames = []
    for i, institution in enumerate(institutions):
        mine = truth.loc[seen[:, i]].reset_index(drop=True)
        record = _observe(mine, rng, geography, noise)
        record.insert(0, "institution", institution)
        order = rng.permutation(len(record))
        prefix = "".join(w[0] for w in institution.split("-"))
        numbers = rng.choice(np.arange(10_000, 99_999), len(record), replace=False)
        record["record_id"] = [f"{prefix}-{d[:4]}-{n}" for d, n in zip(record["date"], numbers, strict=True)]
        frames.append(record.iloc[order])
    records = pd.concat(frames, ignore_index=True)
    truth_map = records[["institution", "record_id", "victim"]].copy()
    return CaseLists(
        records[COLUMNS].reset_index(drop=True), truth_map.reset_index(drop=True), victims, years
    )


# --- the made-up world --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Geography:
    districts: np.ndarray  # 6-digit codes
    weights: np.ndarray  # where victims live: a few big cities, many small places
    by_province: dict[str, list[str]]

    def neighbour(self, code: str, rng: np.random.Generator) -> str:
        """Another district of the same province (the made-up map has no real adjacency)."""
        same = [d for d in self.by_province[code[:4]] if d != code]
        return code if not same else same[rng.integers(0, len(same))]


def _geography(rng: np.random.Generator) -> _Geography:
    codes, weights = [], []
    for dep in range(1, 26):
        dep_weight = 8.0 if dep == 15 else rng.uniform(0.5, 2.0)  # '15' plays Lima
        provinces = rng.integers(3, 11)
        for prov in range(1, provinces + 1):
            districts = 40 if (dep == 15 and prov == 1) else rng.integers(3, 16)
            prov_weight = dep_weight * (4.0 if prov == 1 else 1.0) / provinces
            for dist in range(1, districts + 1):
                codes.append(f"{dep:02d}{prov:02d}{dist:02d}")
                weights.append(prov_weight / districts * rng.uniform(0.3, 1.7))
    w = np.asarray(weights)
    by_province: dict[str, list[str]] = {}
    for code in codes:
        by_province.setdefault(code[:4], []).append(code)
    return _Geography(np.asarray(codes), w / w.sum(), by_province)


def _victims(
    n: int, rng: np.random.Generator, geo: _Geography, noise: Noise, first_year: int, years: int
) -> pd.DataFrame:
    start = dt.date(first_year, 1, 1)
    span = (dt.date(first_year + years, 1, 1) - start).days
    day = rng.integers(0, span, n)
    district = rng.choice(geo.districts, n, p=geo.weights)
    method = rng.choice(METHODS, n, p=METHOD_SHARE)
    # Two victims of one event: same date, place and method; different women.
    pairs = np.flatnonzero(rng.random(n) < noise.double_victim_events)
    pairs = pairs[pairs + 1 < n]
    day[pairs + 1], district[pairs + 1], method[pairs + 1] = day[pairs], district[pairs], method[pairs]
    age = np.clip(np.round(rng.gamma(7.0, 4.6, n)), 14, 90).astype(int)
    return pd.DataFrame(
        {
            "victim": np.arange(n),
            "day": day,
            "start": pd.Timestamp(start),
            "territory_code": district,
            "age": age,
            "relationship": rng.choice(RELATIONSHIPS, n, p=RELATIONSHIP_SHARE),
            "method": method,
            "kind": np.where(rng.random(n) < 0.35, "femicide", "attempt"),
        }
    )


def _observe(victims: pd.DataFrame, rng: np.random.Generator, geo: _Geography, noise: Noise) -> pd.DataFrame:
    n = len(victims)
    shift = rng.choice(4, n, p=noise.date_shift) * rng.choice([-1, 1], n)
    date = (victims["start"] + pd.to_timedelta(victims["day"] + shift, unit="D")).dt.strftime("%Y-%m-%d")

    age = victims["age"].to_numpy() + np.where(
        rng.random(n) < noise.age_off_by_one, rng.choice([-1, 1], n), 0
    )
    age_text = np.where(rng.random(n) < noise.age_missing, "", age.astype(str))

    u = rng.random(n)
    code = victims["territory_code"].to_numpy().astype(object)
    cuts = np.cumsum([noise.territory_province, noise.territory_department, noise.territory_neighbour])
    territory = np.where(
        u < cuts[0],
        [c[:4] for c in code],
        np.where(
            u < cuts[1],
            [c[:2] for c in code],
            np.where(u < cuts[2], [geo.neighbour(c, rng) for c in code], code),
        ),
    )

    relationship = victims["relationship"].to_numpy().astype(object)
    wrong = rng.random(n) < noise.relationship_wrong
    relationship[wrong] = rng.choice(RELATIONSHIPS[:5], wrong.sum())
    relationship[rng.random(n) < noise.relationship_missing] = ""
    method = victims["method"].to_numpy().astype(object)
    method[rng.random(n) < noise.method_missing] = ""
    kind = victims["kind"].to_numpy().astype(object)
    flip = rng.random(n) < noise.kind_flipped
    kind[flip] = np.where(kind[flip] == "attempt", "femicide", "attempt")

    # Typing slips, on top of everything above (what the institution's clerk typed). They draw
    # from their own generator, seeded from this one by a single draw, so the other errors of
    # a seed are the same whatever the typo rates.
    slips = np.random.default_rng(rng.integers(0, 2**63))
    date = date.to_numpy().astype(object)
    for i in np.flatnonzero(slips.random(n) < noise.date_typo):
        date[i] = _mistyped_date(date[i], slips)
    territory = territory.astype(object)
    for i in np.flatnonzero(slips.random(n) < noise.territory_typo):
        territory[i] = _mistyped_digits(territory[i], slips)
    age_text = age_text.astype(object)
    for i in np.flatnonzero((slips.random(n) < noise.age_typo) & (age_text != "")):
        age_text[i] = _mistyped_digits(age_text[i], slips)
    return pd.DataFrame(
        {
            "victim": victims["victim"].to_numpy(),
            "record_id": "",
            "date": date,
            "territory_code": territory,
            "age": age_text,
            "relationship": relationship,
            "method": method,
            "kind": kind,
        }
    )


def _mistyped_digits(text: str, rng: np.random.Generator) -> str:
    """``text`` (digits) with two neighbouring digits swapped or, when that changes nothing or
    would start with a zero, one digit replaced by another; the same length, never a leading zero
    where there was none."""
    digits = list(text)
    if len(digits) >= 2 and rng.random() < 0.5:
        i = int(rng.integers(0, len(digits) - 1))
        swapped = digits.copy()
        swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
        if swapped != digits and (swapped[0] != "0" or digits[0] == "0"):
            return "".join(swapped)
    i = int(rng.integers(0, len(digits)))
    choices = [d for d in "0123456789" if d != digits[i] and not (i == 0 and d == "0" and digits[0] != "0")]
    digits[i] = choices[int(rng.integers(0, len(choices)))]
    return "".join(digits)


def _mistyped_date(text: str, rng: np.random.Generator) -> str:
    """``YYYY-MM-DD`` with day and month swapped when both could be a month and differ, else one
    digit of the day mistyped (always a real date)."""
    year, month, day = (int(x) for x in text.split("-"))
    if day <= 12 and day != month:
        return f"{year:04d}-{day:02d}-{month:02d}"
    tens, units = divmod(day, 10)
    one_key_off = {tens * 10 + u for u in range(10)} | {t * 10 + units for t in range(4)}
    days = sorted(d for d in one_key_off if d != day and d >= 1 and _is_date(year, month, d))
    return f"{year:04d}-{month:02d}-{days[int(rng.integers(0, len(days)))]:02d}"


def _is_date(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True
