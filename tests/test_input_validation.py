"""Every value a reader can send is checked against the catalogue and the territories (issue 7).

Through the real callback endpoint (Flask test client, tiny warehouse): an unknown value in the
URL or a control gets a clear message in the interface, with a 200, never a 500 or a traceback.
"""

from __future__ import annotations

import shutil

import pytest

from bench import fuzz


@pytest.fixture(scope="module")
def client(tiny_warehouse, tmp_path_factory):
    folder = tmp_path_factory.mktemp("validation")
    path = shutil.copyfile(tiny_warehouse, folder / "observatory.duckdb")
    app = fuzz.make_app(folder / "observatory.duckdb")
    yield app.server.test_client(), {cb.output: cb for cb in fuzz.callbacks(app)}
    assert fuzz.sha256(path) == fuzz.sha256(tiny_warehouse)


def post(client, cb, values: dict, changed: list[str]):
    body = {
        "output": cb.output,
        "outputs": cb.outputs,
        "inputs": [{"id": c, "property": p, "value": values.get(f"{c}.{p}")} for c, p in cb.inputs],
        "state": [{"id": c, "property": p, "value": values.get(f"{c}.{p}")} for c, p in cb.state],
        "changedPropIds": changed,
    }
    r = fuzz.post_callback(client, body)
    assert fuzz.problem(r.status_code, r.get_data()) is None, r.get_data()[:500]
    return r


def header(callbacks):
    return next(cb for key, cb in callbacks.items() if "view-title.children" in key)


def sync(callbacks):
    return next(cb for key, cb in callbacks.items() if key.startswith("..url.search..."))


@pytest.mark.parametrize(
    ("search", "message"),
    [
        ("?ind=no_such_indicator&lang=en", "There is no indicator “no_such_indicator”"),
        ("?area=777777&lang=en", "There is no place “777777”"),
        ("?from=1999-99&to=zz&lang=en", "is not valid (use YYYY-MM or YYYY)"),
        ("?lang=xx", "no está disponible"),
        ("?ind=pe_feminicidios&measure=perhaps&lang=en", "The measure “perhaps” is not available"),
        ("?sex=nobody&lang=en", "does not exist for this indicator"),
        ("?compare=01,123456&lang=en", "cannot be compared"),
        ("?ind=%27%20OR%201%3D1%20--&lang=en", "There is no indicator"),
    ],
)
def test_an_unknown_value_in_the_url_gets_a_message(client, search, message):
    c, callbacks = client
    r = post(c, header(callbacks), {"url.search": search}, ["url.search"])
    assert r.status_code == 200
    notices = r.get_json()["response"]["notices"]["children"]
    assert message in str(notices)


@pytest.mark.parametrize(
    ("control", "value"),
    [
        ("f-indicator.value", "no_such_indicator"),
        ("f-department.value", "no-such-code"),
        ("f-from.value", "1999-99"),
        ("f-measure.value", "perhaps"),
        ("f-b-sex.value", "nobody"),
        ("f-compare.value", ["01", "zz"]),
        ("map.clickData", {"points": [{"location": "777777"}]}),
    ],
)
def test_an_unknown_control_value_is_resolved_never_an_error(client, control, value):
    c, callbacks = client
    r = post(c, sync(callbacks), {"url.search": "", control: value}, [control])
    assert r.status_code in (200, 204)
    if r.status_code == 200:
        search = r.get_json()["response"].get("url", {}).get("search")
        # Whatever was asked, the URL only ever holds values that resolve() accepted.
        assert search is None or "no_such" not in search and "777777" not in search and "zz" not in search
