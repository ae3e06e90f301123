"""Malformed packages: each gives its named failure at the right file, row and column, the
package is rejected, and nothing of it reaches the data tables."""

import csv
import io
import zipfile

import pytest
from sqlalchemy import func, select

from reporting.ingest import PackageFile
from reporting.storage.models import ROW_TABLES, Submission
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.one_backend  # its subject is not the storage: SQLite only (conftest)

BASE = EXAMPLES / "packages" / "HA" / "2014Q1"
NEXT = EXAMPLES / "packages" / "HA" / "2014Q2"


def base_files(folder=BASE) -> dict[str, str]:
    return {f.name: f.read_text() for f in sorted(folder.iterdir())}


def rows_of(text):
    return list(csv.reader(io.StringIO(text)))


def write(rows):
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def set_cell(file, row, column, value):
    def mutate(files):
        rows = rows_of(files[file])
        rows[row - 1][rows[0].index(column)] = value
        files[file] = write(rows)

    return mutate


def drop_column(file, column):
    def mutate(files):
        rows = rows_of(files[file])
        i = rows[0].index(column)
        files[file] = write([r[:i] + r[i + 1 :] for r in rows])

    return mutate


def append_copy(file, row, changes=None):
    def mutate(files):
        rows = rows_of(files[file])
        new = list(rows[row - 1])
        for column, value in (changes or {}).items():
            new[rows[0].index(column)] = value
        files[file] = write(rows + [new])

    return mutate


def drop_file(file):
    def mutate(files):
        del files[file]

    return mutate


def rename_header(file, old, new):
    def mutate(files):
        rows = rows_of(files[file])
        rows[0][rows[0].index(old)] = new
        files[file] = write(rows)

    return mutate


def raw(file, content: bytes):
    def mutate(files):
        files[file] = content

    return mutate


M, A, C, I, V, F, S = (  # noqa: E741 -- one letter a file, as the case table reads
    "members.csv",
    "assessments.csv",
    "care_plans.csv",
    "inpatient_stays.csv",
    "visits.csv",
    "facility_stays.csv",
    "survey_responses.csv",
)
N_M, N_A, N_C, N_I, N_V, N_F, N_S = 86, 67, 75, 27, 22, 9, 23  # lines in each base file

# (case id, mutation, (file, row, column, rule))
CASES = [
    ("FILE-Missing-Members", drop_file(M), (M, None, "", "missing_file")),
    ("FILE-Missing-Visits", drop_file(V), (V, None, "", "missing_file")),
    ("COLUMN-Missing-Sex", drop_column(M, "sex"), (M, 1, "sex", "missing_column")),
    ("COLUMN-Duplicate", rename_header(M, "death_date", "SEX"), (M, 1, "sex", "duplicate_column")),
    ("VALUE-Blank-MemberId", set_cell(M, 2, "member_id", ""), (M, 2, "member_id", "blank_required")),
    ("VALUE-Bad-MemberIdCharacters", set_cell(M, 2, "member_id", "M 1!"), (M, 2, "member_id", "invalid_value")),
    ("VALUE-Bad-MemberIdTooLong", set_cell(V, 3, "member_id", "M" * 21), (V, 3, "member_id", "invalid_value")),
    ("VALUE-Bad-DateImpossible", set_cell(M, 2, "birth_date", "1949-13-40"), (M, 2, "birth_date", "invalid_date")),
    ("VALUE-Bad-DateUSFormat", set_cell(M, 3, "birth_date", "01/02/1950"), (M, 3, "birth_date", "invalid_date")),
    (
        "VALUE-Bad-DateFullWidthDigits",
        set_cell(M, 2, "birth_date", "\uff11\uff19\uff15\uff10-0\uff13-01"),
        (M, 2, "birth_date", "invalid_date"),
    ),
    (
        "VALUE-Bad-DateArabicIndicDigits",
        set_cell(A, 2, "event_date", "\u0662\u0660\u0661\u0664-01-15"),
        (A, 2, "event_date", "invalid_date"),
    ),
    ("VALUE-Bad-Sex", set_cell(M, 2, "sex", "X"), (M, 2, "sex", "invalid_value")),
    (
        "VALUE-Bad-EnrollmentMethod",
        set_cell(M, 2, "enrollment_method", "auto"),
        (M, 2, "enrollment_method", "invalid_value"),
    ),
    ("VALUE-Bad-RatingCategory", set_cell(M, 2, "rating_category", "C4"), (M, 2, "rating_category", "invalid_value")),
    ("RULE-Fail-Age65OnStart", set_cell(M, 2, "birth_date", "1948-09-10"), (M, 2, "birth_date", "age_eligibility")),
    ("RULE-Fail-Age20OnStart", set_cell(M, 2, "birth_date", "1993-09-12"), (M, 2, "birth_date", "age_eligibility")),
    (
        "RULE-Fail-StartAfterPeriod",
        set_cell(M, 2, "enrollment_start", "2014-04-05"),
        (M, 2, "enrollment_start", "start_after_period"),
    ),
    (
        "RULE-Fail-EndBeforeStart",
        set_cell(M, 3, "enrollment_end", "2013-12-31"),
        (M, 3, "enrollment_end", "end_before_start"),
    ),
    (
        "RULE-Fail-SpanBeforePeriod",
        set_cell(M, 2, "enrollment_end", "2013-12-31"),
        (M, 2, "enrollment_end", "span_before_period"),
    ),
    (
        "RULE-Fail-DeathAfterPeriod",
        set_cell(M, 2, "death_date", "2014-04-02"),
        (M, 2, "death_date", "death_after_period"),
    ),
    (
        "RULE-Fail-DeathWithoutEnd",
        set_cell(M, 2, "death_date", "2014-03-02"),
        (M, 2, "enrollment_end", "death_without_end"),
    ),
    (
        "RULE-Fail-EndAfterDeath",
        lambda f: (set_cell(M, 2, "death_date", "2014-03-02")(f), set_cell(M, 2, "enrollment_end", "2014-03-20")(f)),
        (M, 2, "enrollment_end", "end_after_death"),
    ),
    ("KEY-Duplicate-Span", append_copy(M, 2), (M, N_M + 1, "member_id", "duplicate_key")),
    (
        "RULE-Fail-SpansOverlap",
        append_copy(M, 2, {"enrollment_start": "2014-01-15"}),
        (M, N_M + 1, "enrollment_start", "span_overlap"),
    ),
    (
        "RULE-Fail-AssessmentOutsidePeriod",
        set_cell(A, 2, "event_date", "2014-04-01"),
        (A, 2, "event_date", "outside_period"),
    ),
    (
        "VALUE-Bad-AssessmentType",
        set_cell(A, 2, "assessment_type", "annual"),
        (A, 2, "assessment_type", "invalid_value"),
    ),
    ("VALUE-Bad-Outcome", set_cell(A, 2, "outcome", "done"), (A, 2, "outcome", "invalid_value")),
    ("KEY-Duplicate-Assessment", append_copy(A, 2), (A, N_A + 1, "member_id", "duplicate_key")),
    ("XFILE-Fail-AssessmentNotEnrolled", set_cell(A, 2, "member_id", "ZZZ999"), (A, 2, "member_id", "not_enrolled")),
    ("XFILE-Fail-CarePlanNotEnrolled", set_cell(C, 2, "member_id", "ZZZ999"), (C, 2, "member_id", "not_enrolled")),
    (
        "RULE-Fail-CompletedPlanWithoutLTSFlag",
        set_cell(C, 2, "outcome", "completed"),
        (C, 2, "ltss_coordinator", "required_when_completed"),
    ),
    ("VALUE-Bad-Flag", set_cell(C, 2, "ltss_coordinator", "Yes"), (C, 2, "ltss_coordinator", "invalid_value")),
    ("KEY-Duplicate-CarePlan", append_copy(C, 3), (C, N_C + 1, "member_id", "duplicate_key")),
    (
        "RULE-Fail-AdmissionAfterDischarge",
        set_cell(I, 3, "admission_date", "2014-03-15"),
        (I, 3, "admission_date", "admission_after_discharge"),
    ),
    (
        "RULE-Fail-DischargeOutsidePeriod",
        set_cell(I, 2, "discharge_date", "2014-04-01"),
        (I, 2, "discharge_date", "outside_period"),
    ),
    ("KEY-Duplicate-InpatientStayId", append_copy(I, 2), (I, N_I + 1, "stay_id", "duplicate_key")),
    (
        "VALUE-Bad-DischargeStatus",
        set_cell(I, 2, "discharge_status", "left"),
        (I, 2, "discharge_status", "invalid_value"),
    ),
    ("VALUE-Blank-Planned", set_cell(I, 2, "planned", ""), (I, 2, "planned", "blank_required")),
    ("XFILE-Fail-InpatientNotEnrolled", set_cell(I, 2, "member_id", "ZZZ999"), (I, 2, "member_id", "not_enrolled")),
    (
        "RULE-Fail-VisitOutsidePeriod",
        set_cell(V, 2, "visit_date", "2013-12-31"),
        (V, 2, "visit_date", "outside_period"),
    ),
    ("VALUE-Bad-ProviderType", set_cell(V, 2, "provider_type", "dentist"), (V, 2, "provider_type", "invalid_value")),
    ("KEY-Duplicate-Visit", append_copy(V, 2), (V, N_V + 1, "member_id", "duplicate_key")),
    (
        "RULE-Fail-FacilityDischargeBeforeAdmission",
        set_cell(F, 2, "discharge_date", "2014-03-05"),
        (F, 2, "discharge_date", "end_before_start"),
    ),
    (
        "RULE-Fail-DischargeWithoutDestination",
        set_cell(F, 2, "discharge_date", "2014-03-20"),
        (F, 2, "discharge_to", "required_when_discharged"),
    ),
    (
        "RULE-Fail-FacilityAdmittedAfterPeriod",
        set_cell(F, 2, "admission_date", "2014-04-03"),
        (F, 2, "admission_date", "admission_after_period"),
    ),
    (
        "RULE-Fail-FacilityStayBeforePeriod",
        lambda f: (set_cell(F, 3, "discharge_date", "2013-12-30")(f), set_cell(F, 3, "discharge_to", "community")(f)),
        (F, 3, "discharge_date", "stay_before_period"),
    ),
    ("KEY-Duplicate-FacilityStayId", append_copy(F, 2), (F, N_F + 1, "stay_id", "duplicate_key")),
    ("VALUE-Bad-Rating11", set_cell(S, 2, "rating_health_plan", "11"), (S, 2, "rating_health_plan", "invalid_value")),
    ("VALUE-Bad-FrequencyZero", set_cell(S, 2, "gnc_specialist", "0"), (S, 2, "gnc_specialist", "invalid_value")),
    ("VALUE-Bad-FrequencyDecimal", set_cell(S, 2, "cc_records", "2.5"), (S, 2, "cc_records", "invalid_value")),
    ("VALUE-Bad-IntWithPointZero", set_cell(S, 2, "gnc_specialist", "3.0"), (S, 2, "gnc_specialist", "invalid_value")),
    (
        "VALUE-Bad-IntExponent",
        set_cell(S, 2, "rating_health_plan", "1e1"),
        (S, 2, "rating_health_plan", "invalid_value"),
    ),
    (
        "VALUE-Bad-IntFullWidth",
        set_cell(S, 2, "rating_health_plan", "\uff19"),
        (S, 2, "rating_health_plan", "invalid_value"),
    ),
    ("VALUE-Bad-IntSigned", set_cell(S, 2, "rating_health_plan", "+9"), (S, 2, "rating_health_plan", "invalid_value")),
    (
        "RULE-Fail-SurveyOutsidePeriod",
        set_cell(S, 2, "survey_date", "2014-04-01"),
        (S, 2, "survey_date", "outside_period"),
    ),
    ("KEY-Duplicate-ResponseId", append_copy(S, 2), (S, N_S + 1, "response_id", "duplicate_key")),
    (
        "FILE-Encoding-Windows1252",
        raw(M, "member_id,birth_date\nJos\u00e9,1950-01-01\n".encode("cp1252")),
        (M, 2, "", "encoding"),
    ),
    ("FILE-Encoding-UTF16", raw(V, "member_id,visit_date,provider_type\n".encode("utf-16")), (V, None, "", "encoding")),
    ("FILE-Empty", raw(V, b""), (V, None, "", "empty_file")),
    (
        "XFILE-Fail-MembersHeaderOnly",  # the stays' check of spans read an empty list (a 500)
        lambda f: f.update({M: f[M].splitlines()[0] + "\n"}),
        (I, 2, "member_id", "not_enrolled"),
    ),
    (
        "FILE-CSVSyntax-ExtraFields",
        raw(V, b"member_id,visit_date,provider_type\nM00018,2014-03-11,other,extra,more\n"),
        (V, 2, "", "csv_syntax"),
    ),
    ("FILE-Unknown-Name", raw("notes.csv", b"a,b\n1,2\n"), ("notes.csv", None, "", "unknown_file")),
    ("FILE-Unsupported-Pdf", raw("package.pdf", b"%PDF-1.4 not really"), ("package.pdf", None, "", "unsupported_file")),
]


def as_package(files: dict) -> list[PackageFile]:
    return [
        PackageFile(name, content if isinstance(content, bytes) else content.encode())
        for name, content in files.items()
    ]


def zip_package(entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buffer.getvalue()


def base_zip_entries() -> dict[str, bytes]:
    return {name: text.encode() for name, text in base_files().items()}


def _xlsx(sheets: dict[str, str], macros=False) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    for name, text in sheets.items():
        sheet = book.add_worksheet(name[:-4])
        for r, row in enumerate(rows_of(text)):
            for c, v in enumerate(row):
                sheet.write_string(r, c, v)
    book.close()
    data = buffer.getvalue()
    if macros:
        entries = {
            i.filename: zipfile.ZipFile(io.BytesIO(data)).read(i) for i in zipfile.ZipFile(io.BytesIO(data)).infolist()
        }
        entries["xl/vbaProject.bin"] = b"\x00" * 64
        data = zip_package(entries)
    return data


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("members.csv", b"0" * (60 * 1024 * 1024))
    return buffer.getvalue()


ARCHIVE_CASES = [
    (
        "ZIP-Truncated",
        lambda: [PackageFile("p.zip", zip_package(base_zip_entries())[:400])],
        ("p.zip", None, "", "unreadable_zip"),
    ),
    ("ZIP-Bomb", lambda: [PackageFile("p.zip", zip_bomb())], ("p.zip", None, "", "zip_bomb")),
    (
        "ZIP-PathTraversal",
        lambda: [PackageFile("p.zip", zip_package(dict(base_zip_entries(), **{"../members.csv": b"x"})))],
        ("p.zip", None, "", "zip_unsafe_path"),
    ),
    (
        "ZIP-AbsolutePath",
        lambda: [PackageFile("p.zip", zip_package({"/etc/members.csv": b"x"}))],
        ("p.zip", None, "", "zip_unsafe_path"),
    ),
    (
        "ZIP-Nested",
        lambda: [
            PackageFile("p.zip", zip_package(dict(base_zip_entries(), **{"inner.zip": zip_package({"a.csv": b"a"})})))
        ],
        ("p.zip", None, "", "zip_nested_archive"),
    ),
    (
        "ZIP-TooManyEntries",
        lambda: [PackageFile("p.zip", zip_package({f"x{i}.txt": b"" for i in range(60)}))],
        ("p.zip", None, "", "zip_too_many_entries"),
    ),
    (
        "ZIP-DuplicateFile",
        lambda: [
            PackageFile(
                "p.zip",
                zip_package(dict(base_zip_entries(), **{"again/members.csv": base_zip_entries()["members.csv"]})),
            )
        ],
        ("p.zip/again/members.csv", None, "", "duplicate_file"),
    ),
    (
        "XLSX-MissingSheet",
        lambda: [PackageFile("p.xlsx", _xlsx({k: v for k, v in base_files().items() if k != C}))],
        (C, None, "", "missing_file"),
    ),
    (
        "XLSX-Macros",
        lambda: [PackageFile("p.xlsm", _xlsx(base_files(), macros=True))],
        ("p.xlsm", None, "", "xlsx_macros"),
    ),
    ("XLSX-Unreadable", lambda: [PackageFile("p.xlsx", b"PK\x03\x04 broken")], ("p.xlsx", None, "", "unreadable_xlsx")),
    ("PACKAGE-NoFiles", lambda: [], ("", None, "", "no_files")),
]


def submit(app, files, period="2014Q1"):
    from reporting import pipeline

    with app.app_context():
        return pipeline.accept_package("HA", period, files, uploader="test", via="cli")


def assert_rejected_with(app, dbs, outcome, expected):
    file, row, column, rule = expected
    found = [(f["file"], f["row"], f["column"], f["rule"]) for f in outcome.report["failures"]]
    assert outcome.report["verdict"] == "rejected"
    assert (file, row, column, rule) in found, found[:10]
    assert all(f["message"] and f["severity"] in ("error", "warning") for f in outcome.report["failures"])
    for table in ROW_TABLES.values():
        assert dbs.scalar(select(func.count()).select_from(table)) == 0
    assert [s.status for s in dbs.scalars(select(Submission))] == ["rejected"]


@pytest.fixture
def ha(app, make_ico):
    make_ico("HA")
    return app


@pytest.mark.parametrize("case, mutate, expected", CASES, ids=[c[0] for c in CASES])
def test_malformed_csv_package(ha, dbs, case, mutate, expected):
    files = base_files()
    mutate(files)
    assert_rejected_with(ha, dbs, submit(ha, as_package(files)), expected)


@pytest.mark.parametrize("case, make, expected", ARCHIVE_CASES, ids=[c[0] for c in ARCHIVE_CASES])
def test_malformed_archive(ha, dbs, case, make, expected):
    assert_rejected_with(ha, dbs, submit(ha, make()), expected)


def test_id_reused_across_quarters_keeps_the_earlier_version(ha, dbs):
    assert submit(ha, as_package(base_files())).accepted
    files = base_files(NEXT)
    set_cell(I, 2, "stay_id", "IP00027")(files)  # reported in 2014Q1
    outcome = submit(ha, as_package(files), "2014Q2")
    found = [(f["file"], f["row"], f["column"], f["rule"]) for f in outcome.report["failures"]]
    assert (I, 2, "stay_id", "id_reused") in found
    assert "2014Q1" in next(f["message"] for f in outcome.report["failures"] if f["rule"] == "id_reused")
    from reporting.storage.queries import in_force

    assert [(s.period_code, s.version) for s in in_force(dbs)] == [("2014Q1", 1)]


def test_warnings_do_not_block(ha, dbs):
    files = base_files()
    rows = rows_of(files[V])
    files[V] = write([r + (["note"] if i == 0 else ["=cmd|' /C calc'!A0"]) for i, r in enumerate(rows)])
    outcome = submit(ha, as_package(files))
    assert outcome.accepted
    assert [(f["rule"], f["severity"], f["column"]) for f in outcome.report["failures"]] == [
        ("unknown_column", "warning", "note")
    ]


def test_xlsx_package_is_accepted_like_the_csvs(ha, dbs):
    outcome = submit(ha, [PackageFile("ha.xlsx", _xlsx(base_files()))])
    assert outcome.accepted, outcome.report["by_rule"]
    assert outcome.report["files"][-1]["rows"]["members"] == N_M - 1


def test_oversize_upload_is_refused_with_413(app, world, client):
    from tests.conftest import csrf_token, login

    app.config["MAX_CONTENT_LENGTH"] = 1024
    login(client, "ha@example.org")
    token = csrf_token(client, "/submissions/upload")
    r = client.post(
        "/submissions/upload",
        content_type="multipart/form-data",
        data={"csrf_token": token, "period": "2014Q1", "files": (io.BytesIO(b"x" * 4096), "big.zip")},
    )
    assert r.status_code == 413 and "larger than the limit" in r.get_data(as_text=True)


def test_non_ascii_digits_and_number_spellings_are_refused_by_row_column_and_value(ha, dbs):
    """A date in other digits than 0-9 ("٢٠١٥-03-01") read as a date, and "3.0" or "1e1" as whole numbers: the
    package was accepted. Each is refused at its row and column, echoing the value and saying how to write it."""
    files = base_files()
    set_cell(M, 2, "birth_date", "\uff11\uff19\uff15\uff10-0\uff13-01")(files)
    set_cell(M, 3, "birth_date", "\u0661\u0669\u0665\u0660-03-01")(files)  # Arabic-Indic digits
    set_cell(S, 2, "gnc_specialist", "3.0")(files)
    set_cell(S, 3, "rating_health_plan", "1e1")(files)
    outcome = submit(ha, as_package(files))
    by_place = {(f["file"], f["row"], f["column"]): f for f in outcome.report["failures"] if f["severity"] == "error"}
    date = by_place[(M, 2, "birth_date")]
    assert date["value"] == "\uff11\uff19\uff15\uff10-0\uff13-01"
    assert "is not a date" in date["message"] and "YYYY-MM-DD with the digits 0-9" in date["message"]
    assert by_place[(M, 3, "birth_date")]["rule"] == "invalid_date"
    for row, column, value in [(2, "gnc_specialist", "3.0"), (3, "rating_health_plan", "1e1")]:
        failure = by_place[(S, row, column)]
        assert (failure["rule"], failure["value"]) == ("invalid_value", value)
        assert f"'{value}' is not allowed in {column}" in failure["message"]
        assert "digits 0-9 only" in failure["message"]
    assert outcome.report["verdict"] == "rejected"


def test_a_package_of_headers_only_is_refused_and_the_quarter_in_force_stays(ha, dbs):
    """Every file with its header and no row was accepted as version 2 and replaced the quarter in force,
    wiping the ICO's data for it. It is refused ("the package has no data rows"), kept as a rejected version,
    and version 1 stays in force with its rows."""
    from reporting.storage.queries import in_force

    assert submit(ha, as_package(base_files())).accepted
    rows_before = {name: dbs.scalar(select(func.count()).select_from(t)) for name, t in ROW_TABLES.items()}
    headers = {name: text.splitlines()[0] + "\r\n" for name, text in base_files().items()}
    outcome = submit(ha, as_package(headers))
    assert outcome.report["verdict"] == "rejected" and not outcome.accepted
    failure = next(f for f in outcome.report["failures"] if f["rule"] == "no_data_rows")
    assert failure["severity"] == "error"
    assert failure["message"].startswith("The package has no data rows;")
    assert "upload it again" in failure["message"]
    assert [(s.period_code, s.version) for s in in_force(dbs)] == [("2014Q1", 1)]
    assert [s.status for s in dbs.scalars(select(Submission).order_by(Submission.version))] == ["accepted", "rejected"]
    assert {name: dbs.scalar(select(func.count()).select_from(t)) for name, t in ROW_TABLES.items()} == rows_before
