"""The list of indicators."""

import dash

from observatory.web import reference

dash.register_page(__name__, path="/indicadores", name="Indicadores", title="Indicadores", order=1)


def layout(lang: str = "es", **query):
    return reference.indicators_layout(lang=lang, **query)
