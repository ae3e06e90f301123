"""Display rules of measures.md: values stored unrounded, shown rounded half-up
(percent and score to 1 decimal, per_1000 to 2)."""
from __future__ import annotations

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


def fmt_value(value, unit: str) -> str:
    return round_half_up(value, decimals_for(unit))


def fmt_count(value) -> str:
    if value is None:
        return ""
    return f"{int(value):,}"


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


def register_filters(env) -> None:
    env.filters.update(value=fmt_value, count=fmt_count, interval=fmt_interval, dt=fmt_datetime,
                       signed=fmt_signed)
    from measures import REGISTRY
    env.globals.update(UNIT_LABELS=UNIT_LABELS, MEASURES=REGISTRY)
