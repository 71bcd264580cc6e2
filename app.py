"""The observatory's public web app, built from the environment's settings.

Development: ``python app.py`` serves http://127.0.0.1:8050 (debug only when OBSERVATORY_DEBUG is
set). Production: ``gunicorn app:server`` (never in debug). The app itself is built by
``observatory.web.app.create_app``; tests call it with their own settings.
"""

from __future__ import annotations

from observatory.contract.settings import Settings
from observatory.web.app import create_app, settle

app = create_app(Settings.from_env())
settle(app)
server = app.server

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=8050, debug=app.server.extensions["observatory"].settings.debug)
