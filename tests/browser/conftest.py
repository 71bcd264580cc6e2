"""Real headless Chromium against the app on the tiny warehouse (with rectangle boundaries).

Every test here is marked ``browser`` and skipped with a reason when /usr/bin/chromium (or
playwright's Python package) is missing. The app runs in a thread of the test process on
127.0.0.1 and a free port; each test gets a fresh browser page whose console errors are
collected (``page.errors``) and must stay empty. Screenshots go to tests/browser/screenshots/.
"""

from __future__ import annotations

import shutil
import socket
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

from observatory.contract.settings import Settings
from tests.browser.tiny_geo import boundaries_for, write_layers
from tests.fixtures import tiny

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 812}


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed (apt-get install -y chromium chromium-driver)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright (the Python package) is not installed"
    return None


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: runs in real headless Chromium (/usr/bin/chromium)")


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    reason = _skip_reason()
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(flask_app):
    """Serve a Flask app from a thread on a free port of 127.0.0.1; yields its base URL."""
    from werkzeug.serving import make_server

    port = _free_port()
    server = make_server("127.0.0.1", port, flask_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app on a copy of the tiny warehouse, served from a thread: yields its base URL."""
    from observatory.web.app import create_app

    folder = tmp_path_factory.mktemp("browser")
    warehouse = tiny.build(folder / "observatory.duckdb")
    geo = write_layers(folder / "geo")
    settings = Settings.from_env(environ={}, warehouse=str(warehouse))
    app = create_app(settings, boundaries=boundaries_for(geo))
    with serving(app.server) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def context(browser):
    """One browser context for the session: its HTTP cache keeps plotly.js between tests."""
    context = browser.new_context(viewport=DESKTOP, locale="es-PE")
    context.set_default_timeout(15_000)
    yield context
    context.close()


def _page(context, live_server, viewport):
    # Month names, plurals and number marks are the process's country's (i18n.use_country,
    # use_numbers: one country per process, as deployed). Tests here serve several countries from
    # one process, so a Peruvian page takes Peru's back from whichever app was created last.
    from observatory.contract import countries, i18n

    peru = countries.pack(Settings.from_env(environ={}).data_dir, "PE")
    i18n.use_country(peru.code)
    i18n.use_numbers(peru.numbers)
    page = context.new_page()
    page.set_viewport_size(viewport)
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.base = live_server
    return page


@pytest.fixture
def page(context, live_server):
    """A desktop-sized page (1366 x 768); ``page.errors`` collects console errors."""
    page = _page(context, live_server, DESKTOP)
    yield page
    page.close()


@pytest.fixture
def new_page(context, live_server):
    """A factory of further pages (a second tab, a phone)."""
    pages = []

    def make(viewport=DESKTOP):
        pages.append(_page(context, live_server, viewport))
        return pages[-1]

    yield make
    for page in pages:
        page.close()
