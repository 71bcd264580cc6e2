"""After a build: prepare the map boundaries of the declared layers beside the warehouse."""

from __future__ import annotations

from collections.abc import Callable

from observatory.build.sources import FetchError, load_declared, locate
from observatory.contract.countries import reform_files
from observatory.contract.settings import Settings


def declared_layers(settings: Settings, log: Callable[[str], None] = print) -> dict:
    """Every boundary layer's input: the declared files, and El Salvador's 2024 municipalities
    dissolved from their districts (the former municipalities) once the reform's files exist."""
    from observatory.build.boundaries import bolivia_layers, with_reform

    declared = load_declared(settings)
    layers = {
        key: locate(settings, declared.file("pe_mapsperu", key=key))
        for key in ("pe-department", "pe-province", "pe-district")
    }
    if settings.boundary_layer == "peru-geojson-2016":
        layers["pe-district"] = locate(
            settings, declared.file("pe_peru_geojson_2016", key="pe-district-2016")
        )
    for key in ("sv-department", "sv-municipality"):
        try:
            layers[key] = locate(settings, declared.file("sv_digestyc", key=key))
        except FetchError as exc:  # a Peru-only installation may lack El Salvador's files
            log(f"boundaries {key}: skipped ({str(exc).splitlines()[0]})")
    try:
        layers |= bolivia_layers(
            locate(settings, declared.file("bo_municipios", key="bo-municipality")),
            locate(settings, declared.file("bo_municipios", key="municipalities")),
        )
    except FetchError as exc:  # an installation without Bolivia's files
        log(f"boundaries bo-*: skipped ({str(exc).splitlines()[0]})")
    reform = reform_files(settings.data_dir, "SV")
    return with_reform(layers, *reform, country="sv") if reform else layers


def build_boundaries_from_sources(settings: Settings, log: Callable[[str], None] = print) -> dict[str, dict]:
    """Simplified GeoJSON per level in ``settings.geo_dir``, from the declared boundary files.

    Layers whose input has not changed are skipped (see ``boundaries.build_boundaries``).
    """
    from observatory.build.boundaries import build_boundaries

    summary = build_boundaries(declared_layers(settings, log), settings.geo_dir)
    for key, info in summary.items():
        log(f"boundaries {key}: {info.get('features')} areas, {info.get('bytes', 0) / 1024:,.0f} KB")
    return summary
