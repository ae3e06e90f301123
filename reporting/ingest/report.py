"""The validation report: every failure at once, errors and warnings apart, the same in the
upload page, the API and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

FAILURE_COLUMNS = ["file", "row", "column", "value", "rule", "severity", "message"]
MAX_LISTED = 20_000  # failures kept in full; counts by rule are always complete
MAX_VALUE_CHARS = 200  # an echoed value is cut to this many characters (marked as cut)

# Every check the service makes, by the name a report gives it: (severity, what it means).
# docs/data-dictionary.md documents each (a test holds them in step) and the in-app dictionary lists them.
RULES: dict[str, tuple[str, str]] = {
    "no_files": ("error", "nothing was uploaded"),
    "empty_file": ("error", "a file or sheet has no header line"),
    "unsupported_file": ("error", "a file is not a ZIP, CSV or XLSX"),
    "unknown_file": ("error", "a file that is not part of the package"),
    "duplicate_file": ("error", "the same file twice in one package"),
    "unreadable_zip": ("error", "a ZIP archive that cannot be read"),
    "zip_too_many_entries": ("error", "a ZIP with more entries than allowed"),
    "zip_unsafe_path": ("error", "a ZIP entry with an absolute path or '..'"),
    "zip_encrypted": ("error", "a password-protected ZIP entry"),
    "zip_nested_archive": ("error", "an archive inside the ZIP"),
    "zip_bomb": ("error", "a ZIP that would unpack past the size or ratio limits"),
    "unreadable_xlsx": ("error", "a workbook that cannot be read"),
    "xlsx_macros": ("error", "a workbook with macros"),
    "sheet_too_large": ("error", "a sheet whose declared or actual extent is past the limits"),
    "unknown_sheet": ("warning", "a sheet that is not part of the package (ignored)"),
    "encoding": ("error", "a file that is not UTF-8"),
    "csv_syntax": ("error", "a file that is not valid CSV"),
    "line_too_long": ("error", "a line longer than the limit"),
    "too_many_columns": ("error", "a header or line with more columns than the limit"),
    "file_too_large": ("error", "CSV files past the upload's limit of megabytes or cells"),
    "missing_file": ("error", "a required file or sheet is missing"),
    "no_data_rows": ("error", "every file of the package holds its header only"),
    "duplicate_column": ("error", "a column twice in a header"),
    "unknown_column": ("warning", "a column that is not in the dictionary (ignored)"),
    "missing_column": ("error", "a required column is missing (a warning for an optional one)"),
    "blank_required": ("error", "a required value is blank"),
    "invalid_date": ("error", "a date that is not YYYY-MM-DD"),
    "invalid_value": ("error", "a value outside its type or allowed set"),
    "duplicate_key": ("error", "a row that repeats another row's key"),
    "outside_period": ("error", "a date that must be within the period is not"),
    "age_eligibility": ("error", "a member aged under 21 or over 64 on enrollment_start"),
    "start_after_period": ("error", "an enrollment span that starts after the period"),
    "end_before_start": ("error", "an end date before its start date"),
    "span_before_period": ("error", "an enrollment span that ends before the period"),
    "death_after_period": ("error", "a death date after the period"),
    "death_without_end": ("error", "a death date without an enrollment end"),
    "end_after_death": ("error", "an enrollment end after the death date"),
    "span_overlap": ("error", "two spans of one member that overlap"),
    "member_count_change": ("warning", "the member count changed by more than 30 % from the previous period"),
    "span_start_changed": ("warning", "a span's enrollment_start differs from the previous period's"),
    "not_enrolled": ("error", "an event or stay of a member not enrolled on its date"),
    "required_when_completed": ("error", "ltss_coordinator blank on a completed care plan"),
    "admission_after_discharge": ("error", "an inpatient admission after its discharge"),
    "id_reused": ("error", "a stay_id or response_id already reported in another quarter"),
    "admission_after_period": ("error", "a facility admission after the period"),
    "stay_before_period": ("error", "a facility stay that ends before the period"),
    "required_when_discharged": ("error", "discharge_to blank on a discharged facility stay"),
    "admission_date_changed": ("warning", "a facility stay's admission date changed between periods"),
}


def shown(value: str) -> str:
    """A value as a report echoes it: control and bidirectional characters visibly escaped, at most
    ``MAX_VALUE_CHARS`` characters (then marked as cut)."""
    if not value.isprintable():  # control, format (bidi overrides such as U+202E) and separator characters
        value = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in value)
    if len(value) > MAX_VALUE_CHARS:
        return value[:MAX_VALUE_CHARS] + f"… (cut: {len(value):,} characters)"
    return value


@dataclass(frozen=True)
class Failure:
    file: str
    row: int | None
    column: str
    value: str
    rule: str
    severity: str  # error | warning
    message: str

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in FAILURE_COLUMNS}


@dataclass
class Report:
    """Collects failures as frames (one per rule check) and summarises them."""

    parts: list[pd.DataFrame] = field(default_factory=list)

    def add(self, failure: Failure) -> None:
        _known(failure.rule)
        self.parts.append(pd.DataFrame([{**failure.as_dict(), "value": shown(failure.value)}]))

    def add_rows(
        self,
        file: str,
        rows: pd.Series,
        column: str,
        values: pd.Series,
        rule: str,
        severity: str,
        message: pd.Series | str,
    ) -> None:
        """Failures for many rows at once: ``rows`` are spreadsheet row numbers (header = row 1)."""
        _known(rule)
        if len(rows) == 0:
            return
        frame = pd.DataFrame(
            {
                "file": file,
                "row": rows.to_numpy(),
                "column": column,
                "value": values.astype(str).map(shown).to_numpy(),
                "rule": rule,
                "severity": severity,
                "message": message.to_numpy() if isinstance(message, pd.Series) else message,
            }
        )
        self.parts.append(frame)

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(columns=FAILURE_COLUMNS)
        f = pd.concat(self.parts, ignore_index=True)
        f["row"] = f["row"].astype("Int64")
        order = f["severity"].map({"error": 0, "warning": 1})
        return f.assign(_o=order).sort_values(["_o", "file", "row", "column"], kind="stable").drop(columns="_o")

    def has_errors(self) -> bool:
        return any((p["severity"] == "error").any() for p in self.parts)


def _known(rule: str) -> None:
    if rule not in RULES:
        raise KeyError(
            f"validation rule {rule!r} is not in reporting.ingest.report.RULES (document it there and in "
            f"docs/data-dictionary.md)"
        )


@dataclass(frozen=True)
class Summary:
    """A package version's validation report, whole: stored with the submission (``as_json``), answered by the
    API and the CLI, shown on the upload page."""

    verdict: str  # accepted | rejected
    ico: str
    period: str
    errors: int
    warnings: int
    by_rule: list  # {severity, rule, file, column, count, example}: complete
    failures: list  # FAILURE_COLUMNS records, the first MAX_LISTED
    truncated: bool
    files: list  # {name, sha256, bytes} of each file received
    rows: dict = field(default_factory=dict)  # table -> rows accepted (an accepted package)
    version: int | None = None

    def as_json(self) -> dict:
        """The stored and answered form. The row counts close the ``files`` list as ``{"rows": {...}}``: the
        shape the API has always answered."""
        return {
            "verdict": self.verdict,
            "ico": self.ico,
            "period": self.period,
            "version": self.version,
            "errors": self.errors,
            "warnings": self.warnings,
            "by_rule": self.by_rule,
            "failures": self.failures,
            "truncated": self.truncated,
            "files": self.files + ([{"rows": self.rows}] if self.rows else []),
        }

    @classmethod
    def from_json(cls, data: dict) -> Summary:
        files = [f for f in data.get("files", []) if "rows" not in f]
        rows = next((f["rows"] for f in data.get("files", []) if "rows" in f), {})
        return cls(
            data["verdict"],
            data["ico"],
            data["period"],
            data["errors"],
            data["warnings"],
            data.get("by_rule", []),
            data.get("failures", []),
            data.get("truncated", False),
            files,
            rows,
            data.get("version"),
        )


def summarise(
    report: Report, *, verdict: str, files: list[dict], period: str, ico: str, rows: dict | None = None
) -> Summary:
    """The report's ``Summary``: counts by rule complete, failures listed up to MAX_LISTED."""
    f = report.frame()
    by_rule = (
        f.groupby(["severity", "rule", "file", "column"], sort=False, dropna=False)
        .agg(count=("message", "size"), example=("message", "first"))
        .reset_index()
        if len(f)
        else pd.DataFrame(columns=["severity", "rule", "file", "column", "count", "example"])
    )
    listed = f.head(MAX_LISTED)
    failures = [
        {k: (None if pd.isna(v) else (int(v) if k == "row" else v)) for k, v in zip(FAILURE_COLUMNS, row)}
        for row in listed[FAILURE_COLUMNS].itertuples(index=False, name=None)
    ]
    return Summary(
        verdict,
        ico,
        period,
        int((f["severity"] == "error").sum()),
        int((f["severity"] == "warning").sum()),
        [{k: (int(v) if k == "count" else v) for k, v in r.items()} for r in by_rule.to_dict("records")],
        failures,
        len(f) > MAX_LISTED,
        files,
        rows or {},
    )
