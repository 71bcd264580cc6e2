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


# --------------------------------------------------------------------------- other pages


def page_content(callbacks):
    return next(cb for key, cb in callbacks.items() if "_pages_content.children" in key)


def services_content(callbacks):
    return next(cb for key, cb in callbacks.items() if "svc-notice.children" in key)


def institutions_page(client, search: str) -> str:
    c, callbacks = client
    values = {"_pages_location.pathname": "/instituciones", "_pages_location.search": search}
    r = post(c, page_content(callbacks), values, ["_pages_location.search"])
    assert r.status_code == 200
    return str(r.get_json()["response"]["_pages_content"]["children"])


@pytest.mark.parametrize(
    ("search", "message"),
    [
        ("?area=777777&lang=en", "There is no place “777777”; showing the country."),
        ("?area=777777", "El lugar «777777» no existe; se muestra el país."),
        ("?area=%3Cscript%3E&lang=en", "There is no place “?”"),  # never repeated as sent
        ("?from=19x9&lang=en", "The year “19x9” is not valid (use YYYY); showing 2"),
        ("?to=zz&lang=en", "The year “zz” is not valid (use YYYY); showing 2"),
        ("?from=1900&lang=en", "These institutions' figures run from"),
        ("?to=2999", "Las cifras de estas instituciones van de"),
    ],
)
def test_an_unknown_value_on_the_institutions_page_gets_a_message(client, search, message):
    page = institutions_page(client, search)
    assert message in page
    assert "institutions-heading" in page  # the default view is still there


def test_a_good_institutions_query_has_no_message(client):
    page = institutions_page(client, "?area=15&from=2015&to=2016&lang=en")
    assert "There is no" not in page and "is not valid" not in page and "run from" not in page


@pytest.mark.parametrize(
    ("search", "messages"),
    [
        ("?area=777777&lang=en", ["There is no place “777777”; showing the country."]),
        ("?area=zz", ["El lugar «zz» no existe; se muestra el país."]),
        ("?type=SPA&lang=en", ["There is no service type “SPA”; it was removed from the filter."]),
        (
            "?area=%3Cscript%3E&type=SPA,%00&lang=en",
            ["There is no place “?”", "There is no service type “SPA”", "There is no service type “?”"],
        ),
    ],
)
def test_an_unknown_value_on_the_services_page_gets_a_message(client, search, messages):
    c, callbacks = client
    r = post(c, services_content(callbacks), {"svc-url.search": search}, ["svc-url.search"])
    assert r.status_code == 200
    response = r.get_json()["response"]
    for message in messages:
        assert message in str(response["svc-notice"]["children"])
    assert "svc-subtitle" in response  # the default view is still there
