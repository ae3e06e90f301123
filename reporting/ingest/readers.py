"""Reading a package safely: a ZIP of CSVs, several CSVs, or one XLSX workbook.

Every file becomes a frame of strings (nothing is interpreted yet) with its header names
normalised. Hostile input is refused before it is inflated: path tricks, nested archives,
too many entries, a declared size or compression ratio past the limits, encrypted entries,
macro-enabled workbooks. What a table would cost is bounded before pandas or calamine builds it:
the CSV text and cells of the whole upload (lines × the header's width, read as CSV), each line,
and a workbook's size, sheets' extents (read by an XML parser through the workbook's relationships,
every cell with or without its reference) and shared strings. Inflated entries are kept once and
read without copies, so that reading any upload within the limits stays within a few hundred MB.
A CSV must be UTF-8 (a byte-order mark is allowed)."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import posixpath
import re
import xml.parsers.expat
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

import defusedxml.ElementTree as defused_et
import numpy as np
import pandas as pd
from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from measures.dictionary import FILES
from reporting.errors import ReportingError
from reporting.ingest.report import Failure, Report

ARCHIVE_SUFFIXES = (".zip", ".xlsx", ".xlsm", ".gz", ".tgz", ".tar", ".7z", ".rar", ".bz2", ".xz", ".jar")
IGNORED_SHEETS = {"readme", "columns", "about"}


@dataclass(frozen=True)
class Limits:
    """What one upload may hold (``config/defaults.py``, the README's configuration table)."""

    max_uncompressed: int = 512 * 1024 * 1024  # all entries of one ZIP or XLSX, inflated
    max_ratio: int = 200
    max_entries: int = 50
    max_line_bytes: int = 65_536
    max_columns: int = 50
    max_cells: int = 6_000_000  # all the CSV files' and sheets' cells of one upload together
    max_csv_bytes: int = 64 * 1024 * 1024  # all the CSV files of one upload, unpacked
    max_xlsx_cells: int = 2_000_000  # all the sheets of one workbook (XLSX is the slow path)
    max_xlsx_bytes: int = 128 * 1024 * 1024  # all the parts of one workbook, unpacked

    @classmethod
    def from_config(cls, cfg) -> Limits:
        return cls(
            cfg["ZIP_MAX_UNCOMPRESSED_MB"] * 2**20,
            cfg["ZIP_MAX_RATIO"],
            cfg["ZIP_MAX_ENTRIES"],
            cfg["UPLOAD_MAX_LINE_BYTES"],
            cfg["UPLOAD_MAX_COLUMNS"],
            cfg["UPLOAD_MAX_CELLS"],
            cfg["UPLOAD_MAX_CSV_MB"] * 2**20,
            cfg["UPLOAD_MAX_XLSX_CELLS"],
            cfg["UPLOAD_MAX_XLSX_MB"] * 2**20,
        )


@dataclass
class _Budget:
    """What is left of one upload's CSV limits as its files are read."""

    csv_bytes: int
    cells: int
    xlsx_cells: int = 0  # used by the sheets of workbooks so far


MAX_NAME_CHARS = 255


def safe_filename(name: str) -> str:
    """A file name as the service keeps and serves it: its base name only (no folder, no '..'), no control,
    format (bidi) or NUL characters, at most 255 characters with the extension kept."""
    base = posixpath.basename(str(name).replace("\\", "/"))
    base = "".join(ch for ch in base if ch.isprintable()).strip().lstrip(".") or "upload"
    if len(base) > MAX_NAME_CHARS:
        stem, dot, ext = base.rpartition(".")
        ext = ext[:16] if dot else ""
        base = (stem if dot else base)[: MAX_NAME_CHARS - len(ext) - 1].rstrip() + ("." + ext if ext else "")
    return base


@dataclass(frozen=True)
class PackageFile:
    """One file as uploaded: its safe base name (``safe_filename``) and original bytes."""

    name: str
    content: bytes

    def __post_init__(self):
        object.__setattr__(self, "name", safe_filename(self.name))

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class RawTable:
    """One package file read as text: ``frame`` holds strings, ``columns`` the normalised header."""

    name: str
    source: str
    frame: pd.DataFrame


def check_file_count(files: list[PackageFile], limit: int) -> None:
    """An upload of more files than a package has is refused before any is read."""
    if len(files) > limit:
        raise ReportingError(
            f"The upload holds {len(files)} files; the limit is {limit}. Zip the CSV files into one ZIP, or upload "
            f"one quarter's seven files.",
            422,
        )


def package_sha256(files: list[PackageFile]) -> str:
    """One file: its SHA-256. Several: the SHA-256 of their sorted names and digests."""
    if len(files) == 1:
        return files[0].sha256
    lines = sorted(f"{posixpath.basename(f.name)}\0{f.sha256}\n" for f in files)
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def read_package(files: list[PackageFile], report: Report, limits: Limits = Limits()) -> dict[str, RawTable]:
    """Read every file of a package; problems go into ``report`` as errors. Returns tables by file name."""
    if not files:
        _refuse(
            report,
            "",
            "no_files",
            "No file was uploaded. Choose a ZIP of the CSV files, the CSV files themselves, or one XLSX workbook.",
        )
        return {}
    tables: dict[str, RawTable] = {}
    budget = _Budget(limits.max_csv_bytes, limits.max_cells)
    for f in files:
        lower = f.name.lower()
        if not f.content:
            _refuse(
                report,
                f.name,
                "empty_file",
                f"{f.name} is empty. A file with no data rows still needs its header line.",
            )
        elif lower.endswith(".zip") or (f.content[:4] == b"PK\x03\x04" and not lower.endswith((".xlsx", ".xlsm"))):
            for name, data in _zip_entries(f, report, limits, budget):
                _add_csv(tables, name, data, f"{f.name}/{name}", report, limits, budget)
        elif lower.endswith((".xlsx", ".xlsm")):
            for table in _read_xlsx(f, report, limits, budget):
                _put(tables, table, report)
        elif lower.endswith(".csv"):
            _add_csv(tables, f.name, f.content, f.name, report, limits, budget)
        else:
            _refuse(
                report,
                f.name,
                "unsupported_file",
                f"{f.name} is not a ZIP, CSV or XLSX file. Upload the package as a ZIP of the CSV files, "
                f"the CSV files themselves, or one XLSX workbook.",
            )
    return tables


def _put(tables: dict, table: RawTable, report: Report) -> None:
    if table.name in tables:
        _refuse(
            report,
            table.source,
            "duplicate_file",
            f"{table.name}.csv appears twice in the package ({tables[table.name].source} and "
            f"{table.source}). Keep one of them.",
        )
    else:
        tables[table.name] = table


def _known_name(filename: str) -> str | None:
    base = posixpath.basename(filename.replace("\\", "/")).strip().lower()
    stem = base[:-4] if base.endswith(".csv") else None
    return stem if stem in FILES else None


def _zip_entries(f: PackageFile, report: Report, limits: Limits, budget: _Budget):
    """Check every entry before inflating anything; yield (name, bytes) of the CSV entries. An entry declaring
    more than the CSV left to the upload is refused unread."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(f.content))
        infos = archive.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError, OSError) as e:
        _refuse(
            report,
            f.name,
            "unreadable_zip",
            f"{f.name} is not a readable ZIP archive ({e}). It may be truncated: create the ZIP again "
            f"and upload it once more.",
        )
        return
    problems = _zip_problems(infos, limits)
    if problems:
        for rule, message in problems:
            _refuse(report, f.name, rule, message)
        return
    left = [limits.max_uncompressed]
    for info in infos:
        if info.is_dir() or posixpath.basename(info.filename).startswith(("._", ".")) or "__MACOSX" in info.filename:
            continue
        if _known_name(info.filename) is None:
            yield info.filename, b""  # reported as not a file of the package, never inflated
            continue
        if info.file_size > budget.csv_bytes:
            report.add(
                _too_large(
                    f"{f.name}/{info.filename}",
                    f"would unpack to {info.file_size / 2**20:,.1f} MB",
                    f"one upload may hold {limits.max_csv_bytes / 2**20:,.0f} MB of CSV in all (UPLOAD_MAX_CSV_MB)",
                )
            )
            continue
        data = _inflate(archive, info, left, f.name, report)
        if data is not None:
            yield info.filename, data


def _inflate(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int], source: str, report: Report
) -> bytearray | None:
    """One entry, inflated a megabyte at a time into one buffer of its declared size (no list of pieces joined
    into a second copy): never past its declared size (an entry that holds more fails its CRC) nor past what is
    left of the package's budget, so a lying archive costs no more memory than its declared sizes allow."""
    buffer, size = bytearray(max(0, min(info.file_size, budget[0]))), 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(1 << 20):
                if size + len(chunk) > len(buffer):
                    _refuse(
                        report,
                        source,
                        "zip_bomb",
                        f"The entry {info.filename} of {source} inflates past its declared size or the "
                        f"limit of {budget[0] / 2**20:,.0f} MB left for this upload. It is refused as a "
                        f"possible ZIP bomb.",
                        value=info.filename,
                    )
                    return None
                buffer[size : size + len(chunk)] = chunk
                size += len(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, ValueError, zlib.error) as e:
        _refuse(
            report,
            source,
            "unreadable_zip",
            f"The entry {info.filename} of {source} cannot be read ({e}). Create the ZIP again.",
            value=info.filename,
        )
        return None
    del buffer[size:]
    budget[0] -= size
    return buffer


class _Reader(io.RawIOBase):
    """A read-only file over a buffer, sharing it (``io.BytesIO`` copies anything but ``bytes``)."""

    def __init__(self, data):
        super().__init__()
        self._view, self._at = memoryview(data), 0

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        n = min(len(target), len(self._view) - self._at)
        target[:n] = self._view[self._at : self._at + n]
        self._at += n
        return n


def _zip_problems(infos, limits: Limits) -> list[tuple[str, str]]:
    problems = []
    if len(infos) > limits.max_entries:
        problems.append(
            (
                "zip_too_many_entries",
                f"The ZIP holds {len(infos)} entries; a package has at most "
                f"{limits.max_entries}. Put only the seven CSV files in it.",
            )
        )
    total = 0
    for info in infos:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":"):
            problems.append(
                (
                    "zip_unsafe_path",
                    f"The ZIP entry '{name}' points outside the archive (an absolute "
                    f"path or '..'). Create the ZIP from the folder of CSV files.",
                )
            )
        if info.flag_bits & 0x1:
            problems.append(
                ("zip_encrypted", f"The ZIP entry '{name}' is encrypted. Upload the package without a password.")
            )
        if name.lower().endswith(ARCHIVE_SUFFIXES):
            problems.append(
                (
                    "zip_nested_archive",
                    f"The ZIP contains another archive, '{name}'. Put the CSV files "
                    f"themselves in the ZIP, not an archive of them.",
                )
            )
        total += info.file_size
        if info.file_size > 1_000_000 and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            problems.append(
                (
                    "zip_bomb",
                    f"The ZIP entry '{name}' would inflate {info.file_size // max(info.compress_size, 1)} "
                    f"times its packed size (the limit is {limits.max_ratio}). It is refused as a "
                    f"possible ZIP bomb.",
                )
            )
    if total > limits.max_uncompressed:
        problems.append(
            (
                "zip_bomb",
                f"The ZIP would unpack to {total / 2**20:,.0f} MB; the limit is "
                f"{limits.max_uncompressed / 2**20:,.0f} MB. Split the package or check the files.",
            )
        )
    return problems


def _add_csv(
    tables: dict, filename: str, data: bytes | bytearray, source: str, report: Report, limits: Limits, budget: _Budget
) -> None:
    name = _known_name(filename)
    if name is None:
        expected = ", ".join(spec.filename for spec in FILES.values())
        _refuse(
            report,
            source,
            "unknown_file",
            f"'{posixpath.basename(filename)}' is not a file of the package. The files are: {expected}.",
        )
        return
    if not _shape_ok(data, f"{name}.csv", report, limits, budget):
        return
    if not _is_utf8(data, f"{name}.csv", report):
        return
    if not _NOT_BLANK.search(data):
        _refuse(
            report,
            f"{name}.csv",
            "empty_file",
            f"{name}.csv is empty. A file with no data rows still needs its header line.",
        )
        return
    frame = _parse_csv(data, f"{name}.csv", report)
    if frame is not None:
        _put(tables, RawTable(name, source, frame), report)


_NOT_BLANK = re.compile(rb"[^\s\xef\xbb\xbf]")  # anything but white space and a byte-order mark


def _refuse(report: Report, file: str, rule: str, message: str, *, row: int | None = None, value: str = "") -> None:
    """An error that refuses the package: in ``file`` (at ``row``, about ``value`` when given), by ``rule``."""
    report.add(Failure(file, row, "", value, rule, "error", message))


def _too_large(filename: str, what: str, limit: str) -> Failure:
    return Failure(
        filename,
        None,
        "",
        "",
        "file_too_large",
        "error",
        f"{filename} {what}; {limit}. Split the quarter's package or check that the file is the export of "
        f"the table (an honest package of a million rows holds about 37 MB and 4.7 million cells).",
    )


def _shape_ok(data: bytes, filename: str, report: Report, limits: Limits, budget: _Budget) -> bool:
    """The size, the longest line, the header's width and the number of cells, found in the bytes before pandas
    builds anything: a file of a few megabytes on one line, a header of 300,000 columns (or of 9,000 hidden after
    a quoted line break), or 128 MB of one-character cells would otherwise take minutes and gigabytes."""
    if len(data) > budget.csv_bytes:
        report.add(
            _too_large(
                filename,
                f"holds {len(data) / 2**20:,.1f} MB of CSV",
                f"one upload may hold {limits.max_csv_bytes / 2**20:,.0f} MB of CSV in all (UPLOAD_MAX_CSV_MB)",
            )
        )
        return False
    budget.csv_bytes -= len(data)
    line, length, lines = _line_stats(data)
    if length > limits.max_line_bytes:
        _refuse(
            report,
            filename,
            "line_too_long",
            f"Line {line:,} of {filename} is {length:,} bytes long; the limit is "
            f"{limits.max_line_bytes:,}. Each row of the file is one line: check the line endings and "
            f"that the file is the CSV export of the table.",
            row=line,
        )
        return False
    width = _header_width(data, limits)
    if width is None:
        _refuse(
            report,
            filename,
            "line_too_long",
            f"The header of {filename} runs past {limits.max_line_bytes:,} bytes (a quote opened in it "
            f"is not closed, or it spans many lines). The header is one line naming the columns of the "
            f"data dictionary.",
            row=1,
        )
        return False
    if width > limits.max_columns:
        _refuse(
            report,
            filename,
            "too_many_columns",
            f"The header of {filename} has {width:,} columns; the limit is {limits.max_columns}. The "
            f"file has at most 14 columns: keep the columns of the data dictionary.",
            row=1,
        )
        return False
    cells = lines * width  # at most: a quoted line break makes two lines of one row
    if cells > budget.cells:
        report.add(
            _too_large(
                filename,
                f"holds up to {cells:,} cells ({lines:,} lines x {width} columns)",
                f"one upload may hold {limits.max_cells:,} cells in all (UPLOAD_MAX_CELLS)",
            )
        )
        return False
    budget.cells -= cells
    return True


def _line_stats(data: bytes, chunk: int = 1 << 20) -> tuple[int, int, int]:
    """(line number, length in bytes) of the longest line, and the number of lines, scanning the bytes a
    megabyte at a time (a file of line breaks only costs a few megabytes, not eight bytes per line)."""
    view = np.frombuffer(data, dtype=np.uint8)
    longest, longest_line, lines, start = -1, 1, 0, 0
    for at in range(0, len(view), chunk):
        ends = np.flatnonzero(view[at : at + chunk] == 10) + at
        if len(ends):
            lengths = np.diff(ends, prepend=start - 1) - 1
            lengths[0] = ends[0] - start
            i = int(lengths.argmax())
            if lengths[i] > longest:
                longest, longest_line = int(lengths[i]), lines + i + 1
            lines += len(ends)
            start = int(ends[-1]) + 1
    if start < len(view):  # the last line, without its line break
        if len(view) - start > longest:
            longest, longest_line = len(view) - start, lines + 1
        lines += 1
    return longest_line, max(longest, 0), lines


def _header_width(data: bytes, limits: Limits) -> int | None:
    """The number of columns of the header record, read with the csv module (a quoted line break inside the
    header does not hide the columns after it); None when the record runs past the line limit."""
    raw = data[: limits.max_line_bytes + 1]
    lines = raw.decode("utf-8-sig", "replace").splitlines(keepends=True)
    used = [0]

    def counted():
        for number, text in enumerate(lines, start=1):
            used[0] = number
            yield text

    try:
        header = next(csv.reader(counted()), [])
    except csv.Error:
        return None
    if used[0] == len(lines) and len(data) > len(raw):  # the record reached the end of what was read
        return None
    return len(header)


def _is_utf8(data: bytes, filename: str, report: Report) -> bool:
    """UTF-8 (a byte-order mark allowed), checked a megabyte at a time without keeping a decoded copy; a file in
    another encoding gets ``_decode``'s message, which names it."""
    if _decode(data[:4096], filename, report, final=False) is None:
        return False
    decoder, step = codecs.getincrementaldecoder("utf-8")(), 1 << 20
    for at in range(0, len(data), step):
        pending = len(decoder.getstate()[0])  # bytes of a character cut by the previous megabyte
        try:
            decoder.decode(data[at : at + step], final=at + step >= len(data))
        except UnicodeDecodeError as e:
            bad = at - pending + e.start
            return _decode(data[bad : bad + 4096], filename, report, line=data[:bad].count(b"\n") + 1) is not None
    return True


def _decode(data: bytes, filename: str, report: Report, final: bool = True, line: int | None = None) -> str | None:
    """``data`` as text, or None with the reason in ``report`` (the encoding it looks like). ``final=False``: a
    prefix of the file (it may end inside a character); ``line``: where ``data``, a piece of the file, starts."""
    for bom, encoding in (
        (b"\xff\xfe\x00\x00", "UTF-32"),
        (b"\x00\x00\xfe\xff", "UTF-32"),
        (b"\xff\xfe", "UTF-16"),
        (b"\xfe\xff", "UTF-16"),
    ):
        if data.startswith(bom):
            _refuse(
                report,
                filename,
                "encoding",
                f"{filename} is encoded as {encoding}, not UTF-8. Save it as 'CSV UTF-8 (comma delimited)' "
                f"and upload it again.",
            )
            return None
    if b"\x00" in data[:4096]:
        _refuse(
            report,
            filename,
            "encoding",
            f"{filename} holds NUL bytes: it looks like UTF-16 saved without a byte-order mark, not "
            f"UTF-8. Save it as 'CSV UTF-8 (comma delimited)' and upload it again.",
        )
        return None
    try:
        return data.decode("utf-8-sig") if final else codecs.getincrementaldecoder("utf-8-sig")().decode(data)
    except UnicodeDecodeError as e:
        line = line or data[: e.start].count(b"\n") + 1
        guess = "Windows-1252 (Western European)"
        try:
            data.decode("cp1252")
        except UnicodeDecodeError:
            guess = "Latin-1 (ISO-8859-1) or another single-byte encoding"
        _refuse(
            report,
            filename,
            "encoding",
            f"{filename} is not UTF-8: it looks like {guess} (first bad byte on line {line}). "
            f"Save it as 'CSV UTF-8 (comma delimited)' and upload it again.",
            row=line,
            value=repr(data[e.start : e.start + 1])[2:-1],
        )
        return None


def _parse_csv(data: bytes, filename: str, report: Report) -> pd.DataFrame | None:
    """The bytes (already checked as UTF-8 and within the limits) as a frame of strings, read by pandas from the
    bytes themselves: no decoded copy of the file."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.BufferedReader(_Reader(data)),
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=True,
                engine="c",
                index_col=False,
                encoding="utf-8-sig",
            )
    except (pd.errors.ParserError, pd.errors.ParserWarning) as e:
        line = _line_of(str(e)) or _first_long_line(data)
        where = f" (line {line})" if line else ""
        _refuse(
            report,
            filename,
            "csv_syntax",
            f"{filename} is not valid CSV{where}: a row has more fields than the header, or a quote is "
            f"not closed. Check the quotes and the number of commas on that line.",
            row=line,
        )
        return None
    except (pd.errors.EmptyDataError, csv.Error) as e:
        _refuse(report, filename, "csv_syntax", f"{filename} cannot be read as CSV ({e}).")
        return None
    return frame.fillna("")


def _first_long_line(data: bytes) -> int | None:
    rows = csv.reader(io.TextIOWrapper(io.BufferedReader(_Reader(data)), encoding="utf-8-sig", newline=""))
    width = len(next(rows, []))
    for number, row in enumerate(rows, start=2):
        if len(row) > width:
            return number
    return None


def _line_of(message: str) -> int | None:
    import re

    m = re.search(r"line (\d+)", message)
    return int(m.group(1)) if m else None


def _read_xlsx(f: PackageFile, report: Report, limits: Limits, budget: _Budget):
    """Sheets named like the files (without .csv). The archive is checked like a ZIP first; no macro or
    external link is ever run or followed: only cell values are read (calamine)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(f.content))
        infos = archive.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError, OSError):
        _refuse(
            report,
            f.name,
            "unreadable_xlsx",
            f"{f.name} is not a readable XLSX workbook. Save it again from Excel as .xlsx.",
        )
        return
    problems = [
        p
        for p in _zip_problems(
            infos, Limits(min(limits.max_uncompressed, limits.max_xlsx_bytes), limits.max_ratio, 10_000)
        )
        if p[0] != "zip_nested_archive"
    ]
    if any(i.filename.lower().endswith("vbaproject.bin") for i in infos):
        problems.append(("xlsx_macros", f"{f.name} contains macros. Save it as a plain .xlsx workbook without macros."))
    for rule, message in problems:
        _refuse(report, f.name, rule, message)
    if problems or not _sheets_fit(archive, infos, f.name, report, limits, budget):
        return
    try:
        yield from _xlsx_tables(f, report)
    except Exception as e:  # calamine raises its own error types (XmlError, ...) for broken workbooks
        _refuse(
            report,
            f.name,
            "unreadable_xlsx",
            f"{f.name} cannot be read as a workbook ({type(e).__name__}). Save it again as .xlsx.",
        )


_SHEET_FOLDER = "xl/worksheets/"
_XML_PART_MAX = 4 * 2**20  # the workbook and its relationships: a few KB in any real workbook
MAX_SHEET_ROWS, MAX_SHEET_COLUMNS = 1_048_576, 16_384  # the extent of any Excel sheet


class _SheetTooLarge(Exception):
    def __init__(self, verb: str, columns: int, rows: int):
        super().__init__(verb)
        self.verb, self.columns, self.rows = verb, columns, rows


class _TextTooLong(Exception):
    """A cell's or a shared string's text past ``UPLOAD_MAX_LINE_BYTES`` (calamine would hold all of it)."""


class _TextBound:
    """The text of one cell (or shared string) at most ``max_text`` characters, counted as expat delivers it;
    ``run`` is set to 0 where a cell or string starts."""

    max_text, run = 65_536, 0

    def text(self, data: str) -> None:
        self.run += len(data)
        if self.run > self.max_text:
            raise _TextTooLong(self.max_text)


def _local(name) -> str:
    """An element's or attribute's name without its namespace (``ns c`` from expat, ``{ns}c`` from ElementTree,
    ``x:c``) → ``c``."""
    return name.rpartition(" ")[2].rpartition("}")[2].rpartition(":")[2]


def _attr(attributes: dict, name: str) -> str | None:
    """An attribute by its local name, whatever its namespace or prefix."""
    value = attributes.get(name)
    if value is not None:
        return value
    return next((v for k, v in attributes.items() if _local(k) == name), None)


@lru_cache(maxsize=20_000)
def _column(letters: str) -> int:
    """``CV`` → 100."""
    column = 0
    for ch in letters.upper():
        column = column * 26 + ord(ch) - 64
    return column


_KIND: dict[str, str] = {}  # an element's full name → its local name


FAR = 1 << 40  # a position past every limit


def _reference(ref: str) -> tuple[int, int] | None:
    """``CV400000`` → (column 100, row 400000); None when it is not a cell reference (``$`` signs allowed)."""
    ref = ref.strip().replace("$", "")
    letters = ref.rstrip("0123456789")
    digits = ref[len(letters) :]
    if not (letters and letters.isascii() and letters.isalpha() and digits):
        return None
    if len(letters) > 3 or len(digits) > 7:  # past any sheet Excel can write: a far cell, never "no reference"
        return FAR, FAR  # (calamine would lay out the whole grid up to it)
    return _column(letters), int(digits)


class _Extent(_TextBound):
    """The extent of a sheet as calamine lays it out, read as the XML streams past: the declared
    ``<dimension>``, every ``<row r>`` and every ``<c r>``, and where ``r`` is left out the position it takes
    (the next row, the next column). It stops at the first cell past the limits, so a far cell costs nothing."""

    def __init__(self, limits: Limits, cells_left: int):
        self.max_columns, self.cells_left = min(limits.max_columns, MAX_SHEET_COLUMNS), cells_left
        self.row, self.column, self.rows, self.columns, self.cells = 0, 0, 0, 0, 0
        self.max_text = limits.max_line_bytes

    def start(self, name: str, attributes: dict) -> None:
        local = _KIND.get(name) or _KIND.setdefault(name, _local(name))  # one look-up per element
        if local == "c":
            self.run = 0
            ref = attributes.get("r") or _attr(attributes, "r")
            position = _reference(ref) if ref else None
            self.column, self.row = position if position else (self.column + 1, max(self.row, 1))
            self.cells += 1
            if self.column > self.columns or self.row > self.rows or self.cells > self.cells_left:
                self.columns, self.rows = max(self.columns, self.column), max(self.rows, self.row)
                self._check("holds cells up to", self.columns, self.rows)
        elif local == "row":
            r = (_attr(attributes, "r") or "").strip()
            self.row = int(r) if r.isascii() and r.isdigit() else self.row + 1
            self.column = 0
            self._check("holds rows up to", max(self.columns, 1), self.row)
        elif local == "dimension":
            if ref := _reference((_attr(attributes, "ref") or "").rpartition(":")[2]):
                self._check("declares", *ref)

    def _check(self, verb: str, columns: int, rows: int) -> None:
        if (
            columns > self.max_columns
            or rows > MAX_SHEET_ROWS
            or columns * rows > self.cells_left
            or self.cells > self.cells_left
        ):
            raise _SheetTooLarge(verb, columns, rows)


def _sheets_fit(archive: zipfile.ZipFile, infos, source: str, report: Report, limits: Limits, budget: _Budget) -> bool:
    """Every sheet's declared extent (``<dimension>``) and actual extent (its rows' and cells' positions) within
    the column and cell limits, read with an XML parser (defusedxml: no DTD, no entities) from the parts the
    workbook's relationships name, wherever they are, and from any part in ``xl/worksheets/``, before calamine
    lays out a sheet as a dense grid (a 5 KB workbook with one far cell would otherwise take gigabytes)."""
    found = _workbook_parts(archive, source, report)
    if found is None:
        return False
    sheets, strings = found
    by_name = {i.filename.lower(): i for i in infos}
    parts = dict(sheets)
    for info in infos:
        if info.filename.lower().startswith(_SHEET_FOLDER) and info.filename.lower().endswith(".xml"):
            parts.setdefault(info.filename.lower(), info.filename)
    for part, sheet in parts.items():
        if part in by_name and not _sheet_fits(archive, by_name[part], sheet, source, report, limits, budget):
            return False
    strings |= {name for name in by_name if name.endswith("sharedstrings.xml")}
    cells = budget.xlsx_cells  # the sheets' cells: no workbook needs more strings than that
    return all(
        _strings_fit(archive, by_name[part], source, report, cells, limits.max_line_bytes)
        for part in strings
        if part in by_name
    )


class _Strings(_TextBound):
    """Counts the shared strings (``<si>``) as the XML streams past, stopping past ``limit`` strings or a string
    longer than ``max_text``."""

    def __init__(self, limit: int, max_text: int):
        self.limit, self.count, self.max_text = limit, 0, max_text

    def start(self, name: str, attributes: dict) -> None:
        if name.endswith("si") and _local(name) == "si":
            self.run = 0
            self.count += 1
            if self.count > self.limit:
                raise _SheetTooLarge("holds shared strings", self.count, 0)


def _strings_fit(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: str, report: Report, cells: int, max_text: int
) -> bool:
    """The shared strings, which calamine holds in memory for the whole workbook: no more of them than the
    sheets have cells (a 500 MB list of one-letter strings would otherwise take gigabytes)."""
    return _parse_streaming(
        archive,
        info,
        _Strings(cells, max_text),
        source,
        report,
        "shared strings",
        lambda e: (
            f"The workbook {source} holds more shared strings than its sheets have cells "
            f"({cells:,}). Save it again from Excel as .xlsx, or upload CSV files."
        ),
    )


def _sheet_fits(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    sheet: str,
    source: str,
    report: Report,
    limits: Limits,
    budget: _Budget,
) -> bool:
    """One sheet's extent within the columns and the cells left to the upload, which it then uses up."""
    extent = _Extent(limits, min(budget.cells, limits.max_xlsx_cells - budget.xlsx_cells))
    fits = _parse_streaming(
        archive,
        info,
        extent,
        source,
        report,
        f"sheet '{sheet}'",
        lambda e: (
            f"The sheet '{sheet}' of {source} {e.verb} {e.columns:,} columns x {e.rows:,} "
            f"rows; the limits are {limits.max_columns} columns and "
            f"{limits.max_xlsx_cells:,} cells in all the workbook's sheets. Delete the "
            f"empty formatted rows "
            f"and columns below and beside the table, or upload CSV files."
        ),
        sheet,
    )
    budget.cells -= extent.rows * extent.columns
    budget.xlsx_cells += extent.rows * extent.columns
    return fits


def _no_dtd(name, *_):
    raise DTDForbidden(name, None, None)


def _no_entities(name, *_):
    raise EntitiesForbidden(name, None, None, None, None, None)


def _no_external(context, *_):
    raise ExternalReferenceForbidden(context, None, None, None)


def _expat(handler):
    """An expat parser calling only ``handler.start(name, attributes)`` and ``handler.text(data)`` (no end tags:
    two Python calls per cell, not SAX's five), refusing what defusedxml refuses: a DTD, entity declarations,
    external references."""
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler = handler.start
    parser.CharacterDataHandler = handler.text
    parser.StartDoctypeDeclHandler = _no_dtd
    parser.EntityDeclHandler = parser.UnparsedEntityDeclHandler = _no_entities
    parser.ExternalEntityRefHandler = _no_external
    return parser


def _parse_streaming(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    handler,
    source: str,
    report: Report,
    what: str,
    too_large,
    where: str = "",
) -> bool:
    """Feed one part of the workbook to ``handler.start`` a megabyte at a time, never past its declared size; a
    ``_SheetTooLarge`` from the handler is reported with ``too_large(e)`` as ``sheet_too_large``, XML that does
    not parse (or has a DTD or entities) as ``unreadable_xlsx``."""
    parser = _expat(handler)
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(1 << 20):
                parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _SheetTooLarge as e:
        _refuse(report, source, "sheet_too_large", too_large(e), value=where)
        return False
    except _TextTooLong as e:
        _refuse(
            report,
            source,
            "sheet_too_large",
            f"The {what} of {source} holds a text longer than {e.args[0]:,} characters, the limit of "
            f"one cell (UPLOAD_MAX_LINE_BYTES). Check the cells of the sheet, or upload CSV files.",
            value=where,
        )
        return False
    except (
        xml.parsers.expat.ExpatError,
        DefusedXmlException,
        ValueError,
        zipfile.BadZipFile,
        EOFError,
        OSError,
        RuntimeError,
        zlib.error,
    ) as e:
        _refuse(
            report,
            source,
            "unreadable_xlsx",
            f"The {what} of {source} is not readable XML ({type(e).__name__}). Save the workbook "
            f"again from Excel as .xlsx, or upload CSV files.",
            value=where,
        )
        return False
    return True


def _xml_part(archive: zipfile.ZipFile, name: str, source: str, report: Report):
    """A small part of the workbook (at most ``_XML_PART_MAX`` inflated) parsed by defusedxml; None if absent."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > _XML_PART_MAX:
        raise ValueError(f"{name} declares {info.file_size:,} bytes")
    data = _inflate(archive, info, [_XML_PART_MAX], source, report)
    if data is None:
        raise ValueError(f"{name} does not inflate to its declared size")
    return defused_et.fromstring(bytes(data))


def _workbook_parts(archive: zipfile.ZipFile, source: str, report: Report) -> tuple[dict[str, str], set[str]] | None:
    """Sheet part (lower case, e.g. ``xl/worksheets/sheet1.xml`` or ``elsewhere/s.xml``) → sheet name, and the
    shared strings' parts, from ``xl/workbook.xml`` and ``xl/_rels/workbook.xml.rels`` read with an XML parser
    (any attribute order, quotes, spacing or namespace prefix). None, with the reason in ``report``, when they
    are not readable."""
    try:
        workbook = _xml_part(archive, "xl/workbook.xml", source, report)
        rels = _xml_part(archive, "xl/_rels/workbook.xml.rels", source, report)
    except (defused_et.ParseError, DefusedXmlException, ValueError, zipfile.BadZipFile, OSError, zlib.error) as e:
        _refuse(
            report,
            source,
            "unreadable_xlsx",
            f"{source} is not a readable XLSX workbook: its list of sheets cannot be read "
            f"({type(e).__name__}). Save it again from Excel as .xlsx.",
        )
        return None
    if workbook is None or rels is None:
        return {}, set()
    targets: dict[str, set[str]] = {}
    strings: set[str] = set()
    for rel in rels.iter():
        if _local(rel.tag) == "Relationship" and (_attr(rel.attrib, "TargetMode") or "").lower() != "external":
            targets[_attr(rel.attrib, "Id") or ""] = _part_names(_attr(rel.attrib, "Target") or "")
            if (_attr(rel.attrib, "Type") or "").endswith("/sharedStrings"):
                strings |= targets[_attr(rel.attrib, "Id") or ""]
    out = {}
    for sheet in workbook.iter():
        if _local(sheet.tag) == "sheet":
            for part in targets.get(_attr(sheet.attrib, "id") or "", ()):
                out[part] = _attr(sheet.attrib, "name") or part
    # Every other part a relationship names is checked as a sheet too (a sheet may be typed as anything).
    for parts in targets.values():
        out.update({p: p for p in parts if p not in out and p not in strings and not p.endswith("styles.xml")})
    return out, strings


def _part_names(target: str) -> set[str]:
    """Where a relationship's target may be in the archive (lower case): as readers resolve it (``/x`` from the
    root, ``xl/x`` as written, ``x`` beside the workbook) and normalised."""
    target = target.replace("\\", "/").strip()
    if target.startswith("/"):
        raw = target.lstrip("/")
    else:
        raw = target if target.lower().startswith("xl/") else "xl/" + target
    return {raw.lower(), posixpath.normpath(raw).lower(), posixpath.normpath("xl/" + target.lstrip("/")).lower()}


def _xlsx_tables(f: PackageFile, report: Report):
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(f.content))
    names = {n.strip().lower(): n for n in book.sheet_names}
    for key, sheet_name in names.items():
        if key not in FILES and key not in IGNORED_SHEETS:
            report.add(
                Failure(
                    f.name,
                    None,
                    "",
                    sheet_name,
                    "unknown_sheet",
                    "warning",
                    f"The sheet '{sheet_name}' is not part of the package and was ignored.",
                )
            )
    for name, spec in FILES.items():
        if name not in names:
            if spec.required:
                _refuse(
                    report,
                    f"{name}.csv",
                    "missing_file",
                    f"The workbook has no sheet named '{name}'. Add it (a header row is enough when "
                    f"there are no rows), named exactly '{name}'.",
                )
            continue
        # Row by row (the extent is within the limits, checked above): no list of the raw values beside the text.
        rows = (
            r for r in ([_cell(v) for v in row] for row in book.get_sheet_by_name(names[name]).iter_rows()) if any(r)
        )
        header = next(rows, None)
        if header is None:
            _refuse(
                report, f"{name}.csv", "empty_file", f"The sheet '{name}' is empty. It needs at least its header row."
            )
            continue
        yield RawTable(name, f"{f.name}[{names[name]}]", _frame_of_rows(rows, header))


def _frame_of_rows(rows, header: list[str], chunk: int = 50_000) -> pd.DataFrame:
    """Rows of text as a frame of strings, built ``chunk`` rows at a time: the Python strings of one chunk are
    alive at once, not those of the whole sheet beside its frame."""
    frames, width = [], len(header)
    while body := [r[:width] + [""] * (width - len(r)) for _, r in zip(range(chunk), rows)]:
        frames.append(pd.DataFrame(body, columns=header, dtype=str))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=header, dtype=str)


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, bool):
        return "Y" if v else "N"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
