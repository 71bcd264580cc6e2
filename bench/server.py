"""``gunicorn app:server`` on 127.0.0.1 and a free port, for the load benchmarks (bench/load.py,
bench/interactions.py). No gevent here: locust's patching stays in the modules that use it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from observatory.contract.settings import ROOT

GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(base: str) -> dict:
    try:
        with urllib.request.urlopen(base + "/health", timeout=5) as r:
            return json.loads(r.read())
    except Exception as exc:  # the caller decides what a missing answer means
        return {"ok": False, "reason": repr(exc)}


class Gunicorn:
    """``gunicorn app:server`` on 127.0.0.1 in its own session; ``stop()`` ends it (by its pid)."""

    def __init__(self, warehouse: Path, *, workers: int = 2, threads: int = 4, env: dict | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = Path(tempfile.mkstemp(prefix="gunicorn-", suffix=".log")[1])
        environ = {**os.environ, "OBSERVATORY_WAREHOUSE": str(warehouse), **(env or {})}
        environ.pop("OBSERVATORY_DEBUG", None)
        cmd = [
            str(GUNICORN),
            "app:server",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--timeout",
            "60",
            "--graceful-timeout",
            "10",
            # Longer than a reader's pause (locust waits up to 2 s): otherwise the server may close
            # an idle keep-alive connection just as the client reuses it (a reset, not an app error).
            "--keep-alive",
            "15",
        ]
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=environ,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log}")
            if health(self.base).get("ok"):
                return
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer /health within 60s; see {self.log}")

    def workers(self) -> list[int]:
        """The worker pids (children of the master), to show they were not restarted."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                pids.append(int(stat.parent.name))
        return sorted(pids)

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
