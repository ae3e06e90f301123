"""Reading a package safely: a ZIP of CSVs, several CSVs, or one XLSX workbook.

Every file becomes a frame of strings (nothing is interpreted yet) with its header names
normalised. Hostile input is refused before it is inflated: path tricks, nested archives,
too many entries, a declared size or compression ratio past the limits, encrypted entries,
macro-enabled workbooks. A CSV must be UTF-8 (a byte-order mark is allowed)."""
from __future__ import annotations

import csv
import hashlib
import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from measures.dictionary import FILES
from reporting.ingest.report import Failure, Report

ARCHIVE_SUFFIXES = (".zip", ".xlsx", ".xlsm", ".gz", ".tgz", ".tar", ".7z", ".rar", ".bz2", ".xz", ".jar")
IGNORED_SHEETS = {"readme", "columns", "about"}


@dataclass(frozen=True)
class Limits:
    """What one upload may hold (``config/defaults.py``, the README's configuration table)."""
    max_uncompressed: int = 512 * 1024 * 1024     # all entries of one ZIP or XLSX, inflated
    max_ratio: int = 200
    max_entries: int = 50
    max_line_bytes: int = 65_536
    max_columns: int = 50
    max_cells: int = 10_000_000

    @classmethod
    def from_config(cls, cfg) -> "Limits":
        return cls(cfg["ZIP_MAX_UNCOMPRESSED_MB"] * 2**20, cfg["ZIP_MAX_RATIO"], cfg["ZIP_MAX_ENTRIES"],
                   cfg["UPLOAD_MAX_LINE_BYTES"], cfg["UPLOAD_MAX_COLUMNS"], cfg["UPLOAD_MAX_CELLS"])


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


def package_sha256(files: list[PackageFile]) -> str:
    """One file: its SHA-256. Several: the SHA-256 of their sorted names and digests."""
    if len(files) == 1:
        return files[0].sha256
    lines = sorted(f"{posixpath.basename(f.name)}\0{f.sha256}\n" for f in files)
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def read_package(files: list[PackageFile], report: Report, limits: Limits = Limits()) -> dict[str, RawTable]:
    """Read every file of a package; problems go into ``report`` as errors. Returns tables by file name."""
    if not files:
        report.add(Failure("", None, "", "", "no_files", "error",
                           "No file was uploaded. Choose a ZIP of the CSV files, the CSV files themselves, or one XLSX workbook."))
        return {}
    tables: dict[str, RawTable] = {}
    for f in files:
        lower = f.name.lower()
        if not f.content:
            report.add(Failure(f.name, None, "", "", "empty_file", "error",
                               f"{f.name} is empty. A file with no data rows still needs its header line."))
        elif lower.endswith(".zip") or (f.content[:4] == b"PK\x03\x04" and not lower.endswith((".xlsx", ".xlsm"))):
            for name, data in _zip_entries(f, report, limits):
                _add_csv(tables, name, data, f"{f.name}/{name}", report, limits)
        elif lower.endswith((".xlsx", ".xlsm")):
            for table in _read_xlsx(f, report, limits):
                _put(tables, table, report)
        elif lower.endswith(".csv"):
            _add_csv(tables, f.name, f.content, f.name, report, limits)
        else:
            report.add(Failure(f.name, None, "", "", "unsupported_file", "error",
                               f"{f.name} is not a ZIP, CSV or XLSX file. Upload the package as a ZIP of the CSV files, "
                               f"the CSV files themselves, or one XLSX workbook."))
    return tables


def _put(tables: dict, table: RawTable, report: Report) -> None:
    if table.name in tables:
        report.add(Failure(table.source, None, "", "", "duplicate_file", "error",
                           f"{table.name}.csv appears twice in the package ({tables[table.name].source} and "
                           f"{table.source}). Keep one of them."))
    else:
        tables[table.name] = table


def _known_name(filename: str) -> str | None:
    base = posixpath.basename(filename.replace("\\", "/")).strip().lower()
    stem = base[:-4] if base.endswith(".csv") else None
    return stem if stem in FILES else None


def _zip_entries(f: PackageFile, report: Report, limits: Limits):
    """Check every entry before inflating anything; yield (name, bytes) of the CSV entries."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(f.content))
        infos = archive.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError, OSError) as e:
        report.add(Failure(f.name, None, "", "", "unreadable_zip", "error",
                           f"{f.name} is not a readable ZIP archive ({e}). It may be truncated: create the ZIP again "
                           f"and upload it once more."))
        return
    problems = _zip_problems(infos, limits)
    if problems:
        for rule, message in problems:
            report.add(Failure(f.name, None, "", "", rule, "error", message))
        return
    budget = [limits.max_uncompressed]
    for info in infos:
        if info.is_dir() or posixpath.basename(info.filename).startswith(("._", ".")) or "__MACOSX" in info.filename:
            continue
        data = _inflate(archive, info, budget, f.name, report)
        if data is not None:
            yield info.filename, data


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int], source: str,
             report: Report) -> bytes | None:
    """One entry, inflated a megabyte at a time: never past its declared size (an entry that holds more fails
    its CRC) nor past what is left of the package's budget, so a lying archive costs no more memory than its
    declared sizes allow."""
    chunks, size = [], 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(1 << 20):
                size += len(chunk)
                if size > info.file_size or size > budget[0]:
                    report.add(Failure(source, None, "", info.filename, "zip_bomb", "error",
                                       f"The entry {info.filename} of {source} inflates past its declared size or the "
                                       f"limit of {budget[0] / 2**20:,.0f} MB left for this upload. It is refused as a "
                                       f"possible ZIP bomb."))
                    return None
                chunks.append(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, ValueError, zlib.error) as e:
        report.add(Failure(source, None, "", info.filename, "unreadable_zip", "error",
                           f"The entry {info.filename} of {source} cannot be read ({e}). Create the ZIP again."))
        return None
    budget[0] -= size
    return b"".join(chunks)


def _zip_problems(infos, limits: Limits) -> list[tuple[str, str]]:
    problems = []
    if len(infos) > limits.max_entries:
        problems.append(("zip_too_many_entries", f"The ZIP holds {len(infos)} entries; a package has at most "
                                                 f"{limits.max_entries}. Put only the seven CSV files in it."))
    total = 0
    for info in infos:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":"):
            problems.append(("zip_unsafe_path", f"The ZIP entry '{name}' points outside the archive (an absolute "
                                                f"path or '..'). Create the ZIP from the folder of CSV files."))
        if info.flag_bits & 0x1:
            problems.append(("zip_encrypted", f"The ZIP entry '{name}' is encrypted. Upload the package without a password."))
        if name.lower().endswith(ARCHIVE_SUFFIXES):
            problems.append(("zip_nested_archive", f"The ZIP contains another archive, '{name}'. Put the CSV files "
                                                   f"themselves in the ZIP, not an archive of them."))
        total += info.file_size
        if info.file_size > 1_000_000 and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            problems.append(("zip_bomb", f"The ZIP entry '{name}' would inflate {info.file_size // max(info.compress_size, 1)} "
                                         f"times its packed size (the limit is {limits.max_ratio}). It is refused as a "
                                         f"possible ZIP bomb."))
    if total > limits.max_uncompressed:
        problems.append(("zip_bomb", f"The ZIP would unpack to {total / 2**20:,.0f} MB; the limit is "
                                     f"{limits.max_uncompressed / 2**20:,.0f} MB. Split the package or check the files."))
    return problems


def _add_csv(tables: dict, filename: str, data: bytes, source: str, report: Report, limits: Limits) -> None:
    name = _known_name(filename)
    if name is None:
        expected = ", ".join(spec.filename for spec in FILES.values())
        report.add(Failure(source, None, "", "", "unknown_file", "error",
                           f"'{posixpath.basename(filename)}' is not a file of the package. The files are: {expected}."))
        return
    if not _shape_ok(data, f"{name}.csv", report, limits):
        return
    text = _decode(data, f"{name}.csv", report)
    if text is None:
        return
    if not text.strip():
        report.add(Failure(f"{name}.csv", None, "", "", "empty_file", "error",
                           f"{name}.csv is empty. A file with no data rows still needs its header line."))
        return
    frame = _parse_csv(text, f"{name}.csv", report)
    if frame is not None:
        _put(tables, RawTable(name, source, frame), report)


def _shape_ok(data: bytes, filename: str, report: Report, limits: Limits) -> bool:
    """The longest line and the header's width, found in the bytes (a few milliseconds a megabyte) before pandas
    builds anything: a file of a few megabytes on one line, or with a header of 300,000 columns, would otherwise
    take minutes and gigabytes to reject."""
    line, length = _longest_line(data)
    if length > limits.max_line_bytes:
        report.add(Failure(filename, line, "", "", "line_too_long", "error",
                           f"Line {line:,} of {filename} is {length:,} bytes long; the limit is "
                           f"{limits.max_line_bytes:,}. Each row of the file is one line: check the line endings and "
                           f"that the file is the CSV export of the table."))
        return False
    header = data.split(b"\n", 1)[0].decode("utf-8", "replace")
    width = len(next(csv.reader([header]), []))
    if width > limits.max_columns:
        report.add(Failure(filename, 1, "", "", "too_many_columns", "error",
                           f"The header of {filename} has {width:,} columns; the limit is {limits.max_columns}. The "
                           f"file has at most 14 columns: keep the columns of the data dictionary."))
        return False
    return True


def _longest_line(data: bytes, chunk: int = 1 << 24) -> tuple[int, int]:
    """(line number, length in bytes) of the longest line, scanning the bytes in chunks."""
    view = np.frombuffer(data, dtype=np.uint8)
    ends = [np.flatnonzero(view[i:i + chunk] == 10) + i for i in range(0, len(view), chunk)]
    ends = np.concatenate(ends + [np.array([len(view)])])
    starts = np.concatenate([[0], ends[:-1] + 1])
    lengths = ends - starts
    longest = int(lengths.argmax())
    return longest + 1, int(lengths[longest])


def _decode(data: bytes, filename: str, report: Report) -> str | None:
    for bom, encoding in ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
                          (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16")):
        if data.startswith(bom):
            report.add(Failure(filename, None, "", "", "encoding", "error",
                               f"{filename} is encoded as {encoding}, not UTF-8. Save it as 'CSV UTF-8 (comma delimited)' "
                               f"and upload it again."))
            return None
    if b"\x00" in data[:4096]:
        report.add(Failure(filename, None, "", "", "encoding", "error",
                           f"{filename} holds NUL bytes: it looks like UTF-16 saved without a byte-order mark, not "
                           f"UTF-8. Save it as 'CSV UTF-8 (comma delimited)' and upload it again."))
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        guess = "Windows-1252 (Western European)"
        try:
            data.decode("cp1252")
        except UnicodeDecodeError:
            guess = "Latin-1 (ISO-8859-1) or another single-byte encoding"
        report.add(Failure(filename, line, "", repr(data[e.start:e.start + 1])[2:-1], "encoding", "error",
                           f"{filename} is not UTF-8: it looks like {guess} (first bad byte on line {line}). "
                           f"Save it as 'CSV UTF-8 (comma delimited)' and upload it again."))
        return None


def _parse_csv(text: str, filename: str, report: Report) -> pd.DataFrame | None:
    import warnings
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False,
                                skip_blank_lines=True, engine="c", index_col=False)
    except (pd.errors.ParserError, pd.errors.ParserWarning) as e:
        line = _line_of(str(e)) or _first_long_line(text)
        where = f" (line {line})" if line else ""
        report.add(Failure(filename, line, "", "", "csv_syntax", "error",
                           f"{filename} is not valid CSV{where}: a row has more fields than the header, or a quote is "
                           f"not closed. Check the quotes and the number of commas on that line."))
        return None
    except (pd.errors.EmptyDataError, csv.Error) as e:
        report.add(Failure(filename, None, "", "", "csv_syntax", "error", f"{filename} cannot be read as CSV ({e})."))
        return None
    return frame.fillna("")


def _first_long_line(text: str) -> int | None:
    rows = csv.reader(io.StringIO(text))
    width = len(next(rows, []))
    for number, row in enumerate(rows, start=2):
        if len(row) > width:
            return number
    return None


def _line_of(message: str) -> int | None:
    import re
    m = re.search(r"line (\d+)", message)
    return int(m.group(1)) if m else None


def _read_xlsx(f: PackageFile, report: Report, limits: Limits):
    """Sheets named like the files (without .csv). The archive is checked like a ZIP first; no macro or
    external link is ever run or followed: only cell values are read (calamine)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(f.content))
        infos = archive.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError, OSError):
        report.add(Failure(f.name, None, "", "", "unreadable_xlsx", "error",
                           f"{f.name} is not a readable XLSX workbook. Save it again from Excel as .xlsx."))
        return
    problems = [p for p in _zip_problems(infos, Limits(limits.max_uncompressed, limits.max_ratio, 10_000))
                if p[0] != "zip_nested_archive"]
    if any(i.filename.lower().endswith("vbaproject.bin") for i in infos):
        problems.append(("xlsx_macros", f"{f.name} contains macros. Save it as a plain .xlsx workbook without macros."))
    for rule, message in problems:
        report.add(Failure(f.name, None, "", "", rule, "error", message))
    if problems or not _sheets_fit(archive, infos, f.name, report, limits):
        return
    try:
        yield from _xlsx_tables(f, report)
    except Exception as e:  # calamine raises its own error types (XmlError, ...) for broken workbooks
        report.add(Failure(f.name, None, "", "", "unreadable_xlsx", "error",
                           f"{f.name} cannot be read as a workbook ({type(e).__name__}). Save it again as .xlsx."))


_SHEET_PART = re.compile(r"^xl/worksheets/[^/]+\.xml$", re.I)
_DIMENSION = re.compile(rb'<dimension\s+ref="([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?"')
_CELL_ROW = re.compile(rb'<c\s+r="[A-Z]{1,3}(\d+)"')
_CELL_COLUMN = re.compile(rb'<c\s+r="([A-Z]{1,3})\d')


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _sheets_fit(archive: zipfile.ZipFile, infos, source: str, report: Report, limits: Limits) -> bool:
    """Every sheet's declared extent (``<dimension>``) and actual extent (its cells' references) within the
    column and cell limits, read from the XML before calamine lays out the sheet as a dense grid (a 5 KB
    workbook declaring A1:CV400000 would otherwise take gigabytes)."""
    names = _sheet_names(archive)
    budget = [limits.max_uncompressed]
    for info in infos:
        if not _SHEET_PART.match(info.filename):
            continue
        xml = _inflate(archive, info, budget, source, report)
        if xml is None:
            return False
        sheet = names.get(info.filename.lower(), info.filename)
        extents = []
        if m := _DIMENSION.search(xml[:4096]):
            last_col, last_row = (m.group(3), m.group(4)) if m.group(3) else (m.group(1), m.group(2))
            extents.append(("declares", _column_number(last_col or b"A"), int(last_row or 1)))
        rows = _CELL_ROW.findall(xml)
        columns = set(_CELL_COLUMN.findall(xml))
        longest = max(rows, key=len) if rows else b"1"
        max_row = int(max((r for r in rows if len(r) == len(longest)), default=longest))
        extents.append(("holds cells up to", max(map(_column_number, columns), default=1), max_row))
        for verb, columns, nrows in extents:
            if columns > limits.max_columns or columns * nrows > limits.max_cells:
                report.add(Failure(source, None, "", sheet, "sheet_too_large", "error",
                                   f"The sheet '{sheet}' of {source} {verb} {columns:,} columns x {nrows:,} rows; the "
                                   f"limits are {limits.max_columns} columns and {limits.max_cells:,} cells. Delete the "
                                   f"empty formatted rows and columns below and beside the table, or upload CSV files."))
                return False
    return True


def _sheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet part (``xl/worksheets/sheet1.xml``) → sheet name, from the workbook and its relationships."""
    try:
        workbook = archive.read("xl/workbook.xml")[:1 << 20]
        rels = archive.read("xl/_rels/workbook.xml.rels")[:1 << 20]
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, zlib.error):
        return {}
    targets = {m.group(1): m.group(2) for m in re.finditer(rb'Id="([^"]+)"[^>]*Target="([^"]+)"', rels)}
    targets |= {m.group(2): m.group(1) for m in re.finditer(rb'Target="([^"]+)"[^>]*Id="([^"]+)"', rels)}
    out = {}
    for m in re.finditer(rb'<sheet\b[^>]*name="([^"]*)"[^>]*r:id="([^"]+)"', workbook):
        target = targets.get(m.group(2), b"").decode("utf-8", "replace").lstrip("/")
        part = target if target.startswith("xl/") else "xl/" + target
        out[part.lower()] = m.group(1).decode("utf-8", "replace")
    return out


def _xlsx_tables(f: PackageFile, report: Report):
    from python_calamine import CalamineWorkbook
    book = CalamineWorkbook.from_filelike(io.BytesIO(f.content))
    names = {n.strip().lower(): n for n in book.sheet_names}
    for key, sheet_name in names.items():
        if key not in FILES and key not in IGNORED_SHEETS:
            report.add(Failure(f.name, None, "", sheet_name, "unknown_sheet", "warning",
                               f"The sheet '{sheet_name}' is not part of the package and was ignored."))
    for name, spec in FILES.items():
        if name not in names:
            if spec.required:
                report.add(Failure(f"{name}.csv", None, "", "", "missing_file", "error",
                                   f"The workbook has no sheet named '{name}'. Add it (a header row is enough when "
                                   f"there are no rows), named exactly '{name}'."))
            continue
        rows = book.get_sheet_by_name(names[name]).to_python(skip_empty_area=False)
        rows = [r for r in rows if any(v not in ("", None) for v in r)]
        if not rows:
            report.add(Failure(f"{name}.csv", None, "", "", "empty_file", "error",
                               f"The sheet '{name}' is empty. It needs at least its header row."))
            continue
        header = [_cell(v) for v in rows[0]]
        body = [[_cell(v) for v in r] + [""] * (len(header) - len(r)) for r in rows[1:]]
        yield RawTable(name, f"{f.name}[{names[name]}]",
                       pd.DataFrame([r[:len(header)] for r in body], columns=header, dtype=str)
                       if body else pd.DataFrame(columns=header, dtype=str))


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
