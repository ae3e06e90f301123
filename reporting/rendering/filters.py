"""Display rules of measures.md: values stored unrounded, shown rounded half-up (percent and score to 1
decimal, per_1000 to 2). ``format_value`` is the one way a value is rounded for people: pages (the ``value``
filter), charts and their text alternatives, PDFs, exports (``value_rounded``), e-mails."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

UNIT_LABELS = {"percent": "%", "per_1000": " per 1,000", "score": ""}


def round_half_up(value: float | None, decimals: int) -> str:
    if value is None:
        return ""
    # repr() keeps the shortest form that round-trips, so 2.675 rounds as 2.675, not 2.67499...
    q = Decimal(1).scaleb(-decimals)
    return str(Decimal(repr(float(value))).quantize(q, rounding=ROUND_HALF_UP))


def decimals_for(unit: str) -> int:
    return 2 if unit == "per_1000" else 1


def _unit(measure) -> str:
    """A measure (anything with ``unit``) or its unit's name."""
    return measure if isinstance(measure, str) else measure.unit


def format_value(measure, x) -> str:
    """``x`` as people read it: half-up to the measure's decimals (49/400 = 12.25 % reads 12.3); "" for none."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return round_half_up(x, decimals_for(_unit(measure)))


def rounded_value(measure, x) -> float | None:
    """The number ``format_value`` shows, as a number (the exports' ``value_rounded``)."""
    text = format_value(measure, x)
    return float(text) if text else None


def fmt_value(value, unit: str) -> str:
    """The ``value`` filter of the templates: ``{{ r.value | value(m.unit) }}``."""
    return format_value(unit, value)


def fmt_points(value, unit: str) -> str:
    """A distance between two values (always positive), in the value's decimals: "0.7 points"."""
    return format_value(unit, None if value is None else abs(value))


def fmt_count(value) -> str:
    if value is None:
        return ""
    return f"{int(value):,}"


def fmt_counted(n, one: str, many: str | None = None) -> str:
    """A count with its noun, agreeing and with thousands separators: "1 inquiry", "1,662 errors"."""
    n = int(n or 0)
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def fmt_interval(low, high, unit: str = "percent") -> str:
    if low is None or high is None:
        return ""
    return f"{fmt_value(low, unit)}–{fmt_value(high, unit)}"


def fmt_datetime(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def fmt_signed(value, unit: str) -> str:
    """A change, with its sign: +2.5, −0.4, ±0.0."""
    if value is None:
        return ""
    text = fmt_value(abs(value), unit)
    if Decimal(text) == 0:
        return "±" + text
    return ("+" if value > 0 else "−") + text


def fmt_change(value, measure) -> str:
    """A change with its sign and what it means for the measure's direction: "+2.5 better", "−0.4 worse"
    (lower is better: a fall is better), "±0.0 no change"."""
    if value is None:
        return ""
    text = fmt_signed(value, _unit(measure))
    if text.startswith("±"):
        return text + " no change"
    better = (value > 0) == (getattr(measure, "direction", "higher") != "lower")
    return f"{text} {'better' if better else 'worse'}"


# Column headings where a measure's full title does not fit (the overview's grid); the title is beside each.
SHORT_TITLES = {
    "assessment_90d": "Assessment in 90 days",
    "care_plan_90d": "Care plan in 90 days",
    "reassessment_365d": "Reassessment in 365 days",
    "fuh_7d": "Follow-up 7 days",
    "fuh_30d": "Follow-up 30 days",
    "readmission_30d": "Readmissions 30 days",
    "community_residence": "Living in the community",
    "facility_admissions": "Facility admissions",
    "successful_transition_60d": "Return to the community",
    "ltss_coordinator_care_plan": "LTS Coordinator care plan",
    "rating_health_plan": "Rating of health plan",
    "getting_needed_care": "Getting needed care",
    "getting_care_quickly": "Getting care quickly",
    "care_coordination_survey": "Care coordination (survey)",
    "flu_vaccine": "Flu vaccine",
}


def short_title(measure) -> str:
    return SHORT_TITLES.get(measure.id, measure.title)


def fmt_plain(value) -> str:
    """A detail as words (the audit trail's detail cells): lists as "a, b", mappings as "key: value; ...",
    yes/no, counts with thousands separators; never a Python literal."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dict):
        return "; ".join(f"{str(k).replace('_', ' ')}: {fmt_plain(v)}" for k, v in value.items()) or "none"
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(fmt_plain(v) for v in value) or "none"
    return str(value)


def register_filters(env) -> None:
    env.filters.update(
        value=fmt_value,
        count=fmt_count,
        interval=fmt_interval,
        dt=fmt_datetime,
        signed=fmt_signed,
        points=fmt_points,
        change=fmt_change,
        counted=fmt_counted,
        plain=fmt_plain,
        short_title=short_title,
    )
    from measures import REGISTRY

    env.globals.update(UNIT_LABELS=UNIT_LABELS, MEASURES=REGISTRY, programme_name=programme_name)


def programme_name(programme_id: str | None) -> str:
    """A programme's name by its id (a run's, an edition's) for headers: the default programme's for None."""
    from reporting import programmes

    return programmes.get(programme_id).name
