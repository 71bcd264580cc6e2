"""The maintenance page is written from the site and the country pack; unknown pages answer 404."""

from __future__ import annotations

import dataclasses
import re

from observatory.contract import countries
from observatory.contract.settings import Settings
from observatory.contract.site import load_site
from observatory.web import maintenance
from observatory.web.serving import maintenance_site


def site_for(country: str):
    s = Settings.from_env(environ={}, country=country)
    return countries.fit_site(load_site(s.site_path), countries.pack(s.data_dir, country))


def test_the_maintenance_page_names_the_site_and_the_country_s_help_line():
    pe = maintenance.page(site_for("PE"))
    assert "Línea 100" in pe and 'href="tel:100"' in pe
    sv = maintenance.page(site_for("SV"))
    assert "Línea 126" in sv and 'href="tel:126"' in sv and "Línea 100" not in sv
    for text in (pe, sv):
        assert '<section lang="es">' in text and '<section lang="en">' in text
        assert "Estamos actualizando los datos" in text and "We are updating the data" in text
        assert '<html lang="es">' in text


def test_the_maintenance_stylesheet_is_plain_css():
    site = dataclasses.replace(site_for("PE"), primary="#123456")
    text = maintenance.page(site)
    css = re.search(r"<style>(.*)</style>", text, re.S).group(1)
    assert "{{" not in css and "}}" not in css
    assert css.count("{") == css.count("}")
    assert "--primary: #123456;" in css
    assert re.search(r"body \{ font-family: [^}]*max-width: 40rem;", css)
    assert site.name["es"] in text


def test_the_served_maintenance_page_is_the_configured_country_s():
    sv = maintenance_site(Settings.from_env(environ={}, country="SV"))
    assert sv.help_phone == "126"


def test_unknown_pages_answer_404_with_the_not_found_view(tiny_warehouse):
    from observatory.web.app import create_app

    c = create_app(Settings.from_env(environ={}, warehouse=str(tiny_warehouse))).server.test_client()
    for path in ("/no-such-page", "/indicadores/x/y", "/404"):
        r = c.get(path)
        assert r.status_code == 404, path
        assert "_dash-renderer" in r.get_data(as_text=True)  # the page's own view, drawn by its router
    for path in ("/", "/indicadores", "/indicador/pe_feminicidios", "/metodologia", "/servicios"):
        assert c.get(path).status_code == 200, path
    assert c.get("/health").status_code == 200
    assert c.get("/api/v1/no-such-thing").status_code == 404
