"""The explore page's filter controls <-> the view state.

``values(ctx, view)`` gives every control's options and value for a view (what the page
shows after opening a URL or pressing back); ``apply(view, control, value)`` gives the
state after a reader changes one control (what goes into the URL). Both are pure given the
context, so the callback only connects them.
"""

from __future__ import annotations

from observatory.contract.i18n import period_label, t, t_or
from observatory.contract.schema import BREAKDOWNS, LEVELS
from observatory.views import explore
from observatory.views.explore import Context, View
from observatory.views.urlstate import MAX_COMPARE, SMOOTHED, ViewState

TERRITORY_LEVELS = tuple(lv for lv in LEVELS if lv != "country")
CONTROL_IDS = (
    ("indicator", "f-indicator"),
    ("measure", "f-measure"),
    ("start", "f-from"),
    ("end", "f-to"),
    ("step", "f-step"),
    ("country", "f-country"),
    *((lv, f"f-{lv}") for lv in TERRITORY_LEVELS),
    *((f"b_{b}", f"f-b-{b}") for b in BREAKDOWNS),
    ("compare", "f-compare"),
    ("group", "f-group"),
)


def option(label: str, value: str, disabled: bool = False) -> dict:
    return {"label": label, "value": value, **({"disabled": True} if disabled else {})}


def indicator_options(ctx: Context, lang: str) -> list[dict]:
    return [
        option(i.text("title", lang), i.id, disabled=i.first_period is None) for i in explore.catalogue(ctx)
    ]


def measure_options(view: View, lang: str) -> list[dict]:
    ind = view.indicator
    return [
        option(t("measure.count", lang), "count"),
        option(
            t("measure.rate", lang, per=t("measure.per", lang))
            if ind.has_rate
            else t("measure.rate_none", lang),
            "rate",
            disabled=not ind.has_rate,
        ),
        option(t("measure.smoothed", lang), SMOOTHED, disabled=not ind.has_rate),
    ]


def period_options(ctx: Context, view: View, lang: str) -> list[dict]:
    """The periods the view's indicator covers, newest first: the same for every view of it (a
    hundred labels, built once per warehouse version rather than per request)."""
    ind = view.indicator
    if ind.first_period is None:
        return []
    key = ("period_options", ind.first_period, ind.last_period, ind.granularity, lang)
    return list(
        explore.kept(
            ctx, key, lambda: _period_options(ind.first_period, ind.last_period, ind.granularity, lang)
        )
    )


def _period_options(first, last, granularity: str, lang: str) -> tuple[dict, ...]:
    step = "year" if granularity == "year" else "month"
    grid = explore.period_grid(first, last, step)
    return tuple(option(period_label(p, step, lang), explore.period_text(p, granularity)) for p in grid)[::-1]


def step_options(lang: str) -> list[dict]:
    return [option(t("step.month", lang), "month"), option(t("step.year", lang), "year")]


def breakdown_label(name: str, value: str, lang: str) -> str:
    return t_or(f"breakdown_values.{name}.{value}", lang, value.replace("_", " ").capitalize())


def _children_options(ctx: Context, parent: str | None) -> tuple[dict, ...]:
    """The picker options of ``parent``'s children, by name: the same for every view under it,
    kept once per warehouse version. Shared: callers must not change them."""

    def build() -> tuple[dict, ...]:
        terr = explore.territories(ctx)
        codes = terr.children(parent) if parent else []
        return tuple(option(name, code) for code, name in terr.options(codes))

    return explore.kept(ctx, ("children_options", parent), build)


def _territory(ctx: Context, view: View, lang: str) -> dict:
    """Options, value and visibility of the country picker and each level's picker."""
    terr, ind = explore.territories(ctx), view.indicator
    area = view.state.area
    finest = ind.finest_level if ind.finest_level in terr.levels else "country"
    chain = terr.ancestors(area) if terr.country_of(area) == ctx.country else [area]
    out: dict = {}
    countries = []
    if ind.multi_country:
        frame = terr.frame
        countries = terr.options(frame.index[frame["level"] == "country"].tolist())
    out["country"] = {
        "options": [option(name, code) for code, name in countries],
        "value": chain[0] if ind.multi_country else None,
        "hidden": not ind.multi_country,
    }
    in_country = terr.country_of(area) == ctx.country
    for level in TERRITORY_LEVELS:
        usable = level in terr.levels and terr.depth(level) <= terr.depth(finest) and in_country
        if not usable:
            out[level] = {"options": [], "value": None, "hidden": True, "disabled": True}
            continue
        depth = terr.depth(level)
        parent = chain[depth - 1] if len(chain) >= depth else None
        value = chain[depth] if len(chain) > depth else None
        out[level] = {
            "options": list(_children_options(ctx, parent)),
            "value": value,
            "hidden": False,
            "disabled": parent is None,
        }
    return out


def _breakdowns(ctx: Context, view: View, lang: str) -> dict:
    available = explore.breakdown_options(ctx, view.indicator)
    out = {}
    for name in BREAKDOWNS:
        values = available.get(name)
        if not values:
            out[name] = {"options": [], "value": None, "hidden": True}
            continue
        opts = [option(t("breakdown_values.total", lang), "total")]
        opts += [option(breakdown_label(name, v, lang), v) for v in values]
        out[name] = {"options": opts, "value": view.state.breakdown(name), "hidden": False}
    return out


def compare_options(ctx: Context, view: View, lang: str, search: str = "") -> list[dict]:
    """The compared areas (always kept) plus search matches, or neighbours before any search."""
    terr = explore.territories(ctx)
    search = search if isinstance(search, str) else ""  # whatever a client sends
    chosen = list(view.state.compare)
    found = (
        explore.compare_candidates(ctx, view, search) if search else explore.sibling_suggestions(ctx, view)
    )
    codes = chosen + [c for c in found if c not in chosen]
    return [option(terr.label(c), c) for c in codes]


def values(ctx: Context, view: View) -> dict:
    """Every control's options and value for ``view``, keyed by the names of ``CONTROL_IDS``."""
    lang = view.lang
    periods = period_options(ctx, view, lang)
    out = {
        "indicator": {"options": indicator_options(ctx, lang), "value": view.indicator.id},
        "measure": {
            "options": measure_options(view, lang),
            "value": SMOOTHED if view.state.smooth else view.state.measure,
        },
        "start": {"options": periods, "value": view.state.start or None},
        "end": {"options": periods, "value": view.state.end or None},
        "step": {
            "options": step_options(lang),
            "value": view.state.step,
            "hidden": view.indicator.granularity == "year",
        },
    }
    out.update(_territory(ctx, view, lang))
    out.update({f"b_{k}": v for k, v in _breakdowns(ctx, view, lang).items()})
    out["compare"] = {"options": compare_options(ctx, view, lang), "value": list(view.state.compare)}
    found = explore.groups(ctx)
    out["group"] = {
        "options": [option(g.name(lang), g.id) for g in found.values()],
        "value": view.state.group or None,
        "hidden": not found,
    }
    return out


def apply(ctx: Context, view: View, control: str, value) -> ViewState:
    """The state after the reader sets ``control`` (a name of ``CONTROL_IDS``, or ``map``) to ``value``.

    The result is not checked: ``explore.resolve`` does that (and drops what no longer fits,
    e.g. a monthly period after switching to a yearly indicator).
    """
    s = view.state
    terr = explore.territories(ctx)
    # Requests can carry anything: one value per control is a string, 'compare' is a list.
    if control == "compare":
        value = value if isinstance(value, list) else []
    elif not isinstance(value, str):
        value = None
    if control == "indicator":
        # A new indicator opens on its own default period, measure and breakdowns.
        new = value or s.indicator
        same = new == s.indicator
        return s.with_(
            indicator=new,
            start="",
            end="",
            measure=s.measure if same else "",
            smooth=s.smooth if same else "",
            step="",
            breakdowns=(),
        )
    if control == "measure":
        if value == SMOOTHED:
            return s.with_(measure="rate", smooth="1")
        return s.with_(measure=value or "", smooth="")
    if control == "start":
        return s.with_(start=value or "")
    if control == "end":
        return s.with_(end=value or "")
    if control == "step":
        return s.with_(step=value or "")
    if control == "country":
        return s.with_(area=value or ctx.country)
    if control in TERRITORY_LEVELS:
        if value:
            return s.with_(area=value)
        # Cleared: go back up to the level above.
        depth = terr.depth(control)
        chain = terr.ancestors(s.area)
        return s.with_(area=chain[depth - 1] if len(chain) >= depth else ctx.country)
    if control.startswith("b_"):
        name = control[2:]
        pairs = dict(s.breakdowns)
        pairs[name] = value or "total"
        return s.with_(breakdowns=pairs)
    if control == "compare":
        codes = [c for c in (value or []) if isinstance(c, str)]
        return s.with_(compare=tuple(codes[:MAX_COMPARE]))
    if control == "group":
        return s.with_(group=value or "")
    if control == "map":
        return s.with_(area=value) if isinstance(value, str) and value else s
    raise KeyError(f"unknown control {control!r}")


def clicked_code(click_data) -> str | None:
    """The official code of the map area a reader clicked (plotly clickData), if any."""
    try:
        point = click_data["points"][0]
    except (TypeError, KeyError, IndexError):
        return None
    code = point.get("location") if isinstance(point, dict) else None
    return code if isinstance(code, str) else None
