"""What pages, reports and e-mails say, word by word (issue 27 item 8): direction-aware distances, no claim
about benchmarks that do not exist, the reason a gap-closure target is missing, plurals and thousands
separators, no stray symbols, Python literals or measure ids where people read, no preview banner on an
error page, a revised preview's e-mail that blames no one, and the demo's sign-ins printed once."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

import pytest
from sqlalchemy import select

from measures import REGISTRY, Period
from reporting.storage.models import Result, ResultRun
from tests.conftest import EXAMPLES, ROOT, login

pytestmark = pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)  # wording: one backend is enough


def page(client, path, status=200):
    r = client.get(path)
    assert r.status_code == status, (path, r.status_code)
    return r.get_data(as_text=True)


def signed_in(app, email):
    client = app.test_client()
    login(client, email)
    return client


def test_distances_benchmarks_and_gap_closure_say_what_is_so(example, dbs):
    """A lower-is-better value under its benchmark is "below (met)", never "above (met)"; a home whose quarter
    has no benchmark does not say every measure with one is met; a withhold row without last year's value
    says so rather than "does not apply"."""
    runs = {r.period_code: r.id for r in dbs.scalars(select(ResultRun).where(ResultRun.is_current))}
    year = dbs.scalar(
        select(Result).where(Result.run_id == runs["2015"], Result.measure_id == "readmission_30d", Result.ico == "HA")
    )
    year.value = 16.3  # benchmark 17.0, lower is better: met by 0.7
    dbs.commit()
    ha = signed_in(example, "ha@example.org")
    home = page(ha, "/")
    edges = re.findall(
        r"<li>([^<:]+): [\d.]+ against [\d.]+, ([\d.]+) (?:points|per 1,000) (\w+) \((met|met by gap closure|not met)\)</li>",
        home,
    )
    assert ("All-cause readmissions within 30 days", "0.7", "below", "met") in edges, edges
    titles = {m.title: m for m in REGISTRY.values()}
    for title, _, side, verdict in edges:
        lower = titles[title].direction == "lower"
        # met: on the better side; not met, or met only by closing the gap: on the worse side
        assert side == ("below" if lower == (verdict == "met") else "above"), (title, side, verdict)
    assert "Every measure with a benchmark is met" not in home or "not met" in home
    withhold = page(signed_in(example, "cms@example.org"), "/withhold?year=2015")
    assert "no 2014 value" in withhold and "does not apply" in withhold and "(met then)" in withhold
    # A quarter without any benchmark: nothing is judged, and the home says so.
    from reporting.rules import store
    from reporting.storage import db

    with example.app_context(), db.transaction() as s:
        draft = store.create_draft(s, 2015, actor="test")
        store.apply_changes(s, draft, {m.measure_id: {"benchmark": None} for m in draft.measures}, actor="test")
        store.adopt(s, draft.id, actor="test")
    home = page(signed_in(example, "ha@example.org"), "/")
    assert "Every measure with a benchmark is met" not in home
    assert "No measure has a benchmark for 2015Q3 yet" in home, home[home.index("home-shortfalls") :][:1500]


def test_counts_agree_with_their_nouns_and_carry_thousands_separators(example, dbs):
    """ "1 inquiry is open", not "1 inquiries are open"; a rejection with 1,100 errors says "1,100 errors" as
    its list says "1,100 failures"; the grid's headers are words, not ids; no "·" before "no benchmark"."""
    from reporting import pipeline
    from reporting.ingest import PackageFile
    from reporting.review import inquiries
    from reporting.storage import db
    from reporting.storage.models import User

    # A rejected package with more than a thousand errors.
    folder = EXAMPLES / "packages" / "HA" / "2015Q3"
    files = {f.name: f.read_bytes() for f in folder.iterdir()}
    header, first = files["members.csv"].decode().splitlines()[:2]
    cells = first.split(",")
    rows = [
        ",".join([f"Z{n:05d}"] + ["1990-13-45" if c[:2] in ("19", "20") else c for c in cells[1:]]) for n in range(1100)
    ]
    files["members.csv"] = ("\n".join([header] + rows) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    with example.app_context():
        outcome = pipeline.accept_package(
            "HA", "2015Q3", [PackageFile("ha-2015Q3.zip", buffer.getvalue())], uploader="ha@example.org", via="web"
        )
    assert not outcome.accepted
    report = " ".join(page(signed_in(example, "ha@example.org"), f"/submissions/{outcome.submission_id}").split())
    errors = re.search(r"Rejected: ([\d,]+) errors", report).group(1)
    failures = re.search(r"([\d,]+) failures", report).group(1)
    assert "," in errors and int(errors.replace(",", "")) >= 1100 and "," in failures, (errors, failures)
    example.config.update({"PUBLISH_MODE": "preview", "PREVIEW_DAYS": 10})
    with example.app_context():
        assert pipeline.run_cycle("2015Q3", trigger="test").status == "preview"
        with db.transaction() as s:
            user = s.scalar(select(User).where(User.email == "ha@example.org"))
            inquiries.open_inquiry(s, user, Period.parse("2015Q3"), "fuh_7d", "Two discharges seem to be missing.")
    cms = signed_in(example, "cms@example.org")
    listing = " ".join(page(cms, "/inquiries?period=2015Q3").split())
    assert "1 inquiry is open" in listing and "1 inquiries" not in listing
    overview = page(cms, "/overview?period=2015Q3")
    grid = overview[overview.index('id="glance"') : overview.index("</thead>", overview.index('id="glance"'))]
    assert "Follow-up 7 days" in grid and "fuh 7d" not in grid and "_" not in re.sub(r"<[^>]+>", "", grid)
    assert "no benchmark" in overview and not re.search(r">\s*·\s*</span>\s*no benchmark", overview)


def test_the_audit_trail_reads_as_words_and_error_pages_carry_no_banner(example, dbs):
    from reporting import audit, pipeline
    from reporting.storage import db

    example.config.update({"PUBLISH_MODE": "preview", "PREVIEW_DAYS": 10})
    with example.app_context():
        assert pipeline.run_cycle("2015Q3", trigger="test").status == "preview"
        with db.transaction() as s:
            audit.record(
                "test",
                "wording",
                detail={"periods": ["2015Q2", "2015Q3"], "rows": 1662, "ok": True, "rules": {"fuh_7d": 45}},
                actor="test",
                session=s,
            )
    admin = signed_in(example, "admin@example.org")
    trail = page(admin, "/admin/audit")
    cells = re.findall(r'<td class="detail">(.*?)</td>', trail, re.S)
    assert cells and not any(re.search(r"\[|\]|\{'|'\}|=", c) for c in cells), [c for c in cells if "[" in c][:3]
    assert "periods: 2015Q2, 2015Q3; rows: 1,662; ok: yes; rules: fuh 7d: 45" in trail
    ha = signed_in(example, "ha@example.org")
    assert "preview-banner" in page(ha, "/icos/HA")  # the period is in preview ...
    for path, status in (("/icos/HB", 403), ("/measures/no_such_measure", 404), ("/icos/HA/export.pdf", 404)):
        body = page(ha, path, status)
        assert "preview-banner" not in body and "is in preview" not in body, path  # ... but not on errors


def test_a_revised_preview_e_mail_blames_no_one_and_promises_only_what_its_pdf_has(example):
    from reporting.delivery.messages import Letter, build

    with example.app_context():
        letter = Letter(
            "submitter@ha.example.org",
            "scorecard",
            "2015Q3",
            "Health Alliance",
            2,
            True,
            "scorecard.pdf",
            b"%PDF-1.7",
            1,
            "http://127.0.0.1:5000/icos/HA",
            preview_until=datetime(2026, 12, 8),
        )
        message = build(letter, "reports@example.org")
    parts = [p.get_content() for p in message.walk() if p.get_content_type() in ("text/plain", "text/html")]
    assert len(parts) == 2
    for part in parts:
        flat = " ".join(re.sub(r"<[^>]+>", " ", part).split())
        assert "resubmission" not in flat
        assert re.search(r"revised preview", flat, re.I) and "computed again" in flat
        assert "statewide figures when at least three ICOs reported" in flat
        assert "and the statewide figures;" not in flat


def test_the_demo_sign_ins_are_printed_once(example):
    """start.sh prints the sign-ins after the service starts; the demo command it runs before does not."""
    start = (ROOT / "scripts" / "start.sh").read_text()
    demo_lines = [line for line in start.splitlines() if "flask --app wsgi demo" in line]
    assert demo_lines and all("--no-sign-ins" in line for line in demo_lines)
    assert start.count('echo "Demo sign-ins:"') == 1
    result = example.test_cli_runner().invoke(args=["demo", "--help"])
    assert "--no-sign-ins" in result.output


def test_a_value_met_by_gap_closure_is_on_the_worse_side_of_its_benchmark(example):
    """FTC's home read "17.3 against 17.0, 0.3 points below (met)": a lower-is-better value met by gap closure
    is above its benchmark, and says how it was met."""
    from types import SimpleNamespace

    from reporting.homes import _edge
    from reporting.publication.benchmarks import MET_GAP

    row = SimpleNamespace(measure_id="readmission_30d", value=17.3, benchmark=17.0, status=MET_GAP)
    edge = _edge(row)
    assert edge.met and edge.status == "met by gap closure" and edge.value > edge.benchmark
