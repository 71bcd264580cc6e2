"""Settings are declared once, with help text, and documented in the README."""

from __future__ import annotations

from observatory.config import ROOT, Settings, documented_settings


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
