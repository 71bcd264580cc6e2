"""Unknown pages answer HTTP 404, with the site's own not-found view.

Dash answers every GET it has no route for with its index page (status 200) and its router then
draws the registered ``/404`` page in the browser. A search engine or a link checker only sees
the status, so the index page of an address that no registered page (``dash.page_registry``:
a ``path`` or a ``path_template``) answers is sent with status 404: the reader still gets the
page's own not-found view, in the site's look, with its navigation.
"""

from __future__ import annotations

import re

import dash
import flask

CATCH_ALL = ("/", "/<path:path>")  # Dash's index routes (routes_pathname_prefix "/")


def _pattern(page: dict) -> re.Pattern:
    template = page.get("path_template")
    if template:
        parts = [re.escape(p) if not p.startswith("<") else r"[^/]+" for p in template.strip("/").split("/")]
        return re.compile("^/" + "/".join(parts) + "/?$")
    path = page["path"].rstrip("/")
    return re.compile("^" + re.escape(path) + "/?$")


def install(app: dash.Dash) -> None:
    """Send Dash's index page with status 404 for an address no page answers."""
    patterns: list[re.Pattern] = []

    @app.server.after_request
    def _status(response: flask.Response) -> flask.Response:
        rule = flask.request.url_rule
        if (
            response.status_code != 200
            or flask.request.method != "GET"
            or rule is None
            or rule.rule not in CATCH_ALL
        ):
            return response
        if not patterns:  # the registry is complete once the app serves
            patterns.extend(_pattern(p) for p in dash.page_registry.values() if p.get("path") != "/404")
        if not any(p.match(flask.request.path) for p in patterns):
            response.status_code = 404
        return response
