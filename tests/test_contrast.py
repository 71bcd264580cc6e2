"""Contrast of every state (WCAG 2.1 AA), from the colours the page really uses: data/site.toml and
assets/observatory.css. axe checks the text it sees; hover, focus and the map's classes are not on
screen when it runs, so they are checked here: text 4.5:1 (1.4.3), focus rings and the map's
outlines 3:1 (1.4.11). Disabled controls are exempt in WCAG and not checked."""

from __future__ import annotations

import re

import pytest

from observatory.contract.settings import ROOT
from observatory.contract.site import load_site
from observatory.present.figures import MUTED

CSS = (ROOT / "assets" / "observatory.css").read_text()
SITE = load_site(ROOT / "data" / "site.toml")
MAP_OUTLINE = "#5c5c5c"  # figures.choropleth's marker line


def var(name: str) -> str:
    return re.search(rf"--{name}:\s*(#[0-9a-fA-F]{{6}})", CSS).group(1)


def rgb(colour: str) -> tuple[float, float, float]:
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))


def over(top: str, alpha: float, below: str) -> str:
    """``top`` at ``alpha`` over ``below``, as the browser composes it."""
    mix = [alpha * a + (1 - alpha) * b for a, b in zip(rgb(top), rgb(below), strict=True)]
    return "#" + "".join(f"{round(c * 255):02x}" for c in mix)


def luminance(colour: str) -> float:
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb(colour)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


WHITE, CANVAS, INK, MUTED_CSS = "#ffffff", var("canvas"), var("ink"), var("muted")
FOOTER = "#2a2430"
TEXT = [  # (state, text, background)
    ("body text", INK, CANVAS),
    ("muted text on a card", MUTED_CSS, WHITE),
    ("muted text on the canvas", MUTED_CSS, CANVAS),
    ("chart labels (figures.MUTED)", MUTED, WHITE),
    ("link", SITE.primary, CANVAS),
    ("link on a card", SITE.primary, WHITE),
    ("link, hover", SITE.accent, WHITE),
    ("link, hover, on the canvas", SITE.accent, CANVAS),
    ("header text", WHITE, SITE.primary),
    ("navigation, hover", WHITE, over(WHITE, 0.15, SITE.primary)),
    ("navigation, current page", WHITE, over(WHITE, 0.2, SITE.primary)),
    ("button", WHITE, SITE.primary),
    ("button, hover", WHITE, SITE.accent),
    ("footer link", "#ffd6ea", FOOTER),
    ("footer text", "#dcdcdc", FOOTER),
    ("highlighted table row", INK, "#f6ecf3"),
]
RINGS = [  # (state, ring, background): 3:1
    ("focus ring on the canvas", SITE.accent, CANVAS),
    ("focus ring on a card", SITE.accent, WHITE),
    ("focus ring in the header", WHITE, SITE.primary),
    # The classes' fills may be close to white (a true zero is white): each area stays visible by
    # its outline against the map's white background; the legend, summary and table say it in words.
    ("map outline on the map's background", MAP_OUTLINE, WHITE),
    ("map outline on the lightest class", MAP_OUTLINE, SITE.sequential[0]),
    ("highlighted area's outline", SITE.accent, WHITE),
    ("territory group's outline", SITE.primary, WHITE),
]


@pytest.mark.parametrize(("state", "fg", "bg"), TEXT, ids=[s[0] for s in TEXT])
def test_text_contrast(state, fg, bg):
    assert contrast(fg, bg) >= 4.5, f"{state}: {fg} on {bg} is {contrast(fg, bg):.2f}:1"


@pytest.mark.parametrize(("state", "fg", "bg"), RINGS, ids=[s[0] for s in RINGS])
def test_outline_contrast(state, fg, bg):
    assert contrast(fg, bg) >= 3, f"{state}: {fg} on {bg} is {contrast(fg, bg):.2f}:1"


def test_the_contrast_formula():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
