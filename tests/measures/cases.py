"""Building synthetic data in view: one small set of rows per case, each case its own member."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from measures import DataInView, Period
from measures.dictionary import FILES, typed

P = Period.parse("2015Q2")  # 2015-04-01 .. 2015-06-30


def d(text: str) -> date:
    return date.fromisoformat(text)


def plus(day: str | date, n: int) -> str:
    return ((d(day) if isinstance(day, str) else day) + timedelta(days=n)).isoformat()


class Case:
    """Rows for one case; every row gets the case's member id."""

    def __init__(self, case_id: str):
        self.id = case_id
        self.member = case_id
        self.rows: dict[str, list[dict]] = {name: [] for name in FILES}

    def span(self, start, end=None, death=None, category="C1"):
        self.rows["members"].append(
            dict(
                member_id=self.member,
                birth_date="1960-01-01",
                sex="F",
                enrollment_start=start,
                enrollment_end=end,
                enrollment_method="passive",
                rating_category=category,
                death_date=death,
            )
        )
        return self

    def assessment(self, day, outcome="completed", kind="initial"):
        self.rows["assessments"].append(
            dict(member_id=self.member, event_date=day, assessment_type=kind, outcome=outcome)
        )
        return self

    def care_plan(self, day, outcome="completed", lts="N"):
        self.rows["care_plans"].append(
            dict(
                member_id=self.member,
                event_date=day,
                outcome=outcome,
                ltss_coordinator=lts if outcome == "completed" else None,
            )
        )
        return self

    def stay(self, stay_id, admitted, discharged, group="mental_health", status="home", planned="N"):
        self.rows["inpatient_stays"].append(
            dict(
                stay_id=f"{self.member}-{stay_id}",
                member_id=self.member,
                admission_date=admitted,
                discharge_date=discharged,
                principal_diagnosis_group=group,
                discharge_status=status,
                planned=planned,
            )
        )
        return self

    def visit(self, day, kind="mental_health"):
        self.rows["visits"].append(dict(member_id=self.member, visit_date=day, provider_type=kind))
        return self

    def facility(self, stay_id, admitted, discharged=None, to=None):
        self.rows["facility_stays"].append(
            dict(
                stay_id=f"{self.member}-{stay_id}",
                member_id=self.member,
                admission_date=admitted,
                discharge_date=discharged,
                discharge_to=to or ("community" if discharged else None),
            )
        )
        return self

    def survey(self, response_id, day, **answers):
        row = dict(response_id=f"{self.member}-{response_id}", member_id=self.member, survey_date=day)
        row.update(answers)
        self.rows["survey_responses"].append(row)
        return self


def view(cases: list[Case]) -> DataInView:
    frames = {}
    for name, spec in FILES.items():
        rows = [r for c in cases for r in c.rows[name]]
        frames[name] = typed(pd.DataFrame(rows, columns=spec.column_names), spec)
    return DataInView.from_frames(frames)


def units_by_member(measure, cases, period=P) -> dict[str, pd.DataFrame]:
    v = view(cases)
    units = v.restore_members(measure.population(v, period).reset_index(drop=True))
    return {c.id: units[units["member_id"] == c.id] for c in cases}


def check_table(measure, table, period=P):
    """``table``: [(case, expected)] with expected {column: bool} for the case's single unit, or None
    when the case has no unit in the per-unit frame at all (or one not in the denominator)."""
    got = units_by_member(measure, [c for c, _ in table], period)
    problems = []
    for case, expected in table:
        rows = got[case.id]
        if expected is not None and "stay" in expected:
            expected = dict(expected)
            rows = rows[rows["stay_id"] == f"{case.id}-{expected.pop('stay')}"]
        if expected is not None and "on" in expected:
            expected = dict(expected)
            on = expected.pop("on")
            rows = rows[rows[on[0]] == pd.Timestamp(on[1])]
        if expected is None:
            if len(rows) and rows["denominator"].any():
                problems.append(f"{case.id}: expected outside the denominator, got {rows.to_dict('records')}")
            continue
        if len(rows) != 1:
            problems.append(f"{case.id}: expected one unit, got {len(rows)}")
            continue
        for column, value in expected.items():
            if bool(rows.iloc[0][column]) != value:
                problems.append(f"{case.id}: {column} is {bool(rows.iloc[0][column])}, expected {value}")
    return problems
