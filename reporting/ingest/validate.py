"""Validation of every rule of the data dictionary, vectorised, every failure at once.

``validate`` takes the raw tables of a package and the ICO's context (what earlier accepted
packages said) and returns the typed frames as a ``ValidatedPackage``, or None when any error
was found; every failure goes into the report. Row numbers are as a spreadsheet shows them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from measures import Period
from measures._toolkit import enrolled_on
from measures.dictionary import FILES, ID_PATTERN, FileSpec
from reporting.ingest.readers import RawTable
from reporting.ingest.report import Failure, Report

DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"  # ASCII digits only (``\d`` also matches "２０１５")
INT_RE = r"^[0-9]+$"  # plain ASCII digits: no sign, decimal point, exponent or other digits ("3.0", "1e1", "３")


@dataclass(frozen=True)
class Context:
    """What the ICO's earlier accepted packages (in force, other periods) say."""

    period: Period
    previous_period: str | None = None  # the ICO's latest accepted period before this one
    previous_spans: pd.DataFrame | None = None  # its members.csv
    earlier_spans: pd.DataFrame | None = None  # spans of every earlier in-force package
    inpatient_ids: dict = field(default_factory=dict)  # stay_id -> period, other periods
    response_ids: dict = field(default_factory=dict)  # response_id -> period, other periods
    facility_admissions: pd.DataFrame | None = None  # stay_id, admission_date, period (latest row, earlier periods)
    programme: str = "One Care"  # the programme's name, in messages
    min_age: int = 21  # its age eligibility at enrollment (programmes.Programme)
    max_age: int | None = 64  # None: no upper bound


def build_context(period: Period, others: list[tuple[str, dict[str, pd.DataFrame]]], programme=None) -> Context:
    """The context of a package from the ICO's in-force accepted packages of *other* periods
    (``[(period_code, frames)]``); only earlier periods matter for spans and stays. ``programme`` (a
    ``programmes.Programme``) gives the eligibility; None: One Care's, 21 to 64."""

    def key(code):
        return Period.parse(code).begin

    earlier = sorted([(c, f) for c, f in others if key(c) < period.begin], key=lambda cf: key(cf[0]))

    def ids(file, column):
        out = {}
        for code, frames in others:
            if file in frames and len(frames[file]):
                out.update(dict.fromkeys(frames[file][column].tolist(), code))
        return out

    spans = [f["members"] for _, f in earlier if "members" in f]
    stays = [
        f["facility_stays"][["stay_id", "admission_date"]].assign(period=c)
        for c, f in earlier
        if "facility_stays" in f and len(f["facility_stays"])
    ]
    return Context(
        period=period,
        previous_period=earlier[-1][0] if earlier else None,
        previous_spans=earlier[-1][1].get("members") if earlier else None,
        earlier_spans=pd.concat(spans, ignore_index=True) if spans else None,
        inpatient_ids=ids("inpatient_stays", "stay_id"),
        response_ids=ids("survey_responses", "response_id"),
        facility_admissions=(
            pd.concat(stays, ignore_index=True).drop_duplicates("stay_id", keep="last") if stays else None
        ),
        **(
            {"programme": programme.name, "min_age": programme.min_age, "max_age": programme.max_age}
            if programme is not None
            else {}
        ),
    )


@dataclass(frozen=True)
class ValidatedPackage:
    period: str
    frames: dict[str, pd.DataFrame]  # typed, blank = missing, with ``row_number``
    row_count: int


def validate(tables: dict[str, RawTable], context: Context, report: Report) -> ValidatedPackage | None:
    typed: dict[str, pd.DataFrame] = {}
    for name, spec in FILES.items():
        table = tables.get(name)
        if table is None:
            if spec.required:
                report.add(
                    Failure(
                        spec.filename,
                        None,
                        "",
                        "",
                        "missing_file",
                        "error",
                        f"{spec.filename} is missing from the package. It is required every quarter; when "
                        f"there are no rows, include it with its header line only.",
                    )
                )
            continue
        frame = _columns(table.frame, spec, report)
        if frame is not None:
            typed[name] = _values(frame, spec, report)
    _some_rows(tables, report)
    rules = FileRules(typed, context, report)
    rules.run()
    if report.has_errors():
        return None
    return ValidatedPackage(context.period.code, typed, sum(len(f) for f in typed.values()))


def _some_rows(tables: dict[str, RawTable], report: Report) -> None:
    """A package of headers only would replace the quarter in force with nothing: it is refused."""
    if tables and not any(len(t.frame) for t in tables.values()):
        report.add(
            Failure(
                "",
                None,
                "",
                "",
                "no_data_rows",
                "error",
                "The package has no data rows; every file holds its header line only. Fill in the quarter's rows "
                "(members.csv at least) and upload it again; the version in force, if any, stays as it is.",
            )
        )


# --- header and values --------------------------------------------------------------------------


def _columns(raw: pd.DataFrame, spec: FileSpec, report: Report) -> pd.DataFrame | None:
    names = [str(c).strip().lower() for c in raw.columns]
    seen, ok = set(), True
    for original, name in zip(raw.columns, names):
        if name in seen:
            report.add(
                Failure(
                    spec.filename,
                    1,
                    name,
                    str(original),
                    "duplicate_column",
                    "error",
                    f"The column '{name}' appears twice in the header of {spec.filename}. Remove one of them.",
                )
            )
            ok = False
        seen.add(name)
    frame = raw.set_axis(names, axis=1)
    for name in names:
        if name not in spec.column_names:
            report.add(
                Failure(
                    spec.filename,
                    1,
                    name,
                    name,
                    "unknown_column",
                    "warning",
                    f"{spec.filename} has a column '{name}' that is not in the data dictionary; it was ignored. "
                    f"The columns are: {', '.join(spec.column_names)}.",
                )
            )
    newer = {c.name for c in spec.columns if c.since != "1"}
    version_1 = not newer.intersection(names)  # a version 1 file: its columns added later are simply blank
    for col in spec.columns:
        if col.name not in names:
            if col.required:
                report.add(
                    Failure(
                        spec.filename,
                        1,
                        col.name,
                        "",
                        "missing_column",
                        "error",
                        f"{spec.filename} has no column '{col.name}' ({col.describe_type()}). Add it to the "
                        f"header line; column names are matched without regard to case or order.",
                    )
                )
                ok = False
            elif not (version_1 and col.name in newer):
                report.add(
                    Failure(
                        spec.filename,
                        1,
                        col.name,
                        "",
                        "missing_column",
                        "warning",
                        f"{spec.filename} has no column '{col.name}'; its values are taken as blank.",
                    )
                )
            if not col.required:
                frame = frame.assign(**{col.name: ""})
    if not ok:
        return None
    frame = frame.loc[:, ~pd.Index(names).duplicated()] if len(set(names)) != len(names) else frame
    return frame[spec.column_names].apply(lambda s: s.str.strip()).assign(row_number=np.arange(len(frame)) + 2)


def _values(frame: pd.DataFrame, spec: FileSpec, report: Report) -> pd.DataFrame:
    out = {"row_number": frame["row_number"]}
    rows = frame["row_number"]
    fname = spec.filename
    for col in spec.columns:
        s = frame[col.name]
        blank = s == ""
        if col.required:
            report.add_rows(
                fname,
                rows[blank],
                col.name,
                s[blank],
                "blank_required",
                "error",
                f"{col.name} is required and is blank. Fill it in ({col.describe_type()}).",
            )
        present = ~blank
        if col.type == "date":
            parsed = pd.to_datetime(s.where(present & s.str.match(DATE_RE), None), format="%Y-%m-%d", errors="coerce")
            bad = present & parsed.isna()
            report.add_rows(
                fname,
                rows[bad],
                col.name,
                s[bad],
                "invalid_date",
                "error",
                "'" + s[bad] + f"' is not a date. Write {col.name} as YYYY-MM-DD with the digits 0-9, e.g. 2014-07-01.",
            )
            out[col.name] = parsed
        elif col.type == "int":
            number = pd.to_numeric(s.where(present & s.str.match(INT_RE), None), errors="coerce")
            bad = present & (number.isna() | (number < col.low) | (number > col.high))
            report.add_rows(
                fname,
                rows[bad],
                col.name,
                s[bad],
                "invalid_value",
                "error",
                "'" + s[bad] + f"' is not allowed in {col.name}: use a whole number from {col.low} to "
                f"{col.high} in the digits 0-9 only (no sign, decimal point or exponent), or leave it blank.",
            )
            out[col.name] = number.where(~bad).astype("Float64")
        else:
            if col.type == "id":
                bad = present & ~s.str.match(ID_PATTERN)
                message = "'" + s[bad] + f"' is not a valid {col.name}: use 1-20 characters of A-Z, a-z, 0-9 and '-'."
            else:
                allowed = ("Y", "N") if col.type == "flag" else col.allowed
                bad = present & ~s.isin(allowed)
                message = (
                    "'"
                    + s[bad]
                    + f"' is not allowed in {col.name}: use one of {', '.join(allowed)} (exactly as written)."
                )
            report.add_rows(fname, rows[bad], col.name, s[bad], "invalid_value", "error", message)
            out[col.name] = s.where(present & ~bad, None)
    return pd.DataFrame(out)


# --- rules across columns, rows, files and quarters ---------------------------------------------


class FileRules:
    """The dictionary's rules beyond a single value. A rule is skipped for rows whose inputs are invalid
    (they are already reported)."""

    def __init__(self, typed: dict[str, pd.DataFrame], context: Context, report: Report):
        self.t, self.ctx, self.report, self.P = typed, context, report, context.period

    def run(self) -> None:
        for name in FILES:
            if name in self.t:
                getattr(self, name)(self.t[name])

    def fail(
        self, name: str, frame: pd.DataFrame, mask: pd.Series, column: str, rule: str, message, severity: str = "error"
    ) -> None:
        mask = mask.fillna(False).astype(bool)
        values = frame.loc[mask, column].astype(object).map(_show)
        msg = message(frame[mask]) if callable(message) else message
        self.report.add_rows(f"{name}.csv", frame.loc[mask, "row_number"], column, values, rule, severity, msg)

    def within_period(self, name: str, f: pd.DataFrame, column: str) -> None:
        outside = f[column].notna() & ((f[column] < self.P.ts_begin) | (f[column] > self.P.ts_end))
        self.fail(
            name,
            f,
            outside,
            column,
            "outside_period",
            f"{column} must be within the period {self.P.code} ({self.P.begin} to {self.P.end}). Report the row "
            f"in the package of the quarter it belongs to.",
        )

    def duplicates(self, name: str, f: pd.DataFrame, key: list[str], what: str) -> None:
        complete = f[key].notna().all(axis=1)
        dup = complete & f.duplicated(key, keep="first")
        first = f[complete].drop_duplicates(key).set_index(key)["row_number"]

        def message(rows):
            seen = rows.join(first.rename("first_row"), on=key)["first_row"].astype("Int64").astype(str)
            return f"This row repeats {what} already given on row " + seen + ". Remove the duplicate."

        self.fail(name, f, dup, key[0], "duplicate_key", message)

    # members.csv
    def members(self, f: pd.DataFrame) -> None:
        P = self.P
        start, end, death, birth = f["enrollment_start"], f["enrollment_end"], f["death_date"], f["birth_date"]
        age = _age(birth, start)
        low, high = self.ctx.min_age, self.ctx.max_age
        ages = f"aged {low} to {high}" if high is not None else f"aged {low} and over"
        self.fail(
            "members",
            f,
            age.notna() & ((age < low) | (age > high if high is not None else False)),
            "birth_date",
            "age_eligibility",
            lambda r: (
                "The member is "
                + _age(r["birth_date"], r["enrollment_start"]).astype("Int64").astype(str)
                + f" on enrollment_start; {self.ctx.programme} enrolls people {ages}. Check birth_date and "
                "enrollment_start."
            ),
        )
        self.fail(
            "members",
            f,
            start > P.ts_end,
            "enrollment_start",
            "start_after_period",
            f"enrollment_start is after the period ends ({P.end}). Report this span from the quarter it starts in.",
        )
        self.fail(
            "members",
            f,
            end.notna() & start.notna() & (end < start),
            "enrollment_end",
            "end_before_start",
            "enrollment_end is before enrollment_start. Check the two dates.",
        )
        self.fail(
            "members",
            f,
            end.notna() & (end < P.ts_begin),
            "enrollment_end",
            "span_before_period",
            f"enrollment_end is before the period starts ({P.begin}): the span does not cover a day of the period. "
            f"Leave it out of this quarter's members.csv.",
        )
        self.fail(
            "members",
            f,
            death.notna() & (death > P.ts_end),
            "death_date",
            "death_after_period",
            f"death_date is after the period ends ({P.end}). It cannot be known yet; check the date.",
        )
        self.fail(
            "members",
            f,
            death.notna() & end.isna(),
            "enrollment_end",
            "death_without_end",
            "The member has a death_date but no enrollment_end. Set enrollment_end to the last enrolled day "
            "(on or before the death date).",
        )
        self.fail(
            "members",
            f,
            death.notna() & end.notna() & (end > death),
            "enrollment_end",
            "end_after_death",
            "enrollment_end is after death_date. Enrollment ends on or before the day of death.",
        )
        self.duplicates("members", f, ["member_id", "enrollment_start"], "the member_id and enrollment_start")
        self._overlaps(f)
        self._span_changes(f)

    def _overlaps(self, f: pd.DataFrame) -> None:
        spans = f[f["member_id"].notna() & f["enrollment_start"].notna()].sort_values(["member_id", "enrollment_start"])
        spans = spans.drop_duplicates(["member_id", "enrollment_start"])
        prev_end = spans.groupby("member_id")["enrollment_end"].shift()
        prev_exists = spans["member_id"].eq(spans["member_id"].shift())
        overlap = prev_exists & (prev_end.isna() | (prev_end >= spans["enrollment_start"]))
        self.fail(
            "members",
            spans,
            overlap,
            "enrollment_start",
            "span_overlap",
            "This span overlaps another span of the same member. Spans of one member must not overlap: "
            "end the earlier span before this one starts.",
        )

    def _span_changes(self, f: pd.DataFrame) -> None:
        ctx = self.ctx
        if ctx.previous_spans is None:
            return
        prev = ctx.previous_spans
        now_members, prev_members = f["member_id"].nunique(), prev["member_id"].nunique()
        if prev_members and abs(now_members - prev_members) / prev_members > 0.30:
            self.report.add(
                Failure(
                    "members.csv",
                    None,
                    "member_id",
                    str(now_members),
                    "member_count_change",
                    "warning",
                    f"The package has {now_members:,} members; {ctx.previous_period} had {prev_members:,} "
                    f"({(now_members - prev_members) / prev_members:+.0%}). Check that members.csv is complete.",
                )
            )
        pairs = f[["member_id", "enrollment_start", "enrollment_end", "row_number"]].merge(
            prev[["member_id", "enrollment_start", "enrollment_end"]], on="member_id", suffixes=("", "_prev")
        )
        # The previous span is known up to its end, or to the end of the period that reported it.
        known_end = pairs["enrollment_end_prev"].fillna(Period.parse(ctx.previous_period).ts_end)
        overlap = (pairs["enrollment_start"] <= known_end) & (
            pairs["enrollment_end"].isna() | (pairs["enrollment_start_prev"] <= pairs["enrollment_end"])
        )
        changed = pairs[overlap & (pairs["enrollment_start"] != pairs["enrollment_start_prev"])]
        self.fail(
            "members",
            changed,
            pd.Series(True, index=changed.index),
            "enrollment_start",
            "span_start_changed",
            lambda r: (
                f"This span's enrollment_start differs from the one reported for the same span in "
                f"{ctx.previous_period} ("
                + r["enrollment_start_prev"].dt.strftime("%Y-%m-%d")
                + "). Check which is right."
            ),
            severity="warning",
        )

    # assessments.csv, care_plans.csv
    def _events(self, name: str, f: pd.DataFrame, key: list[str], what: str) -> None:
        self.within_period(name, f, "event_date")
        self.duplicates(name, f, key, what)
        spans = self.t.get("members")
        if spans is not None:
            known = f["member_id"].notna() & f["event_date"].notna()
            enrolled = enrolled_on(spans, f[known], "event_date").reindex(f.index, fill_value=True)
            self.fail(
                name,
                f,
                known & ~enrolled,
                "member_id",
                "not_enrolled",
                "No enrollment span in this package's members.csv covers this member on event_date. "
                "Add the member's span, or correct the member_id or date.",
            )

    def assessments(self, f):
        self._events("assessments", f, ["member_id", "event_date", "assessment_type", "outcome"], "the same assessment")

    def care_plans(self, f):
        self._events("care_plans", f, ["member_id", "event_date", "outcome"], "the member_id, event_date and outcome")
        self.fail(
            "care_plans",
            f,
            (f["outcome"] == "completed") & f["ltss_coordinator"].isna(),
            "ltss_coordinator",
            "required_when_completed",
            "ltss_coordinator is required when the outcome is completed: Y if an "
            "independent LTS Coordinator took part in the care plan, N if not.",
        )

    # inpatient_stays.csv
    def inpatient_stays(self, f):
        self.within_period("inpatient_stays", f, "discharge_date")
        adm, dis = f["admission_date"], f["discharge_date"]
        self.fail(
            "inpatient_stays",
            f,
            adm.notna() & dis.notna() & (adm > dis),
            "admission_date",
            "admission_after_discharge",
            "admission_date is after discharge_date. Check the two dates.",
        )
        self.duplicates("inpatient_stays", f, ["stay_id"], "this stay_id")
        self._reused_ids("inpatient_stays", f, "stay_id", self.ctx.inpatient_ids)
        members = self.t.get("members")
        found = [s for s in (members, self.ctx.earlier_spans) if s is not None and len(s)]
        spans = None if members is None else pd.concat(found, ignore_index=True) if found else members
        if spans is not None:
            known = f["member_id"].notna() & adm.notna() & dis.notna()
            g = f[known]
            ok = (enrolled_on(spans, g, "admission_date") | enrolled_on(spans, g, "discharge_date")).reindex(
                f.index, fill_value=True
            )
            self.fail(
                "inpatient_stays",
                f,
                known & ~ok,
                "member_id",
                "not_enrolled",
                "The member is not enrolled on the admission date or the discharge date (no span in this or an "
                "earlier package covers either). Check the member_id and the dates.",
            )

    def _reused_ids(self, name: str, f: pd.DataFrame, column: str, earlier: dict) -> None:
        if not earlier:
            return
        where = f[column].map(earlier)
        self.fail(
            name,
            f,
            where.notna(),
            column,
            "id_reused",
            lambda r: (
                f"This {column} was already reported in "
                + r[column].map(earlier)
                + f". A {column} is unique across all quarters: give this one a new id."
            ),
        )

    # visits.csv
    def visits(self, f):
        self.within_period("visits", f, "visit_date")
        self.duplicates("visits", f, ["member_id", "visit_date", "provider_type"], "the same visit")

    # facility_stays.csv
    def facility_stays(self, f):
        P = self.P
        adm, dis = f["admission_date"], f["discharge_date"]
        self.fail(
            "facility_stays",
            f,
            adm > P.ts_end,
            "admission_date",
            "admission_after_period",
            f"admission_date is after the period ends ({P.end}). Report the stay from the quarter it starts in.",
        )
        self.fail(
            "facility_stays",
            f,
            dis.notna() & adm.notna() & (dis < adm),
            "discharge_date",
            "end_before_start",
            "discharge_date is before admission_date. Check the two dates.",
        )
        self.fail(
            "facility_stays",
            f,
            dis.notna() & (dis < P.ts_begin),
            "discharge_date",
            "stay_before_period",
            f"discharge_date is before the period starts ({P.begin}): the stay does not overlap the period.",
        )
        self.fail(
            "facility_stays",
            f,
            dis.notna() & f["discharge_to"].isna(),
            "discharge_to",
            "required_when_discharged",
            "discharge_to is required when discharge_date is given: community, hospital, died or other.",
        )
        self.duplicates("facility_stays", f, ["stay_id"], "this stay_id")
        earlier = self.ctx.facility_admissions
        if earlier is not None and len(earlier):
            pairs = f[["stay_id", "admission_date", "row_number"]].merge(earlier, on="stay_id", suffixes=("", "_prev"))
            changed = pairs[pairs["admission_date"].notna() & (pairs["admission_date"] != pairs["admission_date_prev"])]
            self.fail(
                "facility_stays",
                changed,
                pd.Series(True, index=changed.index),
                "admission_date",
                "admission_date_changed",
                lambda r: (
                    "The admission_date of this stay_id changed: "
                    + r["period"]
                    + " reported "
                    + r["admission_date_prev"].dt.strftime("%Y-%m-%d")
                    + ". Check which is right."
                ),
                severity="warning",
            )

    # survey_responses.csv
    def survey_responses(self, f):
        self.within_period("survey_responses", f, "survey_date")
        self.duplicates("survey_responses", f, ["response_id"], "this response_id")
        self._reused_ids("survey_responses", f, "response_id", self.ctx.response_ids)


def _age(birth: pd.Series, on: pd.Series) -> pd.Series:
    """Whole years between birth and ``on`` (NaN where either is missing)."""
    years = on.dt.year - birth.dt.year
    before_birthday = (on.dt.month < birth.dt.month) | ((on.dt.month == birth.dt.month) & (on.dt.day < birth.dt.day))
    return (years - before_birthday.astype("Int64")).astype("Float64")


def _show(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return ""
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
