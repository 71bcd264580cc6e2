"""Country packs (data/countries/CODE.toml): levels, labels, codes, boundaries, help lines.

The app and the build read country-specific facts only from here, so a new country is a new
pack file. See data/countries/README.md for the format.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from observatory.contract.schema import LEVELS


class PackError(ValueError):
    """A pack file is wrong: the message names the file and the key."""


@dataclass(frozen=True)
class Pack:
    code: str
    name_es: str
    name_en: str
    levels: tuple[str, ...]
    code_widths: dict[str, int]
    default_indicator: str
    loader: str
    boundaries: dict[str, str]
    bbox: tuple[float, float, float, float]
    labels: dict[str, dict[str, str]]
    numbers: dict[str, str]
    help: dict[str, str]
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    notes: dict[str, dict[str, str]] = field(default_factory=dict)  # [notes.LEVEL]: code -> vintage note
    territories: list[dict] = field(default_factory=list)
    population: list[dict] = field(default_factory=list)
    reform: dict = field(default_factory=dict)
    tagline: dict[str, str] = field(default_factory=dict)
    credits: tuple[str, ...] = ()  # reference sources credited on every page (boundaries, population)

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_es

    def label(self, level: str, lang: str) -> str:
        return self.labels.get(lang, self.labels["es"]).get(level, level)

    def child_level(self, level: str) -> str | None:
        """The level below ``level`` ('country' -> first level); None at the bottom."""
        order = ("country", *self.levels)
        i = order.index(level)
        return order[i + 1] if i + 1 < len(order) else None

    def parent_level(self, level: str) -> str | None:
        order = ("country", *self.levels)
        i = order.index(level)
        return order[i - 1] if i > 0 else None

    def pad(self, code: str, level: str) -> str:
        """Restore leading zeros a spreadsheet dropped."""
        width = self.code_widths.get(level)
        return code.zfill(width) if width and code.isdigit() else code


REQUIRED = ("code", "name_es", "name_en", "levels", "code_widths", "default_indicator", "loader", "bbox")


def load_pack(path: Path) -> Pack:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PackError(f"{path.name}: {exc}") from None
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        raise PackError(f"{path.name}: missing {', '.join(missing)}")
    unknown = [lv for lv in raw["levels"] if lv not in LEVELS or lv == "country"]
    if unknown:
        raise PackError(f"{path.name}: unknown level(s) {unknown}; use some of {LEVELS[1:]}")
    help_ = raw.get("help", {})
    absent = [k for k in ("name", "es", "en") if not help_.get(k)]
    if absent:
        raise PackError(f"{path.name}: [help] lacks {', '.join(absent)}")
    numbers = raw.get("numbers", {})
    if set(numbers) - {"thousands", "decimal"} or numbers.get("thousands") == numbers.get("decimal"):
        raise PackError(f"{path.name}: [numbers] takes thousands and decimal, two different marks")
    if raw["loader"] not in ("peru", "declarative"):
        raise PackError(f"{path.name}: loader must be 'peru' or 'declarative'")
    for lang in ("es", "en"):
        absent = [lv for lv in ("country", *raw["levels"]) if lv not in raw.get("labels", {}).get(lang, {})]
        if absent:
            raise PackError(f"{path.name}: [labels.{lang}] lacks {', '.join(absent)}")
    return Pack(
        code=raw["code"],
        name_es=raw["name_es"],
        name_en=raw["name_en"],
        levels=tuple(raw["levels"]),
        code_widths=dict(raw["code_widths"]),
        default_indicator=raw["default_indicator"],
        loader=raw["loader"],
        boundaries=dict(raw.get("boundaries", {})),
        bbox=tuple(raw["bbox"]),
        labels=raw["labels"],
        numbers=raw.get("numbers", {"thousands": ",", "decimal": "."}),
        help=raw.get("help", {}),
        names=raw.get("names", {}),
        notes=raw.get("notes", {}),
        territories=raw.get("territories", []),
        population=raw.get("population", []),
        reform=raw.get("reform", {}),
        tagline={lang: raw[f"tagline_{lang}"] for lang in ("es", "en") if raw.get(f"tagline_{lang}")},
        credits=tuple(raw.get("credits", ())),
    )


@cache
def packs(data_dir: str) -> dict[str, Pack]:
    """Every pack in ``data_dir/countries``, by country code."""
    folder = Path(data_dir) / "countries"
    out = {}
    for path in sorted(folder.glob("*.toml")):
        pack = load_pack(path)
        out[pack.code] = pack
    return out


def pack(data_dir: str, code: str) -> Pack:
    found = packs(str(data_dir))
    if code not in found:
        raise PackError(
            f"no country pack for {code!r} in {Path(data_dir) / 'countries'}; have {sorted(found)}"
        )
    return found[code]


def fit_site(site, pack: Pack):
    """The site identity for the configured country.

    A site file is written for one country (its ``country``). When the installation serves
    another (``OBSERVATORY_COUNTRY``), what is country-specific in it (tagline, help line,
    default indicator, area and regional scope) comes from that country's pack; name, logo and
    colours stay.
    """
    if site.country == pack.code:
        return site
    help_ = pack.help
    return dataclasses.replace(
        site,
        country=pack.code,
        scope=None,  # a regional site's scope belongs to its own country
        default_area=pack.code,
        default_indicator=pack.default_indicator,
        tagline=pack.tagline or {"es": pack.name_es, "en": pack.name_en},
        help_name={"es": help_["name"], "en": help_["name"]},
        help_phone=str(help_.get("phone", "")),
        help_text={"es": help_["es"], "en": help_["en"]},
    )


def reform_files(data_dir, country: str = "SV") -> tuple[Path, Path] | None:
    """(municipalities, crosswalk) of the country pack's ``[reform]``, whether they exist or not;
    None when the pack declares no reform (or there is no such pack)."""
    try:
        reform = pack(data_dir, country).reform
    except PackError:
        return None
    if not reform:
        return None
    data = Path(data_dir)
    return data / reform["municipalities"], data / reform["crosswalk"]
