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
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from measures.dictionary import FILES
from reporting.ingest.report import Failure, Report

ARCHIVE_SUFFIXES = (".zip", ".xlsx", ".xlsm", ".gz", ".tgz", ".tar", ".7z", ".rar", ".bz2", ".xz", ".jar")
IGNORED_SHEETS = {"readme", "columns", "about"}


@dataclass(frozen=True)
class Limits:
    max_uncompressed: int = 2048 * 1024 * 1024
    max_ratio: int = 200
    max_entries: int = 50


@dataclass(frozen=True)
class PackageFile:
    """One file as uploaded: its name and original bytes."""
    name: str
    content: bytes

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
                _add_csv(tables, name, data, f"{f.name}/{name}", report)
        elif lower.endswith((".xlsx", ".xlsm")):
            for table in _read_xlsx(f, report, limits):
                _put(tables, table, report)
        elif lower.endswith(".csv"):
            _add_csv(tables, f.name, f.content, f.name, report)
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
    for info in infos:
        if info.is_dir() or posixpath.basename(info.filename).startswith(("._", ".")) or "__MACOSX" in info.filename:
            continue
        try:
            data = archive.read(info)
        except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, ValueError) as e:
            report.add(Failure(f.name, None, "", info.filename, "unreadable_zip", "error",
                               f"The entry {info.filename} of {f.name} cannot be read ({e}). Create the ZIP again."))
            continue
        yield info.filename, data


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


def _add_csv(tables: dict, filename: str, data: bytes, source: str, report: Report) -> None:
    name = _known_name(filename)
    if name is None:
        expected = ", ".join(spec.filename for spec in FILES.values())
        report.add(Failure(source, None, "", "", "unknown_file", "error",
                           f"'{posixpath.basename(filename)}' is not a file of the package. The files are: {expected}."))
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


def _decode(data: bytes, filename: str, report: Report) -> str | None:
    for bom, encoding in ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
                          (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16")):
        if data.startswith(bom):
            report.add(Failure(filename, None, "", "", "encoding", "error",
                               f"{filename} is encoded as {encoding}, not UTF-8. Save it as 'CSV UTF-8 (comma delimited)' "
                               f"and upload it again."))
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
    if problems:
        return
    from python_calamine import CalamineWorkbook
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(f.content))
    except Exception as e:  # calamine raises its own error types for broken workbooks
        report.add(Failure(f.name, None, "", "", "unreadable_xlsx", "error",
                           f"{f.name} cannot be read as a workbook ({type(e).__name__}). Save it again as .xlsx."))
        return
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
