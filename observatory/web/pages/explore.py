"""Home: the explore view (map, time series, key figures, ranking and table)."""

import dash

from observatory.web import dashboard

dash.register_page(
    __name__,
    path="/",
    name="Explorar",
    title="Observatorio de la Violencia contra las Mujeres",
    description="Mapa, series y cifras de la violencia contra las mujeres en el Perú, con fuentes oficiales.",
    order=0,
)


def layout(lang: str = "es", **query):
    return dashboard.layout(lang=lang, **query)
