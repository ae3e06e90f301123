"""Hostile uploads found by an adversarial test: each is refused before a table is built, with a message that
names the file and the limit, in seconds and without growing the process by more than a few hundred MB.

Each case runs in a fresh Python process so that its peak memory (ru_maxrss) is its own."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import textwrap
import zipfile

import pytest

from reporting.ingest import PackageFile, Report, read_package
from reporting.ingest.readers import Limits
from tests.conftest import EXAMPLES, ROOT

BASE = EXAMPLES / "packages" / "HA" / "2014Q1"
MAX_GROWTH_MB = 300


def _long_line() -> bytes:
    return b"member_id,birth_date\n" + b"a," * 2_000_000 + b"\n"


def _wide_header() -> bytes:
    return b",".join(b"c%d" % i for i in range(300_000)) + b"\nx\n"


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"


def _workbook(
    sheet_xml: str,
    part: str = "xl/worksheets/sheet1.xml",
    target: str | None = None,
    workbook_xml: str | None = None,
    rels_xml: str | None = None,
) -> bytes:
    """A workbook whose one sheet, 'members', is ``sheet_xml`` stored at ``part`` (reached through the
    relationship ``target``, by default relative to ``xl/``)."""
    target = target or part.removeprefix("xl/")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f'<Override PartName="/{part}" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{PKG_RELS}"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            workbook_xml
            or f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets><sheet name="members" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            rels_xml
            or f'<?xml version="1.0"?><Relationships xmlns="{PKG_RELS}"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="{target}"/></Relationships>',
        )
        z.writestr(part, sheet_xml)
    return buffer.getvalue()


def _sheet(rows: str, dimension: str = "", prefix: str = "") -> str:
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    return (
        f'<?xml version="1.0"?><{p}worksheet {xmlns}>{dimension}<{p}sheetData><{p}row r="1"><{p}c r="A1" t="inlineStr">'
        f"<{p}is><{p}t>member_id</{p}t></{p}is></{p}c></{p}row>{rows}</{p}sheetData></{p}worksheet>"
    )


def _dimension_bomb() -> bytes:
    """A workbook of a few KB whose 'members' sheet declares A1:CV400000 and holds two cells."""
    return _workbook(_sheet('<row r="400000"><c r="CV400000"><v>1</v></c></row>', '<dimension ref="A1:CV400000"/>'))


FAR = "XFD1048576"  # the last cell of a sheet: calamine would lay out 17 billion cells (512 GB) up to it


def _far_cell_swapped() -> bytes:
    """The far cell's attributes in another order (the old regex wanted ``<c r=`` first)."""
    return _workbook(_sheet(f'<row r="1048576"><c t="n" s="0" r="{FAR}"><v>1</v></c></row>'))


def _far_cell_single_quotes() -> bytes:
    return _workbook(_sheet(f"<row r='1048576'><c r='{FAR}'><v>1</v></c></row>"))


def _far_cell_spaced() -> bytes:
    return _workbook(_sheet(f'<row r = "1048576" ><c  r = "{FAR}" ><v>1</v></c></row>', "<dimension ref = 'A1' />"))


def _far_cell_prefixed() -> bytes:
    """Every element with a namespace prefix (``<x:c r=...>``), as some writers do."""
    return _workbook(_sheet(f'<x:row r="1048576"><x:c r="{FAR}"><x:v>1</x:v></x:c></x:row>', prefix="x"))


def _far_cell_elsewhere() -> bytes:
    """The sheet stored outside ``xl/worksheets/``, reached only through the workbook's relationships."""
    return _workbook(
        _sheet(f'<row r="1048576"><c r="{FAR}"><v>1</v></c></row>'), part="data/far.xml", target="/data/far.xml"
    )


def _far_cell_past_excel_rows() -> bytes:
    """A reference past any row Excel writes (8 digits): once taken for "no reference", calamine then laid out
    the grid up to it (3.3 GB before gunicorn killed the worker, from 1.5 KB)."""
    return _workbook(_sheet('<row><c r="A99999999"><v>1</v></c></row>'))


def _far_cell_past_excel_columns() -> bytes:
    """A column past any Excel writes (5 letters): the header widened to 475,255 columns (730 MB, 28 s)."""
    return _workbook(_sheet('<row r="2"><c r="AAAAA2"><v>1</v></c></row>'))


def _far_cell_without_r() -> bytes:
    """Issue 28 #3c: cells with no ``r`` on a row at 1,048,576, 60 of them (past the column limit)."""
    return _workbook(_sheet('<row r="1048576">' + "<c><v>1</v></c>" * 60 + "</row>"))


def _far_row_without_r() -> bytes:
    """One cell with no ``r`` in a row at 1,048,576 (one column wide, so within the cell limit): read, bounded."""
    return _workbook(_sheet('<row r="1048576"><c><v>1</v></c></row>'))


def _zip_of_csv(megabytes: int, line: bytes = b"9,9,9,9,9,9,9,9\n") -> bytes:
    """A ZIP of members.csv: the header, then ``megabytes`` MB of lines like ``line`` with random digits for the
    nines, so that the entry packs within the ratio limit: too large by its size, not by its ratio."""
    import numpy as np

    header = b"member_id,birth_date,sex,enrollment_start,enrollment_end,enrollment_type,county,primary_language\n"
    mask = np.frombuffer(line * (2**20 // len(line)), dtype=np.uint8)
    digits = np.random.default_rng(28).integers(48, 58, size=len(mask), dtype=np.uint8)
    block = np.where(mask == ord("9"), digits, mask).tobytes()  # 1 MB, repeated beyond deflate's 32 KB window
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z, z.open("members.csv", "w") as entry:
        entry.write(header)
        for _ in range(megabytes):
            entry.write(block)
    return buffer.getvalue()


def _zip_of_128mb_csv() -> bytes:
    """Issue 28 #3b: a ZIP within the ratio limit that unpacks to 128 MB of CSV (3.1 GB and a worker before):
    past UPLOAD_MAX_CSV_MB, refused by its declared size before it is inflated."""
    return _zip_of_csv(128)


def _zip_of_tiny_cells() -> bytes:
    """60 MB of one-digit cells, within UPLOAD_MAX_CSV_MB and the ratio limit: 31 million cells, refused by
    UPLOAD_MAX_CELLS (lines x header columns) before pandas builds anything."""
    return _zip_of_csv(60)


def _shared_strings_bomb() -> bytes:
    """A one-cell sheet with 3 million short shared strings (within the ratio limit): calamine keeps every one."""
    import numpy as np

    letters = np.random.default_rng(28).integers(97, 123, size=(3_000_000, 3), dtype=np.uint8)
    items = b"".join(b"<si><t>" + bytes(row) + b"</t></si>" for row in letters).decode()
    strings = f'<?xml version="1.0"?><sst xmlns="{MAIN}">{items}</sst>'
    rels = (
        f'<?xml version="1.0"?><Relationships xmlns="{PKG_RELS}"><Relationship Id="rId1" Type="http://schemas.'
        f'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Target="strs.xml" Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'relationships/sharedStrings"/></Relationships>'
    )
    data = io.BytesIO(_workbook(_sheet(""), rels_xml=rels))
    with zipfile.ZipFile(data, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/strs.xml", strings)
    return data.getvalue()


def _huge_cell() -> bytes:
    """One cell of 110 MB of random letters (within the ratio limit and UPLOAD_MAX_XLSX_MB): 420 MB before."""
    import numpy as np

    text = np.random.default_rng(28).integers(97, 123, size=110 * 2**20, dtype=np.uint8).tobytes().decode()
    return _workbook(_sheet(f'<row r="2"><c r="A2" t="inlineStr"><is><t>{text}</t></is></c></row>'))


def _csv_at_the_limits() -> bytes:
    """Not hostile: a ZIP of members.csv as large as the default limits let a package be (UPLOAD_MAX_CELLS cells
    within UPLOAD_MAX_CSV_MB), read in full: what any upload within the limits costs at most."""
    limits = Limits()
    lines = limits.max_cells // 8 - 8
    digits = min(12, limits.max_csv_bytes // lines // 8 - 1)
    return _zip_of_csv(lines * 8 * (digits + 1) // 2**20, (b"9" * digits + b",") * 7 + b"9" * digits + b"\n")


def _xlsx_at_the_limits() -> bytes:
    """Not hostile: a workbook whose 'members' sheet has UPLOAD_MAX_XLSX_CELLS cells (8 columns), read in full."""
    rows = Limits().max_xlsx_cells // 8
    cells = "".join(f'<c r="{c}{{r}}"><v>{{r}}{i}</v></c>' for i, c in enumerate("ABCDEFGH"))
    header = '<row r="1">' + "".join(f'<c r="{c}1" t="inlineStr"><is><t>h{c}</t></is></c>' for c in "ABCDEFGH")
    body = "".join(f'<row r="{r}">' + cells.format(r=r) + "</row>" for r in range(2, rows + 1))
    return _workbook(
        f'<?xml version="1.0"?><worksheet xmlns="{MAIN}"><sheetData>{header}</row>{body}</sheetData></worksheet>'
    )


def _hidden_columns() -> bytes:
    """Issue 28 #3b: a quoted line break in the header hides 9,000 columns from a first-line width check."""
    header = 'member_id,"birth\ndate",' + ",".join(f"c{i}" for i in range(9_000))
    return (header + "\n" + ",".join("x" * 9_002) + "\n").encode()


def _lying_zip(size: int = 256 * 2**20) -> bytes:
    """A ZIP of ``size`` zero bytes whose headers declare 1,000 bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("members.csv", "w") as entry:
            chunk = b"\0" * 2**20
            for _ in range(size // 2**20):
                entry.write(chunk)
    data = bytearray(buffer.getvalue())
    local = data.index(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, 1000)
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 1000)
    return bytes(data)


CASES = {
    "long_line": ("members.csv", _long_line, "line_too_long"),
    "wide_header": ("members.csv", _wide_header, "line_too_long"),
    "hidden_columns": ("members.csv", _hidden_columns, "too_many_columns"),
    "zip_of_128mb_csv": ("package.zip", _zip_of_128mb_csv, "file_too_large"),
    "zip_of_tiny_cells": ("package.zip", _zip_of_tiny_cells, "file_too_large"),
    "dimension_bomb": ("package.xlsx", _dimension_bomb, "sheet_too_large"),
    "far_cell_swapped": ("package.xlsx", _far_cell_swapped, "sheet_too_large"),
    "far_cell_single_quotes": ("package.xlsx", _far_cell_single_quotes, "sheet_too_large"),
    "far_cell_spaced": ("package.xlsx", _far_cell_spaced, "sheet_too_large"),
    "far_cell_prefixed": ("package.xlsx", _far_cell_prefixed, "sheet_too_large"),
    "far_cell_elsewhere": ("package.xlsx", _far_cell_elsewhere, "sheet_too_large"),
    "far_cell_without_r": ("package.xlsx", _far_cell_without_r, "sheet_too_large"),
    "far_cell_past_excel_rows": ("package.xlsx", _far_cell_past_excel_rows, "sheet_too_large"),
    "far_cell_past_excel_columns": ("package.xlsx", _far_cell_past_excel_columns, "sheet_too_large"),
    "far_row_without_r": ("package.xlsx", _far_row_without_r, "missing_file"),
    "shared_strings_bomb": ("package.xlsx", _shared_strings_bomb, "sheet_too_large"),
    "huge_cell": ("package.xlsx", _huge_cell, "sheet_too_large"),
    "lying_zip": ("package.zip", _lying_zip, "zip_bomb|unreadable_zip"),
    # Within the limits: read in full (their only failures are those of a workbook without the other sheets).
    "csv_at_the_limits": ("package.zip", _csv_at_the_limits, ""),
    "xlsx_at_the_limits": ("package.xlsx", _xlsx_at_the_limits, "missing_file"),
}

SCRIPT = textwrap.dedent("""
    import json, resource, sys, time
    sys.path.insert(0, {root!r})
    from reporting.ingest import PackageFile, Report, read_package
    def kb(field):
        return int(next(line for line in open("/proc/self/status") if line.startswith(field)).split()[1])
    content = open({path!r}, "rb").read()
    before = kb("VmRSS:")
    started = time.monotonic()
    report = Report()
    read_package([PackageFile({name!r}, content)], report)
    frame = report.frame()
    peak = kb("VmHWM:")
    print(json.dumps({{"seconds": time.monotonic() - started, "growth_mb": (peak - before) / 1024,
                      "peak_mb": peak / 1024, "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "rules": sorted(set(frame["rule"])), "messages": list(frame["message"])}}))
""")


def read_in_a_child(name: str, content: bytes, folder) -> dict:
    """``read_package`` of one file in a fresh Python process (the file built here, read there from disk): its
    rules, messages, peak and growth in MB. The peak is the child's ``VmHWM``: its ``ru_maxrss`` also counts the
    high-water mark of the process it was forked from (Linux carries it across fork and exec), so that a
    parent that built a 120 MB file would hide the child's own peak under its own."""
    path = folder / name
    path.write_bytes(content)
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(root=str(ROOT), path=str(path), name=name)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_upload_is_refused_in_little_memory(case, tmp_path):
    """Each hostile file is refused by name (or, within the limits, read) while the reading process grows by
    less than MAX_GROWTH_MB: a bound on resources, not a timing (times are in bench/upload_bench.py)."""
    name, make, rules = CASES[case]
    result = read_in_a_child(name, make(), tmp_path)
    assert result["growth_mb"] < MAX_GROWTH_MB, result
    if rules in ("", "missing_file"):  # within the limits: read, nothing refused
        assert result["rules"] == ([rules] if rules else []), result
        return
    assert result["rules"] and set(result["rules"]) <= set(rules.split("|")), result
    assert any(name in m or "members" in m for m in result["messages"]), result


def test_a_header_with_more_columns_than_the_limit_names_it():
    report = Report()
    header = ",".join(f"c{i}" for i in range(60)) + "\n" + ",".join("x" * 60) + "\n"
    read_package([PackageFile("members.csv", header.encode())], report)
    failure = report.frame().iloc[0]
    assert failure["rule"] == "too_many_columns"
    assert "60 columns" in failure["message"] and "limit is 50" in failure["message"]


def test_an_honest_package_passes_the_shape_checks():
    report = Report()
    tables = read_package([PackageFile(f.name, f.read_bytes()) for f in sorted(BASE.iterdir())], report)
    assert not report.has_errors() and "members" in tables


def test_an_honest_xlsx_passes_the_extent_checks():
    from reporting.ingest.records import template_xlsx

    report = Report()
    read_package([PackageFile("template.xlsx", template_xlsx())], report)
    assert not report.has_errors(), report.frame()


def test_utf16_without_a_byte_order_mark_is_an_encoding_error():
    report = Report()
    text = (BASE / "members.csv").read_text().encode("utf-16-le")
    read_package([PackageFile("members.csv", text)], report)
    rules = set(report.frame()["rule"])
    assert rules == {"encoding"}, report.frame()
    assert "UTF-16" in report.frame().iloc[0]["message"]


def test_echoed_values_are_capped_and_bidi_controls_shown():
    from reporting.ingest.report import MAX_VALUE_CHARS, Failure

    report = Report()
    report.add(Failure("members.csv", 2, "member_id", "x" * 5_000_000, "invalid_value", "error", "bad"))
    report.add(Failure("members.csv", 3, "member_id", "abc\u202eexe.csv", "invalid_value", "error", "bad"))
    values = list(report.frame()["value"])
    assert len(values[0]) < MAX_VALUE_CHARS + 40 and "cut" in values[0]
    assert values[1] == "abc\\u202eexe.csv"


def test_the_limits_come_from_the_configuration():
    limits = Limits.from_config(
        {
            "ZIP_MAX_UNCOMPRESSED_MB": 1,
            "ZIP_MAX_RATIO": 2,
            "ZIP_MAX_ENTRIES": 3,
            "UPLOAD_MAX_LINE_BYTES": 4,
            "UPLOAD_MAX_COLUMNS": 5,
            "UPLOAD_MAX_CELLS": 6,
            "UPLOAD_MAX_CSV_MB": 7,
            "UPLOAD_MAX_XLSX_CELLS": 8,
            "UPLOAD_MAX_XLSX_MB": 9,
        }
    )
    assert limits == Limits(2**20, 2, 3, 4, 5, 6, 7 * 2**20, 8, 9 * 2**20)


def test_an_xlsx_larger_than_its_declared_size_is_refused_not_a_crash():
    """Issue 18 #15: a workbook whose sheet holds more than its headers declare (calamine's XmlError used to
    escape the handler): refused with a named rule."""
    from reporting.ingest.records import template_xlsx

    data = bytearray(template_xlsx())
    name = b"xl/worksheets/sheet1.xml"
    # Every central-directory and local header of the first sheet declares 10 bytes.
    at, patched = 0, 0
    while (at := data.find(name, at + 1)) != -1:
        if data[at - 46 : at - 42] == b"PK\x01\x02":
            struct.pack_into("<I", data, at - 46 + 24, 10)
            patched += 1
        elif data[at - 30 : at - 26] == b"PK\x03\x04":
            struct.pack_into("<I", data, at - 30 + 22, 10)
            patched += 1
    assert patched == 2
    report = Report()
    read_package([PackageFile("book.xlsx", bytes(data))], report)
    rules = set(report.frame()["rule"])
    assert rules and rules <= {"zip_bomb", "unreadable_zip", "unreadable_xlsx"}, report.frame()
