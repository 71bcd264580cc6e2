"""Locust journeys of a reader of the explore page, as the browser makes them.

Each simulated reader opens the page (GET /, the Dash layout and dependencies, the page router
callback and the first call of the view callback), then repeatedly filters (indicator, period,
department: one ``view`` request each, which returns the new query string, the controls and every
card), drills down (a map click: one request) and downloads the table as CSV (the ``download``
callback). Callback bodies are built from the
app's own ``/_dash-dependencies``, so ids and outputs are the real ones.

Run by ``python -m bench.load`` (which starts gunicorn); by hand:
``locust -f bench/locustfile.py --headless -u 10 -r 5 -t 10s --host http://127.0.0.1:8050``.
OBSERVATORY_LOAD_INDICATORS (comma list) names the indicators to choose from.
"""

from __future__ import annotations

import json
import os
import random

from locust import HttpUser, between, task

UPDATE = "/_dash-update-component"
INDICATORS = [i for i in os.environ.get("OBSERVATORY_LOAD_INDICATORS", "").split(",") if i]


def _parts(key: str) -> list[dict]:
    if key.startswith("..") and key.endswith(".."):
        key_parts = key[2:-2].split("...")
    else:
        key_parts = [key]
    return [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True)) for p in key_parts]


class Reader(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.deps: dict[str, dict] = {}
        self.search = ""
        self.options: dict[str, list] = {}
        self.open_page()

    # ------------------------------------------------------------------ requests

    def callback(self, fragment: str, values: dict[str, object], changed: list[str], name: str) -> dict:
        """POST one callback (found by a fragment of its output key) with ``values`` by 'id.prop'."""
        key = next(k for k in self.deps if fragment in k)
        dep = self.deps[key]
        outputs = _parts(key)

        def items(specs):
            return [
                {"id": s["id"], "property": s["property"], "value": values.get(f"{s['id']}.{s['property']}")}
                for s in specs
            ]

        body = {
            "output": key,
            "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": items(dep["inputs"]),
            "state": items(dep["state"]),
            "changedPropIds": changed,
        }
        with self.client.post(UPDATE, json=body, name=name, catch_response=True) as r:
            if r.status_code == 204:
                r.success()
                return {}
            if r.status_code != 200:
                r.failure(f"status {r.status_code}")
                return {}
            try:
                data = r.json().get("response", {})
            except (ValueError, AttributeError):
                r.failure("not JSON")
                return {}
            r.success()
            return data

    def sync(self, changed: str, value, step: str) -> None:
        """A control or map change (or the URL) -> the new query string, the controls and every card:
        the one request of an interaction (as the browser)."""
        values = {
            "url.search": self.search,
            "viewport.data": [1366, 768],
            "table-sort.data": {"col": "shown", "desc": True},
            "series-table-toggle.n_clicks": 0,
            changed: value,
        }
        out = self.callback("url.search...f-indicator.value", values, [changed], f"{step}: view")
        new = out.get("url", {}).get("search")
        if isinstance(new, str):
            self.search = new
        for cid, props in out.items():
            if isinstance(props, dict) and isinstance(props.get("options"), list):
                self.options[cid] = [o.get("value") for o in props["options"] if isinstance(o, dict)]

    def open_page(self) -> None:
        self.client.get("/", name="open: page")
        self.client.get("/_dash-layout", name="open: layout")
        r = self.client.get("/_dash-dependencies", name="open: dependencies")
        self.deps = {d["output"]: d for d in r.json() if not d.get("clientside_function")}
        self.search = ""
        self.callback(
            "_pages_content.children",
            {"_pages_location.pathname": "/", "_pages_location.search": ""},
            ["_pages_location.pathname", "_pages_location.search"],
            "open: page content",
        )
        self.sync("url.search", "", "open")

    # ------------------------------------------------------------------ journeys

    @task(3)
    def filter(self) -> None:
        if INDICATORS and random.random() < 0.4:
            self.sync("f-indicator.value", random.choice(INDICATORS), "filter")
        periods = [p for p in self.options.get("f-from", []) if p]
        if periods:
            self.sync("f-from.value", random.choice(periods), "filter")
        departments = [d for d in self.options.get("f-department", []) if d]
        if departments:
            self.sync("f-department.value", random.choice(departments), "filter")

    @task(2)
    def drill_down(self) -> None:
        """A click on a map area: the area becomes the view (one level down)."""
        areas = [a for a in self.options.get("f-department", []) if a]
        if not areas:
            return
        click = {"points": [{"location": random.choice(areas)}]}
        self.sync("map.clickData", click, "drill down")

    @task(1)
    def download(self) -> None:
        values = {"download-button.n_clicks": 1, "url.search": self.search}
        out = self.callback("download.data", values, ["download-button.n_clicks"], "download: csv")
        content = out.get("download", {}).get("data")
        if not (isinstance(content, dict) and content.get("content")):
            self.environment.events.request.fire(
                request_type="CHECK",
                name="download: csv has content",
                response_time=0,
                response_length=0,
                exception=AssertionError(f"no CSV in {json.dumps(out)[:200]}"),
                context={},
            )

    @task(1)
    def reopen(self) -> None:
        self.open_page()
