"""Case tables for the rule that decides money: met and not met at the benchmark's edge in both directions,
NA and no-benchmark measures dropping out, gap closure met and missed, every tier boundary."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from reporting.publication.benchmarks import (
    MET,
    MET_GAP,
    NA,
    NO_BENCHMARK,
    NOT_MET,
    Benchmark,
    benchmark_status,
    tier,
    withhold,
)


def result(value, status="reported"):
    return SimpleNamespace(value=value, status=status)


def bench(measure, value, year=2015):
    return Benchmark(measure, year, value, "test")


@pytest.mark.parametrize(
    "case, measure, value, benchmark, expected",
    [
        ("HIGHER-Met-AtTheBenchmark", "fuh_7d", 37.0, 37.0, MET),
        ("HIGHER-Met-Above", "fuh_7d", 37.000001, 37.0, MET),
        ("HIGHER-NotMet-JustBelow", "fuh_7d", 36.999999, 37.0, NOT_MET),
        ("LOWER-Met-AtTheBenchmark", "readmission_30d", 17.0, 17.0, MET),
        ("LOWER-Met-Below", "readmission_30d", 16.999999, 17.0, MET),
        ("LOWER-NotMet-JustAbove", "readmission_30d", 17.000001, 17.0, NOT_MET),
        ("RATE-LOWER-Met", "facility_admissions", 2.8, 2.8, MET),
        ("RATE-LOWER-NotMet", "facility_admissions", 2.81, 2.8, NOT_MET),
    ],
)
def test_met_and_not_met_at_the_edge(case, measure, value, benchmark, expected):
    assert benchmark_status(measure, result(value), bench(measure, benchmark)) == expected, case


def test_na_and_no_benchmark_drop_out():
    assert benchmark_status("fuh_7d", result(None, "NA"), bench("fuh_7d", 37)) == NA
    assert benchmark_status("fuh_7d", None, bench("fuh_7d", 37)) == NA
    assert benchmark_status("fuh_7d", result(50.0), None) == NO_BENCHMARK
    w = withhold(
        "HA",
        2015,
        {"fuh_7d": result(None, "NA"), "fuh_30d": result(60.0), "flu_vaccine": result(70.0)},
        {},
        {("fuh_30d", 2015): bench("fuh_30d", 57), ("fuh_7d", 2015): bench("fuh_7d", 37)},
        {"fuh_7d": False, "fuh_30d": False, "flu_vaccine": False},
    )
    assert (w.eligible, w.met, w.share, w.earned_back) == (1, 1, 1.0, 100)  # NA and no benchmark leave the share


@pytest.mark.parametrize(
    "case, value, last, benchmark, measure, expected",
    [
        # gap = benchmark - last year; met by gap closure when the value moved at least 10 % of it.
        ("GAP-Met-ExactlyTenPercent", 51.0, 50.0, 60.0, "fuh_30d", MET_GAP),
        ("GAP-Missed-JustUnderTenPercent", 50.999, 50.0, 60.0, "fuh_30d", NOT_MET),
        ("GAP-Missed-WentBack", 49.0, 50.0, 60.0, "fuh_30d", NOT_MET),
        ("GAP-LOWER-Met", 19.8, 20.0, 18.0, "readmission_30d", MET_GAP),
        ("GAP-LOWER-Missed", 19.81, 20.0, 18.0, "readmission_30d", NOT_MET),
        ("GAP-NoGapLastYear-MetAnyway", 61.0, 65.0, 60.0, "fuh_30d", MET),
    ],
)
def test_gap_closure_met_and_missed(case, value, last, benchmark, measure, expected):
    got = benchmark_status(measure, result(value), bench(measure, benchmark), result(last), gap_closure=True)
    assert got == expected, case
    if expected == MET_GAP:
        assert benchmark_status(measure, result(value), bench(measure, benchmark), result(last)) == NOT_MET


def test_gap_closure_needs_last_years_reported_value():
    assert benchmark_status("fuh_30d", result(55.0), bench("fuh_30d", 60), result(None, "NA"), True) == NOT_MET
    assert benchmark_status("fuh_30d", result(55.0), bench("fuh_30d", 60), None, True) == NOT_MET


@pytest.mark.parametrize(
    "share, earned",
    [
        (0.0, 0),
        (0.1999, 0),
        (0.2, 25),
        (0.3999, 25),
        (0.4, 50),
        (0.5999, 50),
        (0.6, 75),
        (0.7999, 75),
        (0.8, 100),
        (1.0, 100),
    ],
)
def test_every_tier_boundary(share, earned):
    assert tier(share) == earned


def test_a_rule_sets_own_tier_table():
    tiers = [(0.0, 0), (0.5, 40), (0.9, 100)]
    assert [tier(s, tiers) for s in (0.49, 0.5, 0.89, 0.9)] == [0, 40, 40, 100]


def test_the_share_counts_gap_closure_as_met():
    chosen = {
        "fuh_30d": True,
        "readmission_30d": False,
        "flu_vaccine": False,
        "fuh_7d": False,
        "community_residence": False,
    }
    results = {
        "fuh_30d": result(51.0),
        "readmission_30d": result(17.5),
        "flu_vaccine": result(70.0),
        "fuh_7d": result(36.0),
        "community_residence": result(95.0),
    }
    benchmarks = {
        (m, 2015): bench(m, v)
        for m, v in [
            ("fuh_30d", 60),
            ("readmission_30d", 17),
            ("flu_vaccine", 66),
            ("fuh_7d", 37),
            ("community_residence", 93),
        ]
    }
    w = withhold("HA", 2015, results, {"fuh_30d": result(50.0)}, benchmarks, chosen)
    assert [r.status for r in w.rows] == [MET_GAP, NOT_MET, MET, NOT_MET, MET]
    assert (w.eligible, w.met, w.share, w.earned_back) == (5, 3, 0.6, 75)


@pytest.mark.parametrize(
    "measure, last, benchmark, target",
    [
        ("fuh_7d", 30.0, 40.0, 31.0),  # higher is better: 10 % of the 10-point gap above last year
        ("readmission_30d", 20.0, 17.0, 19.7),  # lower is better: 10 % of the gap below last year
        ("fuh_7d", 45.0, 40.0, None),  # met last year: no gap to close
    ],
)
def test_the_value_that_closes_the_gap(measure, last, benchmark, target):
    from reporting.publication.benchmarks import closes_gap, gap_target

    got = gap_target(measure, last, benchmark)
    assert got == pytest.approx(target) if target is not None else got is None
    if target is not None:
        assert closes_gap(measure, got, last, benchmark)


@pytest.mark.parametrize(
    "met, eligible, expected",
    [
        (0, 10, (2, 25)),
        (1, 10, (1, 25)),
        (2, 10, (2, 50)),
        (7, 10, (1, 100)),
        (8, 10, None),
        (10, 10, None),
        (0, 0, None),
    ],
)
def test_how_far_to_the_next_tier(met, eligible, expected):
    from reporting.publication.benchmarks import next_tier

    earned = tier(met / eligible) if eligible else None
    assert next_tier(met, eligible, earned) == expected


# The same edges through the database, on SQLite and PostgreSQL: results stored and read back as the pages and
# reports read them (``figures.withhold_for_year``), under a rule set adopted for the year. One ICO per case.
DB_RULES = {
    "fuh_7d": (37.0, False),
    "readmission_30d": (17.0, False),
    "facility_admissions": (2.8, False),
    "fuh_30d": (60.0, True),
    "care_plan_90d": (70.0, False),
    "flu_vaccine": (None, False),
}
DB_CASES = [  # ICO, measure, value (None: NA), last year's value, expected status
    ("HM1", "fuh_7d", 37.0, None, MET),
    ("HM2", "fuh_7d", 37.000001, None, MET),
    ("HN1", "fuh_7d", 36.999999, None, NOT_MET),
    ("LM1", "readmission_30d", 17.0, None, MET),
    ("LM2", "readmission_30d", 16.999999, None, MET),
    ("LN1", "readmission_30d", 17.000001, None, NOT_MET),
    ("RM1", "facility_admissions", 2.8, None, MET),
    ("RN1", "facility_admissions", 2.81, None, NOT_MET),
    ("GM1", "fuh_30d", 51.0, 50.0, MET_GAP),
    ("GN1", "fuh_30d", 50.999, 50.0, NOT_MET),
    ("GN2", "fuh_30d", 49.0, 50.0, NOT_MET),
    ("GN3", "fuh_30d", 55.0, None, NOT_MET),
    ("NA1", "care_plan_90d", None, None, NA),
    ("NB1", "flu_vaccine", 80.0, None, NO_BENCHMARK),
]


def test_the_case_tables_through_the_database(app, dbs):
    from reporting.publication import figures, settings
    from reporting.rules import store as rules
    from reporting.storage import db
    from reporting.storage.models import Organization, Result, ResultRun

    dbs.add_all(Organization(code=code, name=f"ICO {code}", state="MA") for code, *_ in DB_CASES + [("TIER",)])
    runs = {
        year: ResultRun(
            period_code=str(year),
            status="done",
            is_current=True,
            inputs={code: [] for code, *_ in DB_CASES + [("TIER",)]},
        )
        for year in (2014, 2015)
    }
    dbs.add_all(runs.values())
    dbs.flush()

    def stored(year, code, measure, value):
        dbs.add(
            Result(
                run_id=runs[year].id,
                period_code=str(year),
                measure_id=measure,
                measure_version="1",
                ico=code,
                numerator=None if value is None else 1,
                denominator=100 if value is not None else 12,
                value=value,
                status="reported" if value is not None else "NA",
                ci_low=None,
                ci_high=None,
            )
        )

    for code, measure, value, last, _ in DB_CASES:
        stored(2015, code, measure, value)
        if last is not None:
            stored(2014, code, measure, last)
    # one ICO over every measure: fuh_7d met, readmissions not met, facility met, fuh_30d met by gap closure,
    # care plan not met, flu without benchmark: 3 of 5 eligible met, 60 %, 75 % earned back
    for measure, value in [
        ("fuh_7d", 40.0),
        ("readmission_30d", 18.0),
        ("facility_admissions", 2.0),
        ("fuh_30d", 51.0),
        ("care_plan_90d", 69.99),
        ("flu_vaccine", 90.0),
    ]:
        stored(2015, "TIER", measure, value)
    stored(2014, "TIER", "fuh_30d", 50.0)
    dbs.commit()
    with app.app_context():
        with db.transaction() as s:
            draft = rules.create_draft(s, 2015, "test")
            rules.apply_changes(
                s,
                draft,
                {m: {"benchmark": b, "withhold": True, "gap_closure": g} for m, (b, g) in DB_RULES.items()},
                "test",
            )
            s.flush()
            rules.adopt(s, draft.id, "test")
        with db.transaction() as s:
            got = figures.withhold_for_year(s, settings(), [c for c, *_ in DB_CASES] + ["TIER"], 2015)
    for code, measure, value, _last, expected in DB_CASES:
        row = next(r for r in got[code].rows if r.measure_id == measure)
        assert row.status == expected, (code, measure, value, row.status)
        assert got[code].eligible == (0 if expected in (NA, NO_BENCHMARK) else 1), code
    tier_ico = got["TIER"]
    assert (tier_ico.eligible, tier_ico.met, tier_ico.share, tier_ico.earned_back) == (5, 3, 0.6, 75)
