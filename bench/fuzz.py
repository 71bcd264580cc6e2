"""Fuzz the app in-process: arbitrary and malformed payloads to every callback and every route.

``python -m bench.fuzz --cases 10000`` (``make fuzz``) runs a soak over a copy of the tiny warehouse
and prints the requests, failures and p50/p95 latency per target, the failures' payloads, the status
codes and the time; it exits non-zero on any failure. A run of at least 10,000 cases also records
those figures under "reliability" -> "fuzz" in bench/results.json (shorter runs, such as CI's
``--cases 500``, only print). ``tests/test_fuzz.py`` runs the same targets, a few hundred cases.

Targets are discovered from the app itself, so new callbacks and routes are covered as they land:

- ``callback``: POST /_dash-update-component with the real output/input/state ids of one
  entry of ``app.callback_map`` (pattern-matching ids filled in), random values of any JSON
  type, SQL-ish, unicode and huge strings, and query strings built from the URL's real keys;
- ``envelope``: the same endpoint with malformed bodies (missing keys, wrong types, bad JSON,
  a clientside callback's output, an unknown output);
- ``route``: GET (and POST where allowed) on every rule of ``app.server.url_map`` with random
  path parts and query strings;
- ``api``: GET on the routes that read parameters (/api/v1/..., /download/<name>, /embed/<chart>)
  with real chart and format names and query strings of the parameters the API declares in its
  OpenAPI document (plus the download's ``size``), with real, enumerated or junk values.

The app runs with its production settings except the rate limits, raised so that requests reach
the parameter checks instead of a 429. A response fails when it is a 5xx or shows a traceback ("Traceback", 'File "', site-packages).
The warehouse file must keep its sha256.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import logging
import math
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlparse

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bench

UPDATE = "/_dash-update-component"
TRACEBACK_MARKERS = (b"Traceback", b'File "', b"site-packages")
URL_KEYS = ("ind", "area", "from", "to", "measure", "step", "compare", "lang")
BREAKDOWN_KEYS = ("violence_type", "sex", "age_group", "risk_level")
# Parameters of the non-API routes that the OpenAPI document (which describes /api/v1) leaves out.
DOWNLOAD_KEYS = ("size",)
PARAMETER_ROUTES = ("/api/", "/download/", "/embed/")
NO_LIMIT = "1000000 per minute"
RESULTS = bench.RESULTS
SOAK_CASES = 10_000
NASTY = [
    "",
    " ",
    "'",
    '"',
    "' OR 1=1 --",
    "1; DROP TABLE observations; --",
    "'); ATTACH '/etc/passwd' AS x; --",
    "$area",
    "%",
    "%00",
    "\x00",
    "../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "<script>alert(1)</script>",
    "{{7*7}}",
    "${jndi:ldap://x}",
    "NaN",
    "Infinity",
    "-1",
    "1e309",
    "9" * 40,
    "ñandú – 你好 – 🚺",
    "\u202e\u200b\ufeff",
    "PE",
    "15",
    "1501",
    "150101",
    "99",
    "2024-01",
    "2025",
    "2024-13",
    "0000-00",
    "rate",
    "count",
    "year",
    "month",
    "total",
    "en",
    "es",
    "pe_denuncias_vcm",
    "pe_feminicidios",
    "pe_cem_casos",
]


# --------------------------------------------------------------------------- the app under test


def tiny_copy(folder: Path) -> Path:
    """A fresh tiny warehouse (tests/fixtures/tiny.py) in ``folder``."""
    from tests.fixtures import tiny

    folder.mkdir(parents=True, exist_ok=True)
    return tiny.build(folder / "observatory.duckdb")


def make_app(warehouse: Path):
    """The production app (debug off) on ``warehouse``, with the tiny boundary rectangles and the
    rate limits lifted (a 429 would stop a request before its parameters are read)."""
    from observatory.contract.settings import Settings
    from observatory.web.app import create_app

    boundaries = None
    try:
        from tests.browser.tiny_geo import boundaries_for, write_layers

        boundaries = boundaries_for(write_layers(warehouse.parent / "geo"))
    except Exception:  # the map then answers with its table fallback: still worth fuzzing
        boundaries = None
    settings_ = Settings.from_env(
        environ={}, warehouse=str(warehouse), download_limit=NO_LIMIT, api_limit=NO_LIMIT
    )
    app = create_app(settings_, boundaries=boundaries)
    client = app.server.test_client()
    # Dash Pages registers its router callback on the first request: warm up before reading the map.
    client.get("/")
    client.get("/_dash-layout")
    client.get("/_dash-dependencies")
    return app


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def known_values(warehouse: Path) -> dict[str, list[str]]:
    """Real ids and codes from the warehouse, so generated payloads also reach the deep paths."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        indicators = [r[0] for r in con.execute("SELECT id FROM indicators ORDER BY id").fetchall()]
        codes = [r[0] for r in con.execute("SELECT code FROM territories ORDER BY code").fetchall()]
    finally:
        con.close()
    return {"indicators": indicators, "codes": codes}


def api_parameters(doc: dict | None = None) -> dict[str, list[str]]:
    """Every query parameter the OpenAPI document declares, with its enum values and example."""
    if doc is None:
        from observatory.web.api import openapi_document

        doc = openapi_document()
    found: dict[str, list[str]] = {}
    for operations in doc["paths"].values():
        for operation in operations.values():
            for p in operation.get("parameters", []):
                if p.get("in") != "query":
                    continue
                values = found.setdefault(p["name"], [])
                for v in [*p.get("schema", {}).get("enum", []), p.get("example")]:
                    if v is not None and str(v) not in values:
                        values.append(str(v))
    return found


def query_keys(doc: dict | None = None) -> tuple[str, ...]:
    """The parameter names to fuzz: the page's URL keys, the API's (from its OpenAPI document),
    the view keys /download and /embed read, and the download's own."""
    from observatory.web.api import VIEW_KEYS

    keys = [*URL_KEYS, *BREAKDOWN_KEYS, *api_parameters(doc), *VIEW_KEYS, *DOWNLOAD_KEYS]
    return tuple(dict.fromkeys(keys))


def route_parameters(doc: dict | None = None) -> dict[str, tuple[str, ...]]:
    """The query parameters each parameter-reading route accepts: /api/v1's from the OpenAPI
    document, /download's and /embed's from the view keys they share with the API."""
    from observatory.web.api import VIEW_KEYS, openapi_document

    doc = doc or openapi_document()
    prefix = urlparse(doc["servers"][0]["url"]).path.rstrip("/")
    found = {
        prefix + path: tuple(p["name"] for p in op.get("parameters", []) if p.get("in") == "query")
        for path, operations in doc["paths"].items()
        for op in operations.values()
    }
    found["/download/<name>"] = (*VIEW_KEYS, *DOWNLOAD_KEYS)
    found["/embed/<chart>"] = tuple(VIEW_KEYS)
    return found


def parameter_values(app, warehouse: Path) -> dict:
    """Real values for the API's parameters and route names, so cases get past the first check:
    the document's enums and examples, the warehouse's codes, levels and breakdown values, the
    service types, the download names and sizes."""
    import duckdb

    from observatory.contract.schema import BREAKDOWNS
    from observatory.present import exports
    from observatory.web import services

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        levels = [r[0] for r in con.execute("SELECT DISTINCT level FROM territories ORDER BY 1").fetchall()]
        breakdowns = {
            b: [r[0] for r in con.execute(f"SELECT DISTINCT {b} FROM observations ORDER BY 1").fetchall()]
            for b in BREAKDOWNS  # column names from the schema's allow-list
        }
    finally:
        con.close()
    try:
        types = list(services.directory(app.server.extensions["observatory"]).all_types)
    except Exception:  # no service directory in this warehouse: the documented example stands in
        types = []
    values = {name: list(v) for name, v in api_parameters().items()}
    for name, extra in {
        "level": levels,
        "type": types,
        "size": list(exports.SIZES),
        **breakdowns,
    }.items():
        values[name] = list(dict.fromkeys([*values.get(name, []), *extra]))
    return {
        "keys": list(query_keys()),
        "choices": sorted({v for vs in values.values() for v in vs}),
        "values": values,
        "parameters": route_parameters(),
        "downloads": [f"{c}.{f}" for c in exports.CHARTS for f in exports.formats_for(c)],
        "embeds": list(exports.IMAGE_CHARTS),
    }


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Callback:
    output: str  # the callback_map key, as the renderer sends it
    outputs: object  # list of {id, property} (multi) or one dict
    inputs: tuple[tuple[str, str], ...]
    state: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Route:
    rule: str
    methods: tuple[str, ...]
    arguments: tuple[str, ...] = field(default=())


def _split_output(key: str):
    def one(part: str) -> dict:
        cid, prop = part.rsplit(".", 1)
        return {"id": json.loads(cid) if cid.startswith("{") else cid, "property": prop}

    if key.startswith("..") and key.endswith(".."):
        return [one(p) for p in key[2:-2].split("...")]
    return one(key)


def callbacks(app) -> list[Callback]:
    """Every server-side callback of ``app`` (clientside ones are never posted by the renderer)."""
    found = []
    for key, cb in sorted(app.callback_map.items()):
        if "callback" not in cb:
            continue
        found.append(
            Callback(
                output=key,
                outputs=_split_output(key),
                inputs=tuple((i["id"], i["property"]) for i in cb["inputs"]),
                state=tuple((s["id"], s["property"]) for s in cb["state"]),
            )
        )
    return found


def clientside_outputs(app) -> list[str]:
    return sorted(k for k, cb in app.callback_map.items() if "callback" not in cb)


def routes(app) -> list[Route]:
    """Every URL rule of the Flask server except the callback endpoint (fuzzed on its own)."""
    found = []
    for rule in app.server.url_map.iter_rules():
        if rule.rule == UPDATE:
            continue
        methods = tuple(sorted(m for m in rule.methods if m in ("GET", "POST")))
        found.append(Route(rule.rule, methods, tuple(sorted(rule.arguments))))
    return sorted(found, key=lambda r: r.rule)


# --------------------------------------------------------------------------- strategies


def nasty_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NASTY),
        st.text(max_size=40),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=20),
        st.integers(min_value=1, max_value=200_000).map(lambda n: "A" * n),
        st.from_regex(r"\A[0-9]{1,8}\Z"),
        st.from_regex(r"\A[0-9]{4}(-[0-9]{2})?\Z"),
    )


def junk() -> st.SearchStrategy:
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        nasty_text(),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
        ),
        max_leaves=12,
    )


def searches(known: dict[str, list[str]]) -> st.SearchStrategy[str]:
    """Query strings: the real keys (the URL's and the API's) with real, junk or repeated values;
    or raw junk."""
    real = st.sampled_from(known["indicators"] + known["codes"] + known.get("choices", []) + NASTY)
    value = st.one_of(real, nasty_text(), st.lists(real, max_size=6).map(",".join))
    keys = st.sampled_from(known.get("keys") or URL_KEYS + BREAKDOWN_KEYS) | st.text(max_size=8)
    pairs = st.lists(st.tuples(keys, value), max_size=8)
    return st.one_of(
        pairs.map(lambda p: "?" + urlencode(p) if p else ""),
        st.text(max_size=60).map(lambda s: "?" + s),
        st.text(max_size=60),
    )


def value_for(prop: str, known: dict[str, list[str]], search: st.SearchStrategy) -> st.SearchStrategy:
    """A value for a callback input: plausible for its property most of the time, junk otherwise."""
    codes = st.sampled_from(known["codes"] + known["indicators"] + NASTY)
    click = st.fixed_dictionaries(
        {"points": st.lists(st.fixed_dictionaries({"location": st.one_of(codes, junk())}), max_size=2)}
    )
    plausible = {
        "search": search,
        "pathname": st.sampled_from(["/", "/indicators", "/methodology"]) | nasty_text(),
        "clickData": click,
        "value": st.one_of(codes, st.lists(codes, max_size=7)),
        "n_clicks": st.integers(min_value=-1, max_value=10**12),
        "search_value": nasty_text(),
        "data": st.one_of(
            st.lists(st.integers(min_value=-(10**6), max_value=10**6), max_size=3),
            st.fixed_dictionaries({"col": nasty_text(), "desc": st.booleans()}),
            nasty_text(),
        ),
    }.get(prop, junk())
    return st.one_of(plausible, plausible, junk())


def _concrete(cid: str) -> st.SearchStrategy:
    """A concrete id for a (possibly pattern-matching) input id."""
    if not cid.startswith("{"):
        return st.just(cid)
    pattern = json.loads(cid)
    parts = {
        k: (st.sampled_from(["shown", "name", "count", "rate", "code"]) | nasty_text())
        if isinstance(v, list)
        else st.just(v)
        for k, v in pattern.items()
    }
    return st.fixed_dictionaries(parts)


def callback_bodies(cb: Callback, known: dict[str, list[str]]) -> st.SearchStrategy[dict]:
    """A well-formed callback request for ``cb`` with arbitrary values."""
    search = searches(known)

    def item(cid: str, prop: str) -> st.SearchStrategy:
        entry = st.fixed_dictionaries(
            {"id": _concrete(cid), "property": st.just(prop), "value": value_for(prop, known, search)}
        )
        return st.lists(entry, max_size=3) if cid.startswith("{") else entry

    inputs = st.tuples(*(item(c, p) for c, p in cb.inputs)).map(list)
    state = st.tuples(*(item(c, p) for c, p in cb.state)).map(list)
    prop_ids = [f"{c}.{p}" for c, p in cb.inputs]
    changed = st.lists(st.sampled_from(prop_ids) | st.text(max_size=12), max_size=3)
    return st.fixed_dictionaries(
        {
            "output": st.just(cb.output),
            "outputs": st.just(cb.outputs),
            "inputs": inputs,
            "state": state,
            "changedPropIds": changed,
        }
    )


def envelopes(cbs: list[Callback], clientside: list[str]) -> st.SearchStrategy[bytes]:
    """Malformed callback requests: bodies the renderer never sends."""
    outputs = st.sampled_from([c.output for c in cbs] + clientside) | nasty_text()
    broken = st.fixed_dictionaries(
        {},
        optional={
            "output": st.one_of(outputs, junk()),
            "outputs": junk(),
            "inputs": st.one_of(junk(), st.lists(junk(), max_size=3)),
            "state": junk(),
            "changedPropIds": junk(),
        },
    )
    as_json = st.one_of(broken, junk()).map(lambda b: json.dumps(b).encode())
    raw = st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200).map(str.encode),
        st.sampled_from(
            [
                b"",
                b"{",
                b"[",
                b"null",
                b"NaN",
                b'{"output": NaN}',
                b"\xff\xfe",
                b'{"output": "\\ud800"}',
                b'{"a":' * 200,
            ]
        ),
    )
    return st.one_of(as_json, as_json, raw)


def route_requests(route_list: list[Route], known) -> st.SearchStrategy[tuple[str, str, bytes]]:
    """(method, url, body) for any route, its arguments filled with random or real-looking parts."""
    part = st.one_of(
        st.sampled_from(
            ["pe-department.geojson", "pe-district.geojson", "x.csv", "dash", "..", "%2e%2e", "a/b/../c"]
            + known["indicators"]
            + known["codes"]
            + known.get("downloads", [])
            + known.get("embeds", [])
        ),
        st.text(
            alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#"), max_size=30
        ),
    )
    query = searches(known).map(lambda s: s if s.startswith("?") else "?" + s)

    def fill(route: Route):
        def build(parts, q, method, body):
            url = route.rule
            for arg in route.arguments:
                url = re.sub(r"<(?:[^:<>]+:)?" + re.escape(arg) + ">", lambda _m, a=arg: parts[a], url)
            from urllib.parse import quote

            return method, quote(url, safe="/%") + quote(q, safe="?=&%,"), body

        args = st.fixed_dictionaries({a: part for a in route.arguments})
        method = st.sampled_from(route.methods or ("GET",))
        body = st.one_of(st.just(b""), st.binary(max_size=100), junk().map(lambda j: json.dumps(j).encode()))
        return st.builds(build, args, query, method, body)

    return st.sampled_from(route_list).flatmap(fill)


def mostly(real: st.SearchStrategy, other: st.SearchStrategy) -> st.SearchStrategy:
    """``real`` three times in four (``one_of`` would let hypothesis's search for new cases
    drift towards the larger ``other``)."""
    return st.integers(0, 3).flatmap(lambda i: real if i else other)


def parameter_queries(keys: tuple[str, ...], known) -> st.SearchStrategy[str]:
    """Query strings of a route's own parameters, each at most once, with values from its
    enum/example or the warehouse, or junk."""
    values = known.get("values", {})
    pool = known["indicators"] + known["codes"] + known.get("choices", [])

    def value(key: str) -> st.SearchStrategy[str]:
        own = {"ind": known["indicators"], "area": known["codes"], "parent": known["codes"]}.get(key)
        real = st.sampled_from(own or values.get(key) or pool)
        many = st.lists(real, min_size=1, max_size=4).map(",".join)
        return mostly(st.one_of(real, many), st.one_of(st.sampled_from(pool + NASTY), nasty_text()))

    pairs = st.lists(st.sampled_from(keys), max_size=len(keys), unique=True).flatmap(
        lambda ks: st.tuples(*(value(k).map(lambda v, k=k: (k, v)) for k in ks))
    )
    return pairs.map(lambda p: "?" + urlencode(p) if p else "")


def parameter_requests(route_list: list[Route], known) -> st.SearchStrategy[tuple[str, str, bytes]]:
    """GET on the routes that read query parameters (API, downloads, embeds): real route names
    and the route's own documented parameters most of the time, else any query (``searches``)."""
    from urllib.parse import quote

    accepted = known.get("parameters", {})
    rules = sorted(
        r.rule
        for r in route_list
        if r.rule.startswith(PARAMETER_ROUTES) and "/assets/" not in r.rule and "GET" in r.methods
    )
    names = {"name": known.get("downloads", []), "chart": known.get("embeds", [])}
    anything = searches(known).map(lambda s: s if s.startswith("?") else "?" + s)

    def request(rule: str) -> st.SearchStrategy[tuple[str, str, bytes]]:
        arg = re.search(r"<(?:[^:<>]+:)?([^<>]+)>", rule)
        if arg:
            real = st.sampled_from(names.get(arg.group(1)) or ["x"])
            part = mostly(real, nasty_text().map(lambda s: quote(s, safe="")))
            url = part.map(lambda p, a=arg: rule[: a.start()] + p + rule[a.end() :])
        else:
            url = st.just(rule)
        keys = accepted.get(rule)
        query = mostly(parameter_queries(keys, known), anything) if keys else anything
        return st.builds(lambda u, q: ("GET", u + quote(q, safe="?=&%,"), b""), url, query)

    return st.sampled_from(rules).flatmap(request)


# --------------------------------------------------------------------------- checking


def where(exc: BaseException) -> str:
    """The exception's type and the deepest frame in the project's code (else the deepest at all)."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "site-packages" not in f.filename] or frames
    at = f" at {Path(ours[-1].filename).name}:{ours[-1].lineno} ({ours[-1].name})" if ours else ""
    return f"{type(exc).__name__}{at}"


class Exceptions:
    """The exceptions the app raised while handling requests (Flask's got_request_exception)."""

    def __init__(self, app):
        import flask

        self.last: BaseException | None = None
        flask.got_request_exception.connect(self._record, app.server, weak=False)

    def _record(self, _sender, exception, **_extra):
        self.last = exception

    def pop(self) -> BaseException | None:
        exc, self.last = self.last, None
        return exc


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank ``q`` quantile (0..1) of ``values``; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(q * len(ordered)))) - 1]


@dataclass
class Tally:
    cases: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list[tuple[str, str]] = field(default_factory=list)
    exceptions: Exceptions | None = None
    seconds: dict[str, list[float]] = field(default_factory=dict)  # request latency per target
    failed: Counter = field(default_factory=Counter)  # failures per target

    def check(self, target: str, response, payload, seconds: float | None = None) -> str | None:
        """Record ``response`` (answered in ``seconds``); return the reason it fails, if it does."""
        self.cases += 1
        self.statuses[response.status_code] += 1
        if seconds is not None:
            self.seconds.setdefault(target, []).append(seconds)
        data = response.get_data()
        reason = problem(response.status_code, data)
        exc = self.exceptions.pop() if self.exceptions else None
        if reason:
            self.failed[target] += 1
            text = repr(payload)
            if exc is not None:
                reason += " - " + where(exc)
                text = f"{str(exc)[:100]!r} for {text}"
            self.failures.append((f"{target}: {reason}", text if len(text) < 600 else text[:600] + "..."))
        return reason

    def rows(self) -> list[dict]:
        """Requests, failures and p50/p95 milliseconds per target, then the total."""

        def row(name: str, times: list[float], failures: int) -> dict:
            return {
                "target": name,
                "requests": len(times),
                "failures": failures,
                "p50_ms": round(percentile(times, 0.5) * 1000, 1),
                "p95_ms": round(percentile(times, 0.95) * 1000, 1),
            }

        rows = [row(name, times, self.failed[name]) for name, times in self.seconds.items()]
        every = [s for times in self.seconds.values() for s in times]
        return [*rows, row("total", every, len(self.failures))]


def problem(status: int, data: bytes, *, allow_5xx: bool = False) -> str | None:
    """Why a response is not acceptable, or None: a 5xx, or traceback text in the body."""
    marker = next((m for m in TRACEBACK_MARKERS if m in data), None)
    if marker:
        return f"traceback text {marker!r}"
    if status >= 500 and not allow_5xx:
        return f"status {status}"
    return None


def post_callback(client, body: dict | bytes):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(UPDATE, data=data, content_type="application/json")


def open_route(client, method: str, url: str, body: bytes):
    if method == "POST":
        return client.post(url, data=body, content_type="application/json")
    return client.get(url)


# --------------------------------------------------------------------------- soak


class Soak:
    """Everything a run needs: the app on a warehouse copy, its targets, the strategies."""

    def __init__(self, folder: Path, source: Path | None = None):
        if source is None:
            self.warehouse = tiny_copy(folder)
        else:
            folder.mkdir(parents=True, exist_ok=True)
            self.warehouse = Path(shutil.copyfile(source, folder / "observatory.duckdb"))
        self.digest = sha256(self.warehouse)
        self.app = make_app(self.warehouse)
        self.client = self.app.server.test_client()
        self.known = known_values(self.warehouse) | parameter_values(self.app, self.warehouse)
        self.callbacks = callbacks(self.app)
        self.clientside = clientside_outputs(self.app)
        self.routes = routes(self.app)
        self.tally = Tally(exceptions=Exceptions(self.app))

    def run(self, cases: int, seed: int | None = None) -> Tally:
        targets = [(f"callback {cb.output[:60]}", callback_bodies(cb, self.known)) for cb in self.callbacks]
        targets.append(("envelope", envelopes(self.callbacks, self.clientside)))
        targets.append(("route", route_requests(self.routes, self.known)))
        targets.append(("api", parameter_requests(self.routes, self.known)))
        per_target = max(1, -(-cases // len(targets)))  # at least ``cases`` in all
        for name, strategy in targets:
            self._drive(name, strategy, per_target, seed)
        return self.tally

    def _drive(self, name: str, strategy, n: int, seed: int | None) -> None:
        client, tally = self.client, self.tally

        @settings(
            max_examples=n,
            deadline=None,
            database=None,
            derandomize=seed is not None,
            phases=["generate"],
            suppress_health_check=list(HealthCheck),
        )
        @given(payload=strategy)
        def case(payload):
            started = time.perf_counter()
            if name in ("route", "api"):
                response = open_route(client, *payload)
            else:
                response = post_callback(client, payload)
            tally.check(name, response, payload, time.perf_counter() - started)

        if seed is not None:
            random.seed(seed)
        case()


def record(name: str, figures: dict, path: Path = RESULTS) -> None:
    """Set "reliability" -> ``name`` in the results file, keeping every other key."""
    bench.record({name: figures}, path, under="reliability")


def print_table(rows: list[dict], first: str) -> None:
    print(f"{first:<44} {'requests':>9} {'failures':>9} {'p50 ms':>8} {'p95 ms':>8}")
    for r in rows:
        name = r["target"] if len(r["target"]) <= 44 else r["target"][:41] + "..."
        print(f"{name:<44} {r['requests']:>9} {r['failures']:>9} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=SOAK_CASES, help="total cases, shared between targets")
    parser.add_argument("--seed", type=int, default=None, help="derandomise (same cases every run)")
    parser.add_argument("--show", type=int, default=10, help="failures printed in full")
    parser.add_argument(
        "--results",
        type=Path,
        default=RESULTS,
        help=f'results file whose "reliability" -> "fuzz" a run of {SOAK_CASES:,}+ cases sets',
    )
    args = parser.parse_args(argv)
    # The app logs every rejected request; the tally is the report.
    logging.disable(logging.CRITICAL)
    started = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        soak = Soak(folder)
        print(
            f"targets: {len(soak.callbacks)} callbacks, envelope, {len(soak.routes)} routes "
            f"({', '.join(r.rule for r in soak.routes)}), api ({len(soak.known['keys'])} parameters: "
            f"{', '.join(soak.known['keys'])})"
        )
        tally = soak.run(args.cases, args.seed)
        unchanged = sha256(soak.warehouse) == soak.digest
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    elapsed = time.perf_counter() - started
    rows = tally.rows()
    print_table(rows, "target")
    print(f"cases run: {tally.cases}")
    print(f"failures: {len(tally.failures)}")
    print("status codes: " + ", ".join(f"{k}: {v}" for k, v in sorted(tally.statuses.items())))
    print(f"warehouse sha256 unchanged: {unchanged}")
    print(f"time: {elapsed:.1f}s ({tally.cases / elapsed:.0f} cases/s)")
    smallest: dict[str, str] = {}
    for reason, payload in tally.failures:
        if reason not in smallest or len(payload) < len(smallest[reason]):
            smallest[reason] = payload
    kinds = Counter(reason for reason, _ in tally.failures)
    for reason, n in kinds.most_common(args.show):
        print(f"- {n} x {reason}\n    smallest payload: {smallest[reason]}")
    total = rows[-1]
    if args.cases >= SOAK_CASES:
        record(
            "fuzz",
            {
                "date": dt.date.today().isoformat(),
                "command": f"python -m bench.fuzz --cases {args.cases}",
                "requests": tally.cases,
                "failures": len(tally.failures),
                "p50_ms": total["p50_ms"],
                "p95_ms": total["p95_ms"],
                "status_codes": {str(k): v for k, v in sorted(tally.statuses.items())},
                "warehouse_unchanged": unchanged,
                "seconds": round(elapsed, 1),
                "targets": rows[:-1],
            },
            args.results,
        )
        print(f'recorded under "reliability" -> "fuzz" in {args.results}')
    return 0 if not tally.failures and unchanged else 1


if __name__ == "__main__":
    sys.exit(main())
