"""The observatory's identity (data/site.toml): name, logo, colours, default view, help line.

Another institution or country pack changes the file, not the code. Every field is checked
when the file is read, so a typo fails at start-up with the file and field named.

A regional or local observatory is the same app with a site file that sets ``scope``, the code of
the territory it is about at any level: a department ("20", Piura), a municipality ("020105", El
Alto in Bolivia) or a district ("150112", Independencia in Lima); examples in data/sites/. The pages
open on that territory (the areas below it, or, at the finest level, the territory among its
neighbours) and the country stays one click away, in the breadcrumb and in every series.
``check_scope_against`` checks the scope against a territory table; the web app
(``observatory.web.app.check_scope``) runs it on the warehouse's territories when it starts.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from observatory.contract.schema import LEVELS

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_CODE = re.compile(r"^[0-9]{1,12}$")  # official territorial codes are digits
_LOGO = re.compile(r"^[\w.-]+\.(svg|png)$")
ASSETS = Path(__file__).resolve().parents[2] / "assets"


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
    scope: str | None = None  # a regional or local site: the territory (at any level) it is about
    source: str = "site.toml"  # the file it was read from, for messages

    @property
    def regional(self) -> bool:
        return self.scope is not None

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
    scope = site.get("scope")
    if scope is not None and (not isinstance(scope, str) or not _CODE.match(scope)):
        raise SiteError(f'{where} [site]: scope must be a territorial code like "20" (Piura), not {scope!r}')
    if scope is not None and "default_area" not in site:
        site = {**site, "default_area": scope}  # a regional site opens on its region
    for key in ("logo", "country", "default_area", "default_indicator", "content_licence"):
        if not isinstance(site.get(key), str) or not site[key]:
            raise SiteError(f"{where} [site]: missing {key}")
    if not _LOGO.match(site["logo"]) or not (ASSETS / site["logo"]).is_file():
        raise SiteError(f"{where} [site]: logo must be an .svg or .png file in assets/, not {site['logo']!r}")
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
        scope=scope,
        source=where,
    )


def check_scope_against(site: Site, territories) -> None:
    """Check a regional or local site against the warehouse's territories (a DataFrame with
    country, code, level, name, parent_code): the scope is a territory of the site's country below
    the country itself, with areas below it unless it is at the country's finest level (a
    municipality of Bolivia, a district of Peru), and the default area is the scope or lies inside
    it. Raises ``SiteError``."""
    if site.scope is None:
        return
    where = f"{site.source} [site]"
    own = territories[territories["country"] == site.country].set_index("code")
    if site.scope not in own.index or own.at[site.scope, "level"] == "country":
        departments = own[own["level"] == "department"]
        known = ", ".join(f"{c} {n}" for c, n in zip(departments.index, departments["name"], strict=True))
        raise SiteError(
            f"{where}: scope {site.scope!r} is not a territory of {site.country} in the warehouse"
            + (f" (departments: {known})" if known else "")
        )
    finest = max(own["level"], key=LEVELS.index)
    if own.at[site.scope, "level"] != finest and not (own["parent_code"] == site.scope).any():
        name = own.at[site.scope, "name"]
        raise SiteError(f"{where}: scope {site.scope!r} ({name}) has no territories below it: not a region")
    chain, code = [], site.default_area
    while isinstance(code, str) and code in own.index and code not in chain:
        chain.append(code)
        code = own.at[code, "parent_code"]
    if site.scope not in chain:
        raise SiteError(f"{where}: default_area {site.default_area!r} is not inside the scope {site.scope!r}")
