"""The API's parameters and responses as pydantic models: the routes validate with them and the
OpenAPI document is generated from them, so the document's constraints are the server's.

Status codes: 400 for a request outside the document (unknown or repeated parameter, a value
that breaks its pattern or enum); 404 for a well-formed reference to something that does not
exist (an area, a group, a service type); 422 for well-formed values that do not go together
(a period outside the indicator's coverage, a breakdown it lacks, too fine an area).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from observatory.views import urlstate

CODE = r"(?:[A-Z]{2}|[0-9]{2,10})"  # a country (PE) or an official numeric code (15, 1501, 150101)
PERIOD = r"^(?:19|20)[0-9]{2}(?:-(?:0[1-9]|1[0-2]))?$"
ID = r"^[a-z][a-z0-9_]{0,63}$"
SLUG = r"^[a-z0-9][a-z0-9_]{0,39}$"
TYPE = r"[A-Z][A-Z0-9_]{0,39}"


class Query(BaseModel):
    """Parameters every route takes."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    lang: Literal["es", "en"] = Field("es", description="Language of texts and messages")
    format: Literal["json", "csv"] = Field("json", description="Response format")


class TerritoriesQuery(Query):
    level: str | None = Field(None, min_length=1, pattern=ID, description="Only this level")
    parent: str | None = Field(None, pattern=f"^{CODE}$", description="Only the children of this code")


class ViewQuery(Query):
    ind: str | None = Field(
        None,
        pattern=ID,
        description="Indicator id (see /indicators); the site's main indicator when left out",
        examples=["pe_denuncias_vcm"],
    )
    area: str | None = Field(
        None,
        pattern=f"^{CODE}$",
        description="Official territorial code (Peru: ubigeo of 2, 4 or 6 digits); the country when left out",
        examples=["15"],
    )
    from_: str | None = Field(
        None, alias="from", pattern=PERIOD, description="First period, YYYY-MM (monthly) or YYYY (yearly)"
    )
    to: str | None = Field(None, pattern=PERIOD, description="Last period, YYYY-MM or YYYY")
    measure: Literal["count", "rate", "smoothed"] | None = Field(
        None,
        description="count; rate per 100,000 where there is a population; or smoothed: the rate, with "
        "district areas given the empirical Bayes smoothed rate as their value",
    )
    step: Literal["month", "year"] | None = Field(
        None, description="Step of the time series (monthly indicators)"
    )
    compare: str | None = Field(
        None,
        pattern=f"^{CODE}(?:,{CODE}){{0,{urlstate.MAX_COMPARE - 1}}}$",
        description=f"Up to {urlstate.MAX_COMPARE} territorial codes, comma separated (series only)",
    )
    group: str | None = Field(
        None,
        pattern=ID,
        description="A territory group id (data/groups/): keeps the sub-areas in the group (observations only)",
        examples=["lima_callao"],
    )
    violence_type: str | None = Field(None, pattern=SLUG, description="Breakdown value; total when left out")
    sex: str | None = Field(None, pattern=SLUG, description="Breakdown value; total when left out")
    age_group: str | None = Field(None, pattern=SLUG, description="Breakdown value; total when left out")
    risk_level: str | None = Field(None, pattern=SLUG, description="Breakdown value; total when left out")


class ServicesQuery(Query):
    area: str | None = Field(
        None,
        pattern=f"^{CODE}$",
        description="Official territorial code (default: the site's region or country)",
        examples=["15"],
    )
    type: str | None = Field(
        None,
        pattern=f"^{TYPE}(?:,{TYPE})*$",
        description="Comma-separated service types (default: every type)",
        examples=["CEM,SAR"],
    )


# --- responses -----------------------------------------------------------------------------------

Open = ConfigDict(extra="allow")


class Error(BaseModel):
    error: str = Field(min_length=1)
    status: int


class Source(BaseModel):
    model_config = Open
    publisher: str | None
    title: str | None
    url: str | None
    release: str | None
    licence: str | None


class IndicatorOut(BaseModel):
    model_config = Open
    id: str
    title: str
    unit: str
    definition: str
    caveats: str
    country: str
    granularity: Literal["month", "year"]
    finest_level: str
    measures: list[Literal["count", "rate", "smoothed"]]
    rate_per: int | None
    breakdowns: list[str]
    disclosure: Literal["publish", "suppress"]
    first_period: str | None
    last_period: str | None
    last_final_period: str | None
    source: Source


class IndicatorsResponse(BaseModel):
    lang: Literal["es", "en"]
    data: list[IndicatorOut]


class TerritoryOut(BaseModel):
    country: str
    code: str
    name: str
    level: str
    parent_code: str | None


class TerritoriesResponse(BaseModel):
    lang: Literal["es", "en"]
    data: list[TerritoryOut]


class Cell(BaseModel):
    """One published cell. count and rate are null unless status is value or zero: a suppressed
    cell never carries a number."""

    model_config = Open
    code: str
    name: str | None = None
    status: Literal["value", "zero", "suppressed", "no_data"]
    count: float | None = None
    rate: float | None = None


class ViewOut(BaseModel):
    model_config = Open
    area: str
    from_: str = Field(alias="from")
    to: str
    measure: Literal["count", "rate", "smoothed"]
    step: str | None
    breakdowns: dict[str, str]
    compare: list[str]
    group: str | None
    lang: Literal["es", "en"]


class Disclosure(BaseModel):
    rule: Literal["publish", "suppress"]
    k: int = Field(ge=1)


class TableResponse(BaseModel):
    model_config = Open
    indicator: str
    table: Literal["areas", "series"]
    view: ViewOut
    unit: str
    disclosure: Disclosure
    source: Source
    permalink: str
    columns: list[str]
    data: list[Cell]


class ServicesResponse(BaseModel):
    model_config = Open
    lang: Literal["es", "en"]
    area: str
    types: list[str]
    directory_loaded: bool
    columns: list[str]
    data: list[dict[str, Any]]


RESPONSES: tuple[type[BaseModel], ...] = (
    Error,
    IndicatorsResponse,
    TerritoriesResponse,
    TableResponse,
    ServicesResponse,
)
