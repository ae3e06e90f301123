"""Suppression never lets a count from 1 to 10 be shown or derived (hypothesis), plus named cases."""

from hypothesis import given, settings
from hypothesis import strategies as st

from reporting.engine import STATEWIDE, MeasureResult
from reporting.publication.suppression import SUPPRESSED, suppress


def result(ico, num, den, elements=None, measure="flu_vaccine"):
    value = None if den == 0 else 100.0 * num / den
    return MeasureResult(measure, "1", ico, "2015Q2", num, den, value, "reported", None, None, elements or {}, {})


def with_statewide(rows, measure="flu_vaccine"):
    num = sum(r.numerator for r in rows)
    den = sum(r.denominator for r in rows)
    elements = {}
    for r in rows:
        for k, v in r.elements.items():
            elements[k] = elements.get(k, 0) + v
    return rows + [result(STATEWIDE, num, den, elements, measure)]


def derivable(published, measure_unit="percent"):
    """Everything an attacker can work out from the published cells: shown cells, the statewide sums
    (one unknown per sum), numerator from value × denominator and denominator − numerator."""
    known = {}
    fields = set()
    for c in published:
        for name in ("numerator", "denominator"):
            v = getattr(c, name)
            fields.add(name)
            if v != SUPPRESSED:
                known[(c.ico, name)] = v
        for k, v in c.elements.items():
            fields.add(k)
            if v != SUPPRESSED:
                known[(c.ico, k)] = v
    icos = [c.ico for c in published if c.ico != STATEWIDE]
    changed = True
    while changed:
        changed = False
        for f in fields:
            cells = [(i, f) for i in icos]
            total = (STATEWIDE, f)
            unknown = [c for c in cells if c not in known]
            if total in known and len(unknown) == 1:
                known[unknown[0]] = known[total] - sum(known[c] for c in cells if c in known)
                changed = True
            if total not in known and not unknown and cells:
                known[total] = sum(known[c] for c in cells)
                changed = True
        for c in published:
            if c.value not in (SUPPRESSED, None):
                n, d = (c.ico, "numerator"), (c.ico, "denominator")
                if d in known and n not in known:
                    known[n] = round(c.value * known[d] / 100.0)
                    changed = True
                if n in known and d not in known and c.value:
                    known[d] = round(known[n] * 100.0 / c.value)
                    changed = True
    return known


def leaks(published):
    known = derivable(published)
    out = [(k, v) for k, v in known.items() if 1 <= v <= 10]
    for c in published:
        n, d = known.get((c.ico, "numerator")), known.get((c.ico, "denominator"))
        if n is not None and d is not None and 1 <= d - n <= 10:
            out.append(((c.ico, "complement"), d - n))
    return out


counts = st.integers(min_value=0, max_value=60)


@st.composite
def measure_rows(draw):
    n = draw(st.integers(min_value=1, max_value=5))
    rows = []
    for i in range(n):
        den = draw(counts)
        num = draw(st.integers(min_value=0, max_value=den))
        rows.append(result(f"I{i}", num, den))
    return with_statewide(rows)


@settings(max_examples=400, deadline=None)
@given(measure_rows())
def test_no_count_from_1_to_10_is_shown_or_derivable(rows):
    assert leaks(suppress("flu_vaccine", rows)) == []


@st.composite
def ninety_day_rows(draw):
    rows = []
    for i in range(draw(st.integers(min_value=2, max_value=4))):
        a = draw(counts)
        d = draw(st.integers(min_value=0, max_value=a))
        b = draw(st.integers(min_value=0, max_value=a - d))
        c = draw(st.integers(min_value=0, max_value=a - d - b))
        rows.append(result(f"I{i}", d, a, {"A": a, "B": b, "C": c, "D": d}, "assessment_90d"))
    return with_statewide(rows, "assessment_90d")


@settings(max_examples=300, deadline=None)
@given(ninety_day_rows())
def test_elements_are_protected_too(rows):
    published = suppress("assessment_90d", rows)
    assert leaks(published) == []
    for cell in published:
        assert (cell.elements["A"] == SUPPRESSED) == (cell.denominator == SUPPRESSED)
        assert (cell.elements["D"] == SUPPRESSED) == (cell.numerator == SUPPRESSED)


def test_named_cases():
    rows = with_statewide([result("HA", 5, 40), result("HB", 30, 100), result("HC", 50, 200)])
    out = {c.ico: c for c in suppress("flu_vaccine", rows)}
    assert out["HA"].numerator == SUPPRESSED and out["HA"].value == SUPPRESSED and out["HA"].denominator == 40
    assert out["HB"].numerator == SUPPRESSED  # next-smallest, complementary
    # HB's own users know its 30: statewide − HB − HC would give HA's 5, so the next-smallest goes too.
    assert out["HC"].numerator == SUPPRESSED and out["HC"].denominator == 200
    assert out[STATEWIDE].numerator == 85
    zero = {c.ico: c for c in suppress("flu_vaccine", with_statewide([result("HA", 0, 40), result("HB", 20, 40)]))}
    assert zero["HA"].numerator == 0 and zero["HA"].value == 0.0
    complement = {c.ico: c for c in suppress("flu_vaccine", [result("HA", 35, 40)])}
    assert complement["HA"].numerator == SUPPRESSED and complement["HA"].value == SUPPRESSED
