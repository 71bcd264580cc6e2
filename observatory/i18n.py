"""Interface text and number/date formats, one locale file per language (observatory/locales/).

``t(key, lang, **fmt)`` returns the text for a dotted key, with ``{name}`` fields filled in.
A key missing from a locale is a bug that ``tests/test_i18n.py`` catches; at run time the
Spanish text (then the key itself) is shown instead of failing the page.

Numbers follow each language's statistical usage. Spanish follows INEI's publications and
Peru's legal unit system: decimal comma and a space (here a no-break space, so a number never
splits across lines) between groups of three digits: ``1 708``, ``84,0``. English: ``1,708``,
``84.0``.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import tomllib
from functools import cache, lru_cache
from pathlib import Path

import pandas as pd

LANGS = ("es", "en")
DEFAULT_LANG = "es"
LOCALES_DIR = Path(__file__).parent / "locales"
NBSP = "\u00a0"
DASH = "—"
log = logging.getLogger("observatory.i18n")

_SEPARATORS = {"es": (",", NBSP), "en": (".", ",")}


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = str(value)
    return out


@cache
def messages(lang: str) -> dict[str, str]:
    """Every key of one locale file, flattened to dotted keys."""
    path = LOCALES_DIR / f"{lang}.toml"
    return _flatten(tomllib.loads(path.read_text(encoding="utf-8")))


def lang_or_default(lang: str | None) -> str:
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, lang: str, **fmt) -> str:
    """The text for ``key`` in ``lang``; ``{name}`` fields are filled from ``fmt``."""
    lang = lang_or_default(lang)
    text = messages(lang).get(key)
    if text is None:
        log.error("missing i18n key %r in %s", key, lang)
        text = messages(DEFAULT_LANG).get(key, key)
    return text.format(**fmt) if fmt else text


def pick(row, field: str, lang: str) -> str:
    """A catalogue field in the reader's language (``title`` -> ``title_es`` / ``title_en``)."""
    value = row[f"{field}_{lang_or_default(lang)}"]
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def number(value, lang: str, decimals: int = 0) -> str:
    """``1708`` -> ``1 708`` (es) / ``1,708`` (en); missing values -> an em dash."""
    if _missing(value):
        return DASH
    decimal, group = _SEPARATORS[lang_or_default(lang)]
    text = f"{float(value):,.{decimals}f}"
    if text in (f"-{0:.{decimals}f}",):  # no "-0,0"
        text = text[1:]
    return text.replace(",", "\x00").replace(".", decimal).replace("\x00", group)


def percent(value, lang: str, decimals: int = 1, signed: bool = False) -> str:
    """A ratio as a percentage: ``0.125`` -> ``12,5 %`` (es) / ``12.5%`` (en)."""
    if _missing(value):
        return DASH
    text = number(value * 100, lang, decimals)
    if signed and value * 100 > 0 and text.strip("0,.") != "":
        text = "+" + text
    return f"{text}{NBSP}%" if lang_or_default(lang) == "es" else f"{text}%"


def use_numbers(numbers: dict[str, str]) -> dict[str, str]:
    """Set the Spanish number marks to those of the country served (its pack's ``[numbers]``:
    Peru ``1 708,5``, El Salvador ``1,708.5``); English keeps ``1,708.5``. One installation
    serves one country, so this is set once when the app is created. Returns the previous marks.
    """
    decimal, group = _SEPARATORS["es"]
    previous = {"decimal": decimal, "thousands": " " if group == NBSP else group}
    thousands = numbers.get("thousands", previous["thousands"])
    _SEPARATORS["es"] = (numbers.get("decimal", decimal), NBSP if thousands == " " else thousands)
    return previous


def plotly_separators(lang: str) -> str:
    """plotly's ``layout.separators``: decimal mark then thousands separator."""
    decimal, group = _SEPARATORS[lang_or_default(lang)]
    return decimal + group


def month_name(month: int, lang: str, short: bool = False) -> str:
    names = t("months.short" if short else "months.long", lang).split(",")
    return names[month - 1].strip()


def period_label(period, granularity: str, lang: str, long: bool = False) -> str:
    """``2024-03-01`` -> ``mar. 2024`` / ``marzo de 2024`` (es), ``Mar 2024`` / ``March 2024`` (en)."""
    return _period_label(period, granularity, lang, long)


@lru_cache(maxsize=4096)
def _period_label(period, granularity: str, lang: str, long: bool) -> str:
    """``period_label``, kept: a series asks for the same few hundred labels again and again."""
    if _missing(period):
        return DASH
    ts = pd.Timestamp(period)
    if granularity == "year":
        return str(ts.year)
    name = month_name(ts.month, lang, short=not long)
    return t("formats.month_long" if long else "formats.month_short", lang, month=name, year=ts.year)


def period_range_label(start, end, granularity: str, lang: str) -> str:
    a, b = period_label(start, granularity, lang, long=True), period_label(end, granularity, lang, long=True)
    return a if a == b else t("formats.range", lang, start=a, end=b)


def date_label(value, lang: str) -> str:
    """A calendar date in words: ``5 de marzo de 2025`` / ``5 March 2025``."""
    if _missing(value) or value is pd.NaT:
        return DASH
    d = pd.Timestamp(value).date() if not isinstance(value, dt.date) else value
    return t("formats.date", lang, day=d.day, month=month_name(d.month, lang), year=d.year)


def has(key: str, lang: str) -> bool:
    """Whether ``key`` exists in ``lang`` (for optional texts such as breakdown value labels)."""
    return key in messages(lang_or_default(lang))


def t_or(key: str, lang: str, default: str, **fmt) -> str:
    """The text for ``key`` when the locale has it, else ``default`` (for data-driven keys)."""
    return t(key, lang, **fmt) if has(key, lang) else default
