"""The data dictionary (``docs/data-dictionary.md``, version 3) declared once.

Every file of a quarterly package, its columns, their types, allowed values and
whether they are required. Ingestion validates against it, storage builds its row
tables from it and the measures read the column names from it. Pure data: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DICTIONARY_VERSION = "3"
# Version 2 added the case-mix adjusters of survey_responses.csv (all optional): a version 1 package,
# which has none of them, stays valid and means the same. Version 3 added the members' race, ethnicity and
# preferred language (all optional, blank = unknown; results by group): earlier packages stay valid and give
# the same results, their members ``unknown`` in those three stratifiers.

ID_PATTERN = r"^[A-Za-z0-9-]{1,20}$"


# Column types: "id", "date", "enum", "flag" (Y/N), "int".
@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    allowed: tuple = ()
    low: int | None = None
    high: int | None = None
    description: str = ""
    since: str = "1"  # the dictionary version that added the column

    def describe_type(self) -> str:
        if self.type == "id":
            return "identifier: 1-20 characters of A-Z a-z 0-9 -"
        if self.type == "date":
            return "date YYYY-MM-DD"
        if self.type == "flag":
            return "Y or N"
        if self.type == "enum":
            return "one of " + ", ".join(self.allowed)
        if self.type == "int":
            return f"whole number {self.low}..{self.high}"
        return self.type


@dataclass(frozen=True)
class FileSpec:
    name: str  # "members" (the file is members.csv, the XLSX sheet "members")
    required: bool
    grain: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


OUTCOMES = ("completed", "refused", "unable_to_reach")
RATING_CATEGORIES = ("F1", "C3B", "C3A", "C2B", "C2A", "C1")
LTSS_CATEGORIES = ("F1", "C3A", "C3B")
HEALTH_LABELS = {1: "excellent", 2: "very good", 3: "good", 4: "fair", 5: "poor"}
EDUCATION_LABELS = {
    1: "eighth grade or less",
    2: "some high school",
    3: "high school graduate or GED",
    4: "some college or a 2-year degree",
    5: "a 4-year college degree",
    6: "more than a 4-year degree",
}
LANGUAGES = ("english", "spanish", "other")
RACES = (
    "american_indian_alaska_native",
    "asian",
    "black",
    "native_hawaiian_pacific_islander",
    "white",
    "multiple",
    "other",
    "declined",
)
ETHNICITIES = ("hispanic", "not_hispanic", "declined")
MEMBER_LANGUAGES = (*LANGUAGES, "declined")


def _labels(labels: dict[int, str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in labels.items())


def _freq(name: str, description: str) -> Column:
    return Column(name, "int", low=1, high=4, description=description)


MEMBERS = FileSpec(
    "members",
    True,
    "one row per enrollment span that covers at least one day of the period",
    (
        Column("member_id", "id", True, description="the ICO's member identifier, stable across quarters"),
        Column("birth_date", "date", True, description="age on enrollment_start is 21..64 (One Care eligibility)"),
        Column("sex", "enum", True, ("F", "M", "U")),
        Column(
            "enrollment_start",
            "date",
            True,
            description="first day of this continuous enrollment span; on or before period end",
        ),
        Column(
            "enrollment_end", "date", description="last enrolled day of the span; blank = still enrolled at period end"
        ),
        Column("enrollment_method", "enum", True, ("voluntary", "passive")),
        Column(
            "rating_category",
            "enum",
            True,
            RATING_CATEGORIES,
            description="rating category at the end of the span or period",
        ),
        Column(
            "death_date",
            "date",
            description="on or before period end; when present, enrollment_end is present and not after it",
        ),
        Column("race", "enum", False, RACES, since="3", description="as the member reported it; blank = unknown"),
        Column(
            "ethnicity", "enum", False, ETHNICITIES, since="3", description="as the member reported it; blank = unknown"
        ),
        Column(
            "language",
            "enum",
            False,
            MEMBER_LANGUAGES,
            since="3",
            description="the member's preferred language; blank = unknown",
        ),
    ),
    key=("member_id", "enrollment_start"),
    notes=("Spans of one member do not overlap.",),
)

ASSESSMENTS = FileSpec(
    "assessments",
    True,
    "one row per assessment event dated in the period",
    (
        Column("member_id", "id", True, description="enrolled on event_date"),
        Column("event_date", "date", True, description="within the period"),
        Column("assessment_type", "enum", True, ("initial", "reassessment")),
        Column(
            "outcome",
            "enum",
            True,
            OUTCOMES,
            description="refused: documented as unwilling; unable_to_reach: one documented, unsuccessful outreach attempt",
        ),
    ),
    key=("member_id", "event_date", "assessment_type", "outcome"),
)

CARE_PLANS = FileSpec(
    "care_plans",
    True,
    "one row per care-plan event dated in the period",
    (
        Column("member_id", "id", True, description="enrolled on event_date"),
        Column("event_date", "date", True, description="within the period"),
        Column("outcome", "enum", True, OUTCOMES),
        Column(
            "ltss_coordinator",
            "flag",
            description="required when outcome is completed: an independent LTS Coordinator took part",
        ),
    ),
    key=("member_id", "event_date", "outcome"),
)

INPATIENT_STAYS = FileSpec(
    "inpatient_stays",
    True,
    "one row per acute inpatient stay discharged in the period",
    (
        Column("stay_id", "id", True, description="unique across all quarters of the ICO"),
        Column("member_id", "id", True, description="enrolled on admission_date or discharge_date"),
        Column("admission_date", "date", True, description="on or before discharge_date"),
        Column("discharge_date", "date", True, description="within the period"),
        Column("principal_diagnosis_group", "enum", True, ("mental_health", "self_harm", "substance_use", "other")),
        Column("discharge_status", "enum", True, ("home", "transfer_acute", "facility", "died", "other")),
        Column("planned", "flag", True, description="a planned admission (e.g. scheduled surgery)"),
    ),
    key=("stay_id",),
)

VISITS = FileSpec(
    "visits",
    True,
    "one row per outpatient visit dated in the period",
    (
        Column("member_id", "id", True),
        Column("visit_date", "date", True, description="within the period"),
        Column(
            "provider_type",
            "enum",
            True,
            ("mental_health", "primary_care", "other"),
            description="mental_health: a visit with a mental-health practitioner",
        ),
    ),
    key=("member_id", "visit_date", "provider_type"),
)

FACILITY_STAYS = FileSpec(
    "facility_stays",
    True,
    "one row per nursing-facility stay that overlaps the period, as known at period end",
    (
        Column(
            "stay_id", "id", True, description="unique in the file; the same stay keeps its id from quarter to quarter"
        ),
        Column("member_id", "id", True),
        Column("admission_date", "date", True, description="on or before period end"),
        Column(
            "discharge_date",
            "date",
            description="blank = still in the facility at period end; on or after admission_date and period start",
        ),
        Column(
            "discharge_to",
            "enum",
            False,
            ("community", "hospital", "died", "other"),
            description="required when discharge_date is present",
        ),
    ),
    key=("stay_id",),
    notes=("The row from the latest period that reports a stay_id is the one that counts.",),
)

SURVEY_RESPONSES = FileSpec(
    "survey_responses",
    False,
    "one row per completed experience-of-care survey fielded in the period",
    (
        Column("response_id", "id", True, description="unique across all quarters of the ICO"),
        Column("member_id", "id"),
        Column("survey_date", "date", True, description="within the period"),
        Column("rating_health_plan", "int", low=0, high=10, description="0 = worst health plan possible, 10 = best"),
        _freq("gnc_specialist", "getting needed care: easy to get appointments with specialists"),
        _freq("gnc_care_tests", "getting needed care: easy to get the care, tests or treatment needed"),
        _freq("gcq_urgent", "getting care quickly: care as soon as needed when sick or injured"),
        _freq("gcq_routine", "getting care quickly: routine appointment as soon as needed"),
        _freq("cc_records", "care coordination: personal doctor had your medical records"),
        _freq("cc_followup", "care coordination: someone followed up to give test results"),
        Column("flu_vaccine", "flag", description="had a flu shot since July 1 of the prior year"),
        Column(
            "general_health",
            "int",
            low=1,
            high=5,
            since="2",
            description="case-mix adjuster: self-rated general health, " + _labels(HEALTH_LABELS),
        ),
        Column(
            "mental_health",
            "int",
            low=1,
            high=5,
            since="2",
            description="case-mix adjuster: self-rated mental or emotional health, " + _labels(HEALTH_LABELS),
        ),
        Column(
            "education",
            "int",
            low=1,
            high=6,
            since="2",
            description="case-mix adjuster: highest grade completed, " + _labels(EDUCATION_LABELS),
        ),
        Column("proxy", "flag", since="2", description="case-mix adjuster: Y = someone helped the member answer"),
        Column(
            "survey_language",
            "enum",
            False,
            LANGUAGES,
            since="2",
            description="case-mix adjuster: the language the survey was answered in",
        ),
    ),
    key=("response_id",),
)


def typed(frame, spec: FileSpec):
    """A frame of one file with its columns typed as the measures read them: dates as datetime64,
    integers as nullable floats, everything else as objects with None for blank. A column the frame lacks
    (a file written before the dictionary version that added it) is blank."""
    import pandas as pd

    out = frame.copy()
    for col in spec.columns:
        s = out[col.name] if col.name in out else pd.Series(None, index=out.index, dtype=object)
        if col.type == "date":
            out[col.name] = pd.to_datetime(s)
        elif col.type == "int":
            out[col.name] = pd.to_numeric(s).astype("Float64")
        else:
            out[col.name] = s.astype(object).where(s.notna(), None)
    return out


FILES: dict[str, FileSpec] = {
    f.name: f for f in (MEMBERS, ASSESSMENTS, CARE_PLANS, INPATIENT_STAYS, VISITS, FACILITY_STAYS, SURVEY_RESPONSES)
}
