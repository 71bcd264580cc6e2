"""The indicator catalogue is complete and its mistakes are named."""

from __future__ import annotations

import pytest

from observatory.build.sources import load_declared
from observatory.contract.indicators import CatalogueError, load_catalogue
from observatory.contract.settings import Settings


def test_the_shipped_catalogue_is_valid_and_names_declared_sources():
    settings = Settings.from_env(environ={})
    declared = load_declared(settings)
    catalogue = load_catalogue(f"{settings.data_dir}/indicators.toml", set(declared.sources))
    ids = {i["id"] for i in catalogue}
    assert {"pe_denuncias_vcm", "pe_feminicidios", "pe_tentativas_feminicidio", "pe_cem_casos"} <= ids
    rare = {i["id"]: i["disclosure"] for i in catalogue}
    assert rare["pe_feminicidios"] == "suppress" and rare["pe_denuncias_vcm"] == "publish"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[x]\nkind = "case"\n', "indicator [x]: missing field(s) country"),
        ("not toml [", "not valid TOML"),
    ],
)
def test_catalogue_errors_name_the_indicator_and_field(tmp_path, text, message):
    path = tmp_path / "indicators.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    assert message in str(info.value)


def test_a_wrong_choice_is_named(tmp_path):
    settings = Settings.from_env(environ={})
    text = open(f"{settings.data_dir}/indicators.toml", encoding="utf-8").read()
    path = tmp_path / "indicators.toml"
    path.write_text(text.replace('disclosure = "suppress"', 'disclosure = "sometimes"', 1), encoding="utf-8")
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    assert "[pe_feminicidios]: disclosure = 'sometimes'" in str(info.value)
