"""Figures by institution: each institution's femicide count side by side, with the gaps."""

import dash

from observatory.web import institutions

dash.register_page(
    __name__, path="/instituciones", name="Instituciones", title="Cifras por institución", order=4
)


def layout(lang: str = "es", area: str | None = None, **query):
    return institutions.layout(lang=lang, area=area, **query)
