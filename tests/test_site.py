"""The site file (data/site.toml, data/sites/*.toml): every field checked, a regional scope checked
against the warehouse at start-up, with the file and field named in the message."""

from __future__ import annotations

from pathlib import Path

import pytest

from observatory.contract.settings import ROOT, Settings
from observatory.contract.site import SiteError, check_scope_against, load_site
from observatory.warehouse import queries
from observatory.warehouse.db import Warehouse
from observatory.web.app import check_scope

SITE = ROOT / "data" / "site.toml"
SHIPPED = sorted((ROOT / "data" / "sites").glob("*.toml"))


def write(tmp_path: Path, text: str, name: str = "region.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def regional(tmp_path: Path, scope: str = '"15"', extra: str = "", name: str = "region.toml") -> Path:
    """data/site.toml turned into a regional site with ``scope``."""
    text = SITE.read_text(encoding="utf-8").replace('default_area = "PE"', f"scope = {scope}{extra}")
    return write(tmp_path, text, name)


def test_the_national_site_has_no_scope():
    site = load_site(SITE)
    assert site.scope is None and not site.regional and site.default_area == "PE"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_regional_sites_load(path):
    site = load_site(path)
    assert site.regional and site.default_area == site.scope and site.country in ("PE", "BO")
    kind = {2: "Regional", 6: "Municipal" if site.country == "BO" else "Distrital"}[len(site.scope)]
    assert site.name["es"].startswith(f"Observatorio {kind} de la Violencia contra las Mujeres")
    assert (ROOT / "assets" / site.logo).is_file() and site.logo != "logo.svg"
    assert site.primary != load_site(SITE).primary


def test_two_regional_examples_ship():
    assert {load_site(p).scope for p in SHIPPED} >= {"20", "08"}  # Piura and Cusco


def test_a_municipal_and_a_district_example_ship():
    scopes = {(load_site(p).country, load_site(p).scope): p.name for p in SHIPPED}
    assert scopes[("BO", "020105")] == "el-alto.toml"  # El Alto, La Paz (INE)
    assert scopes[("PE", "150112")] == "independencia.toml"  # Independencia, Lima (INEI ubigeo)


def test_a_scope_at_the_finest_level_is_a_local_observatory(tmp_path, tiny_warehouse):
    frame = queries.territories(Warehouse(tiny_warehouse), "PE")
    check_scope_against(load_site(regional(tmp_path, '"150102"')), frame)  # Ancón: a district
    # A department with nothing below it is still refused: it is not the finest level.
    with pytest.raises(SiteError, match=r"scope '99' \(No especificado\) has no territories below it"):
        check_scope_against(load_site(regional(tmp_path, '"99"')), frame)
    # A district's default area must be the district itself (nothing lies inside it).
    with pytest.raises(SiteError, match="default_area '1501' is not inside the scope '150102'"):
        check_scope_against(load_site(regional(tmp_path, '"150102"', '\ndefault_area = "1501"')), frame)
    piura = load_site(ROOT / "data" / "sites" / "piura.toml")
    assert piura.name["es"] == (
        "Observatorio Regional de la Violencia contra las Mujeres y los Integrantes del Grupo Familiar de Piura"
    )


def test_a_scope_becomes_the_default_area(tmp_path):
    site = load_site(regional(tmp_path))
    assert (site.scope, site.default_area, site.source) == ("15", "15", "region.toml")


@pytest.mark.parametrize("scope", ['"Piura"', '""', "20", '"20; DROP"', '["20"]'])
def test_a_bad_scope_is_refused(tmp_path, scope):
    with pytest.raises(SiteError, match=r"region.toml \[site\]: scope must be a territorial code"):
        load_site(regional(tmp_path, scope))


@pytest.mark.parametrize(
    "colour, message",
    [("#12345", "primary must be a colour like #4b1f6f"), ("purple", "primary must be a colour")],
)
def test_a_bad_colour_is_refused(tmp_path, colour, message):
    text = SITE.read_text(encoding="utf-8").replace('primary = "#4b1f6f"', f'primary = "{colour}"')
    with pytest.raises(SiteError, match=rf"bad.toml \[colours\]: {message}"):
        load_site(write(tmp_path, text, "bad.toml"))


def test_a_bad_sequential_colour_names_its_position(tmp_path):
    text = SITE.read_text(encoding="utf-8").replace('"#fa9fb5"', '"#fa9fb"')
    with pytest.raises(SiteError, match=r"sequential\[1\]"):
        load_site(write(tmp_path, text))


def test_a_missing_logo_is_refused(tmp_path):
    text = SITE.read_text(encoding="utf-8").replace('logo = "logo.svg"', 'logo = "../secret.svg"')
    with pytest.raises(SiteError, match="logo must be an .svg or .png file in assets/"):
        load_site(write(tmp_path, text))


def test_the_scope_is_checked_against_the_warehouse(tmp_path, tiny_warehouse):
    frame = queries.territories(Warehouse(tiny_warehouse), "PE")
    check_scope_against(load_site(regional(tmp_path, '"15"')), frame)  # Lima is there
    check_scope_against(load_site(regional(tmp_path, '"1501"')), frame)  # a province will do too
    with pytest.raises(
        SiteError,
        match=r"scope '20' is not a territory of PE in the warehouse \(departments: 01 Amazonas, 15 Lima",
    ):
        check_scope_against(load_site(regional(tmp_path, '"20"')), frame)
    with pytest.raises(SiteError, match=r"scope '99' \(No especificado\) has no territories below it"):
        check_scope_against(load_site(regional(tmp_path, '"99"')), frame)
    with pytest.raises(SiteError, match="default_area '01' is not inside the scope '15'"):
        check_scope_against(load_site(regional(tmp_path, '"15"', '\ndefault_area = "01"')), frame)


def test_an_app_with_a_bad_scope_does_not_start(tmp_path, tiny_warehouse):
    from observatory.web.app import create_app

    settings = Settings.from_env(
        environ={}, warehouse=str(tiny_warehouse), site=str(regional(tmp_path, '"20"'))
    )
    with pytest.raises(SiteError, match="scope '20' is not a territory of PE"):
        create_app(settings)
    # No warehouse yet: the app starts (maintenance page) and the scope is checked once built.
    check_scope(load_site(regional(tmp_path, '"20"')), Warehouse(tmp_path / "none.duckdb"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scopes_exist_in_the_real_warehouse(path, real_warehouse):
    import duckdb

    site = load_site(path)
    check_scope(site, Warehouse(real_warehouse))  # raises when the scope is not in the warehouse
    con = duckdb.connect(str(real_warehouse), read_only=True)
    level, name, below = con.execute(
        """SELECT t.level, t.name,
                  (SELECT count(*) FROM territories c WHERE c.country = t.country AND c.parent_code = t.code)
           FROM territories t WHERE t.country = ? AND t.code = ?""",
        [site.country, site.scope],
    ).fetchone()
    con.close()
    if level == "department":
        assert below >= 8  # Piura 8 provinces, Cusco 13
    else:  # the finest level: El Alto, a municipality of Bolivia; Independencia, a district of Lima
        assert (level, name, below) in {("municipality", "El Alto", 0), ("district", "Independencia", 0)}
