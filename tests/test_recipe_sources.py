"""The real files read through their recipes (data/recipes/), in the warehouse `make run` builds:
exact totals, names resolved, the case list kept only as counts, shelters never published, and the
published numbers of the sources that had adapters unchanged."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from observatory.build import recipe_runner
from observatory.build.errors import IngestError
from observatory.build.sources import load_declared, locate, sha256_of
from observatory.build.warehouse import context, ingest
from observatory.contract.settings import Settings
from tests.conftest import MIRROR, needs_mirror
from tests.published_digest import digest

pytestmark = needs_mirror

BEFORE = Path(__file__).parent / "fixtures" / "published" / "totals_before_recipes.json"


def real_file(source: str) -> Path:
    settings = Settings.from_env(environ={}, mirror=str(MIRROR))
    return locate(settings, load_declared(settings).file(source))


def rows(path: Path, sql: str, **params):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def yearly(path: Path, indicator: str) -> dict[int, int]:
    return {
        int(y): int(v)
        for y, v in rows(
            path,
            "SELECT year(period), sum(value) FROM observations WHERE indicator_id = $i GROUP BY 1",
            i=indicator,
        )
    }


def test_the_published_numbers_of_the_rewritten_adapters_are_unchanged(real_warehouse):
    """SIDPOL, CEM and CEPAL now go through recipes: every row, total and revision as before
    (tests/fixtures/published/, written by `python -m tests.published_digest` on the old build)."""
    before = json.loads(BEFORE.read_text(encoding="utf-8"))
    now = digest(str(real_warehouse), [k for k in before if not k.startswith("_")])
    assert {k: v for k, v in now.items() if k != "_revisions"} == {
        k: v for k, v in before.items() if k != "_revisions"
    }
    assert now["_revisions"] == before["_revisions"]


def test_ministerio_publico_lambayeque_totals(real_warehouse):
    assert yearly(real_warehouse, "pe_mp_feminicidio") == {2019: 14, 2020: 15, 2021: 17, 2022: 49, 2023: 28}
    assert yearly(real_warehouse, "pe_mp_agresiones") == {
        2019: 18_299,
        2020: 12_059,
        2021: 15_680,
        2022: 14_900,
        2023: 15_256,
    }
    where = rows(
        real_warehouse,
        "SELECT DISTINCT territory_code FROM observations WHERE indicator_id IN ('pe_mp_feminicidio', 'pe_mp_agresiones')",
    )
    assert where == [("14",)]  # the distrito fiscal, under its department: never the seat's district


def test_the_case_list_gives_femicides_by_district_and_keeps_no_victim_row(real_warehouse):
    assert yearly(real_warehouse, "pe_feminicidios_distrito_2019") == {2019: 166}
    departments = dict(
        rows(
            real_warehouse,
            """SELECT t.name, r.value FROM rollup r JOIN territories t ON t.country = r.country AND t.code = r.territory_code
               WHERE r.indicator_id = 'pe_feminicidios_distrito_2019' AND r.level = 'department'""",
        )
    )
    assert (departments["Lima"], departments["Puno"], departments["La Libertad"]) == (46, 15, 14)
    # Counts only: one row per district, nothing of the victims (ages, links, months) anywhere.
    n, districts = rows(
        real_warehouse,
        "SELECT count(*), count(DISTINCT territory_code) FROM observations WHERE indicator_id = 'pe_feminicidios_distrito_2019'",
    )[0]
    assert n == districts < 166
    columns = {
        c for (c,) in rows(real_warehouse, "SELECT DISTINCT column_name FROM information_schema.columns")
    }
    assert not {
        c for c in columns if c.upper() in ("VINCULO", "VICTIMA_EDAD", "AGRESOR_EDAD", "MES_FEMINICIDIO")
    }


def test_every_district_of_the_case_list_resolves_or_is_listed_with_candidates(real_warehouse, tmp_path):
    settings = Settings.from_env(environ={}, warehouse=str(real_warehouse), mirror=str(MIRROR))
    path = real_file("pe_mimp_feminicidio_casos")
    recipe = recipe_runner.for_source(Path(settings.data_dir), "pe_mimp_feminicidio_casos")[1]
    con = duckdb.connect(str(real_warehouse), read_only=True)
    try:
        ctx = context(con, settings)
        report = recipe_runner.check_file(path, recipe, ctx)
        assert (report.rows_read, report.kept, report.unresolved) == (166, 166, [])
        # Without the reviewed corrections, each typo is listed with its row and the right candidate.
        shutil.copytree(ctx.crosswalks, tmp_path / "crosswalks")
        (tmp_path / "crosswalks" / "pe_place_names.csv").write_text(
            "country,level,parent_code,name,code,note\n", encoding="utf-8"
        )
        ctx.crosswalks = tmp_path / "crosswalks"
        bare = recipe_runner.check_file(path, recipe, ctx)
    finally:
        con.close()
    listed = {(u.row, u.level, u.name): u.candidates for u in bare.unresolved}
    assert listed[(78, "province", "VICTOR FAJARDFO")][0] == ("Víctor Fajardo", "0510")
    assert listed[(132, "district", "GREGORIO ALBARRACIN LANCHIPA")][0][1] == "230110"
    assert bare.kept + bare.dropped["place name not resolved"] == 166
    assert all(u.candidates for u in bare.unresolved)


def test_an_unresolved_name_stops_the_import_and_nothing_changes(live, tmp_path):
    path = tmp_path / "casos.csv"
    path.write_text(
        "DPTO_OCURRIO,PROV_OCURRIO,DIST_OCURRIO\nLIMA,LIMA,INDEPENDENCIA\nAYACUCHO,HUAMANGA,AYACUCHOO\n",
        encoding="utf-8",
    )
    before = sha256_of(live.warehouse_path)
    with pytest.raises(IngestError) as info:
        ingest(live, "pe_mimp_feminicidio_casos", path, release="prueba", log=lambda _: None)
    message = str(info.value)
    assert "1 place name(s) not found" in message and "row 3, column 'district'" in message
    assert "nearest: Ayacucho (050101)" in message
    assert sha256_of(live.warehouse_path) == before


def test_a_case_list_with_personal_data_is_refused(live, tmp_path):
    path = tmp_path / "casos.csv"
    path.write_text(
        "DPTO_OCURRIO,PROV_OCURRIO,DIST_OCURRIO,NOMBRES_VICTIMA\nLIMA,LIMA,INDEPENDENCIA,X\n",
        encoding="utf-8",
    )
    before = sha256_of(live.warehouse_path)
    with pytest.raises(IngestError) as info:
        ingest(live, "pe_mimp_feminicidio_casos", path, release="prueba", log=lambda _: None)
    assert "personal data" in str(info.value) and "column 'NOMBRES_VICTIMA'" in str(info.value)
    assert sha256_of(live.warehouse_path) == before


def test_a_hand_made_case_list_becomes_counts_with_the_footer_dropped(live, tmp_path):
    path = tmp_path / "casos.csv"
    path.write_text(
        "DPTO_OCURRIO,PROV_OCURRIO,DIST_OCURRIO,VICTIMA_EDAD\n"
        "LIMA,LIMA,INDEPENDENCIA,30\nANCASH,HUARAZ,INDEPENDENCIA,41\nlima, lima ,independencia,25\n"
        "AYACUCHO,VICTOR FAJARDFO,HUANCAPI,19\nTOTAL,,,\n",
        encoding="utf-8",
    )
    ingest(live, "pe_mimp_feminicidio_casos", path, release="prueba", log=lambda _: None)
    got = rows(
        live.warehouse_path,
        "SELECT territory_code, value FROM observations WHERE indicator_id = 'pe_feminicidios_distrito_2019' ORDER BY 1",
    )
    assert got == [("020105", 1.0), ("051001", 1.0), ("150112", 2.0)]


def test_the_directory_fills_the_services_with_its_548_points(real_warehouse):
    by_type = dict(rows(real_warehouse, "SELECT type, count(*) FROM service_points GROUP BY 1"))
    assert by_type == {"CEM": 436, "SAR": 68, "HRT": 29, "SAU": 8, "CAI": 7}
    assert yearly(real_warehouse, "pe_puntos_atencion") == {2026: 548}
    shelters = rows(
        real_warehouse,
        "SELECT count(*), count(name), count(lat), count(lon), bool_and(is_shelter) FROM service_points WHERE type = 'HRT'",
    )
    assert shelters == [(29, 0, 0, 0, True)]


def shelter_names() -> set[str]:
    with open(real_file("pe_servicios"), encoding="utf-8", newline="") as fh:
        return {r["nombre"] for r in csv.DictReader(fh) if r["tipo"] == "HRT"}


def test_no_shelter_name_or_place_in_any_page_download_or_api_answer(real_warehouse, tmp_path):
    from dash._utils import to_json

    from observatory.web import services
    from observatory.web.app import create_app

    names = shelter_names()
    assert len(names) >= 20 and all(n.strip() for n in names)
    settings = Settings.from_env(environ={}, warehouse=str(real_warehouse), mirror=str(MIRROR))
    app = create_app(settings)
    app.server.config.update({"OBSERVATORY_API_LIMIT": "10000 per minute"})
    ctx = app.server.extensions["observatory"]
    client = app.server.test_client()
    departments = [
        c
        for (c,) in rows(
            real_warehouse, "SELECT code FROM territories WHERE country = 'PE' AND level = 'department'"
        )
    ]
    answers = []
    for area in ["PE", *departments]:
        with app.server.app_context():
            answers.append(
                json.dumps(json.loads(to_json(services.on_content(ctx, f"?area={area}"))), ensure_ascii=False)
            )
        for fmt in ("json", "csv"):
            r = client.get(f"/api/v1/services?area={area}&format={fmt}")
            assert r.status_code == 200, (area, fmt, r.data[:200])
            answers.append(r.get_data(as_text=True))
    page = client.get("/servicios")
    answers.append(page.get_data(as_text=True))
    text = "\n".join(answers)
    assert "Cem Comisaría Bagua" in text  # the public points are there...
    assert not [n for n in names if n in text]  # ...and no shelter's name
    assert "confidencialidad" not in text  # the shelters' address field is never read
    public = json.loads(client.get("/api/v1/services?area=01&format=json").get_data(as_text=True))
    assert public["figures"]["shelters"] >= 1  # counted, never located


def _find(node, wanted: str):
    """The component with id ``wanted`` in a layout serialised by Dash (dicts of props)."""
    if isinstance(node, dict):
        props = node.get("props", {})
        if props.get("id") == wanted:
            return node
        for value in props.values() if "props" in node else node.values():
            found = _find(value, wanted)
            if found is not None:
                return found
    if isinstance(node, list):
        for item in node:
            found = _find(item, wanted)
            if found is not None:
                return found
    return None


def _text(node) -> str:
    if isinstance(node, (str, int, float)):
        return str(node)
    if isinstance(node, dict):
        return _text(node.get("props", {}).get("children", ""))
    if isinstance(node, list):
        return " ".join(_text(n) for n in node)
    return ""


def test_the_instituciones_page_shows_the_ministerio_publico_with_its_caveat(real_warehouse):
    from dash._utils import to_json

    from observatory.web import institutions
    from observatory.web.app import create_app

    settings = Settings.from_env(environ={}, warehouse=str(real_warehouse), mirror=str(MIRROR))
    app = create_app(settings)
    with app.server.app_context():
        national = json.loads(to_json(institutions.layout("es", area="PE")))
        english = json.loads(to_json(institutions.layout("en", area="14")))
    panel = _text(_find(national, "institutions-panel"))
    assert "Ministerio Público (distrito fiscal de Lambayeque) — Lambayeque" in panel
    assert "sede de la Junta de Fiscales, no el lugar del hecho" in panel  # the geography caveat
    table = _find(national, "institutions-panel-14")
    cells = " ".join(_text(table).split())
    for figure in ("2019 14 18 299", "2020 15 12 059", "2021 17 15 680", "2022 49 14 900", "2023 28 15 256"):
        assert figure in cells
    # Never as the country's figure: the national comparison has no Ministerio Público (Lambayeque) column.
    assert "Lambayeque" not in _text(_find(national, "institutions-table"))
    assert "seat of the Board of Prosecutors, not where the crime happened" in _text(
        _find(english, "institutions-panel")
    )
