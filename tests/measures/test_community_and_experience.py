"""Case tables for the community-living and experience-of-care measures (P = 2015Q2)."""

import pytest

from measures import REGISTRY
from reporting.engine import summarise
from tests.measures.cases import Case, P, check_table, plus, view

COMMUNITY = REGISTRY["community_residence"]
ADMISSIONS = REGISTRY["facility_admissions"]
TRANSITION = REGISTRY["successful_transition_60d"]
LTSS = REGISTRY["ltss_coordinator_care_plan"]


def test_community_residence_case_table():
    table = [
        (Case("DENOM-Pass-Enrolled").span("2014-01-01"), {"denominator": True, "numerator": True}),
        (Case("DENOM-Fail-SpanEndedDayBefore").span("2014-01-01", "2015-06-29"), None),
        (Case("DENOM-Pass-SpanEndsOnLastDay").span("2014-01-01", "2015-06-30"), {"numerator": True}),
        (Case("DENOM-Fail-DiedOnLastDay").span("2014-01-01", "2015-06-30", "2015-06-30"), None),
        (Case("NUMER-Fail-InFacility").span("2014-01-01").facility("F1", "2015-05-01"), {"numerator": False}),
        (Case("NUMER-Fail-AdmittedOnLastDay").span("2014-01-01").facility("F1", "2015-06-30"), {"numerator": False}),
        (
            Case("NUMER-Pass-DischargedOnLastDay").span("2014-01-01").facility("F1", "2015-05-01", "2015-06-30"),
            {"numerator": True},
        ),
        (Case("NUMER-Pass-TwoSpansCountOnce").span("2014-01-01", "2014-12-31").span("2015-02-01"), {"numerator": True}),
    ]
    assert check_table(COMMUNITY, table) == []


def test_facility_admissions_member_months_and_admissions():
    cases = [
        Case("MM-3-CommunityAllQuarter").span("2014-01-01"),
        Case("MM-2-InFacilityOnMay1").span("2014-01-01").facility("F1", "2015-04-15", "2015-05-10"),
        Case("MM-2-DischargedOnMay1IsCommunity").span("2014-01-01").facility("F1", "2015-03-01", "2015-05-01"),
        Case("MM-1-EnrolledMay2").span("2015-05-02"),
        Case("MM-2-DiedMay15").span("2014-01-01", "2015-05-15", "2015-05-15"),
        Case("ADM-Fail-TransferDayBefore")
        .span("2014-01-01")
        .facility("F1", "2015-01-01", "2015-05-09", "other")
        .facility("F2", "2015-05-10"),
        Case("ADM-Fail-TransferSameDay")
        .span("2014-01-01")
        .facility("F1", "2015-01-01", "2015-05-10", "other")
        .facility("F2", "2015-05-10"),
        Case("ADM-Pass-TwoDaysAfterDischarge")
        .span("2014-01-01")
        .facility("F1", "2015-01-01", "2015-05-08", "other")
        .facility("F2", "2015-05-10"),
        Case("ADM-Fail-AdmittedBeforePeriod").span("2014-01-01").facility("F1", "2015-03-31"),
        Case("ADM-Fail-NotEnrolledOnAdmission").span("2014-01-01", "2015-04-30").facility("F1", "2015-05-05"),
    ]
    v = view(cases)
    units = v.restore_members(ADMISSIONS.population(v, P))
    months = units[units["kind"] == "member_month"].groupby("member_id").size().to_dict()
    admissions = set(units.loc[units["kind"] == "admission", "member_id"])
    for case in cases:
        if case.id.startswith("MM-"):
            assert months.get(case.id, 0) == int(case.id.split("-")[1]), case.id
    assert admissions == {"MM-2-InFacilityOnMay1", "ADM-Pass-TwoDaysAfterDischarge"}
    assert months.get("ADM-Fail-TransferDayBefore", 0) == 0  # in a facility on every first of the month
    result = summarise(ADMISSIONS, units, "T", "2015Q2")
    assert result.numerator == 2 and result.elements == {"member_months": result.denominator}
    assert result.value == pytest.approx(1000 * 2 / result.denominator)


def test_successful_transition_60d_case_table():
    dis = "2015-03-01"  # + 60 = 2015-04-30 in P
    adm101 = plus(dis, -101)
    table = [
        (
            Case("DENOM-Pass-Stay101Days").span("2014-01-01").facility("F1", adm101, dis),
            {"denominator": True, "numerator": True},
        ),
        (Case("DENOM-Fail-Stay100Days").span("2014-01-01").facility("F1", plus(dis, -100), dis), None),
        (Case("DENOM-Fail-DischargedToHospital").span("2014-01-01").facility("F1", adm101, dis, "hospital"), None),
        (
            Case("DENOM-Fail-Day60BeforePeriod")
            .span("2014-01-01")
            .facility("F1", plus("2015-01-30", -101), "2015-01-30"),
            None,
        ),
        (Case("DENEX-DiedDay1").span("2014-01-01", plus(dis, 1), plus(dis, 1)).facility("F1", adm101, dis), None),
        (
            Case("NUMER-Fail-DiedDay2").span("2014-01-01", plus(dis, 2), plus(dis, 2)).facility("F1", adm101, dis),
            {"denominator": True, "numerator": False},
        ),
        (
            Case("NUMER-Fail-DiedDay60").span("2014-01-01", plus(dis, 60), plus(dis, 60)).facility("F1", adm101, dis),
            {"denominator": True, "numerator": False},
        ),
        (Case("DENOM-Fail-SpanEndsDay59NoDeath").span("2014-01-01", plus(dis, 59)).facility("F1", adm101, dis), None),
        (
            Case("NUMER-Fail-HospitalDay60")
            .span("2014-01-01")
            .facility("F1", adm101, dis)
            .stay("S1", plus(dis, 60), plus(dis, 62), "other"),
            {"numerator": False},
        ),
        (
            Case("NUMER-Pass-HospitalDay61")
            .span("2014-01-01")
            .facility("F1", adm101, dis)
            .stay("S1", plus(dis, 61), plus(dis, 62), "other"),
            {"numerator": True},
        ),
        (
            Case("NUMER-Fail-BackToFacilityDay1")
            .span("2014-01-01")
            .facility("F1", adm101, dis)
            .facility("F2", plus(dis, 1)),
            {"stay": "F1", "numerator": False},
        ),
    ]
    assert check_table(TRANSITION, table) == []


def test_ltss_coordinator_case_table():
    table = [
        (
            Case("DENOM-Pass-F1WithY").span("2014-01-01", category="F1").care_plan("2015-05-01", lts="Y"),
            {"denominator": True, "numerator": True},
        ),
        (
            Case("DENOM-Pass-C3AWithN").span("2014-01-01", category="C3A").care_plan("2015-05-01", lts="N"),
            {"numerator": False},
        ),
        (Case("DENOM-Fail-C1").span("2014-01-01", category="C1").care_plan("2015-05-01", lts="Y"), None),
        (Case("DENOM-Fail-RefusedPlan").span("2014-01-01", category="F1").care_plan("2015-05-01", "refused"), None),
        (Case("DENOM-Fail-PlanBeforePeriod").span("2014-01-01", category="F1").care_plan("2015-03-31", lts="Y"), None),
        (
            Case("NUMER-Fail-LatestPlanN")
            .span("2014-01-01", category="C3B")
            .care_plan("2015-04-10", lts="Y")
            .care_plan("2015-06-10", lts="N"),
            {"numerator": False},
        ),
        (
            Case("NUMER-Pass-AnyYOnLatestDate")
            .span("2014-01-01", category="C3B")
            .care_plan("2015-06-10", lts="N")
            .care_plan("2015-06-10", "completed", lts="Y"),
            {"numerator": True},
        ),
    ]
    # Two completed plans on one date share the key (member, date, outcome) in one package; across packages they can.
    assert check_table(LTSS, table) == []


def survey_case(cid, day, **answers):
    return Case(cid).survey("R1", day, **answers)


@pytest.mark.parametrize(
    "day, inside", [("2014-06-30", False), ("2014-07-01", True), ("2015-06-30", True), ("2015-07-01", False)]
)
def test_survey_responses_in_view_are_the_year_ending_on_the_last_day(day, inside):
    case = survey_case(f"VIEW-{day}", day, rating_health_plan=8, flu_vaccine="Y")
    v = view([case])
    assert (len(REGISTRY["rating_health_plan"].population(v, P)) == 1) is inside
    assert (len(REGISTRY["flu_vaccine"].population(v, P)) == 1) is inside


def test_calendar_year_survey_view_is_exactly_that_year():
    from measures import Period

    v = view(
        [
            survey_case("Y-Dec31", "2014-12-31", rating_health_plan=5),
            survey_case("Y-Jan1", "2015-01-01", rating_health_plan=7),
        ]
    )
    units = REGISTRY["rating_health_plan"].population(v, Period.parse("2015"))
    assert len(units) == 1


def test_survey_scores():
    cases = [
        survey_case("S1", "2015-05-01", rating_health_plan=10, gnc_specialist=4, gnc_care_tests=3, flu_vaccine="Y"),
        survey_case("S2", "2015-05-02", rating_health_plan=7, gnc_specialist=2, flu_vaccine="N"),
        survey_case("S3", "2015-05-03", gcq_urgent=1),
        survey_case("S4", "2015-05-04"),
    ]
    v = view(cases)

    def result(mid):
        m = REGISTRY[mid]
        return summarise(m, m.population(v, P), "T", "2015Q2")

    assert result("rating_health_plan").value == pytest.approx(85.0)
    assert result("rating_health_plan").extras["top_box"] == pytest.approx(50.0)
    gnc = result("getting_needed_care")
    assert gnc.denominator == 2 and gnc.value == pytest.approx((((100 + 100 / 3) / 2) + 200 / 3) / 2)
    assert result("getting_care_quickly").value == 0.0 and result("getting_care_quickly").denominator == 1
    assert result("care_coordination_survey").denominator == 0 and result("care_coordination_survey").value is None
    flu = result("flu_vaccine")
    assert (flu.numerator, flu.denominator, flu.value) == (1, 2, 50.0)


@pytest.mark.parametrize("denominator, status", [(29, "NA"), (30, "reported")])
def test_minimum_denominator_29_30(denominator, status):
    cases = [Case(f"MIN-{i}").span("2014-01-01") for i in range(denominator)]
    v = view(cases)
    result = summarise(COMMUNITY, COMMUNITY.population(v, P), "T", "2015Q2")
    assert result.denominator == denominator and result.status == status
    assert result.value == 100.0  # an NA result keeps its counts and value; displays hide it
