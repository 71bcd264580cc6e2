"""Settings are declared once, with help text, and documented in the README."""

from __future__ import annotations

import pytest

from observatory.contract.settings import ROOT, Settings, SettingsError, documented_settings


def test_every_setting_has_help_and_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, env, help_text in documented_settings():
        assert len(help_text) > 20, name
        assert f"`{env}`" in readme, f"{env} is not documented in README.md"


def test_explicit_value_beats_environment_beats_default(tmp_path):
    env = {"OBSERVATORY_DISCLOSURE_K": "7", "OBSERVATORY_COUNTRY": "SV", "OBSERVATORY_DEBUG": "true"}
    s = Settings.from_env(environ=env, country="PE")
    assert (s.disclosure_k, s.country, s.debug) == (7, "PE", True)
    assert Settings.from_env(environ={}).disclosure_k == 5
    assert Settings.from_env(environ={}, warehouse=str(tmp_path / "w.duckdb")).geo_dir == tmp_path / "geo"


@pytest.mark.parametrize(
    ("env", "fragments"),
    [
        ({"OBSERVATORY_DISCLOSURE_K": "abc"}, ["OBSERVATORY_DISCLOSURE_K='abc'", "at least 2"]),
        ({"OBSERVATORY_DISCLOSURE_K": "0"}, ["OBSERVATORY_DISCLOSURE_K=0", "OBSERVATORY_DISCLOSURE=off"]),
        ({"OBSERVATORY_DISCLOSURE_K": "1"}, ["OBSERVATORY_DISCLOSURE_K=1", "hide nothing"]),
        ({"OBSERVATORY_DEBUG": "flase"}, ["OBSERVATORY_DEBUG='flase'", "true or false"]),
        ({"OBSERVATORY_PRECOMPRESS": "ture"}, ["OBSERVATORY_PRECOMPRESS='ture'", "true or false"]),
        ({"OBSERVATORY_DISCLOSURE": "of"}, ["OBSERVATORY_DISCLOSURE='of'", "on or off"]),
        ({"OBSERVATORY_COUNTRY": "XX"}, ["OBSERVATORY_COUNTRY='XX'", "available: BO, PE, SV"]),
        (
            {"OBSERVATORY_BOUNDARIES": "osm"},
            ["OBSERVATORY_BOUNDARIES='osm'", "mapsperu or peru-geojson-2016"],
        ),
        ({"OBSERVATORY_API_LIMIT": "lots"}, ["OBSERVATORY_API_LIMIT='lots'", "per minute"]),
        ({"OBSERVATORY_RESPONSE_CACHE_MB": "-1"}, ["OBSERVATORY_RESPONSE_CACHE_MB='-1'", "0 or more"]),
        ({"OBSERVATORY_HISTORY_KEEP": "many"}, ["OBSERVATORY_HISTORY_KEEP='many'", "whole number"]),
        ({"OBSERVATORY_BASE_URL": "observatorio.pe"}, ["OBSERVATORY_BASE_URL='observatorio.pe'", "http"]),
    ],
)
def test_a_bad_setting_names_the_variable_the_value_and_what_is_allowed(env, fragments):
    with pytest.raises(SettingsError) as info:
        Settings.from_env(environ=env)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_suppression_is_turned_off_only_in_words():
    off = Settings.from_env(environ={"OBSERVATORY_DISCLOSURE": "off", "OBSERVATORY_DISCLOSURE_K": "0"})
    assert (off.disclosure, off.disclosure_k) == ("off", 1)  # counts from 1 to 0: nothing suppressed
    assert Settings.from_env(environ={"OBSERVATORY_DISCLOSURE_K": "2"}).disclosure_k == 2
    for word in ("false", "0", "no", "off"):
        assert Settings.from_env(environ={"OBSERVATORY_DEBUG": word}).debug is False


def test_the_commands_refuse_a_bad_setting_before_doing_anything(capsys, monkeypatch):
    from observatory.__main__ import main

    monkeypatch.setenv("OBSERVATORY_DISCLOSURE_K", "abc")
    assert main(["info"]) == 2
    err = capsys.readouterr().err
    assert "OBSERVATORY_DISCLOSURE_K='abc'" in err and "Traceback" not in err
