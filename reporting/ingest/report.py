"""The validation report: every failure at once, errors and warnings apart, the same in the
upload page, the API and the CLI."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

FAILURE_COLUMNS = ["file", "row", "column", "value", "rule", "severity", "message"]
MAX_LISTED = 20_000        # failures kept in full; counts by rule are always complete


@dataclass(frozen=True)
class Failure:
    file: str
    row: int | None
    column: str
    value: str
    rule: str
    severity: str      # error | warning
    message: str

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in FAILURE_COLUMNS}


@dataclass
class Report:
    """Collects failures as frames (one per rule check) and summarises them."""
    parts: list[pd.DataFrame] = field(default_factory=list)

    def add(self, failure: Failure) -> None:
        self.parts.append(pd.DataFrame([failure.as_dict()]))

    def add_rows(self, file: str, rows: pd.Series, column: str, values: pd.Series, rule: str, severity: str,
                 message: pd.Series | str) -> None:
        """Failures for many rows at once: ``rows`` are spreadsheet row numbers (header = row 1)."""
        if len(rows) == 0:
            return
        frame = pd.DataFrame({
            "file": file, "row": rows.to_numpy(), "column": column,
            "value": values.astype(str).to_numpy(), "rule": rule, "severity": severity,
            "message": message.to_numpy() if isinstance(message, pd.Series) else message,
        })
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


def summarise(report: Report, *, verdict: str, files: list[dict], period: str, ico: str,
              version: int | None = None) -> dict:
    """The JSON form of a report, stored with the submission and answered by the API and CLI."""
    f = report.frame()
    by_rule = (f.groupby(["severity", "rule", "file", "column"], sort=False, dropna=False)
               .agg(count=("message", "size"), example=("message", "first")).reset_index()
               if len(f) else pd.DataFrame(columns=["severity", "rule", "file", "column", "count", "example"]))
    listed = f.head(MAX_LISTED)
    failures = [{k: (None if pd.isna(v) else (int(v) if k == "row" else v)) for k, v in zip(FAILURE_COLUMNS, row)}
                for row in listed[FAILURE_COLUMNS].itertuples(index=False, name=None)]
    return {
        "verdict": verdict, "ico": ico, "period": period, "version": version,
        "errors": int((f["severity"] == "error").sum()), "warnings": int((f["severity"] == "warning").sum()),
        "by_rule": [{k: (int(v) if k == "count" else v) for k, v in r.items()} for r in by_rule.to_dict("records")],
        "failures": failures, "truncated": len(f) > MAX_LISTED, "files": files,
    }
