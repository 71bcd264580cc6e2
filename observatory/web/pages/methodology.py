"""Methodology: sources, how each figure is built, the disclosure rule, the reporting gap, help."""

import dash

from observatory.web import reference

dash.register_page(__name__, path="/metodologia", name="Metodología", title="Metodología", order=3)


def layout(lang: str = "es", **query):
    return reference.methodology_layout(lang=lang, **query)
