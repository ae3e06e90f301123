"""Results by group (measures.md, "Results by group"): every stratum of every stratifier of the worked example
(with race, ethnicity and language given to its members) against a second computation that restricts the data
in view to the stratum's members and runs the measures again; the strata add up to the totals; the disparity
test against statsmodels' own two-proportion z test."""

import random

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportions_ztest

from measures import REGISTRY, Period
from measures.dictionary import ETHNICITIES, MEMBER_LANGUAGES, RACES
from reporting.engine import STATEWIDE, assemble_view, compute_period
from reporting.engine.compute import compute_icos, pool_statewide
from reporting.engine.strata import STRATIFIERS, two_proportion_z
from tests.measures.test_toolkit_and_registry import load_packages

PERIODS = [Period.parse("2015Q3"), Period.parse("2015")]


def with_demographics(packages, seed):
    """The worked example's packages with race, ethnicity and language on every member row (blank for some), the
    newest package sometimes changing a member's answer (the newest package's values count)."""
    rnd = random.Random(seed)
    out = []
    for code, frames in packages:
        members = frames["members"].copy()
        pick = {
            "race": [*RACES, None],
            "ethnicity": [*ETHNICITIES, None],
            "language": [*MEMBER_LANGUAGES, None],
        }
        for col, values in pick.items():
            members[col] = [rnd.choice(values) for _ in range(len(members))]
        out.append((code, {**frames, "members": members}))
    return out


@pytest.fixture(scope="module")
def packages():
    return {ico: with_demographics(load_packages(ico), seed) for seed, ico in enumerate(("HA", "HB"))}


def latest_spans(packages, period):
    """Independently of the engine: every member's span row from the newest package that has it, then the latest
    span starting on or before the period's end."""
    rows = {}
    for code, frames in sorted(packages, key=lambda p: Period.parse(p[0]).end):
        if Period.parse(code).end > period.end:
            continue
        for r in frames["members"].to_dict("records"):
            rows[(r["member_id"], r["enrollment_start"])] = r
    latest = {}
    for (member, start), r in sorted(rows.items(), key=lambda kv: kv[0][1]):
        if start.date() <= period.end:
            latest[member] = r
    return latest


def stratum_of(row, stratifier, period):
    if stratifier == "rating_category":
        return {"C3A": "C3", "C3B": "C3", "C2A": "C2", "C2B": "C2"}.get(row["rating_category"], row["rating_category"])
    if stratifier == "age_band":
        born, end = row["birth_date"].date(), period.end
        age = end.year - born.year - ((end.month, end.day) < (born.month, born.day))
        return "21-44" if age <= 44 else "45-54" if age <= 54 else "55-64" if age <= 64 else "65+"
    return "unknown" if pd.isna(row[stratifier]) else row[stratifier]


def measures_alone(views, period):
    """The measures run on ``views``: ``compute_period``'s results without the strata and the case-mix adjustment
    (neither is compared here; a third of the work)."""
    results, units = compute_icos(views, period)
    return results + pool_statewide(units, period.code)


def compared(result):
    return (result.numerator, result.denominator, result.status, result.value, result.ci_low, result.ci_high)


def restricted(packages, keep, unknown):
    """The packages with only the rows of members in ``keep`` (and, for the unknown stratum, rows of no member
    in view: a survey response not linked to a member)."""
    known = {m for _, frames in packages for m in frames["members"]["member_id"]}
    out = []
    for code, frames in packages:
        new = {}
        for name, frame in frames.items():
            ids = frame["member_id"]
            mask = ids.isin(keep)
            if unknown:
                mask |= ids.isna() | ~ids.isin(known)
            new[name] = frame[mask].reset_index(drop=True)
        out.append((code, new))
    return out


@pytest.mark.parametrize(
    "period, stratifiers",
    [(PERIODS[0], list(STRATIFIERS)), (PERIODS[1], ["age_band", "race"])],  # the year: two, to keep the test short
    ids=["2015Q3", "2015"],
)
def test_every_stratum_equals_the_measures_run_on_its_members_alone(packages, period, stratifiers):
    views = {ico: assemble_view(p) for ico, p in packages.items()}
    computation = compute_period(views, period)
    got = {(s.measure_id, s.ico, s.stratifier, s.stratum): s for s in computation.strata}
    totals = {(r.measure_id, r.ico): r for r in computation.results}
    assert {(r.measure_id, r.ico): compared(r) for r in measures_alone(views, period)} == {
        k: compared(r) for k, r in totals.items()
    }
    assert len(got) == len(REGISTRY) * 3 * sum(len(v) for v in STRATIFIERS.values())
    checked = 0
    members = {ico: latest_spans(p, period) for ico, p in packages.items()}
    for stratifier in stratifiers:
        strata = STRATIFIERS[stratifier]
        labels = {
            ico: {m: stratum_of(row, stratifier, period) for m, row in rows.items()} for ico, rows in members.items()
        }
        for stratum in strata:
            keep = {ico: {m for m, label in labels[ico].items() if label == stratum} for ico in members}
            # An ICO with no member in the stratum counts nothing in it (the measures need members to run; a
            # survey response not linked to a member, ``unknown``, is checked by the sums below).
            views = {ico: assemble_view(restricted(packages[ico], keep[ico], stratum == "unknown")) for ico in packages}
            full = {ico: v for ico, v in views.items() if keep[ico]}
            again = measures_alone(full, period) if full else []
            empty = [ico for ico in packages if not keep[ico]]
            for measure_id in REGISTRY:
                for ico in empty:
                    if REGISTRY[measure_id].unit_kind != "survey response" or stratum != "unknown":
                        assert got[(measure_id, ico, stratifier, stratum)].denominator == 0
            for r in again:
                if r.ico == STATEWIDE and empty:
                    continue  # statewide is checked by the sums below
                s = got[(r.measure_id, r.ico, stratifier, stratum)]
                where = (r.measure_id, r.ico, stratifier, stratum)
                assert (s.numerator, s.denominator, s.status) == (r.numerator, r.denominator, r.status), where
                assert s.value == pytest.approx(r.value, abs=1e-9) if r.value is not None else s.value is None, where
                assert (s.ci_low, s.ci_high) == pytest.approx((r.ci_low, r.ci_high), abs=1e-9), where
                checked += 1
    assert checked > 100 * len(stratifiers)
    # the strata of every (ICO or statewide, measure, stratifier) add up to the total
    for (measure_id, ico), total in totals.items():
        for stratifier, strata in STRATIFIERS.items():
            parts = [got[(measure_id, ico, stratifier, s)] for s in strata]
            assert sum(p.denominator for p in parts) == total.denominator
            if total.numerator is not None:
                assert sum(p.numerator for p in parts) == total.numerator


def test_a_package_without_the_new_columns_puts_every_member_in_unknown():
    old = {ico: load_packages(ico) for ico in ("HA", "HB")}
    computation = compute_period({ico: assemble_view(p) for ico, p in old.items()}, PERIODS[0])
    totals = {(r.measure_id, r.ico): r.denominator for r in computation.results}
    for s in computation.strata:
        if s.stratifier in ("race", "ethnicity", "language"):
            assert s.denominator == (totals[(s.measure_id, s.ico)] if s.stratum == "unknown" else 0)


def test_disparity_against_statsmodels(packages):
    computation = compute_period({ico: assemble_view(p) for ico, p in packages.items()}, PERIODS[1])
    strata = [s for s in computation.strata if REGISTRY[s.measure_id].unit == "percent"]
    checked = 0
    for s in strata:
        group = [
            t for t in strata if (t.measure_id, t.ico, t.stratifier) == (s.measure_id, s.ico, s.stratifier) and t != s
        ]
        rest_num, rest_den = sum(t.numerator for t in group), sum(t.denominator for t in group)
        if s.denominator == 0 or rest_den == 0 or (s.numerator + rest_num) in (0, s.denominator + rest_den):
            assert s.flag is None
            continue
        z, p = proportions_ztest([s.numerator, rest_num], [s.denominator, rest_den])
        assert s.p_value == pytest.approx(p, rel=1e-9, abs=1e-12)
        better = (z > 0) == REGISTRY[s.measure_id].higher_is_better
        expected = ("better" if better else "worse") if p < 0.05 and min(s.denominator, rest_den) >= 30 else None
        assert s.flag == expected
        checked += 1
    assert checked > 100


@pytest.mark.parametrize("x1,n1,x2,n2", [(30, 40, 20, 60), (5, 100, 20, 100), (12, 31, 40, 90), (1, 2, 0, 3)])
def test_two_proportion_z_by_hand(x1, n1, x2, n2):
    pooled = (x1 + x2) / (n1 + n2)
    z = (x1 / n1 - x2 / n2) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    p, zz = two_proportion_z(x1, n1, x2, n2)
    assert zz == pytest.approx(z) and p == pytest.approx(proportions_ztest([x1, x2], [n1, n2])[1])


def test_survey_response_without_member_is_unknown_everywhere():
    members = pd.DataFrame(
        {
            "member_id": ["M1"],
            "birth_date": pd.to_datetime(["1960-07-01"]),
            "sex": ["F"],
            "enrollment_start": pd.to_datetime(["2014-01-01"]),
            "enrollment_end": pd.to_datetime([None]),
            "enrollment_method": ["passive"],
            "rating_category": ["C2B"],
            "death_date": pd.to_datetime([None]),
            "race": ["asian"],
            "ethnicity": [None],
            "language": ["declined"],
        }
    )
    responses = pd.DataFrame(
        {
            "response_id": ["R1", "R2", "R3"],
            "member_id": ["M1", None, "NOT-A-MEMBER"],
            "survey_date": pd.to_datetime(["2015-08-01"] * 3),
            "rating_health_plan": pd.array([9, 5, 7], dtype="Float64"),
        }
    )
    view = assemble_view([("2015Q3", {"members": members, "survey_responses": responses})])
    measure = {"rating_health_plan": REGISTRY["rating_health_plan"]}
    strata = compute_period({"A": view}, PERIODS[0], measure).strata
    got = {(s.stratifier, s.stratum): (s.denominator, s.value) for s in strata if s.ico == "A" and s.denominator}
    assert got == {
        ("rating_category", "C2"): (1, 90.0),
        ("rating_category", "unknown"): (2, 60.0),
        ("enrollment_method", "passive"): (1, 90.0),
        ("enrollment_method", "unknown"): (2, 60.0),
        ("age_band", "55-64"): (1, 90.0),  # 55 on 2015-09-30
        ("age_band", "unknown"): (2, 60.0),
        ("sex", "F"): (1, 90.0),
        ("sex", "unknown"): (2, 60.0),
        ("race", "asian"): (1, 90.0),
        ("race", "unknown"): (2, 60.0),
        ("ethnicity", "unknown"): (3, 70.0),  # blank is unknown
        ("language", "declined"): (1, 90.0),  # declined is its own stratum
        ("language", "unknown"): (2, 60.0),
    }


def test_the_worked_example_of_measures_md():
    """measures.md, "Results by group", worked example: 40 passive spans (20 assessed in time), 60 voluntary (45)."""
    from reporting.engine.strata import NAMES, STRATIFIERS, stratify
    from reporting.publication.strata import equity_summary

    method = NAMES.index("enrollment_method")
    codes = np.zeros((100, len(NAMES)), dtype=np.int8)
    codes[:40, method] = STRATIFIERS["enrollment_method"].index("passive")
    units = pd.DataFrame(
        {"denominator": [True] * 100, "numerator": [True] * 20 + [False] * 20 + [True] * 45 + [False] * 15}
    )
    out = {
        s.stratum: s
        for s in stratify(REGISTRY["assessment_90d"], units, codes, "A", "2015Q3")
        if s.stratifier == "enrollment_method"
    }
    passive, voluntary, unknown = out["passive"], out["voluntary"], out["unknown"]
    assert (passive.numerator, passive.denominator, round(passive.value, 1)) == (20, 40, 50.0)
    assert (round(passive.ci_low, 1), round(passive.ci_high, 1)) == (35.2, 64.8)
    assert (round(voluntary.ci_low, 1), round(voluntary.ci_high, 1)) == (62.8, 84.2)
    assert (unknown.denominator, unknown.status) == (0, "NA")
    assert round(passive.p_value, 4) == 0.0102 and passive.flag == "worse" and voluntary.flag == "better"
    assert passive.difference == pytest.approx(-25.0)
    frame = pd.DataFrame(
        [{**s.__dict__, "period": s.period} for s in stratify(REGISTRY["assessment_90d"], units, codes, "A", "2015Q3")]
    )
    summary = equity_summary(frame, "A", "2015Q3")
    assert [(w["stratum"], w["difference"]) for w in summary["worse"]["enrollment_method"]] == [("passive", -25.0)]
    assert summary["passive_gap"][0]["gap"] == pytest.approx(-25.0)
