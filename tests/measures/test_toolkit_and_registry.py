"""The common definitions, each on its own; the registry; properties of the whole engine (hypothesis)."""

import random

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import measures
from measures import REGISTRY, Period
from measures import _toolkit as tk
from reporting.engine import STATEWIDE, assemble_view, compute_period
from tests.conftest import EXAMPLES


def units(**cols):
    return pd.DataFrame({k: pd.to_datetime(v) if k != "member_id" else v for k, v in cols.items()})


SPANS = pd.DataFrame(
    {
        "member_id": ["A", "A", "B"],
        "enrollment_start": pd.to_datetime(["2015-01-01", "2015-03-01", "2015-01-01"]),
        "enrollment_end": pd.to_datetime(["2015-01-31", None, "2015-02-15"]),
        "death_date": pd.to_datetime([None, None, "2015-02-15"]),
    }
)


def test_period_parsing():
    assert (Period.parse("2014Q3").begin.isoformat(), Period.parse("2014Q3").end.isoformat()) == (
        "2014-07-01",
        "2014-09-30",
    )
    assert Period.parse("2014").end.isoformat() == "2014-12-31"
    assert Period.parse("2015Q1").previous(1).code == "2014Q4" and Period.parse("2015Q2").previous(4).code == "2014Q2"
    with pytest.raises(ValueError):
        Period.parse("2014Q5")


def test_enrolled_on_includes_both_ends():
    u = units(
        member_id=["A", "A", "A", "A", "B"], day=["2015-01-01", "2015-01-31", "2015-02-01", "2015-03-01", "2015-02-16"]
    )
    assert tk.enrolled_on(SPANS, u, "day").tolist() == [True, True, False, True, False]


def test_continuously_enrolled_needs_one_span():
    u = units(member_id=["A", "A"], a=["2015-01-05", "2015-03-05"], b=["2015-03-05", "2015-12-31"])
    assert tk.continuously_enrolled(SPANS, u, "a", "b").tolist() == [False, True]


def test_in_facility_on_discharge_day_is_a_community_day():
    stays = pd.DataFrame(
        {
            "member_id": ["A"],
            "admission_date": pd.to_datetime(["2015-02-01"]),
            "discharge_date": pd.to_datetime(["2015-02-10"]),
        }
    )
    u = units(member_id=["A"] * 4, day=["2015-01-31", "2015-02-01", "2015-02-09", "2015-02-10"])
    assert tk.in_facility_on(stays, u, "day").tolist() == [False, True, True, False]


def test_alive_on_death_day_is_not_alive():
    u = units(member_id=["B", "B"], day=["2015-02-14", "2015-02-15"])
    assert tk.alive_on(SPANS, u, "day").tolist() == [True, False]


def test_windows_and_month_starts():
    s = pd.Series(pd.to_datetime(["2015-01-01", "2015-01-10", "2015-01-11"]))
    assert tk.in_window(s, pd.Timestamp("2015-01-01"), pd.Timestamp("2015-01-10")).tolist() == [True, True, False]
    assert [m.day for m in tk.month_starts(Period.parse("2015Q2"))] == [1, 1, 1]


def test_registry_has_the_fifteen_measures_in_spec_order():
    assert list(REGISTRY) == [
        "assessment_90d",
        "care_plan_90d",
        "reassessment_365d",
        "fuh_7d",
        "fuh_30d",
        "readmission_30d",
        "community_residence",
        "facility_admissions",
        "successful_transition_60d",
        "ltss_coordinator_care_plan",
        "rating_health_plan",
        "getting_needed_care",
        "getting_care_quickly",
        "care_coordination_survey",
        "flu_vaccine",
    ]
    for m in REGISTRY.values():
        assert m.title and m.definition and m.version and m.reference


def test_registry_fails_loudly_on_a_duplicate(monkeypatch):
    from dataclasses import replace

    import measures.flu_vaccine as flu

    monkeypatch.setattr(flu, "MEASURE", replace(flu.MEASURE, id="fuh_7d"))
    with pytest.raises(measures.RegistryError):
        measures.discover()


# --- properties over the worked example ---------------------------------------------------------


def load_packages(ico):
    from measures.dictionary import FILES, typed

    out = []
    for folder in sorted((EXAMPLES / "packages" / ico).iterdir()):
        frames = {}
        for name, spec in FILES.items():
            f = pd.read_csv(folder / spec.filename, dtype=str, keep_default_na=False).replace("", None)
            frames[name] = typed(f, spec).assign(row_number=range(2, len(f) + 2))
        out.append((folder.name, frames))
    return out


PACKAGES = {ico: load_packages(ico) for ico in ("HA", "HB")}
P = Period.parse("2015Q3")


def signature(computation):
    return {
        (r.measure_id, r.ico): (
            r.numerator,
            r.denominator,
            r.status,
            r.elements,
            None if r.value is None else round(r.value, 9),
        )
        for r in computation.results
    }


BASELINE = signature(compute_period({ico: assemble_view(p) for ico, p in PACKAGES.items()}, P))


def test_numerator_never_exceeds_denominator_and_statewide_is_pooled():
    for (measure_id, ico), (num, den, *_rest) in BASELINE.items():
        if num is not None and REGISTRY[measure_id].unit == "percent":
            assert 0 <= num <= den, (measure_id, ico)
        if ico == STATEWIDE:
            assert den == sum(BASELINE[(measure_id, i)][1] for i in PACKAGES)
            if num is not None:
                assert num == sum(BASELINE[(measure_id, i)][0] for i in PACKAGES)


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=2, max_value=4))
def test_row_order_and_file_splitting_do_not_change_results(seed, parts):
    rnd = random.Random(seed)
    views = {}
    for ico, packages in PACKAGES.items():
        shuffled = []
        for code, frames in packages:
            new = {}
            for name, f in frames.items():
                order = list(range(len(f)))
                rnd.shuffle(order)
                new[name] = f.iloc[order].reset_index(drop=True)
            # split every file into pieces, as if sent in several uploads, then joined
            split = {
                name: pd.concat([f.iloc[i::parts] for i in range(parts)], ignore_index=True) for name, f in new.items()
            }
            shuffled.append((code, split))
        rnd.shuffle(shuffled)
        views[ico] = assemble_view(shuffled)
    assert signature(compute_period(views, P)) == BASELINE


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.large_base_example, HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 200), st.integers(0, 400)), min_size=1, max_size=40))
def test_numerator_at_most_denominator_on_random_members(pairs):
    from tests.measures.cases import Case, view

    cases = []
    for i, (start_offset, length) in enumerate(pairs):
        start = (pd.Timestamp("2015-01-01") + pd.Timedelta(days=start_offset)).date().isoformat()
        end = (pd.Timestamp(start) + pd.Timedelta(days=length)).date().isoformat() if length < 300 else None
        c = Case(f"R{i}").span(start, end)
        if length % 3 == 0:
            c.assessment(start)
        if length % 5 == 0:
            c.facility("F", start)
        cases.append(c)
    v = view(cases)
    for m in REGISTRY.values():
        from reporting.engine import summarise

        r = summarise(m, m.population(v, Period.parse("2015Q2")), "X", "2015Q2")
        if r.numerator is not None and m.unit == "percent":
            assert r.numerator <= r.denominator
