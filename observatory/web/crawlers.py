"""``/robots.txt``: what search engines may crawl.

Without it, ``/robots.txt`` fell through to Dash's page shell (HTML with status 200), which
crawlers and Lighthouse read as an invalid robots file. The pages are public and meant to be
found, and a crawler that renders them needs their scripts and boundary files; the API and
the downloads are data, not pages; the embeds carry ``noindex`` themselves.
"""

from __future__ import annotations

import flask

ROBOTS = """User-agent: *
Allow: /
Disallow: /api/
Disallow: /download
"""
MAX_AGE = 24 * 3600


def robots() -> flask.Response:
    response = flask.Response(ROBOTS, mimetype="text/plain")
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response


def install(app) -> None:
    app.server.add_url_rule("/robots.txt", "robots", robots)
