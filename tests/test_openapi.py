"""schemathesis against /api/v1 on the tiny warehouse: every check, a bounded number of examples.

The app is served on a free local port (werkzeug, threaded) and the schemathesis CLI runs against
its own OpenAPI document with ``--checks all`` and schemathesis.toml (404 and 422 are documented
answers to well-formed requests). The run's closing line is printed, so CI logs show it.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from observatory.contract.settings import ROOT
from tests.test_exports import make_app

EXAMPLES = 12  # per operation and phase: ~30 s on the shared 2-core machine


@pytest.fixture(scope="module")
def server(tiny_warehouse, tmp_path_factory):
    app = make_app(tiny_warehouse, tmp_path_factory.mktemp("geo"), OBSERVATORY_API_LIMIT="100000 per minute")
    httpd = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join()


def test_schemathesis_finds_no_failure(server):
    st = Path(sys.executable).with_name("st")
    done = subprocess.run(
        [
            str(st),
            "--config-file",
            str(ROOT / "schemathesis.toml"),
            "run",
            f"{server}/api/v1/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            str(EXAMPLES),
            "--workers",
            "1",
            "--seed",
            "17",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    print("schemathesis:", lines[-1] if lines else done.stderr[-500:])
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "No issues found" in lines[-1]
    assert "generated" in done.stdout and "passed" in done.stdout
