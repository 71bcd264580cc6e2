"""How the app is served to the public: headers, limits, health, maintenance, compression.

``install(app, settings, warehouse)`` is called once by ``create_app``. It adds:

- a Content-Security-Policy that Dash works under: scripts only from this site plus the hashes
  of Dash's own inline scripts (``app.csp_hashes()``); styles from this site and inline style
  attributes (React and plotly set them); images and MapLibre's workers from ``data:``/``blob:``;
  no other origin at all (maps use no tile server). Framing: only ``/embed/`` routes may be framed,
  by any site; every other page refuses to be framed;
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: strict-origin-when-cross-origin``;
- a request size limit (Dash callbacks are small; nothing is uploaded);
- ``/health``: 200 with the warehouse's figures, or 503 with the reason;
- a maintenance page (503) on every page while the warehouse is missing or unreadable;
- gzip/brotli compression, a log line for slow requests, and no traceback ever sent;
- plotly.js and Dash's large bundles compressed once (brotli 11, gzip 9) into
  ``Settings.compressed_dir`` by ``python -m observatory.web.serving precompress`` (``make setup``,
  ``make build``; at start-up in the background when missing) and served from there: about 300 KB
  less than compressing on the fly, which a request cannot afford at those levels;
- a cache of callback responses (``/_dash-update-component``), as sent, keyed by the request body,
  the site's address, the warehouse's version and the date (``ResponseCache``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import logging
import os
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import brotli
import dash
import flask
from dash.fingerprint import check_fingerprint
from flask_compress import Compress

from observatory.contract import plotly_bundles
from observatory.contract.settings import Settings
from observatory.warehouse import snapshot
from observatory.warehouse.db import Warehouse, WarehouseUnavailable
from observatory.web import maintenance

log = logging.getLogger("observatory.web.serving")
MAX_REQUEST_BYTES = 256 * 1024
SLOW_REQUEST_SECONDS = 0.5
OPEN_PATHS = ("/health", "/assets/", "/_favicon")


def maintenance_site(settings: Settings):
    """The site identity the maintenance page is written from: the site file fitted to the
    country pack (``countries.fit_site``), read from ``settings`` as the app reads it."""
    from observatory.contract import countries
    from observatory.contract.site import load_site

    return countries.fit_site(
        load_site(settings.site_path), countries.pack(settings.data_dir, settings.country)
    )


def content_security_policy(app, *, embed: bool) -> str:
    scripts = " ".join(["'self'", *app.csp_hashes()])  # the hashes come quoted
    directives = {
        "default-src": "'self'",
        "script-src": scripts,
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "worker-src": "'self' blob:",
        "child-src": "'self' blob:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "*" if embed else "'none'",
    }
    return "; ".join(f"{k} {v}" for k, v in directives.items())


URL_PROPERTIES = ("pathname", "search", "hash", "href")


def callback_body_problem(app, body) -> str | None:
    """Why a POST to Dash's callback endpoint is malformed, or None.

    Dash trusts the shape of the body its own front end sends; anything else (a fuzzer, a
    hand-written request) must be turned away with a 400 before Dash indexes into it.
    """
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    output = body.get("output")
    spec = app.callback_map.get(output) if isinstance(output, str) else None
    if spec is None or "callback" not in spec:
        return "no such callback"
    outputs = body.get("outputs")
    expected = len(output[2:-2].split("...")) if output.startswith("..") else 1
    if expected > 1:
        if not (
            isinstance(outputs, list)
            and len(outputs) == expected
            and all(isinstance(o, dict) for o in outputs)
        ):
            return "outputs do not match the callback"
    elif not isinstance(outputs, dict | list):
        return "outputs do not match the callback"
    for key in ("inputs", "state"):
        items = body.get(key, [])
        if not isinstance(items, list) or len(items) != len(spec[key]):
            return f"{key} do not match the callback"
        for item in items:
            for one in item if isinstance(item, list) else [item]:
                if not (isinstance(one, dict) and "id" in one and isinstance(one.get("property"), str)):
                    return f"{key} do not match the callback"
                value = one.get("value")
                if one["property"] in URL_PROPERTIES and not (value is None or isinstance(value, str)):
                    return f"{one['property']} must be a string"
                if one["property"] == "pathname" and not (
                    isinstance(value, str) and value.startswith(app.config.requests_pathname_prefix)
                ):
                    return "pathname outside the site"
    changed = body.get("changedPropIds", [])
    if not (isinstance(changed, list) and all(isinstance(c, str) for c in changed)):
        return "changedPropIds must be a list of strings"
    return None


# --- scripts compressed once -------------------------------------------------------------------

SUITES = "_dash-component-suites/"
PLOTLY_JS = ("plotly", "package_data/plotly.min.js")  # added to dcc's scripts by dash.Dash()
PRECOMPRESS_MIN_BYTES = 64 * 1024  # smaller bundles gain a few KB at most
BR_QUALITY, GZIP_LEVEL = 11, 9
LOCK_STALE_SECONDS = 600  # a lock older than this was left by a process that died
FINGERPRINTED_MAX_AGE = 31536000  # what Dash sends with a fingerprinted script (one year)


def suite_files() -> dict[tuple[str, str], Path]:
    """{(package, path in package): file} for the scripts Dash serves from its component suites
    that are worth compressing once: plotly.js and every bundle of at least PRECOMPRESS_MIN_BYTES.

    The same resources Dash registers (``dash._collect_and_register_resources``): the renderer, its
    React dependencies, dcc, html and dash_table (loaded and async chunks), and plotly.js.
    """
    from dash import _dash_renderer, dash_table, dcc
    from dash import html as dash_html

    resources = [*_dash_renderer._js_dist_dependencies, *_dash_renderer._js_dist]
    for module in (dcc, dash_html, dash_table):
        resources += module._js_dist
    wanted = {PLOTLY_JS}
    for resource in resources:
        paths = resource.get("relative_package_path")
        if isinstance(paths, dict):  # the renderer's dependencies: {"prod": [...], "dev": [...]}
            paths = paths.get("prod", [])
        for rel in [paths] if isinstance(paths, str) else paths or []:
            if resource.get("namespace") and rel.endswith(".js"):
                wanted.add((resource["namespace"], rel))
    files = {}
    for package, rel in sorted(wanted):
        module = sys.modules.get(package)
        if module is None:
            try:
                module = __import__(package)
            except ImportError:
                continue
        path = plotly_bundles.path() if (package, rel) == PLOTLY_JS else Path(module.__file__).parent / rel
        if path.is_file() and ((package, rel) == PLOTLY_JS or path.stat().st_size >= PRECOMPRESS_MIN_BYTES):
            files[(package, rel)] = path
    return files


def _write_once(target: Path, make) -> bool:
    """Write ``make()`` to ``target`` atomically unless it exists or another process is writing it."""
    if target.exists():
        return False
    lock = target.with_name(target.name + ".lock")
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        try:
            if time.time() - lock.stat().st_mtime < LOCK_STALE_SECONDS:
                return False  # another worker or `make setup` is on it
            lock.unlink()
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except (FileExistsError, FileNotFoundError):
            return False
    try:
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(make())
        os.replace(tmp, target)
        return True
    finally:
        os.close(fd)
        lock.unlink(missing_ok=True)


def precompress(
    files: dict[tuple[str, str], Path],
    folder: Path,
    *,
    br_quality: int = BR_QUALITY,
    gzip_level: int = GZIP_LEVEL,
    say=log.info,
) -> int:
    """Write ``<sha256 of the file>.br`` and ``.gz`` into ``folder`` for each file; returns how many
    were written. Named by content, so an upgraded package simply finds no copy of its new files."""
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for (package, rel), path in files.items():
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        started = time.perf_counter()
        made = _write_once(folder / f"{digest}.br", lambda raw=raw: brotli.compress(raw, quality=br_quality))
        made += _write_once(folder / f"{digest}.gz", lambda raw=raw: gzip.compress(raw, gzip_level, mtime=0))
        if made:
            written += made
            say(f"compressed {package}/{rel} ({len(raw) // 1024} KB) in {time.perf_counter() - started:.1f}s")
    return written


@dataclass(frozen=True)
class Packed:
    """A script's compressed copies, and the file they were made from (size and mtime: to notice a
    package upgraded under a running server)."""

    source: Path
    size: int
    mtime_ns: int
    digest: str
    encoded: dict[str, bytes]  # "br" / "gzip" -> body


class Precompressed:
    """The compressed copies ready to serve, found in ``folder`` by ``scan()``.

    ``start()`` scans in a background thread and, when copies are missing and ``build`` is set,
    makes them in a niced subprocess first (``python -m observatory.web.serving precompress``): nothing
    waits for it; until then Dash serves the files and flask-compress compresses them per request.
    """

    def __init__(self, folder: Path, files: dict[tuple[str, str], Path]):
        self.folder = Path(folder)
        self.files = files
        self._ready: dict[tuple[str, str], Packed] = {}
        self._thread: threading.Thread | None = None

    def scan(self) -> int:
        """Load every complete pair of copies; returns how many files still have none."""
        missing = 0
        for key, path in self.files.items():
            try:
                st = path.stat()
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                encoded = {
                    "br": (self.folder / f"{digest}.br").read_bytes(),
                    "gzip": (self.folder / f"{digest}.gz").read_bytes(),
                }
            except OSError:
                missing += 1
                continue
            self._ready[key] = Packed(path, st.st_size, st.st_mtime_ns, digest, encoded)
        return missing

    def start(self, *, build: bool) -> None:
        def work():
            if not (self.scan() and build):
                return
            cmd = [sys.executable, "-m", "observatory.web.serving", "precompress", "--into", str(self.folder)]
            try:  # a subprocess: brotli 11 neither holds this worker's GIL nor outranks requests
                subprocess.run([*cmd, "--nice"], check=True, capture_output=True)
            except (OSError, subprocess.CalledProcessError) as exc:
                log.warning("pre-compressing the scripts failed: %r", exc)
                return
            deadline = time.monotonic() + LOCK_STALE_SECONDS
            while self.scan() and time.monotonic() < deadline:  # another worker holds some locks
                time.sleep(5)

        self._thread = threading.Thread(target=work, name="precompress", daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def get(self, package: str, rel: str) -> Packed | None:
        packed = self._ready.get((package, rel))
        if packed is None:
            return None
        try:
            st = packed.source.stat()
        except OSError:
            return None
        if (st.st_size, st.st_mtime_ns) != (packed.size, packed.mtime_ns):
            return None  # the package changed under us: Dash serves the new file
        return packed


def packed_response(app, packed: Precompressed) -> flask.Response | None:
    """A component-suite script from its compressed copy, or None (Dash serves it, compressed per
    request) when it has no ready copy, is not registered with Dash or the client takes neither
    brotli nor gzip."""
    request = flask.request
    rest = request.path[len(app.config.routes_pathname_prefix + SUITES) :]
    package, _, fingerprinted = rest.partition("/")
    rel, has_fingerprint = check_fingerprint(fingerprinted)
    if rel not in app.registered_paths.get(package, ()):  # as Dash checks: else its 404
        return None
    found = packed.get(package, rel)
    accepted = request.accept_encodings
    encoding = next((e for e in ("br", "gzip") if accepted.quality(e) > 0), None)
    if found is None or encoding is None:
        if (package, rel) == PLOTLY_JS:  # never the full plotly.js (observatory.web.plotlyjs)
            return flask.send_file(plotly_bundles.path(), mimetype="application/javascript", etag=True)
        return None
    etag = f"{found.digest[:32]}-{encoding}"
    if request.if_none_match.contains(etag):
        response = flask.Response(status=304)
    else:
        response = flask.Response(found.encoded[encoding], mimetype="application/javascript")
        response.headers["Content-Encoding"] = encoding  # flask-compress leaves it alone
    response.set_etag(etag)
    response.headers["Vary"] = "Accept-Encoding"
    if has_fingerprint:
        response.headers["Cache-Control"] = f"public, max-age={FINGERPRINTED_MAX_AGE}"
    return response


# --- callback responses, cached as sent ---------------------------------------------------------

CALLBACK_PATH = "/_dash-update-component"
# Every server callback's output is a function of the request body, the site's address (permalinks,
# download links), the warehouse's version and the date (download metadata), all in the key
# (observatory/web/dashboard.py and services.py; Dash Pages' router: pathname and search). Except:
# the chart/data download (dcc.Download) builds a file, large and seldom asked twice.
UNCACHED_OUTPUTS = frozenset({"download.data"})
KEPT_HEADERS = ("Content-Type", "Content-Encoding", "Vary")
MAX_CACHED_RESPONSE = 512 * 1024
FOLLOW_SECONDS = 10  # at most this long for an identical request's answer, then compute it anyway


class ResponseCache:
    """A thread-safe LRU of callback responses as sent (compressed), within ``budget`` bytes.

    Stored compressed because compressing a 100 KB response again costs a hit about 5 ms (brotli 4).
    """

    def __init__(self, budget: int, entry_limit: int = MAX_CACHED_RESPONSE):
        self.budget = budget
        self.entry_limit = min(entry_limit, budget)
        self.size = 0
        self.hits = self.misses = 0
        self._items: OrderedDict[str, tuple[bytes, tuple[tuple[str, str], ...]]] = OrderedDict()
        self._lock = threading.Lock()
        self._pending: dict[str, threading.Event] = {}

    def claim(self, key: str) -> threading.Event | None:
        """None: the caller computes ``key`` and must ``release`` it; else an event set when the
        request computing it is done (identical requests arriving together are computed once)."""
        with self._lock:
            if key in self._pending:
                return self._pending[key]
            self._pending[key] = threading.Event()
            return None

    def release(self, key: str) -> None:
        with self._lock:
            event = self._pending.pop(key, None)
        if event is not None:
            event.set()

    def get(self, key: str) -> tuple[bytes, tuple[tuple[str, str], ...]] | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item

    def put(self, key: str, body: bytes, headers: tuple[tuple[str, str], ...]) -> None:
        if len(body) > self.entry_limit:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.size -= len(old[0])
            self._items[key] = (body, headers)
            self.size += len(body)
            while self.size > self.budget:
                _, (dropped, _) = self._items.popitem(last=False)
                self.size -= len(dropped)

    def __len__(self) -> int:
        return len(self._items)


def _version(warehouse: Warehouse):
    try:
        return snapshot.version_of(warehouse)
    except WarehouseUnavailable:
        return None


def response_key(version) -> str:
    """The cache key of the current callback request (its body must have passed validation)."""
    request = flask.request
    h = hashlib.sha256()
    for part in (
        request.host_url,
        request.script_root,
        repr(version),
        dt.date.today().isoformat(),
        request.headers.get("Accept-Encoding", ""),
    ):
        h.update(part.encode() + b"\0")
    h.update(request.get_data(cache=True))
    return h.hexdigest()


def install(app, settings: Settings, warehouse: Warehouse) -> None:
    server: flask.Flask = app.server
    server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    server.config["COMPRESS_ALGORITHM"] = ["br", "gzip"]
    server.config["COMPRESS_MIMETYPES"] = [
        "text/html",
        "text/css",
        "text/csv",
        "application/javascript",
        "text/javascript",
        "application/json",
        "application/geo+json",
        "image/svg+xml",
    ]
    cache = (
        ResponseCache(settings.response_cache_mb * 1024 * 1024) if settings.response_cache_mb > 0 else None
    )
    packed = Precompressed(Path(settings.compressed_dir), suite_files())
    packed.start(build=settings.precompress)
    server.extensions["observatory.responses"] = cache
    server.extensions["observatory.precompressed"] = packed
    suites = app.config.routes_pathname_prefix + SUITES

    # Registered before Compress: Flask runs after_request functions last-registered first, so this
    # one sees the response as sent (compressed, headers set).
    @server.after_request
    def _remember(response: flask.Response) -> flask.Response:
        key, version = getattr(flask.g, "response_key", (None, None))
        if (
            key
            and response.status_code == 200
            and response.mimetype == "application/json"
            and not response.is_streamed
            and "Set-Cookie" not in response.headers
            and _version(warehouse) == version  # no new build while it was computed
        ):
            headers = tuple((h, response.headers[h]) for h in KEPT_HEADERS if h in response.headers)
            cache.put(key, response.get_data(), headers)
        return response

    Compress(server)
    policies: dict[bool, str] = {}

    def policy(embed: bool) -> str:
        # Computed on first use: every inline script (clientside callbacks) is registered by then.
        if embed not in policies:
            policies[embed] = content_security_policy(app, embed=embed)
        return policies[embed]

    maintenance_html: dict[str, str] = {}

    @server.before_request
    def _start():
        flask.g.started = time.perf_counter()
        path = flask.request.path
        if path == "/_dash-update-component" and flask.request.method == "POST":
            problem = callback_body_problem(app, flask.request.get_json(silent=True))
            if problem:
                return flask.jsonify({"error": problem}), 400
        if path.startswith(OPEN_PATHS):
            return None
        if not warehouse.available():
            if "page" not in maintenance_html:  # written once, from the site and country pack
                maintenance_html["page"] = maintenance.page(maintenance_site(settings))
            return flask.Response(
                maintenance_html["page"], status=503, mimetype="text/html", headers={"Retry-After": "120"}
            )
        if path.startswith(suites) and flask.request.method == "GET":
            return packed_response(app, packed)
        if cache is not None and path == CALLBACK_PATH and flask.request.method == "POST":
            return _cached_response()
        return None

    def _cached_response() -> flask.Response | None:
        if flask.request.get_json(silent=True).get("output") in UNCACHED_OUTPUTS:
            return None
        version = _version(warehouse)
        if version is None:
            return None
        key = response_key(version)
        hit = cache.get(key)
        if hit is None:
            computing = cache.claim(key)
            if computing is not None:  # the same request is being answered: wait for its answer
                computing.wait(FOLLOW_SECONDS)
                hit = cache.get(key)
            else:
                flask.g.response_claim = key
        if hit is None:
            flask.g.response_key = (key, version)
            return None
        body, headers = hit
        response = flask.Response(body, status=200)
        for name, value in headers:
            response.headers[name] = value
        return response

    @server.after_request
    def _headers(response: flask.Response) -> flask.Response:
        embed = flask.request.path.startswith("/embed")
        response.headers["Content-Security-Policy"] = policy(embed)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        if not embed:
            response.headers["X-Frame-Options"] = "DENY"
        elapsed = time.perf_counter() - getattr(flask.g, "started", time.perf_counter())
        if elapsed > SLOW_REQUEST_SECONDS:
            log.warning("slow request %s %s took %.3fs", flask.request.method, flask.request.path, elapsed)
        return response

    @server.teardown_request
    def _release(_exc):
        key = flask.g.pop("response_claim", None)
        if key is not None:
            cache.release(key)

    @server.route("/health")
    def _health():
        state = warehouse.health()
        if not state["ok"]:  # the reason may quote the file: the public never sees server paths
            reason = str(state["reason"]).replace(str(warehouse.path), warehouse.path.name)
            state["reason"] = reason.replace(str(warehouse.path.parent) + os.sep, "")
        state["warehouse"] = warehouse.path.name
        return flask.jsonify(state), (200 if state["ok"] else 503)

    @server.errorhandler(dash.exceptions.DependencyException)
    def _no_such_resource(_exc):
        return flask.jsonify({"error": "no such resource"}), 404

    @server.errorhandler(413)
    def _too_large(_exc):
        return flask.jsonify({"error": f"request larger than {MAX_REQUEST_BYTES // 1024} KB"}), 413

    @server.errorhandler(500)
    def _error(exc):
        log.error("unhandled error on %s: %r", flask.request.path, getattr(exc, "original_exception", exc))
        return flask.jsonify({"error": "internal error; it has been logged"}), 500


def main(argv: list[str] | None = None) -> int:
    """``python -m observatory.web.serving precompress [--into DIR]``: compress the large scripts once."""
    parser = argparse.ArgumentParser(prog="python -m observatory.web.serving")
    parser.add_argument("command", choices=["precompress"])
    parser.add_argument("--into", help="folder for the copies (default: Settings.compressed_dir)")
    parser.add_argument("--nice", action="store_true", help="run at the lowest CPU priority")
    args = parser.parse_args(argv)
    if args.nice:
        os.nice(19)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    folder = Path(args.into or Settings.from_env().compressed_dir)
    written = precompress(suite_files(), folder)
    print(f"{written} compressed copies written to {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
