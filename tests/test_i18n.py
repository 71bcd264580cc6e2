"""Locales: every key in every language, the same {fields}, and the number and date formats."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pandas as pd
import pytest

from observatory.contract import i18n
from observatory.contract.i18n import (
    LANGS,
    NBSP,
    date_label,
    messages,
    number,
    percent,
    period_label,
    plotly_separators,
    t,
)

ROOT = Path(__file__).resolve().parent.parent


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", LANGS)
def test_every_key_exists_in_every_locale(lang):
    keys = {lang: set(messages(lang)) for lang in LANGS}
    every = set().union(*keys.values())
    missing = sorted(every - keys[lang])
    assert not missing, f"keys missing from locales/{lang}.toml: {missing}"


def test_translations_use_the_same_fields():
    es, en = messages("es"), messages("en")
    different = {k: (fields(es[k]), fields(en[k])) for k in es if k in en and fields(es[k]) != fields(en[k])}
    assert not different


def test_no_empty_text():
    for lang in LANGS:
        assert not [k for k, v in messages(lang).items() if not v.strip()]


def test_every_literal_key_in_the_code_exists():
    used = set()
    for path in (ROOT / "observatory").rglob("*.py"):
        used |= set(re.findall(r"\bt(?:_or)?\(\s*\"([a-z_]+\.[a-z_.]+)\"", path.read_text(encoding="utf-8")))
    assert used, "the scan found no keys: the pattern is out of date"
    missing = sorted(k for k in used if k not in messages("es") and k not in i18n.counted_keys("es"))
    assert not missing


def test_every_counted_message_has_a_singular_and_a_plural_in_every_locale():
    """A message that counts (``{n}``) is a table of CLDR plural forms, the same in every locale,
    with each form the language's plural rules give for 0, 1, 2 and 1 000 000 (or ``other``)."""
    for lang in LANGS:
        counted = i18n.counted_keys(lang)
        loose = sorted(
            k for k, v in messages(lang).items() if "{n}" in v and k.rsplit(".", 1)[0] not in counted
        )
        assert not loose, f"{lang}: counted messages without plural forms: {loose}"
        for key in counted:
            assert {f"{key}.one", f"{key}.other"} <= set(messages(lang)), f"{lang}: {key}"
    assert i18n.counted_keys("es") == i18n.counted_keys("en")
    assert len(i18n.counted_keys("es")) >= 15


def test_counted_messages_take_the_form_of_their_number():
    assert t("services.points_caption", "es", n=1) == "1 punto de atención público en el área."
    assert t("services.points_caption", "es", n=2) == "2 puntos de atención públicos en el área."
    assert t("services.points_caption", "en", n=1) == "1 public service point in the area."
    assert t("services.points_caption", "en", n=1708) == "1,708 public service points in the area."
    assert t("services.points_caption", "es", n=f"1{NBSP}708").startswith(
        f"1{NBSP}708 puntos"
    )  # preformatted
    assert t("summary.one", "es", n=1, name="Lima", value="3", unit="casos").startswith("1 área. Solo Lima")
    assert i18n.plural("ranking.areas", 0, "es") == "0 áreas"
    assert i18n.plural("ranking.areas", 1_000_000, "es") == f"1{NBSP}000{NBSP}000 áreas"  # CLDR 'many'
    assert i18n.plural_form(1_000_000, "es") == "many" and i18n.plural_form(1, "en") == "one"


def test_month_names_are_the_country_locale_s():
    ts = pd.Timestamp("2024-09-01")
    previous = i18n.use_country("SV")
    try:
        assert i18n.babel_locale("es") == "es_SV"
        assert period_label(ts, "month", "es", long=True) == "septiembre de 2024"
        assert date_label(pd.Timestamp("2024-09-05"), "es") == "5 de septiembre de 2024"
        assert period_label(ts, "month", "en", long=True) == "September 2024"
    finally:
        i18n._LOCALES.update(previous)
        i18n._period_label.cache_clear()
    assert period_label(ts, "month", "es", long=True) == "setiembre de 2024"
    assert i18n.use_country("XX")["es"] == "es_PE" and i18n.babel_locale("es") == "es"
    i18n.use_country("PE")
    assert i18n.babel_locale("es") == "es_PE"


def test_data_driven_keys_exist():
    from observatory.contract.schema import BREAKDOWNS, LEVELS

    for lang in LANGS:
        for key in [f"level.{lv}" for lv in LEVELS] + [f"breakdowns.{b}" for b in BREAKDOWNS]:
            assert i18n.has(key, lang), key
        for status in ("value", "zero", "suppressed", "no_data"):
            assert i18n.has(f"status.{status}", lang)
        for denominator in ("female", "total"):
            assert i18n.has(f"denominator.{denominator}", lang)


def test_a_missing_key_falls_back_without_failing():
    assert t("no.such.key", "en") == "no.such.key"
    assert t("nav.explore", "xx") == "Explorar"


def test_spanish_numbers_follow_inei():
    assert number(1708, "es") == f"1{NBSP}708"
    assert number(17162819, "es") == f"17{NBSP}162{NBSP}819"
    assert number(84, "es", 1) == "84,0"
    assert number(1279.44, "es", 1) == f"1{NBSP}279,4"
    assert number(-0.01, "es", 1) == "0,0"
    assert number(None, "es") == "—" and number(float("nan"), "es") == "—"


def test_english_numbers():
    assert number(1708, "en") == "1,708"
    assert number(1279.44, "en", 1) == "1,279.4"


def test_percentages():
    assert percent(-0.1, "es", signed=True) == f"-10,0{NBSP}%"
    assert percent(0.125, "en", signed=True) == "+12.5%"
    assert percent(0.0, "en", signed=True) == "0.0%"


def test_plotly_separators():
    assert plotly_separators("es") == "," + NBSP
    assert plotly_separators("en") == ".,"


def test_periods_and_dates():
    ts = pd.Timestamp("2024-09-01")
    assert period_label(ts, "month", "es") == "set. 2024"  # Peru's "setiembre"
    assert period_label(ts, "month", "es", long=True) == "setiembre de 2024"
    assert period_label(ts, "month", "en") == "Sep 2024"
    assert period_label(ts, "year", "en") == "2024"
    assert date_label(pd.Timestamp("2025-03-05 10:00"), "es") == "5 de marzo de 2025"
    assert date_label(pd.Timestamp("2025-03-05"), "en") == "March 5, 2025"  # CLDR's en
