"""CSV and XLSX exports. Text that a spreadsheet would run as a formula is neutralised in every cell."""
from __future__ import annotations

import csv
import io
import json
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


def csv_bytes(columns: list[str], rows, preamble: list[tuple[str, str]] = ()) -> bytes:
    """A CSV whose provenance comes first as ``# key: value`` comment lines (never quoted, one line each), so
    that ``pandas.read_csv(path, comment="#")`` finds the header on the first line after them."""
    out = io.StringIO()
    for key, value in preamble:
        out.write("# " + " ".join(f"{key}: {value}".split()).replace("#", "No.") + "\r\n")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(c) for c in columns])
    for row in rows:
        writer.writerow([_plain(safe_cell(v)) for v in row])
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
    """One workbook; ``sheets`` is ``[(name, columns, rows)]``. Every string is written as text."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1})
    note = book.add_format({"italic": True, "font_color": "#444444"})
    datefmt = book.add_format({"num_format": "yyyy-mm-dd"})
    numfmt = book.add_format({"num_format": "#,##0.0###"})
    for name, columns, rows in sheets:
        sheet = book.add_worksheet(name[:31])
        r = 0
        for key, value in preamble:
            sheet.write_string(r, 0, str(safe_cell(f"{key}: {value}")), note)
            r += 1
        if preamble:
            r += 1
        for c, col in enumerate(columns):
            sheet.write_string(r, c, str(safe_cell(col)), bold)
            sheet.set_column(c, c, max(12, min(40, len(str(col)) + 2)))
        header = r
        sheet.freeze_panes(r + 1, 0)
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
                    sheet.write_datetime(r, c, datetime(v.year, v.month, v.day) if not isinstance(v, datetime) else v, datefmt)
                else:
                    sheet.write_string(r, c, str(v))
        if columns:
            sheet.autofilter(header, 0, max(r, header), len(columns) - 1)       # a header row with filters
    book.close()
    return buffer.getvalue()
