"""Cell suppression for published outputs (measures.md, "Publication and cell suppression").

One function, ``suppress``, used by every public output. For one measure's row of cells (each ICO
and, where published, the statewide total):

- a count (numerator, denominator, element) from 1 to 10 is suppressed; 0 is shown;
- a value is suppressed when its numerator or denominator is suppressed, and a percent value when
  ``denominator − numerator`` is from 1 to 10;
- derived complements: a percent's numerator is suppressed too when ``denominator − numerator``
  is from 1 to 10 (with both counts shown, the complement would be derivable);
- complementary suppression: where the statewide total is published and exactly one ICO's count
  is suppressed, the next-smallest ICO count is suppressed too.

Elements that are the numerator or denominator under another name (A, D, member_months) follow them.
The rules are applied until nothing changes."""
from __future__ import annotations

from dataclasses import dataclass, field

from measures import REGISTRY
from reporting.engine import STATEWIDE

SUPPRESSED = "suppressed"


def small(n) -> bool:
    return n is not None and 1 <= n <= 10


@dataclass
class PublishedCell:
    ico: str
    numerator: int | None | str
    denominator: int | str
    value: float | None | str
    ci_low: float | None | str
    ci_high: float | None | str
    elements: dict = field(default_factory=dict)
    status: str = "reported"

    def is_suppressed(self, name: str) -> bool:
        v = self.elements.get(name) if name not in ("numerator", "denominator", "value") else getattr(self, name)
        return v == SUPPRESSED


def suppress(measure_id: str, results) -> list[PublishedCell]:
    """The published form of one measure's results (ICOs and STATEWIDE) for one period."""
    measure = REGISTRY[measure_id]
    alias = {name: col for name, col in measure.elements.items() if col in ("numerator", "denominator")}
    counts = {r.ico: {"numerator": r.numerator, "denominator": r.denominator,
                      **{k: v for k, v in r.elements.items() if k not in alias}} for r in results}
    hidden = {ico: {k for k, v in c.items() if small(v)} for ico, c in counts.items()}
    percent = measure.unit == "percent"
    statewide = STATEWIDE in counts
    changed = True
    while changed:
        changed = False
        for ico, c in counts.items():
            num, den = c["numerator"], c["denominator"]
            if percent and num is not None and small(den - num) and "numerator" not in hidden[ico]:
                hidden[ico].add("numerator")
                changed = True
        if statewide:
            for name in counts[STATEWIDE]:
                if name in hidden[STATEWIDE]:
                    continue
                icos = [i for i in counts if i != STATEWIDE and counts[i].get(name) is not None]
                suppressed = [i for i in icos if name in hidden[i]]
                if len(suppressed) == 1:
                    shown = sorted((counts[i][name], i) for i in icos if name not in hidden[i])
                    if shown:
                        hidden[shown[0][1]].add(name)
                        changed = True
    out = []
    for r in results:
        h = hidden[r.ico]
        value_hidden = bool(h & {"numerator", "denominator"}) or (
            percent and r.numerator is not None and small(r.denominator - r.numerator))
        if measure.unit == "score":
            value_hidden = "denominator" in h
        elements = {}
        for name, v in r.elements.items():
            key = alias.get(name, name)
            elements[name] = SUPPRESSED if key in h else v
        out.append(PublishedCell(
            ico=r.ico,
            numerator=SUPPRESSED if "numerator" in h else r.numerator,
            denominator=SUPPRESSED if "denominator" in h else r.denominator,
            value=SUPPRESSED if value_hidden else r.value,
            ci_low=SUPPRESSED if value_hidden else r.ci_low,
            ci_high=SUPPRESSED if value_hidden else r.ci_high,
            elements=elements, status=r.status))
    return out
