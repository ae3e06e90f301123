"""In a real browser (Debian's Chromium, driven by Playwright): reviewers and ICO users sign in and use
every page; the numbers shown equal the stored results; an ICO user reaches nothing of another ICO;
uploads work; pages pass axe-core without serious violations. Screenshots go to test-artifacts/."""

import io
import re
import shutil
import threading
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from measures import REGISTRY
from reporting import create_app
from reporting.rendering.filters import fmt_value
from reporting.storage.models import Result, ResultRun
from tests.conftest import EXAMPLES, PASSWORD, artifact_path
from tests.ingest.test_upload_paths import zip_of
from tests.smtp_server import smtp  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
AXE = Path(__import__("axe_playwright_python").__file__).parent / "axe.min.js"
LAUNCH = {
    "executable_path": "/usr/bin/chromium",
    "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
}


@pytest.fixture(scope="module")
def live(example_sqlite, tmp_path_factory):
    from werkzeug.serving import make_server

    folder = tmp_path_factory.mktemp("live")
    path = folder / "live.sqlite3"
    shutil.copy(example_sqlite, path)
    app = create_app(
        {
            "REPORTING_ENV": "test",
            "SECRET_KEY": "test-secret-key",
            "DATABASE_URL": f"sqlite:///{path}",
            "INSTANCE_PATH": str(folder / "instance"),
            "OUTBOX_DIR": str(folder / "outbox"),
            "RATELIMIT_ENABLED": False,
            "PUBLISH_MODE": "auto",
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "db": f"sqlite:///{path}", "app": app}
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(**LAUNCH)
        yield b
        b.close()


def sign_in(browser, live, email):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.goto(live["url"] + "/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def axe_serious(page):
    page.evaluate(AXE.read_text())
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        (v["id"], v["impact"], len(v["nodes"])) for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]


def stored(live, period, column="value"):
    engine = create_engine(live["db"])
    with Session(engine) as s:
        run = s.scalar(select(ResultRun).where(ResultRun.period_code == period, ResultRun.is_current))
        out = {
            (r.measure_id, r.ico): (getattr(r, column), r.status)
            for r in s.scalars(select(Result).where(Result.run_id == run.id))
        }
    engine.dispose()
    return out


REVIEWER_PAGES = [
    "/overview",
    "/overview?period=2015",
    "/icos/HA",
    "/measures",
    "/measures/fuh_7d",
    "/withhold",
    "/reports",
    "/submissions/",
    "/submissions/dictionary",
    "/gaps/assessment_90d/HB/2015Q3",
    "/submissions/upload",
    "/admin/users",
    "/admin/icos",
    "/admin/tokens",
    "/admin/audit",
    "/admin/schedules",
    "/admin/deliveries",
    "/account",
]


def test_reviewer_walks_every_page(browser, live):
    page = sign_in(browser, live, "admin@example.org")
    problems = {}
    for path in REVIEWER_PAGES:
        response = page.goto(live["url"] + path)
        assert response.status == 200, path
        name = re.sub(r"[^a-z0-9]+", "-", path.strip("/").lower()) or "home"
        page.screenshot(path=str(artifact_path(f"screen-admin-{name}.png")), full_page=False)
        if found := axe_serious(page):
            problems[path] = found
    assert problems == {}
    page.context.close()


def test_overview_numbers_period_change_and_export(browser, live):
    page = sign_in(browser, live, "cms@example.org")
    page.goto(live["url"] + "/overview")
    page.select_option("#period-select", "2015Q2")
    page.click("text=Show")
    page.wait_for_url("**period=2015Q2")
    assert page.inner_text("h1") == "Quality measures, 2015Q2"
    values = stored(live, "2015Q2")
    adjusted = stored(live, "2015Q2", "adjusted_value")
    for (measure_id, ico), (value, status) in values.items():
        text = page.inner_text(f'tr[data-measure="{measure_id}"] td[data-ico="{ico}"] .v').strip()
        unit = REGISTRY[measure_id].unit
        adj = adjusted[(measure_id, ico)][0] if ico != "STATEWIDE" else None  # statewide is unadjusted
        headline = value if adj is None else adj
        expected = "NA" if status == "NA" else fmt_value(headline, unit) + ("%" if unit == "percent" else "")
        if status != "NA" and adj is not None:
            expected += " adj."  # a survey score's headline is its case-mix adjusted score, marked
        assert text == expected, (measure_id, ico)
    page.focus('tr[data-measure="assessment_90d"] td[data-ico="HA"] .cell')
    assert page.is_visible('tr[data-measure="assessment_90d"] td[data-ico="HA"] .tip')
    assert "95 % interval" in page.inner_text('tr[data-measure="assessment_90d"] td[data-ico="HA"] .tip')
    page.screenshot(path=str(artifact_path("screen-reviewer-overview-2015Q2.png")), full_page=True)
    with page.expect_download() as download:
        page.click("text=CSV")
    frame = pd.read_csv(download.value.path())  # a plain call loads it (issue 27)
    assert (frame["period"] == "2015Q2").all() and (frame["about_period"] == "2015Q2").all()
    assert "assessment_90d" in set(frame["measure_id"])
    page.context.close()


def test_ico_user_sees_own_ico_and_cannot_reach_another(browser, live):
    page = sign_in(browser, live, "ha@example.org")
    assert page.url == live["url"] + "/"  # the ICO's home (issue 15)
    assert page.locator("h1").inner_text() == "Health Alliance"
    page.goto(live["url"] + "/icos/HA")
    page.screenshot(path=str(artifact_path("screen-ico-HA.png")), full_page=False)
    assert "Harbor Care" not in page.content()
    for path in [
        "/icos/HB",
        "/icos/HB/export.csv",
        "/gaps/fuh_7d/HB/2015Q3",
        "/submissions/history/HB/2015Q3",
        "/exports/public.csv?period=2015Q3",
        "/admin/users",
    ]:
        response = page.goto(live["url"] + path)
        assert response.status == 403, path
    page.goto(live["url"] + "/overview?period=2015Q3")
    assert page.locator('td[data-ico="HB"]').count() == 0 and page.locator('td[data-ico="HA"]').count() == len(REGISTRY)
    assert axe_serious(page) == []
    page.context.close()


def test_web_upload_report_and_csv_download(browser, live, tmp_path):
    page = sign_in(browser, live, "ha@example.org")
    page.goto(live["url"] + "/submissions/upload")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for f in (EXAMPLES / "packages" / "HA" / "2015Q3").iterdir():
            text = f.read_text()
            if f.name == "members.csv":
                lines = text.splitlines()
                lines[1] = lines[1].replace(lines[1].split(",")[1], "1990-13-45", 1)
                text = "\n".join(lines) + "\n"
            z.writestr(f.name, text)
    bad = tmp_path / "ha-2015Q3.zip"
    bad.write_bytes(buffer.getvalue())
    page.select_option("#period", "2015Q3")
    page.set_input_files("#files", str(bad))
    page.click("text=Upload and check")
    page.wait_for_load_state()
    assert "Rejected" in page.inner_text(".verdict") and "version 1 stays in force" in page.inner_text(".verdict")
    assert "invalid_date" in page.inner_text("#failures") and "members.csv" in page.inner_text("#failures")
    page.screenshot(path=str(artifact_path("screen-upload-report-rejected.png")), full_page=True)
    assert axe_serious(page) == []
    report_url = page.url
    with page.expect_download() as download:
        page.click("text=Download all as CSV")
    assert "invalid_date" in Path(download.value.path()).read_text(encoding="utf-8-sig")
    # The fixed package, as a ZIP of its CSV files (its visits in another order: the rows in force would be identical).
    fixed = tmp_path / "ha-2015Q3-fixed.zip"
    fixed.write_bytes(zip_of(EXAMPLES / "packages" / "HA" / "2015Q3", reverse="visits.csv"))
    page.goto(live["url"] + "/submissions/upload")
    page.select_option("#period", "2015Q3")
    page.set_input_files("#files", str(fixed))
    page.click("text=Upload and check")
    page.wait_for_load_state()
    assert "Accepted" in page.inner_text(".verdict") and "in force" in page.inner_text(".verdict")
    assert "version 3" in page.inner_text("h1")  # after the rejected version 2
    # The same ZIP again: recognised as the version in force, nothing new.
    page.goto(live["url"] + "/submissions/upload")
    page.select_option("#period", "2015Q3")
    page.set_input_files("#files", str(fixed))
    page.click("text=Upload and check")
    page.wait_for_load_state()
    assert "Identical to version 3; nothing changed" in page.inner_text(".flash")
    assert "version 3" in page.inner_text("h1")
    page.context.close()
    other = sign_in(browser, live, "hb@example.org")
    assert other.goto(report_url).status == 403
    other.context.close()


# What a phone reader of the validation report needs: no sideways scrolling of the page or of a table, and every
# failure's "What to fix" at least ~250 px wide (it was a 7rem column of a table scrolled sideways).
REPORT_ON_A_PHONE = r"""() => {
  const doc = document.documentElement;
  const out = {page: doc.scrollWidth, tables: [], fix: [], clipped: []};
  for (const t of document.querySelectorAll('main table')) {
    if (t.scrollWidth > t.clientWidth + 1 || t.getBoundingClientRect().right > doc.clientWidth + 1)
      out.tables.push(t.id || t.className);
  }
  for (const c of document.querySelectorAll('#failures tbody td.fix'))
    out.fix.push(Math.round(c.getBoundingClientRect().width));
  for (const e of document.querySelectorAll('main .verdict, main .meta, main h1, #failures td, #failures code'))
    if (e.getBoundingClientRect().right > doc.clientWidth + 1) out.clipped.push(e.textContent.slice(0, 40));
  return out;
}"""


def test_the_validation_report_reads_on_a_phone(browser, live, tmp_path):
    """At 390 px the validation report of a rejected package has no sideways scrolling, neither of the page nor of
    its tables: each failure is a block of labelled lines, its "What to fix" as wide as the screen allows; the
    labels name every value; axe finds nothing serious. (HB, so that the HA upload test's versions stay as they are.)"""
    page = sign_in(browser, live, "hb@example.org")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for f in (EXAMPLES / "packages" / "HB" / "2015Q3").iterdir():
            text = f.read_text()
            if f.name == "members.csv":
                lines = text.splitlines()
                for i in (1, 2):
                    lines[i] = lines[i].replace(lines[i].split(",")[1], "1990-13-45", 1)
                text = "\n".join(lines) + "\n"
            z.writestr(f.name, text)
    bad = tmp_path / "hb-2015Q3.zip"
    bad.write_bytes(buffer.getvalue())
    page.goto(live["url"] + "/submissions/upload")
    page.select_option("#period", "2015Q3")
    page.set_input_files("#files", str(bad))
    page.click("text=Upload and check")
    page.wait_for_load_state()
    assert "Rejected" in page.inner_text(".verdict")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.screenshot(path=str(artifact_path("phone-upload-report-390.png")), full_page=True)
    seen = page.evaluate(REPORT_ON_A_PHONE)
    assert seen["page"] <= 392 and seen["tables"] == [] and seen["clipped"] == [], seen
    assert seen["fix"] and min(seen["fix"]) >= 250, seen["fix"]
    first = page.locator("#failures tbody tr").first.inner_text()
    assert "invalid_date" in first and "1990-13-45" in first
    labels = page.evaluate(
        "[...document.querySelector('#failures tbody tr').cells].map(c => getComputedStyle(c, '::before').content)"
    )
    assert labels == [f'"{x}"' for x in ("Severity", "File", "Row", "Column", "Value", "Rule", "What to fix")]
    caption = page.evaluate("document.querySelector('#failures caption').getBoundingClientRect().width")
    assert caption > 150, caption  # "2 failures" on one line, not a word a line
    assert page.evaluate(NARROW_CELLS) == []
    assert axe_serious(page) == []
    page.set_viewport_size({"width": 1440, "height": 900})  # on a desktop it stays a table with its header row
    page.reload()
    assert page.locator("#failures thead").is_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('#failures td.fix')).display") == "table-cell"
    page.context.close()


def test_disruptive_admin_buttons_ask_first(browser, live):
    """Disable and temporary password ask for confirmation; declining changes nothing. (ri@ is a user no
    other test here signs in as.)"""
    page = sign_in(browser, live, "admin@example.org")
    page.goto(live["url"] + "/admin/users")
    row = page.locator("tr", has_text="ri@example.org")
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    row.locator("button", has_text="Disable").click()
    page.wait_for_timeout(300)
    assert asked and "Disable ri@example.org?" in asked[0]
    assert page.url.endswith("/admin/users") and row.locator("td", has_text="active").count() == 1
    page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    row.locator("button", has_text="Temporary password").click()
    page.wait_for_load_state()
    assert "Replace the password of ri@example.org" in asked[1]
    assert page.locator("#temporary-password").inner_text()
    page.context.close()


def test_the_public_page_works_signed_out(browser, live):
    from reporting.engine.store import current_run
    from reporting.publication import editions
    from reporting.storage import db

    with live["app"].app_context(), db.transaction() as s:
        if editions.latest_published(s, "2015Q2") is None:
            editions.create(s, "2015Q2", current_run(s, "2015Q2").id, publish=True, actor="test")
    context = browser.new_context(accept_downloads=True, viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.goto(live["url"] + "/public")
    assert page.locator("#public-programmes th[scope=row]").all_inner_texts() == [
        "Massachusetts One Care",
        "MI Health Link",
    ]
    page.get_by_role("link", name="Massachusetts One Care").click()
    assert page.locator("h1").inner_text().startswith("Massachusetts One Care quality measures")
    assert page.locator("#public-periods th[scope=row]").all_inner_texts() == ["2015Q2"]
    assert axe_serious(page) == []
    page.screenshot(path=str(artifact_path("public-1440.png")), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="ma-one-care-open-data-2015Q2.zip").click()
    names = zipfile.ZipFile(download.value.path()).namelist()
    assert sorted(names) == ["datapackage.json", "results.csv", "results_strata.csv"]
    context.close()


def test_rules_journey_draft_edit_impact_adopt(browser, live):
    """A CMS reviewer asks "what if the FUH 7-day benchmark were 45 and a withhold measure?", sees the answer
    for every ICO, and adopts it. (Last in this module: it changes the live database's rules.)"""
    page = sign_in(browser, live, "cms@example.org")
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(live["url"] + "/rules/?year=2015")
    assert "In force: 2015 v1" in page.locator("h2").all_inner_texts()
    page.get_by_role("button", name="New draft from 2015 v1").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Draft 2015 v2"
    page.fill("#fuh_7d-benchmark", "45")
    page.check("#fuh_7d-withhold")
    assert not page.is_checked("#case_mix_adjusted")
    page.get_by_label("Case-mix adjusted").check()  # issue 25: survey measures judged on adjusted scores
    page.get_by_role("button", name="Save and see the impact").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Impact of draft 2015 v2"
    summary = page.locator("#impact-summary").inner_text()
    assert "tier" in summary
    assert "case-mix adjusted scores" in page.locator("#impact-case-mix").inner_text()
    assert page.locator("#impact-measures tr.changed").count() >= 2  # fuh_7d for both ICOs at least
    titles = "|".join(re.escape(m.title) for m in REGISTRY.values() if m.case_mix_items)
    survey = page.locator("#impact-measures tr.changed", has_text=re.compile(titles))
    assert survey.count() >= 1  # a survey value judged moves from raw to adjusted
    assert axe_serious(page) == []
    page.screenshot(path=str(artifact_path("rules-impact-1440.png")), full_page=True)
    page.get_by_role("button", name="Adopt 2015 v2").click()
    page.wait_for_load_state()
    assert "2015 v2 is in force" in page.locator(".flash").inner_text()
    assert "In force: 2015 v2" in page.locator("h2").all_inner_texts()
    page.context.close()


def test_preview_journey_inquiry_resubmission_and_publication(browser, live, smtp, tmp_path):
    """An ICO questions a result in preview, a reviewer allows a resubmission, the ICO resubmits, the reviewer
    closes the inquiry as corrected, the scheduler's cycle publishes, and every e-mail arrives once."""
    from reporting import pipeline

    app = live["app"]
    app.config.update(smtp.config())
    app.config.update({"PUBLISH_MODE": "preview", "PREVIEW_DAYS": 0})
    with app.app_context():
        assert pipeline.run_cycle("2015Q3", trigger="scheduler").status == "preview"
    previews = smtp.recorder.by_recipient()
    assert previews and all(len(m) == 1 for m in previews.values())
    assert all(m[0]["Subject"].strip().startswith("Preview until") for m in previews.values())

    ico = sign_in(browser, live, "ha@example.org")
    ico.goto(live["url"] + "/icos/HA")
    assert "In preview: 2015Q3" in ico.locator(".preview-banner").first.inner_text()
    ico.locator("#m-fuh_7d").get_by_role("link", name="Question this result").click()
    ico.wait_for_load_state()
    ico.fill("#message", "Two discharges on 30 September seem to be missing from the 7-day follow-up.")
    ico.get_by_role("button", name="Open the inquiry").click()
    ico.wait_for_load_state()
    assert ico.locator("h1").inner_text().startswith("Inquiry ")
    thread_url = ico.url
    assert axe_serious(ico) == []
    ico.screenshot(path=str(artifact_path("inquiry-thread-ico.png")), full_page=True)

    reviewer = sign_in(browser, live, "cms@example.org")
    reviewer.on("dialog", lambda d: d.accept())
    reviewer.goto(thread_url)
    reviewer.get_by_role("button", name="Allow HA to resubmit 2015Q3").click()
    reviewer.wait_for_load_state()
    assert "may resubmit" in reviewer.locator("#messages").inner_text()

    resubmission = tmp_path / "ha-2015Q3.zip"  # rows in another order than any earlier version: a new one
    resubmission.write_bytes(
        zip_of(EXAMPLES / "packages" / "HA" / "2015Q3", prefix="resubmitted/", reverse="assessments.csv")
    )
    ico.goto(live["url"] + "/submissions/upload")
    ico.select_option("#period", "2015Q3")
    ico.set_input_files("#files", str(resubmission))
    ico.click("text=Upload and check")
    ico.wait_for_load_state()
    assert "Accepted" in ico.inner_text(".verdict")
    with app.app_context():
        assert pipeline.run_cycle("2015Q3", trigger="scheduler").status == "preview"  # a revised preview

    reviewer.goto(thread_url)
    assert "Revised preview" in reviewer.locator("#messages").inner_text()
    reviewer.check("input[value=corrected]")
    reviewer.fill("#reason", "The resubmission added the two stays; the rate is corrected.")
    reviewer.get_by_role("button", name="Close the inquiry").click()
    reviewer.wait_for_load_state()
    assert "closed: corrected" in reviewer.locator(".meta").first.inner_text()
    reviewer.screenshot(path=str(artifact_path("inquiry-thread-closed.png")), full_page=True)

    before = {k: len(v) for k, v in smtp.recorder.by_recipient().items()}
    with app.app_context():
        assert pipeline.run_cycle("2015Q3", trigger="scheduler").status == "published"
        pipeline.run_cycle("2015Q3", trigger="scheduler")  # again: nothing is sent twice (counted below)
    after = smtp.recorder.by_recipient()
    new = {k: len(v) - before.get(k, 0) for k, v in after.items() if len(v) - before.get(k, 0)}
    assert new.get("reports@ha.example.org") == 1 and new.get("cms@example.org") == 1 and max(new.values()) == 1, new
    ico.context.close()
    reviewer.context.close()


@pytest.mark.parametrize(
    "email, path, name",
    [
        ("ha@example.org", "/", "home-ico"),
        ("cms@example.org", "/", "home-reviewer"),
        ("cms@example.org", "/overview?period=2015Q2", "overview-glance"),
        ("ha@example.org", "/icos/HA", "ico-multiples"),
    ],
)
def test_homes_overview_and_ico_page_in_a_browser(browser, live, email, path, name):
    """Each home, the overview's grid and the ICO page's small multiples pass axe, and are saved as pictures at
    1,440 and 390 px. The ICO page's charts fit in about two screens at 1,440 x 900 above its tables."""
    page = sign_in(browser, live, email)
    for width, height in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(live["url"] + path)
        assert axe_serious(page) == [], (path, width)
        page.screenshot(path=str(artifact_path(f"{name}-{width}.png")), full_page=True)
        if name == "ico-multiples" and width == 1440:
            charts_end = page.evaluate(  # the first section after the charts: the equity summary, else submissions
                "(document.getElementById('equity') || document.getElementById('submissions'))"
                ".getBoundingClientRect().top + scrollY"
            )
            # fifteen charts in about two screens and a half (below the programme line every page now carries)
            assert charts_end < 2.7 * 900, charts_end
            tops = page.evaluate(
                "[...document.querySelectorAll('.multiple')].slice(0, 3).map(e => e.getBoundingClientRect().top)"
            )
            assert len({round(t) for t in tops}) == 1  # three a row
        if width == 390:
            assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 2
    page.context.close()


PHONE_PAGES = [
    "/",
    "/overview",
    "/overview?period=2015",
    "/icos/HA",
    "/measures",
    "/measures/fuh_7d",
    "/measures/readmission_30d",
    "/withhold",
    "/reports",
    "/submissions/",
    "/submissions/dictionary",
    "/gaps/assessment_90d/HB/2015Q3",
    "/upcoming/assessment_90d/HA",
    "/account",
    "/inquiries",
    "/rules",
]


# Every table cell narrower than its longest word (up to 16 characters: an address may wrap; a hyphen between
# letters may end a line, as in print, but never one in a date or number), measured with the cell's own font:
# the words a phone would break one character per line (issue 27 item 4).
NARROW_CELLS = r"""() => {
  const ctx = document.createElement('canvas').getContext('2d');
  const out = [];
  for (const cell of document.querySelectorAll('main td, main th')) {
    const box = cell.getBoundingClientRect();
    if (!box.width || !cell.innerText.trim()) continue;
    const style = getComputedStyle(cell);
    const inner = box.width - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    let widest = 0, word = '';
    for (const el of [cell, ...cell.querySelectorAll('*')]) {
      if (el !== cell && !el.getClientRects().length) continue;
      const s = getComputedStyle(el);
      ctx.font = `${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
      const own = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join(' ');
      for (const w of own.split(/[\s\u2013\u2014\/]+|(?<=[A-Za-z])-(?=[A-Za-z])/)) {
        const width = ctx.measureText(w.slice(0, 16)).width;
        if (width > widest) { widest = width; word = w; }
      }
    }
    if (inner + 1 < widest) out.push(`${word} (${Math.round(inner)} < ${Math.round(widest)} px)`);
  }
  return out;
}"""


def test_every_page_fits_a_phone_and_nothing_is_clipped_at_1440(browser, live):
    """Issue 17: at 390 px no page scrolls sideways (wide tables scroll inside their own box); at 1,440 px no
    status in the submissions table is cut off. Issue 27 item 4: at 390 px no table cell is narrower than its
    longest word, and a page is at most a few times as tall as at 1,440 px (a table spelled one character per
    line made the overview 17,000 px tall). Each page is saved as a picture at both widths."""
    page = sign_in(browser, live, "cms@example.org")
    wide, narrow, tall = [], {}, []
    desktop_height = 0  # each page is seen at 1,440 px first, then at 390 px
    for path in PHONE_PAGES:
        name = re.sub(r"[^a-z0-9]+", "-", path.strip("/").lower()) or "home"
        for width, height in ((1440, 900), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            response = page.goto(live["url"] + path)
            assert response.status < 400, path
            page.screenshot(path=str(artifact_path(f"fit-{name}-{width}.png")), full_page=True)
            height = page.evaluate("document.documentElement.scrollHeight")
            if width == 390:
                scroll = page.evaluate("document.documentElement.scrollWidth")
                if scroll > 392:
                    wide.append((path, scroll))
                if found := page.evaluate(NARROW_CELLS):
                    narrow[path] = found[:5]
                if height > max(3 * desktop_height, 2500):
                    tall.append((path, desktop_height, height))
            else:
                desktop_height = height
                clipped = page.evaluate(
                    "[...document.querySelectorAll('td .status, td .status *')]"
                    ".filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)"
                )
                assert clipped == [], (path, clipped)
    assert wide == [], wide
    assert narrow == {}, "\n".join(f"{p}: {c}" for p, c in narrow.items())
    assert tall == [], tall
    page.context.close()
