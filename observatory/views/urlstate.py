"""The view state <-> the query string, defaults left out.

The URL is the state: a link reproduces the view and the browser's back button steps back
through views. This module only reads and writes the query string; whether an indicator,
area or period exists is checked by ``explore.resolve`` against the catalogue.

Keys (all optional; a key equal to its default is left out):

=============  ==========================================================  =================
key            meaning                                                     example
=============  ==========================================================  =================
ind            indicator id from the catalogue                             pe_feminicidios
area           official territorial code (Peru: ubigeo 2/4/6 digits)       1501
from, to       first and last period: YYYY-MM (monthly) or YYYY (yearly)   2024-01, 2025-02
measure        count | rate (rate per 100,000 where there is a population) rate
               | smoothed (a rate; district maps, ranking and table shaded
               by the empirical Bayes smoothed rate, labelled as such)
step           month | year: the time series' step (monthly indicators)    year
compare        up to 5 territorial codes drawn beside the area, comma list 01,07
group          a territory group (data/groups/): filters the ranking and    lima_callao
               table, outlines its areas on the map
lang           es | en                                                     en
violence_type  breakdown values, by breakdown name (where the indicator    severo
sex,           has that breakdown); ``total`` is the default
age_group,
risk_level
=============  ==========================================================  =================
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlencode

from observatory.contract.schema import BREAKDOWNS

MAX_COMPARE = 5
SMOOTHED = "smoothed"  # the measure value of a rate whose district maps are smoothed
MAX_VALUE_LENGTH = 64
KEYS = {
    "indicator": "ind",
    "area": "area",
    "start": "from",
    "end": "to",
    "measure": "measure",
    "step": "step",
    "compare": "compare",
    "group": "group",
    "lang": "lang",
}
ORDER = ("indicator", "area", "start", "end", "measure", "step", "breakdowns", "compare", "group", "lang")
_SAFE = re.compile(r"^[\w\-.:]*$", re.UNICODE)


@dataclass(frozen=True)
class ViewState:
    """One view of the explore page. Empty strings mean "not given": ``explore.resolve`` fills them."""

    indicator: str = ""
    area: str = ""
    start: str = ""
    end: str = ""
    measure: str = ""
    step: str = ""
    breakdowns: tuple[tuple[str, str], ...] = ()
    compare: tuple[str, ...] = ()
    lang: str = ""
    group: str = ""
    smooth: str = ""  # "1": district maps show the smoothed rate (written as measure=smoothed)

    def breakdown(self, name: str) -> str:
        return dict(self.breakdowns).get(name, "total")

    def with_(self, **changes) -> ViewState:
        if "breakdowns" in changes:
            changes["breakdowns"] = normalise_breakdowns(changes["breakdowns"])
        if "compare" in changes:
            changes["compare"] = tuple(changes["compare"] or ())
        return replace(self, **changes)


def normalise_breakdowns(pairs) -> tuple[tuple[str, str], ...]:
    """Sorted (name, value) pairs without the ``total`` defaults, unknown names dropped."""
    items = dict(pairs.items() if isinstance(pairs, Mapping) else pairs or ())
    return tuple(sorted((k, v) for k, v in items.items() if k in BREAKDOWNS and v and v != "total"))


def _clean(value) -> str:
    if isinstance(value, list | tuple):
        value = value[-1] if value else ""
    text = str(value or "").strip()[:MAX_VALUE_LENGTH]
    # Anything outside word characters and - . : is kept verbatim so resolve() can name it
    # in its message; it can never reach SQL text (every value is a bound parameter).
    return text


def parse(query: str | Mapping | None) -> ViewState:
    """Read a query string (``?ind=...``, with or without ``?``) or a dict of query parameters."""
    if query is None:
        params: Mapping = {}
    elif isinstance(query, str):
        params = parse_qs(query.lstrip("?"), keep_blank_values=True)
    else:
        params = query
    get = {k: _clean(v) for k, v in params.items()}
    compare: list[str] = []
    for code in get.get("compare", "").split(","):
        code = code.strip()
        if code and code not in compare:
            compare.append(code)
    measure = get.get("measure", "")
    smooth = "1" if measure == SMOOTHED else ""
    return ViewState(
        indicator=get.get("ind", ""),
        area=get.get("area", ""),
        start=get.get("from", ""),
        end=get.get("to", ""),
        measure="rate" if smooth else measure,
        step=get.get("step", ""),
        breakdowns=normalise_breakdowns({b: get.get(b, "") for b in BREAKDOWNS}),
        compare=tuple(compare[: MAX_COMPARE * 2]),  # resolve() trims to MAX_COMPARE and says so
        lang=get.get("lang", ""),
        group=get.get("group", ""),
        smooth=smooth,
    )


def to_params(state: ViewState, defaults: ViewState) -> dict[str, str]:
    """The query parameters that differ from ``defaults``, in a stable order."""
    out: dict[str, str] = {}
    for name in ORDER:
        value, default = getattr(state, name), getattr(defaults, name)
        if name == "breakdowns":
            out.update({k: v for k, v in value if v != "total"})
            continue
        if name == "measure" and state.smooth:
            out["measure"] = SMOOTHED  # a rate, smoothed on district maps
            continue
        if value == default or value in ("", ()):
            continue
        out[KEYS[name]] = ",".join(value) if name == "compare" else value
    return out


def to_search(state: ViewState, defaults: ViewState) -> str:
    """``?ind=...&area=...`` (or ``""`` when the state is the default view)."""
    params = to_params(state, defaults)
    return "?" + urlencode(params, safe=",:") if params else ""


def is_safe(value: str) -> bool:
    """Whether a raw value only holds the characters codes and ids are made of."""
    return bool(_SAFE.match(value))
