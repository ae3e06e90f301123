"""Member lists (gap lists, every unit behind a result, the upcoming 90-day deadlines) as people read
them: the words of the measure's definition for each column, Yes/No, plain dates, a short legend. The
same labels head the page's table and the CSV/XLSX exports."""

from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd

LABELS = {
    "member_id": "Member ID",
    "stay_id": "Stay ID",
    "response_id": "Response ID",
    "enrollment_start": "Enrollment start",
    "enrollment_end": "Enrollment end",
    "rating_category": "Rating category",
    "d90": "Day 90",
    "B": "Refused",
    "C": "Unable to reach after 3 attempts",
    "outreach_attempts": "Unable-to-reach attempts",
    "days_left": "Days left",
    "event_date": "Assessment date",
    "day_365": "Day 365",
    "day_1": "Day 1",
    "day_2": "Day 2",
    "day_30": "Day 30",
    "day_60": "Day 60",
    "day_n": "Last day of the follow-up window",
    "day": "Day",
    "admission_date": "Admission date",
    "discharge_date": "Discharge date",
    "discharge_status": "Discharge status",
    "principal_diagnosis_group": "Diagnosis group",
    "excluded": "Excluded",
    "death_date": "Date of death",
    "readmitted": "Readmitted",
    "died": "Died",
    "kind": "Counted as",
    "latest_care_plan": "Latest care plan",
    "survey_date": "Survey date",
    "denominator": "In the denominator",
    "numerator": "In the numerator",
    "rating_health_plan": "Rating of health plan",
    "gnc_specialist": "Getting needed care: specialist",
    "gnc_care_tests": "Getting needed care: care, tests",
    "gcq_urgent": "Getting care quickly: urgent",
    "gcq_routine": "Getting care quickly: routine",
    "cc_records": "Care coordination: records",
    "cc_followup": "Care coordination: follow-up",
    "flu_vaccine": "Flu vaccine",
}

NOTES = {
    "d90": "Day 90: enrollment start + 89 days, the last day for the assessment or care plan.",
    "B": "Refused: no completed one by day 90, and the member refused (excluded from the adjusted rate).",
    "C": "Unable to reach after 3 attempts: no completed one, no refusal, and at least three documented "
    "unable-to-reach attempts by day 90 (excluded from the adjusted rate).",
    "outreach_attempts": "Unable-to-reach attempts: the documented attempts up to day 90.",
    "day_n": "Last day of the follow-up window: discharge date + 7 (7-day measure) or + 30 (30-day measure).",
    "excluded": "Excluded: readmitted, or admitted to a facility, within 30 days of the discharge.",
    "days_left": "Days left: from the end of the newest data to day 90.",
}


def label(column: str) -> str:
    return LABELS.get(column, column.replace("_", " ").capitalize())


def table(units: pd.DataFrame) -> tuple[list[str], list[list]]:
    """Column labels and rows of display values (str, int, or None for blank)."""
    return [label(c) for c in units.columns], [[cell(v) for v in row] for row in units.itertuples(index=False)]


def legend(units: pd.DataFrame) -> list[str]:
    return [NOTES[c] for c in units.columns if c in NOTES]


def cell(v):
    """Yes/No, YYYY-MM-DD for a date, whole numbers without ``.0``, blank for a missing value."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, (bool,)) or type(v).__name__ == "bool_":
        return "Yes" if v else "No"
    if isinstance(v, (pd.Timestamp, datetime)):
        return v.date().isoformat() if (v.hour, v.minute, v.second) == (0, 0, 0) else v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if hasattr(v, "item"):  # numpy scalars
        return cell(v.item())
    return v
