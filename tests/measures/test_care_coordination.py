"""Case tables for the care-coordination measures (P = 2015Q2, 2015-04-01 .. 2015-06-30)."""

from measures import REGISTRY
from tests.measures.cases import Case, check_table, plus

A90 = REGISTRY["assessment_90d"]
CP90 = REGISTRY["care_plan_90d"]
RE365 = REGISTRY["reassessment_365d"]
FUH7, FUH30 = REGISTRY["fuh_7d"], REGISTRY["fuh_30d"]
READMIT = REGISTRY["readmission_30d"]

IN = {"denominator": True}


def test_assessment_90d_case_table():
    s = "2015-02-01"  # day 90 = 2015-05-01, inside P
    d90 = plus(s, 89)
    table = [
        (Case("DENOM-Pass-Day90FirstDayOfPeriod").span("2015-01-02"), {"denominator": True, "numerator": False}),
        (Case("DENOM-Fail-Day90DayBeforePeriod").span("2015-01-01"), None),
        (Case("DENOM-Pass-Day90LastDayOfPeriod").span("2015-04-02"), IN),
        (Case("DENOM-Fail-Day90DayAfterPeriod").span("2015-04-03"), None),
        (Case("DENOM-Fail-SpanEndsDay89").span(s, plus(s, 88)), None),
        (Case("DENOM-Pass-SpanEndsDay90").span(s, d90), IN),
        (Case("NUMER-Pass-CompletedDay90").span(s).assessment(d90), {"numerator": True, "B": False, "C": False}),
        (Case("NUMER-Pass-CompletedDay1").span(s).assessment(s), {"numerator": True}),
        (Case("NUMER-Fail-CompletedDay91").span(s).assessment(plus(s, 90)), {"numerator": False}),
        (Case("NUMER-Fail-CompletedBeforeSpanStart").span(s).assessment(plus(s, -1)), {"numerator": False}),
        (
            Case("NUMER-Fail-ReassessmentNotInitial").span(s).assessment(plus(s, 10), kind="reassessment"),
            {"numerator": False},
        ),
        (Case("ELEM-B-Refused").span(s).assessment(plus(s, 5), "refused"), {"numerator": False, "B": True, "C": False}),
        (
            Case("ELEM-B-RefusedBeatsThreeAttempts")
            .span(s)
            .assessment(plus(s, 5), "refused")
            .assessment(plus(s, 1), "unable_to_reach")
            .assessment(plus(s, 2), "unable_to_reach")
            .assessment(plus(s, 3), "unable_to_reach"),
            {"B": True, "C": False},
        ),
        (
            Case("ELEM-C-ThreeAttempts")
            .span(s)
            .assessment(plus(s, 1), "unable_to_reach")
            .assessment(plus(s, 2), "unable_to_reach")
            .assessment(d90, "unable_to_reach"),
            {"B": False, "C": True},
        ),
        (
            Case("ELEM-C-Fail-TwoAttempts")
            .span(s)
            .assessment(plus(s, 1), "unable_to_reach")
            .assessment(plus(s, 2), "unable_to_reach"),
            {"B": False, "C": False},
        ),
        (
            Case("ELEM-C-Fail-ThirdAttemptDay91")
            .span(s)
            .assessment(plus(s, 1), "unable_to_reach")
            .assessment(plus(s, 2), "unable_to_reach")
            .assessment(plus(s, 90), "unable_to_reach"),
            {"C": False},
        ),
        (
            Case("ELEM-D-CompletedAfterRefusal").span(s).assessment(plus(s, 3), "refused").assessment(plus(s, 30)),
            {"numerator": True, "B": False},
        ),
    ]
    assert check_table(A90, table) == []


def test_assessment_90d_each_span_stands_alone():
    # First span 2014-10-01..2014-12-31 with its assessment; second span from 2015-02-01 has none.
    case = (
        Case("SPAN-Fail-AssessmentFromEarlierSpan")
        .span("2014-10-01", "2014-12-31")
        .assessment("2014-10-05")
        .span("2015-02-01")
    )
    assert check_table(A90, [(case, {"numerator": False})]) == []


def test_care_plan_90d_case_table():
    s = "2015-02-01"
    d90 = plus(s, 89)
    table = [
        (Case("NUMER-Pass-PlanDay90").span(s).care_plan(d90), {"numerator": True}),
        (Case("NUMER-Fail-PlanDay91").span(s).care_plan(plus(s, 90)), {"numerator": False}),
        (Case("ELEM-B-Refused").span(s).care_plan(plus(s, 4), "refused"), {"B": True}),
        (
            Case("ELEM-C-ThreeAttempts")
            .span(s)
            .care_plan(plus(s, 1), "unable_to_reach")
            .care_plan(plus(s, 2), "unable_to_reach")
            .care_plan(plus(s, 3), "unable_to_reach"),
            {"C": True},
        ),
        (Case("DENOM-Fail-Day90AfterPeriod").span("2015-04-03"), None),
    ]
    assert check_table(CP90, table) == []


def test_reassessment_365d_case_table():
    a = "2014-04-02"  # a + 365 = 2015-04-02 in P
    table = [
        (Case("DENOM-Pass-Day365InPeriod").span("2014-01-01").assessment(a), {"denominator": True, "numerator": False}),
        (Case("DENOM-Fail-Day365BeforePeriod").span("2014-01-01").assessment("2014-03-31"), None),
        (Case("DENOM-Pass-Day365LastDayOfPeriod").span("2014-01-01").assessment("2014-06-30"), IN),
        (Case("DENOM-Fail-Day365AfterPeriod").span("2014-01-01").assessment("2014-07-01"), None),
        (Case("DENOM-Fail-RefusedIsNotAnAssessment").span("2014-01-01").assessment(a, "refused"), None),
        (Case("DENOM-Fail-GapInEnrollment").span("2014-01-01", "2014-12-31").span("2015-02-01").assessment(a), None),
        (Case("DENOM-Fail-EnrollmentEndsDay364").span("2014-01-01", plus(a, 364)).assessment(a), None),
        (
            Case("NUMER-Pass-AnotherOnDay365")
            .span("2014-01-01")
            .assessment(a)
            .assessment(plus(a, 365), kind="reassessment"),
            {"numerator": True},
        ),
        (
            Case("NUMER-Pass-AnotherOnDay1")
            .span("2014-01-01")
            .assessment(a)
            .assessment(plus(a, 1), kind="reassessment"),
            {"on": ("event_date", a), "numerator": True},
        ),
        (
            Case("NUMER-Fail-SameDayIsOneAssessment")
            .span("2014-01-01")
            .assessment(a)
            .assessment(a, kind="reassessment"),
            {"numerator": False},
        ),
    ]
    assert check_table(RE365, table) == []


def _fuh_cases():
    dis = "2015-04-10"  # + 30 = 2015-05-10 in P
    return [
        (Case("DENOM-Pass-MentalHealth").span("2014-01-01").stay("S1", "2015-04-05", dis), {"denominator": True}),
        (
            Case("DENOM-Pass-SelfHarm").span("2014-01-01").stay("S1", "2015-04-05", dis, "self_harm"),
            {"denominator": True},
        ),
        (Case("DENOM-Fail-SubstanceUse").span("2014-01-01").stay("S1", "2015-04-05", dis, "substance_use"), None),
        (
            Case("DENOM-Fail-DiedInHospital").span("2014-01-01", dis, dis).stay("S1", "2015-04-05", dis, status="died"),
            None,
        ),
        (Case("DENOM-Fail-Day30DayBeforePeriod").span("2014-01-01").stay("S1", "2015-02-25", "2015-03-01"), None),
        (
            Case("DENOM-Pass-Day30FirstDayOfPeriod").span("2014-01-01").stay("S1", "2015-02-25", "2015-03-02"),
            {"denominator": True},
        ),
        (Case("DENOM-Fail-NotEnrolledOnDay30").span("2014-01-01", plus(dis, 29)).stay("S1", "2015-04-05", dis), None),
        (
            Case("DENEX-ReadmittedDay30")
            .span("2014-01-01")
            .stay("S1", "2015-04-05", dis)
            .stay("S2", plus(dis, 30), plus(dis, 33), "other"),
            {"denominator": False, "excluded": True},
        ),
        (
            Case("DENEX-FacilityOnDischargeDay").span("2014-01-01").stay("S1", "2015-04-05", dis).facility("F1", dis),
            {"denominator": False, "excluded": True},
        ),
        (
            Case("DENEX-Fail-ReadmittedDay31")
            .span("2014-01-01")
            .stay("S1", "2015-04-05", dis)
            .stay("S2", plus(dis, 31), plus(dis, 33), "other"),
            {"denominator": True, "excluded": False},
        ),
    ]


def test_fuh_7d_case_table():
    dis = "2015-04-10"
    table = _fuh_cases() + [
        (
            Case("NUMER-Pass-VisitDay7").span("2014-01-01").stay("S1", "2015-04-05", dis).visit(plus(dis, 7)),
            {"numerator": True},
        ),
        (
            Case("NUMER-Pass-VisitDay1").span("2014-01-01").stay("S1", "2015-04-05", dis).visit(plus(dis, 1)),
            {"numerator": True},
        ),
        (
            Case("NUMER-Fail-VisitDay8").span("2014-01-01").stay("S1", "2015-04-05", dis).visit(plus(dis, 8)),
            {"numerator": False},
        ),
        (
            Case("NUMER-Fail-VisitOnDischargeDay").span("2014-01-01").stay("S1", "2015-04-05", dis).visit(dis),
            {"numerator": False},
        ),
        (
            Case("NUMER-Fail-PrimaryCareVisit")
            .span("2014-01-01")
            .stay("S1", "2015-04-05", dis)
            .visit(plus(dis, 3), "primary_care"),
            {"numerator": False},
        ),
    ]
    assert check_table(FUH7, table) == []


def test_fuh_30d_case_table():
    dis = "2015-04-10"
    table = _fuh_cases() + [
        (
            Case("NUMER-Pass-VisitDay8").span("2014-01-01").stay("S1", "2015-04-05", dis).visit(plus(dis, 8)),
            {"numerator": True},
        ),
        (
            Case("NUMER-Pass-VisitDay30").span("2014-01-01").stay("S1", "2015-04-05", dis).visit(plus(dis, 30)),
            {"numerator": True},
        ),
        (
            Case("NUMER-Fail-VisitDay31").span("2014-01-01").stay("S1", "2015-04-05", dis).visit(plus(dis, 31)),
            {"numerator": False},
        ),
        (
            Case("NUMER-Fail-VisitOnDischargeDay").span("2014-01-01").stay("S1", "2015-04-05", dis).visit(dis),
            {"numerator": False},
        ),
    ]
    assert check_table(FUH30, table) == []


def test_readmission_30d_case_table():
    dis = "2015-04-10"
    table = [
        (
            Case("DENOM-Pass-DischargedHome").span("2014-01-01").stay("S1", "2015-04-05", dis, "other"),
            {"denominator": True, "numerator": False},
        ),
        (
            Case("DENOM-Fail-TransferAcute")
            .span("2014-01-01")
            .stay("S1", "2015-04-05", dis, "other", "transfer_acute"),
            None,
        ),
        (Case("DENOM-Fail-Died").span("2014-01-01", dis, dis).stay("S1", "2015-04-05", dis, "other", "died"), None),
        (Case("DENOM-Fail-SameDayStay").span("2014-01-01").stay("S1", dis, dis, "other"), None),
        (
            Case("DENOM-Fail-NotEnrolledDay30")
            .span("2014-01-01", plus(dis, 29))
            .stay("S1", "2015-04-05", dis, "other"),
            None,
        ),
        (
            Case("NUMER-Pass-UnplannedDay30")
            .span("2014-01-01")
            .stay("S1", "2015-04-05", dis, "other")
            .stay("S2", plus(dis, 30), plus(dis, 32), "other"),
            {"stay": "S1", "numerator": True},
        ),
        (
            Case("NUMER-Pass-UnplannedDay1")
            .span("2014-01-01")
            .stay("S1", "2015-04-05", dis, "other")
            .stay("S2", plus(dis, 1), plus(dis, 2), "other"),
            {"stay": "S1", "numerator": True},
        ),
        (
            Case("NUMER-Fail-UnplannedDay31")
            .span("2014-01-01")
            .stay("S1", "2015-04-05", dis, "other")
            .stay("S2", plus(dis, 31), plus(dis, 32), "other"),
            {"stay": "S1", "numerator": False},
        ),
        (
            Case("NUMER-Fail-PlannedReadmission")
            .span("2014-01-01")
            .stay("S1", "2015-04-05", dis, "other")
            .stay("S2", plus(dis, 5), plus(dis, 6), "other", planned="Y"),
            {"stay": "S1", "numerator": False},
        ),
    ]
    assert check_table(READMIT, table) == []
