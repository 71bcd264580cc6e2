"""The maintenance page: what every page answers (HTTP 503) while the warehouse is missing or
being replaced (``serving.install``).

Plain HTML, no Dash and no database: it must render when nothing else can. Everything on it
comes from the site identity (``site.Site``, already fitted to the country pack by
``countries.fit_site``): the observatory's name, its colour, the help line of the country served
(its name, phone and text) and one section per interface language (``i18n.LANGS``). The
stylesheet is written once, as plain CSS (no template braces to double).
"""

from __future__ import annotations

import html

from observatory.contract.i18n import LANGS, t

STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; max-width: 40rem;
       margin: 3rem auto; padding: 0 1rem; color: #1d1d1f; line-height: 1.5; }
header { border-bottom: 4px solid var(--primary); margin-bottom: 1.5rem; }
.site { font-weight: 600; margin: 0 0 .5rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.25rem; }
section + section { color: #3a3a3c; border-top: 1px solid #ccc; margin-top: 2rem; padding-top: 1rem; }
.help { background: #f4f4f4; border-left: 4px solid var(--primary); padding: .5rem 1rem; }
.help a { color: var(--primary); font-weight: 600; }
"""


def _help(site, lang: str) -> str:
    name = html.escape(site.help_name[lang])
    text = html.escape(site.help_text[lang])
    if site.help_phone:
        phone = html.escape(site.help_phone)
        call = html.escape(t("help.call", lang, phone=site.help_phone))
        text += f' <a href="tel:{phone}">{call}</a>'
    return f'<p class="help" id="help-{lang}"><strong>{name}.</strong> {text}</p>'


def page(site) -> str:
    """The maintenance page of ``site``, its first language first, every language in its own
    section (``lang`` set, so a screen reader switches voice)."""
    first = LANGS[0]
    heading = "h1"
    sections = []
    for lang in LANGS:
        sections.append(
            f'<section lang="{lang}"><{heading}>{html.escape(t("maintenance.title", lang))}</{heading}>'
            f"<p>{html.escape(t('maintenance.text', lang))}</p>{_help(site, lang)}</section>"
        )
        heading = "h2"
    title = " — ".join(html.escape(t("maintenance.title", lang)) for lang in LANGS)
    name = html.escape(site.name[first])
    return (
        f'<!DOCTYPE html>\n<html lang="{first}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title} · {name}</title>"
        f"<style>:root {{ --primary: {html.escape(site.primary)}; }}{STYLE}</style></head>"
        f'<body><header><p class="site">{name}</p></header>{"".join(sections)}'
        "<p><small>/health</small></p></body></html>"
    )
