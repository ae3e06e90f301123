"""CSV and XLSX exports. Each loads with a plain ``pandas.read_csv(path)`` or ``pandas.read_excel(path)``: the
header is the first row, and the provenance (the preamble: period, computation, data versions, audience...) is
never written above it. A CSV carries it in ``about_*`` columns, the same on every row; a workbook on a second
sheet, "About". Text that a spreadsheet would run as a formula is neutralised in every cell."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime

import xlsxwriter

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Numbers and dates stay as they are; text that starts like a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        value = json.dumps(value, sort_keys=True)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def about_column(key: str) -> str:
    """The column that carries one provenance item in a CSV: "Data versions" -> ``about_data_versions``."""
    return "about_" + (re.sub(r"[^a-z0-9]+", "_", str(key).lower()).strip("_") or "item")


def csv_bytes(columns: list[str], rows, preamble: list[tuple[str, str]] = ()) -> bytes:
    """A CSV with the header on its first line; the provenance in ``about_*`` columns after the data's own."""
    about = [(about_column(k), " ".join(str(v).split())) for k, v in preamble if v is not None]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(c) for c in list(columns) + [name for name, _ in about]])
    tail = [safe_cell(v) for _, v in about]
    for row in rows:
        writer.writerow([_plain(safe_cell(v)) for v in row] + tail)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _plain(v):
    """Dates as YYYY-MM-DD (a timestamp at midnight is a date), booleans as Yes/No."""
    if isinstance(v, datetime) and (v.hour, v.minute, v.second, v.microsecond) == (0, 0, 0, 0):
        return v.date().isoformat()
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if isinstance(v, bool):
        return "Yes" if v else "No"
    return v


def xlsx_bytes(sheets: list[tuple[str, list[str], list]], preamble: list[tuple[str, str]] = ()) -> bytes:
    """One workbook; ``sheets`` is ``[(name, columns, rows)]``, each with its header in the first row. The
    provenance goes on a last sheet, "About" (``item``, ``value``). Every string is written as text."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1})
    datefmt = book.add_format({"num_format": "yyyy-mm-dd"})
    numfmt = book.add_format({"num_format": "#,##0.0###"})
    for name, columns, rows in sheets:
        _sheet(book.add_worksheet(name[:31]), columns, rows, bold, datefmt, numfmt)
    if preamble:
        about = book.add_worksheet("About")
        _sheet(about, ["item", "value"], [[k, "" if v is None else str(v)] for k, v in preamble], bold, datefmt, numfmt)
        about.set_column(1, 1, 90)
    book.close()
    return buffer.getvalue()


def _sheet(sheet, columns, rows, bold, datefmt, numfmt) -> None:
    for c, col in enumerate(columns):
        sheet.write_string(0, c, str(safe_cell(col)), bold)
        sheet.set_column(c, c, max(12, min(40, len(str(col)) + 2)))
    sheet.freeze_panes(1, 0)
    r = 0
    for row in rows:
        r += 1
        for c, v in enumerate(row):
            v = safe_cell(v)
            if isinstance(v, bool):
                sheet.write_string(r, c, "Yes" if v else "No")
            elif isinstance(v, int):
                sheet.write_number(r, c, v)
            elif isinstance(v, float):
                sheet.write_number(r, c, v, numfmt)
            elif isinstance(v, (date, datetime)):
                sheet.write_datetime(
                    r, c, datetime(v.year, v.month, v.day) if not isinstance(v, datetime) else v, datefmt
                )
            else:
                sheet.write_string(r, c, str(v))
    if columns:
        sheet.autofilter(0, 0, r, len(columns) - 1)  # a header row with filters
