"""Settings, declared once with help text, validated when the app or a command starts.

Precedence: an explicit value passed to ``Settings.from_env(**overrides)`` beats the
environment, which beats the default. Values are checked by pydantic-settings; a bad one
raises ``SettingsError`` naming the variable, the value given and what is allowed, so a typo
never silently turns a protection off (``OBSERVATORY_DEBUG=flase`` is an error, and counts are
suppressed below at least 2 unless ``OBSERVATORY_DISCLOSURE=off`` says otherwise in words).
``tests/test_config.py`` fails when a setting has no help text or is missing from the README's
settings table.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "OBSERVATORY_"


class SettingsError(ValueError):
    """A setting has a value the observatory cannot run with; the message says which and why."""


def _default_mirror() -> str:
    candidate = ROOT.parent / "shared" / "data"
    return str(candidate) if candidate.is_dir() else ""


def _setting(default: Any, help: str, env: str, allowed: str = "", **constraints: Any) -> Any:
    return Field(
        default,
        description=help,
        validation_alias=env,
        json_schema_extra={"env": env, "allowed": allowed},
        **constraints,
    )


# The environment a ``from_env(environ=...)`` call reads instead of os.environ.
_ENVIRON: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar("environ", default=None)


class _Environment(EnvSettingsSource):
    """pydantic-settings' environment source, reading the mapping given to ``from_env`` if any.
    Empty values count as unset, as they always have here."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        env = _ENVIRON.get()
        env = os.environ if env is None else env
        return {k: v for k, v in env.items() if k.startswith(PREFIX) and v != ""}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        frozen=True, validate_by_name=True, validate_by_alias=True, extra="ignore", case_sensitive=True
    )

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
        "an existing folder holding indicators.toml",
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
        "a file path",
        min_length=1,
    )
    country: str = _setting(
        "PE",
        "Country pack: PE (Peru), SV (El Salvador) or BO (Bolivia); one of data/countries/*.toml.",
        "OBSERVATORY_COUNTRY",
        "a country pack in data/countries",
    )
    boundary_layer: Literal["mapsperu", "peru-geojson-2016"] = _setting(
        "mapsperu",
        "Peru district boundary layer: mapsperu (1,891 districts, current) or "
        "peru-geojson-2016 (1,834 districts, older).",
        "OBSERVATORY_BOUNDARIES",
        "mapsperu or peru-geojson-2016",
    )
    disclosure: Literal["on", "off"] = _setting(
        "on",
        "Small-count suppression for indicators whose disclosure policy is 'suppress': on, or off "
        "(publishes every count; the only way to turn it off).",
        "OBSERVATORY_DISCLOSURE",
        "on or off",
    )
    disclosure_k: int = _setting(
        5,
        "Counts from 1 to k-1 are suppressed for indicators whose disclosure policy is 'suppress'. "
        "At least 2 (1 would suppress nothing: say OBSERVATORY_DISCLOSURE=off instead).",
        "OBSERVATORY_DISCLOSURE_K",
        "a whole number of at least 2 (or OBSERVATORY_DISCLOSURE=off)",
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
        "empty or an http(s):// URL",
        pattern=r"^(https?://\S+)?$",
    )
    debug: bool = _setting(
        False,
        "Dash debug mode and dev tools (never in production).",
        "OBSERVATORY_DEBUG",
        "true or false (also 1/0, yes/no, on/off)",
    )
    download_limit: str = _setting(
        "30 per minute",
        "Rate limit per client on chart and data downloads (rendering images is costly).",
        "OBSERVATORY_DOWNLOAD_LIMIT",
        "a rate such as '30 per minute' or '10/second'",
    )
    api_limit: str = _setting(
        "120 per minute",
        "Rate limit per client on /api/v1.",
        "OBSERVATORY_API_LIMIT",
        "a rate such as '120 per minute'",
    )
    compressed_dir: str = _setting(
        str(ROOT / "data" / "cache" / "compressed"),
        "Where plotly.js and Dash's large scripts are kept compressed once (brotli 11, gzip 9), "
        "by `python -m observatory.web.serving precompress` (make setup, make build).",
        "OBSERVATORY_COMPRESSED",
    )
    precompress: bool = _setting(
        True,
        "At start-up, compress the scripts missing from the compressed folder in the background.",
        "OBSERVATORY_PRECOMPRESS",
        "true or false",
    )
    response_cache_mb: int = _setting(
        32,
        "Memory per worker for callback responses kept as sent (0 turns the cache off).",
        "OBSERVATORY_RESPONSE_CACHE_MB",
        "a whole number of megabytes, 0 or more",
        ge=0,
    )
    memo_entries: int = _setting(
        2048,
        "Query results and view tables a worker remembers per warehouse version (observatory.warehouse.snapshot; "
        "reference data such as the catalogue and territories is always kept; 0 remembers none).",
        "OBSERVATORY_MEMO_ENTRIES",
    )
    memo_totals: int = _setting(
        8,
        "Indicators whose totals a worker holds in memory as arrays per warehouse version (a few MB "
        "each at national scale; observatory.warehouse.totals).",
        "OBSERVATORY_MEMO_TOTALS",
    )
    trusted_proxies: int = _setting(
        0,
        "Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host headers are trusted "
        "(werkzeug's ProxyFix), so rate limits count per reader, not per proxy; 0: none.",
        "OBSERVATORY_TRUSTED_PROXIES",
        "a whole number, 0 or more",
        ge=0,
    )
    download_cache_seconds: int = _setting(
        3600,
        "How long browsers and proxies may keep a download (Cache-Control max-age).",
        "OBSERVATORY_DOWNLOAD_CACHE_SECONDS",
        "a whole number of seconds, 0 or more",
        ge=0,
    )
    history_keep: int = _setting(
        5,
        "How many earlier warehouse files each import keeps beside the live one, for "
        "`python -m observatory rollback` (0 keeps none).",
        "OBSERVATORY_HISTORY_KEEP",
        "a whole number, 0 or more",
        ge=0,
    )

    @classmethod
    def settings_customise_sources(
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, _Environment(settings_cls, case_sensitive=True))

    @field_validator("download_limit", "api_limit")
    @classmethod
    def _rate(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError:
            raise ValueError("not a rate limit") from None
        return value

    @field_validator("data_dir")
    @classmethod
    def _data_dir(cls, value: str) -> str:
        if not (Path(value) / "indicators.toml").is_file():
            raise ValueError("no indicators.toml in that folder")
        return value

    @model_validator(mode="after")
    def _protections_and_country(self) -> Settings:
        if self.disclosure == "on" and self.disclosure_k < 2:
            raise _Invalid("disclosure_k", self.disclosure_k, "suppression would hide nothing")
        if self.disclosure == "off":
            # Every reader of disclosure_k then suppresses nothing (counts from 1 to 0).
            object.__setattr__(self, "disclosure_k", 1)
        available = country_packs(self.data_dir)
        if self.country not in available:
            raise _Invalid("country", self.country, f"no such pack; available: {', '.join(available)}")
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``environ`` (default os.environ) and explicit ``overrides`` (None: not given)."""
        given = {k: v for k, v in overrides.items() if v is not None}
        token = _ENVIRON.set(environ)
        try:
            settings = cls(**given)
        except ValidationError as exc:
            raise SettingsError(_explain(exc, environ, given)) from None
        except _Invalid as exc:
            raise SettingsError(_describe(exc.name, exc.value, exc.why)) from None
        finally:
            _ENVIRON.reset(token)
        if not settings.mirror:
            settings = settings.model_copy(update={"mirror": _default_mirror()})
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
    def history_dir(self) -> Path:
        """Earlier warehouse files kept by imports, newest last (see ingest/history.py)."""
        return self.warehouse_path.parent / "history"

    @property
    def site_path(self) -> Path:
        return Path(self.site) if self.site else Path(self.data_dir) / "site.toml"


class _Invalid(Exception):
    """Raised inside validation for a rule across settings; reported like a field error."""

    def __init__(self, name: str, value: Any, why: str):
        super().__init__(why)
        self.name, self.value, self.why = name, value, why


def country_packs(data_dir: str) -> list[str]:
    """The codes of the country packs in ``data_dir/countries`` (PE, SV, ...)."""
    return sorted(p.stem.upper() for p in (Path(data_dir) / "countries").glob("*.toml"))


def _field_of(key: str) -> str | None:
    for name, info in Settings.model_fields.items():
        if key in (name, info.validation_alias):
            return name
    return None


def _describe(name: str, value: Any, why: str) -> str:
    info = Settings.model_fields[name]
    extra = info.json_schema_extra or {}
    allowed = extra.get("allowed") or "see README.md, Settings"
    return f"setting {extra['env']}={value!r} is not allowed: {why}; allowed: {allowed}"


def _explain(exc: ValidationError, environ: Mapping[str, str] | None, given: dict) -> str:
    lines = []
    for error in exc.errors():
        name = _field_of(str(error["loc"][0])) if error["loc"] else None
        if name is None:
            lines.append(str(error["msg"]))
            continue
        value = error.get("input")
        lines.append(_describe(name, value, str(error["msg"]).removeprefix("Value error, ")))
    return "\n".join(lines)


def documented_settings() -> list[tuple[str, str, str]]:
    """(name, environment variable, help) for every setting: the README table is built from it."""
    return [
        (name, info.json_schema_extra["env"], info.description or "")
        for name, info in Settings.model_fields.items()
    ]
