"""Every warehouse table, key, CHECK and comment, declared once (SQLAlchemy Core).

The build creates these in a new DuckDB file through duckdb-engine; nothing else in the
project writes DDL. Natural keys throughout: official territorial codes, indicator ids,
ISO dates for periods.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

LEVELS = ("country", "department", "province", "municipality", "district")
BREAKDOWNS = ("violence_type", "sex", "age_group", "risk_level")
TOTAL = "total"


def _breakdown_columns() -> list[sa.Column]:
    return [
        sa.Column(
            name, sa.String, nullable=False, server_default=TOTAL, comment=f"{name}; 'total' when absent"
        )
        for name in BREAKDOWNS
    ]


territories = sa.Table(
    "territories",
    metadata,
    sa.Column("country", sa.String(2), primary_key=True, comment="ISO 3166-1 alpha-2"),
    sa.Column(
        "code",
        sa.String,
        primary_key=True,
        comment="official code: Peru ubigeo 2/4/6 digits; the country's ISO",
    ),
    sa.Column("level", sa.String, nullable=False),
    sa.Column("name", sa.String, nullable=False, comment="official name with accents"),
    sa.Column("parent_code", sa.String, comment="NULL only for the country"),
    sa.Column("valid_from", sa.Date),
    sa.Column("valid_to", sa.Date),
    sa.Column("vintage_note", sa.String, comment="e.g. district newer than the boundary file"),
    sa.Column("has_boundary", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("area_km2", sa.Double),
    sa.Column("lat", sa.Double),
    sa.Column("lon", sa.Double),
    sa.CheckConstraint(f"level IN {LEVELS!r}", name="territory_level"),
    sa.CheckConstraint("(level = 'country') = (parent_code IS NULL)", name="territory_parent"),
    comment="Official territorial units, every level, every vintage seen in the data.",
)

sources = sa.Table(
    "sources",
    metadata,
    sa.Column("name", sa.String, primary_key=True),
    sa.Column("title", sa.String, nullable=False),
    sa.Column("publisher", sa.String, nullable=False),
    sa.Column("url", sa.String, nullable=False, comment="canonical public URL"),
    sa.Column("licence", sa.String, nullable=False),
    sa.Column("release", sa.String, comment="release of the observations now in the warehouse"),
    sa.Column("file_name", sa.String),
    sa.Column("sha256", sa.String),
    sa.Column("loaded_at", sa.DateTime),
    comment="Declared sources (data/sources.toml) and the release currently loaded.",
)

indicators = sa.Table(
    "indicators",
    metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("country", sa.String, nullable=False, comment="ISO alpha-2, or * for a multi-country series"),
    sa.Column("source", sa.String, nullable=False),
    sa.Column("unit_es", sa.String, nullable=False),
    sa.Column("unit_en", sa.String, nullable=False),
    sa.Column("title_es", sa.String, nullable=False),
    sa.Column("title_en", sa.String, nullable=False),
    sa.Column("definition_es", sa.String, nullable=False),
    sa.Column("definition_en", sa.String, nullable=False),
    sa.Column("numerator_es", sa.String, nullable=False),
    sa.Column("numerator_en", sa.String, nullable=False),
    sa.Column(
        "denominator", sa.String, comment="population sex used for rates: female | total; NULL: no rate"
    ),
    sa.Column("denominator_es", sa.String),
    sa.Column("denominator_en", sa.String),
    sa.Column("rate_per", sa.Integer, nullable=False, server_default="100000"),
    sa.Column("publisher", sa.String, nullable=False),
    sa.Column("source_url", sa.String, nullable=False),
    sa.Column("licence", sa.String, nullable=False),
    sa.Column("frequency_es", sa.String, nullable=False),
    sa.Column("frequency_en", sa.String, nullable=False),
    sa.Column("caveats_es", sa.String, nullable=False),
    sa.Column("caveats_en", sa.String, nullable=False),
    sa.Column("disclosure", sa.String, nullable=False, comment="publish | suppress (counts 1..k-1 hidden)"),
    sa.Column("granularity", sa.String, nullable=False),
    sa.Column("finest_level", sa.String, nullable=False),
    sa.Column("breakdowns", sa.String, nullable=False, server_default="", comment="comma list of BREAKDOWNS"),
    sa.Column("zero_fill", sa.Boolean, nullable=False, comment="absent territory-periods are true zeros"),
    sa.Column("group", sa.String, comment="equivalent indicators of different institutions share a group"),
    sa.Column("institution", sa.String, comment="the reporting institution, short name (MIMP, PNC, FGR...)"),
    sa.Column("group_note_es", sa.String, comment="how this definition differs from the group's others"),
    sa.Column("group_note_en", sa.String),
    sa.CheckConstraint("kind IN ('case', 'service')", name="indicator_kind"),
    sa.CheckConstraint("disclosure IN ('publish', 'suppress')", name="indicator_disclosure"),
    sa.CheckConstraint("granularity IN ('month', 'year')", name="indicator_granularity"),
    sa.CheckConstraint(
        "denominator IS NULL OR denominator IN ('female', 'total')", name="indicator_denominator"
    ),
    comment="The indicator catalogue, loaded from data/indicators.toml.",
)

observations = sa.Table(
    "observations",
    metadata,
    # No PRIMARY KEY: its index was most of a national-scale warehouse (2.4 GB of 2.7 GB at 10M
    # rows) and of its build time. The adapters reject duplicate cells and the build's check()
    # refuses any left (indicator, country, territory, period, granularity, breakdowns, institution).
    sa.Column("indicator_id", sa.String, nullable=False),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("territory_code", sa.String, nullable=False),
    sa.Column("period", sa.Date, nullable=False, comment="first day of the month or year"),
    sa.Column("granularity", sa.String, nullable=False),
    *_breakdown_columns(),
    sa.Column(
        "institution",
        sa.String,
        nullable=False,
        server_default="",
        comment="reporting institution when one indicator is reported by several; '' otherwise",
    ),
    sa.Column("value", sa.Double, nullable=False),
    sa.Column("provisional", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("status", sa.String, comment="preliminary | homologated (figures agreed between institutions)"),
    sa.Column("status_date", sa.Date, comment="when the figure got its status"),
    sa.Column("load_id", sa.String, nullable=False),
    sa.CheckConstraint("value >= 0", name="observation_non_negative"),
    sa.CheckConstraint(
        "status IS NULL OR status IN ('preliminary', 'homologated')", name="observation_status"
    ),
    sa.CheckConstraint("granularity IN ('month', 'year')", name="observation_granularity"),
    comment="Values as published, at the finest level the source gives.",
)


def _rollup_columns(breakdowns: bool) -> list[sa.Column]:
    """The roll-ups' columns: key, breakdowns (``rollup`` only), institution, value, provisional."""
    return [
        sa.Column("indicator_id", sa.String, nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("level", sa.String, nullable=False),
        sa.Column("territory_code", sa.String, nullable=False),
        sa.Column("period", sa.Date, nullable=False),
        sa.Column("granularity", sa.String, nullable=False),
        *(_breakdown_columns() if breakdowns else []),
        sa.Column("institution", sa.String, nullable=False, server_default=""),
        sa.Column("value", sa.Double, nullable=False),
        sa.Column("provisional", sa.Boolean, nullable=False),
    ]


rollup = sa.Table(
    "rollup",
    metadata,
    *_rollup_columns(breakdowns=True),
    comment=(
        "Observations summed up the territorial hierarchy at build time; what the app reads. Derived, "
        "unique by construction (indicator, territory, period, breakdowns), so no index to maintain."
    ),
)

rollup_total = sa.Table(
    "rollup_total",
    metadata,
    *_rollup_columns(breakdowns=False),
    comment=(
        "The roll-up's rows with every breakdown at 'total' (what most views read), sorted by "
        "indicator, level, area and period so a view reads a few hundred neighbouring rows. Derived."
    ),
)

population = sa.Table(
    "population",
    metadata,
    sa.Column("country", sa.String(2), primary_key=True),
    sa.Column("territory_code", sa.String, primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("sex", sa.String, primary_key=True, comment="total | female | male"),
    sa.Column("source", sa.String, primary_key=True),
    sa.Column("value", sa.Double, nullable=False),
    sa.Column("estimated", sa.Boolean, nullable=False),
    sa.Column("note", sa.String),
    sa.CheckConstraint("sex IN ('total', 'female', 'male')", name="population_sex"),
    sa.CheckConstraint("value >= 0", name="population_non_negative"),
    comment="Denominators for rates; several sources may coexist, the catalogue names which one is used.",
)

denominators = sa.Table(
    "denominators",
    metadata,
    sa.Column("country", sa.String(2), primary_key=True),
    sa.Column("territory_code", sa.String, primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("sex", sa.String, primary_key=True),
    sa.Column("value", sa.Double, nullable=False),
    sa.Column(
        "method", sa.String, nullable=False, comment="which population and how it was carried to the year"
    ),
    sa.Column("estimated", sa.Boolean, nullable=False),
    comment="The one denominator per territory, year and sex that rates use, chosen at build time.",
)

territory_changes = sa.Table(
    "territory_changes",
    metadata,
    sa.Column("country", sa.String(2), primary_key=True),
    sa.Column("former_code", sa.String, primary_key=True),
    sa.Column("current_code", sa.String, nullable=False),
    sa.Column("kind", sa.String, nullable=False, comment="recoded (figures move) | split (figures stay)"),
    sa.Column("note", sa.String),
    sa.CheckConstraint("kind IN ('recoded', 'split')", name="territory_change_kind"),
    comment="Crosswalk of former territorial codes to current ones (data/crosswalks/*_changes.csv).",
)

territory_groups = sa.Table(
    "territory_groups",
    metadata,
    sa.Column("country", sa.String(2), primary_key=True),
    sa.Column("group_id", sa.String, primary_key=True),
    sa.Column("territory_code", sa.String, primary_key=True),
    sa.Column("name_es", sa.String, nullable=False),
    sa.Column("name_en", sa.String, nullable=False),
    sa.Column("description_es", sa.String),
    sa.Column("description_en", sa.String),
    comment="Named sets of territories (data/groups/*.toml): filters and map highlights.",
)

service_points = sa.Table(
    "service_points",
    metadata,
    sa.Column("country", sa.String(2), primary_key=True),
    sa.Column("id", sa.String, primary_key=True, comment="the directory's own identifier"),
    sa.Column("type", sa.String, nullable=False, comment="CEM, CEM_COMISARIA, SAR, HOGAR_REFUGIO, ..."),
    sa.Column(
        "name", sa.String, comment="NULL for shelters: their identity and location are never published"
    ),
    sa.Column("territory_code", sa.String, nullable=False, comment="district where the point is"),
    sa.Column("lat", sa.Double, comment="NULL for shelters"),
    sa.Column("lon", sa.Double, comment="NULL for shelters"),
    sa.Column("open_24h", sa.Boolean),
    sa.Column("is_shelter", sa.Boolean, nullable=False),
    sa.Column("release", sa.String),
    comment="Where help is: the service directory an observatory supplies (ingest services).",
)

service_access = sa.Table(
    "service_access",
    metadata,
    sa.Column("country", sa.String(2), primary_key=True),
    sa.Column("territory_code", sa.String, primary_key=True, comment="district"),
    sa.Column("nearest_id", sa.String, comment="nearest service point that may be shown (never a shelter)"),
    sa.Column("nearest_type", sa.String),
    sa.Column("distance_km", sa.Double, comment="straight line from the district's centroid"),
    sa.Column("points_in_district", sa.Integer, nullable=False),
    comment="Straight-line distance from each district's centroid to the nearest public service point.",
)

loads = sa.Table(
    "loads",
    metadata,
    sa.Column("load_id", sa.String, primary_key=True),
    sa.Column("source", sa.String, nullable=False),
    sa.Column("release", sa.String),
    sa.Column("file_name", sa.String, nullable=False),
    sa.Column("sha256", sa.String),
    sa.Column("rows_read", sa.Integer),
    sa.Column("rows_accepted", sa.Integer),
    sa.Column("rows_rejected", sa.Integer),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("error", sa.String),
    sa.CheckConstraint("status IN ('ok', 'unchanged', 'failed')", name="load_status"),
    comment="The ledger: every import attempt, including failed ones (logged beside the warehouse first).",
)

revisions = sa.Table(
    "revisions",
    metadata,
    sa.Column("source", sa.String, primary_key=True),
    sa.Column("new_release", sa.String, primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("old_release", sa.String),
    sa.Column("total_before", sa.Double),
    sa.Column("total_after", sa.Double),
    comment="Per source, release and year: the total before and after a newer release replaced it.",
)
