"""Services: where help is (service points over the case-rate map), and who is far from it."""

import dash

from observatory.web import services

dash.register_page(__name__, path=services.PATH, name="Servicios", title="Servicios de atención", order=5)


def layout(lang: str = "es", **query):
    return services.layout(lang=lang, **query)
