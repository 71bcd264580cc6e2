"""The observatory's identity (data/site.toml): name, logo, colours, default view, help line.

Another institution or country pack changes the file, not the code. Every field is checked
when the file is read, so a typo fails at start-up with the file and field named.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class SiteError(ValueError):
    """data/site.toml is wrong: the message names the file and the field."""


@dataclass(frozen=True)
class Site:
    name: dict[str, str]
    short_name: dict[str, str]
    tagline: dict[str, str]
    logo: str
    country: str
    default_area: str
    default_indicator: str
    content_licence: str
    content_licence_url: str
    primary: str
    accent: str
    sequential: tuple[str, ...]
    zero: str
    suppressed: str
    no_data: str
    help_name: dict[str, str]
    help_phone: str
    help_text: dict[str, str]

    def css_variables(self) -> str:
        """The colours as CSS custom properties, for the page's <style> block."""
        pairs = {
            "--primary": self.primary,
            "--accent": self.accent,
            "--zero": self.zero,
            "--suppressed": self.suppressed,
            "--no-data": self.no_data,
        }
        pairs.update({f"--seq-{i}": c for i, c in enumerate(self.sequential)})
        return ":root{" + ";".join(f"{k}:{v}" for k, v in pairs.items()) + "}"


def _langs(table: dict, key: str, where: str) -> dict[str, str]:
    out = {}
    for lang in ("es", "en"):
        value = table.get(f"{key}_{lang}")
        if not isinstance(value, str) or not value.strip():
            raise SiteError(f"{where}: missing {key}_{lang}")
        out[lang] = value
    return out


def _colour(table: dict, key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not _COLOUR.match(value):
        raise SiteError(f"{where}: {key} must be a colour like #4b1f6f, not {value!r}")
    return value


def load_site(path: Path | str) -> Site:
    """Read and check the site file."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SiteError(f"{path}: no site file (copy data/site.toml)") from None
    except tomllib.TOMLDecodeError as exc:
        raise SiteError(f"{path.name}: not valid TOML ({exc})") from None
    site, colours, help_ = raw.get("site", {}), raw.get("colours", {}), raw.get("help", {})
    where = path.name
    for key in ("logo", "country", "default_area", "default_indicator", "content_licence"):
        if not isinstance(site.get(key), str) or not site[key]:
            raise SiteError(f"{where} [site]: missing {key}")
    sequential = colours.get("sequential")
    if not isinstance(sequential, list) or not 3 <= len(sequential) <= 9:
        raise SiteError(f"{where} [colours]: sequential must list 3 to 9 colours, light to dark")
    for i, c in enumerate(sequential):
        _colour({"c": c}, "c", f"{where} [colours] sequential[{i}]")
    return Site(
        name=_langs(site, "name", f"{where} [site]"),
        short_name=_langs(site, "short_name", f"{where} [site]"),
        tagline=_langs(site, "tagline", f"{where} [site]"),
        logo=site["logo"],
        country=site["country"],
        default_area=site["default_area"],
        default_indicator=site["default_indicator"],
        content_licence=site["content_licence"],
        content_licence_url=site.get("content_licence_url", ""),
        primary=_colour(colours, "primary", f"{where} [colours]"),
        accent=_colour(colours, "accent", f"{where} [colours]"),
        sequential=tuple(sequential),
        zero=_colour(colours, "zero", f"{where} [colours]"),
        suppressed=_colour(colours, "suppressed", f"{where} [colours]"),
        no_data=_colour(colours, "no_data", f"{where} [colours]"),
        help_name=_langs(help_, "name", f"{where} [help]"),
        help_phone=str(help_.get("phone", "")),
        help_text=_langs(help_, "text", f"{where} [help]"),
    )
