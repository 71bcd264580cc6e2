"""Fuzz the app in-process: arbitrary and malformed payloads to every callback and every route.

``python -m bench.fuzz --cases 10000`` runs a soak over a copy of the tiny warehouse and prints
the cases run, the failures (with their payloads), the status codes and the time; it exits
non-zero on any failure. ``tests/test_fuzz.py`` runs the same targets, a few hundred cases.

Targets are discovered from the app itself, so new callbacks and routes are covered as they land:

- ``callback``: POST /_dash-update-component with the real output/input/state ids of one
  entry of ``app.callback_map`` (pattern-matching ids filled in), random values of any JSON
  type, SQL-ish, unicode and huge strings, and query strings built from the URL's real keys;
- ``envelope``: the same endpoint with malformed bodies (missing keys, wrong types, bad JSON,
  a clientside callback's output, an unknown output);
- ``route``: GET (and POST where allowed) on every rule of ``app.server.url_map`` with random
  path parts and query strings.

A response fails when it is a 5xx or shows a traceback ("Traceback", 'File "', site-packages).
The warehouse file must keep its sha256.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

UPDATE = "/_dash-update-component"
TRACEBACK_MARKERS = (b"Traceback", b'File "', b"site-packages")
URL_KEYS = ("ind", "area", "from", "to", "measure", "step", "compare", "lang")
BREAKDOWN_KEYS = ("violence_type", "sex", "age_group", "risk_level")
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
    """The production app (debug off) on ``warehouse``, with the tiny boundary rectangles."""
    from app import create_app
    from observatory.config import Settings

    boundaries = None
    try:
        from tests.browser.tiny_geo import boundaries_for, write_layers

        boundaries = boundaries_for(write_layers(warehouse.parent / "geo"))
    except Exception:  # the map then answers with its table fallback: still worth fuzzing
        boundaries = None
    app = create_app(Settings.from_env(environ={}, warehouse=str(warehouse)), boundaries=boundaries)
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
    """Query strings: the URL's real keys with real, junk or repeated values; or raw junk."""
    real = st.sampled_from(known["indicators"] + known["codes"] + NASTY)
    value = st.one_of(real, nasty_text(), st.lists(real, max_size=6).map(",".join))
    keys = st.sampled_from(URL_KEYS + BREAKDOWN_KEYS) | st.text(max_size=8)
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


@dataclass
class Tally:
    cases: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list[tuple[str, str]] = field(default_factory=list)
    exceptions: Exceptions | None = None

    def check(self, target: str, response, payload) -> str | None:
        """Record ``response``; return the reason it fails, if it does."""
        self.cases += 1
        self.statuses[response.status_code] += 1
        data = response.get_data()
        reason = None
        reason = problem(response.status_code, data)
        exc = self.exceptions.pop() if self.exceptions else None
        if reason:
            text = repr(payload)
            if exc is not None:
                reason += " - " + where(exc)
                text = f"{str(exc)[:100]!r} for {text}"
            self.failures.append((f"{target}: {reason}", text if len(text) < 600 else text[:600] + "..."))
        return reason


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
        self.known = known_values(self.warehouse)
        self.callbacks = callbacks(self.app)
        self.clientside = clientside_outputs(self.app)
        self.routes = routes(self.app)
        self.tally = Tally(exceptions=Exceptions(self.app))

    def run(self, cases: int, seed: int | None = None) -> Tally:
        targets = [(f"callback {cb.output[:60]}", callback_bodies(cb, self.known)) for cb in self.callbacks]
        targets.append(("envelope", envelopes(self.callbacks, self.clientside)))
        targets.append(("route", route_requests(self.routes, self.known)))
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
            if name == "route":
                response = open_route(client, *payload)
            else:
                response = post_callback(client, payload)
            tally.check(name, response, payload)

        if seed is not None:
            random.seed(seed)
        case()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000, help="total cases, shared between targets")
    parser.add_argument("--seed", type=int, default=None, help="derandomise (same cases every run)")
    parser.add_argument("--show", type=int, default=10, help="failures printed in full")
    args = parser.parse_args(argv)
    # The app logs every rejected request; the tally is the report.
    logging.disable(logging.CRITICAL)
    started = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        soak = Soak(folder)
        print(
            f"targets: {len(soak.callbacks)} callbacks, envelope, {len(soak.routes)} routes "
            f"({', '.join(r.rule for r in soak.routes)})"
        )
        tally = soak.run(args.cases, args.seed)
        unchanged = sha256(soak.warehouse) == soak.digest
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    elapsed = time.perf_counter() - started
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
    return 0 if not tally.failures and unchanged else 1


if __name__ == "__main__":
    sys.exit(main())
