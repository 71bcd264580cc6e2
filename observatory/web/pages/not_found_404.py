"""Any unknown path."""

import dash

from observatory.web import reference

dash.register_page(__name__, path="/404", name="No encontrado", title="Página no encontrada")


def layout(lang: str = "es", **query):
    return reference.not_found_layout(lang=lang, **query)
