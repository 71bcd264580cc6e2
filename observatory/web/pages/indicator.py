"""One indicator: definition, formula, source, licence, coverage, caveats, update frequency."""

import dash

from observatory.web import reference

dash.register_page(
    __name__, path_template="/indicador/<indicator_id>", name="Indicador", title="Indicador", order=2
)


def layout(indicator_id: str | None = None, lang: str = "es", **query):
    return reference.indicator_layout(indicator_id=indicator_id, lang=lang, **query)
