"""Interface text and number/date formats, one locale file per language (observatory/contract/locales/).

``t(key, lang, **fmt)`` returns the text for a dotted key, with ``{name}`` fields filled in.
A key missing from a locale is a bug that ``tests/test_i18n.py`` catches; at run time the
Spanish text (then the key itself) is shown instead of failing the page.

Month names, dates and plural forms come from CLDR through Babel, for the locale of the
country served (``use_country``): Spanish is ``es_PE`` in Peru ("setiembre"), ``es_SV`` in El
Salvador ("septiembre"); English is ``en``. A counted message is a table of CLDR plural forms
(``one``, ``other``; ``many`` where a language has it, else ``other``), read with
``plural(key, n, lang)``.

Numbers depart from CLDR on purpose: they follow the country pack's ``[numbers]``, the
statistical office's usage. Peru's INEI and legal unit system write a decimal comma and a space
(here a no-break space, so a number never splits across lines) between groups of three digits:
``1 708``, ``84,0``, where CLDR's es_PE would write ``1,708``. English: ``1,708``, ``84.0``.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import tomllib
from functools import cache, lru_cache
from pathlib import Path

import pandas as pd
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton

LANGS = ("es", "en")
DEFAULT_LANG = "es"
LOCALES_DIR = Path(__file__).parent / "locales"
NBSP = "\u00a0"
DASH = "—"
log = logging.getLogger("observatory.contract.i18n")

_SEPARATORS = {"es": (",", NBSP), "en": (".", ",")}
_LOCALES = {"es": "es_PE", "en": "en"}  # the CLDR locale of each language, for the country served


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


def use_country(code: str) -> dict[str, str]:
    """Use the CLDR locales of the country ``code`` serves (``PE`` -> es_PE, ``SV`` -> es_SV) for
    month names, dates and plurals; a country CLDR does not know keeps plain ``es``. One
    installation serves one country, so this is set once when the app is created. Returns the
    previous locales."""
    previous = dict(_LOCALES)
    wanted = f"es_{code.upper()}"
    try:
        Locale.parse(wanted)
    except (ValueError, LookupError, UnknownLocaleError):
        wanted = "es"
    _LOCALES["es"] = wanted
    _period_label.cache_clear()
    return previous


def babel_locale(lang: str) -> str:
    """The CLDR locale used for ``lang`` (``es_PE``, ``es_SV``, ``en``)."""
    return _LOCALES[lang_or_default(lang)]


@cache
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def plural_form(n, lang: str) -> str:
    """CLDR's plural category of ``n`` in ``lang``'s locale: ``one``, ``many`` or ``other``."""
    return _locale(babel_locale(lang)).plural_form(abs(n))


PLURAL_FORMS = ("zero", "one", "two", "few", "many", "other")


def _count(n) -> float:
    """The number a counted message counts: ``n`` itself, or the digits of an ``n`` that a
    caller has already written as a number of the language (``1 708`` -> 1708)."""
    if isinstance(n, int | float):
        return n
    digits = "".join(ch for ch in str(n) if ch.isdigit())
    return int(digits) if digits else 0


def plural(key: str, n, lang: str, **fmt) -> str:
    """The form of the counted message ``key`` for ``n``, with ``{n}`` written as a number of
    the language: ``plural("ranking.areas", 1, "es")`` -> ``1 área``; 2 -> ``2 áreas``.
    A form the locale file lacks (Spanish ``many``, for a million) falls back to ``other``."""
    lang = lang_or_default(lang)
    found = messages(lang)
    form = plural_form(_count(n), lang)
    chosen = f"{key}.{form}" if f"{key}.{form}" in found else f"{key}.other"
    shown = number(n, lang) if isinstance(n, int | float) else n
    return t(chosen, lang, n=shown, **fmt)


def _tables(table: dict, prefix: str = ""):
    for key, value in table.items():
        if isinstance(value, dict):
            yield f"{prefix}{key}", value
            yield from _tables(value, f"{prefix}{key}.")


@cache
def counted_keys(lang: str) -> frozenset[str]:
    """The counted messages of a locale: its tables of CLDR plural forms (with ``other``)."""
    raw = tomllib.loads((LOCALES_DIR / f"{lang}.toml").read_text(encoding="utf-8"))
    return frozenset(
        key for key, value in _tables(raw) if "other" in value and set(value) <= set(PLURAL_FORMS)
    )


def t(key: str, lang: str, **fmt) -> str:
    """The text for ``key`` in ``lang``; ``{name}`` fields are filled from ``fmt``. A counted
    message (a table of plural forms) takes the form for ``n`` (``plural``)."""
    lang = lang_or_default(lang)
    if "n" in fmt and key in counted_keys(lang):
        return plural(key, fmt.pop("n"), lang, **fmt)
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
    """CLDR's stand-alone month name: ``setiembre`` (es_PE), ``septiembre`` (es_SV), ``September``."""
    from babel.dates import get_month_names

    return get_month_names("abbreviated" if short else "wide", "stand-alone", babel_locale(lang))[month]


def period_label(period, granularity: str, lang: str, long: bool = False) -> str:
    """``2024-03-01`` -> ``mar 2024`` / ``marzo de 2024`` (es), ``Mar 2024`` / ``March 2024`` (en),
    from CLDR's skeletons ``yMMM`` / ``yMMMM`` for the country's locale."""
    return _period_label(period, granularity, lang, long)


@lru_cache(maxsize=4096)
def _period_label(period, granularity: str, lang: str, long: bool) -> str:
    """``period_label``, kept: a series asks for the same few hundred labels again and again."""
    if _missing(period):
        return DASH
    ts = pd.Timestamp(period)
    if granularity == "year":
        return str(ts.year)
    return format_skeleton("yMMMM" if long else "yMMM", ts.date(), locale=babel_locale(lang))


def period_range_label(start, end, granularity: str, lang: str) -> str:
    a, b = period_label(start, granularity, lang, long=True), period_label(end, granularity, lang, long=True)
    return a if a == b else t("formats.range", lang, start=a, end=b)


def date_label(value, lang: str) -> str:
    """A calendar date in words (CLDR's long date): ``5 de marzo de 2025`` / ``March 5, 2025``."""
    if _missing(value) or value is pd.NaT:
        return DASH
    d = pd.Timestamp(value).date() if not isinstance(value, dt.date) else value
    if isinstance(d, dt.datetime):
        d = d.date()
    return format_date(d, "long", locale=babel_locale(lang))


def has(key: str, lang: str) -> bool:
    """Whether ``key`` exists in ``lang`` (for optional texts such as breakdown value labels)."""
    return key in messages(lang_or_default(lang))


def t_or(key: str, lang: str, default: str, **fmt) -> str:
    """The text for ``key`` when the locale has it, else ``default`` (for data-driven keys)."""
    return t(key, lang, **fmt) if has(key, lang) else default
