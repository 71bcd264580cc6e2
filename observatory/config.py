"""Settings, declared once with help text.

Precedence: an explicit value passed to ``Settings.from_env(**overrides)`` beats the
environment, which beats the default. ``tests/test_config.py`` fails when a setting
has no help text or is missing from the README's settings table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _default_mirror() -> str:
    candidate = ROOT.parent / "shared" / "data"
    return str(candidate) if candidate.is_dir() else ""


def _setting(default, help: str, env: str):
    return field(default=default, metadata={"help": help, "env": env})


@dataclass(frozen=True)
class Settings:
    mirror: str = _setting(
        "",
        "Local mirror folder holding the declared source files (by their mirror path). "
        "Default: ../shared/data when that folder exists.",
        "OBSERVATORY_MIRROR",
    )
    data_dir: str = _setting(
        str(ROOT / "data"),
        "Folder with the catalogue, sources.toml and site configuration.",
        "OBSERVATORY_DATA",
    )
    cache_dir: str = _setting(
        str(ROOT / "data" / "cache"),
        "Where downloaded source files are kept (ignored by git).",
        "OBSERVATORY_CACHE",
    )
    warehouse: str = _setting(
        str(ROOT / "data" / "warehouse" / "observatory.duckdb"),
        "The live DuckDB warehouse. Builds write beside it and rename into place.",
        "OBSERVATORY_WAREHOUSE",
    )
    country: str = _setting(
        "PE", "Country pack: PE (Peru), SV (El Salvador) or BO (Bolivia).", "OBSERVATORY_COUNTRY"
    )
    boundary_layer: str = _setting(
        "mapsperu",
        "Peru district boundary layer: mapsperu (1,891 districts, current) or "
        "peru-geojson-2016 (1,834 districts, older).",
        "OBSERVATORY_BOUNDARIES",
    )
    disclosure_k: int = _setting(
        5,
        "Counts from 1 to k-1 are suppressed for indicators whose disclosure policy is 'suppress'.",
        "OBSERVATORY_DISCLOSURE_K",
    )
    site: str = _setting(
        "",
        "TOML file with the observatory's name, logo, colours and default region (default: data/site.toml).",
        "OBSERVATORY_SITE",
    )
    base_url: str = _setting(
        "",
        "Public URL of the site, used in permalinks, embeds and citations (default: the request's).",
        "OBSERVATORY_BASE_URL",
    )
    debug: bool = _setting(False, "Dash debug mode and dev tools (never in production).", "OBSERVATORY_DEBUG")
    download_limit: str = _setting(
        "30 per minute",
        "Rate limit per client on chart and data downloads (rendering images is costly).",
        "OBSERVATORY_DOWNLOAD_LIMIT",
    )
    api_limit: str = _setting("120 per minute", "Rate limit per client on /api/v1.", "OBSERVATORY_API_LIMIT")
    compressed_dir: str = _setting(
        str(ROOT / "data" / "cache" / "compressed"),
        "Where plotly.js and Dash's large scripts are kept compressed once (brotli 11, gzip 9), "
        "by `python -m observatory.serving precompress` (make setup, make build).",
        "OBSERVATORY_COMPRESSED",
    )
    precompress: bool = _setting(
        True,
        "At start-up, compress the scripts missing from the compressed folder in the background.",
        "OBSERVATORY_PRECOMPRESS",
    )
    response_cache_mb: int = _setting(
        32,
        "Memory per worker for callback responses kept as sent (0 turns the cache off).",
        "OBSERVATORY_RESPONSE_CACHE_MB",
    )
    trusted_proxies: int = _setting(
        0,
        "Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host headers are trusted "
        "(werkzeug's ProxyFix), so rate limits count per reader, not per proxy; 0: none.",
        "OBSERVATORY_TRUSTED_PROXIES",
    )
    download_cache_seconds: int = _setting(
        3600,
        "How long browsers and proxies may keep a download (Cache-Control max-age).",
        "OBSERVATORY_DOWNLOAD_CACHE_SECONDS",
    )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        env = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            if f.name in overrides and overrides[f.name] is not None:
                values[f.name] = overrides[f.name]
                continue
            raw = env.get(f.metadata["env"])
            if raw is None or raw == "":
                continue
            if f.type in ("int", int):
                values[f.name] = int(raw)
            elif f.type in ("bool", bool):
                values[f.name] = raw.strip().lower() in ("1", "true", "yes", "on")
            else:
                values[f.name] = raw
        settings = cls(**values)
        if not settings.mirror:
            settings = _replace(settings, mirror=_default_mirror())
        return settings

    @property
    def warehouse_path(self) -> Path:
        return Path(self.warehouse)

    @property
    def geo_dir(self) -> Path:
        """Boundaries prepared by the build, beside the warehouse (derived from the mirror)."""
        return self.warehouse_path.parent / "geo"

    @property
    def failed_loads_path(self) -> Path:
        """Failed imports are logged here: the warehouse itself stays byte-for-byte as it was."""
        return self.warehouse_path.parent / "failed-loads.jsonl"

    @property
    def site_path(self) -> Path:
        return Path(self.site) if self.site else Path(self.data_dir) / "site.toml"


def _replace(settings: Settings, **changes) -> Settings:
    from dataclasses import replace

    return replace(settings, **changes)


def documented_settings() -> list[tuple[str, str, str]]:
    """(name, environment variable, help) for every setting: the README table is built from it."""
    return [(f.name, f.metadata["env"], f.metadata["help"]) for f in fields(Settings)]
