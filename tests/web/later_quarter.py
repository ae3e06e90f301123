"""A package for a quarter after the worked example's: an ICO's 2015Q3 package with every date moved on by
whole months (2015Q3 + 6 months = 2016Q1) and its stay and
response ids renamed (they are unique across quarters), written as CSV files a test uploads as that quarter."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.conftest import EXAMPLES

DATE_COLUMNS = {
    "members.csv": ["birth_date", "enrollment_start", "enrollment_end", "death_date"],
    "assessments.csv": ["event_date"],
    "care_plans.csv": ["event_date"],
    "facility_stays.csv": ["admission_date", "discharge_date"],
    "inpatient_stays.csv": ["admission_date", "discharge_date"],
    "survey_responses.csv": ["survey_date"],
    "visits.csv": ["visit_date"],
}


def moved_package(ico: str, folder: Path, months: int = 6, source: str = "2015Q3") -> Path:
    """``ico``'s ``source`` package with its dates ``months`` later, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted((EXAMPLES / "packages" / ico / source).iterdir()):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in DATE_COLUMNS.get(path.name, []):
            dates = pd.to_datetime(frame[column].replace("", None))
            moved = (dates + pd.DateOffset(months=months)).dt.strftime("%Y-%m-%d")
            frame[column] = moved.where(dates.notna(), "")
        for column in ("stay_id", "response_id"):  # ids are unique across quarters
            if column in frame:
                frame[column] = frame[column] + "L"
        frame.to_csv(folder / path.name, index=False)
    return folder
