"""Dashboards over the worked example: the numbers shown are the stored results; an ICO user sees
their ICO and statewide only, on every page and export; exports neutralise formulas."""

import csv
import io
import re
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import select

from reporting.rendering.filters import fmt_value
from reporting.storage.models import Result, ResultRun, User
from tests.conftest import login

pytestmark = pytest.mark.one_backend  # its subject is not the storage: SQLite only (conftest)


def current_results(dbs, period):
    run = dbs.scalar(select(ResultRun).where(ResultRun.period_code == period, ResultRun.is_current))
    return {(r.measure_id, r.ico): r for r in dbs.scalars(select(Result).where(Result.run_id == run.id))}


def cell_text(page, measure_id, ico):
    row = re.search(rf'<tr data-measure="{measure_id}">(.*?)</tr>', page, re.S).group(1)
    cell = re.search(rf'<td data-ico="{ico}"[^>]*>(.*?)</td>', row, re.S).group(1)
    return re.search(r'<span class="v">(.*?)</span>', cell, re.S).group(1).strip()


def test_overview_shows_the_stored_values_rounded(example, dbs):
    client = example.test_client()
    login(client, "cms@example.org")
    page = client.get("/overview?period=2015Q2").get_data(as_text=True)
    results = current_results(dbs, "2015Q2")
    from measures import REGISTRY

    for (measure_id, ico), r in results.items():
        shown = cell_text(page, measure_id, ico)
        if r.status == "NA":
            assert shown == "NA"
        elif r.adjusted_value is not None and ico != "STATEWIDE":  # survey: the adjusted headline, marked
            unit = REGISTRY[measure_id].unit
            expected = fmt_value(r.adjusted_value, unit) + ("%" if unit == "percent" else "")
            assert shown.startswith(expected + " <abbr") and "adj.</abbr>" in shown, (measure_id, ico, shown)
        else:
            unit = REGISTRY[measure_id].unit
            assert shown == fmt_value(r.value, unit) + ("%" if unit == "percent" else ""), (measure_id, ico)
    assert "Health Alliance" in page and "Harbor Care" in page and "2015Q2" in page


def test_period_can_be_changed_and_unknown_period_is_404(example):
    client = example.test_client()
    login(client, "cms@example.org")
    assert "Quality measures, 2015" in client.get("/overview?period=2015").get_data(as_text=True)
    r = client.get("/overview?period=2019Q1")
    assert r.status_code == 404 and "no results for 2019Q1" in r.get_data(as_text=True)


def test_ico_user_sees_own_ico_and_statewide_only(example):
    """Only two ICOs report in the worked example, so an ICO user's pages leave statewide out and say why
    (statewide minus one's own would give the other ICO's figures; issue 18)."""
    client = example.test_client()
    login(client, "ha@example.org")
    page = client.get("/overview?period=2015Q2").get_data(as_text=True)
    assert 'data-ico="HA"' in page and 'data-ico="STATEWIDE"' not in page and 'data-ico="HB"' not in page
    assert "fewer than three ICOs reported" in page
    assert "Harbor Care" not in page
    for url in [
        "/icos/HB",
        "/icos/HB/export.csv",
        "/gaps/assessment_90d/HB/2015Q2",
        "/gaps/assessment_90d/HB/2015Q2/export.csv",
        "/exports/public.csv?period=2015Q2",
        "/submissions/history/HB/2015Q2",
    ]:
        assert client.get(url).status_code == 403, url
    for url in ["/overview?period=2015Q2", "/measures/fuh_7d", "/withhold?year=2015"]:
        body = client.get(url).get_data(as_text=True)
        assert "Harbor Care" not in body and ">HB<" not in body, url
    exported = client.get("/exports/overview.csv?period=2015Q2").get_data(as_text=True)
    assert ",HB," not in exported and ",HA," in exported and ",STATEWIDE," not in exported
    measure_csv = client.get("/measures/fuh_7d/export.csv").get_data(as_text=True)
    assert ",HB," not in measure_csv


def test_state_reviewer_of_another_state_sees_no_ma_ico(example):
    client = example.test_client()
    login(client, "ri@example.org")
    page = client.get("/overview?period=2015Q2").get_data(as_text=True)
    assert 'data-ico="HA"' not in page and client.get("/icos/HA").status_code == 403


def test_gap_list_is_denominator_minus_numerator(example, dbs):
    client = example.test_client()
    login(client, "ha@example.org")
    r = current_results(dbs, "2015Q2")[("assessment_90d", "HA")]
    body = client.get("/gaps/assessment_90d/HA/2015Q2/export.csv").get_data(as_text=True)
    rows = [line for line in csv.reader(io.StringIO(body.lstrip("\ufeff"))) if line and not line[0].startswith("#")]
    assert len(rows) - 1 == r.denominator - r.numerator
    header = rows[0]
    assert "Member ID" in header and "Enrollment start" in header and "Day 90" in header  # the definition's words
    assert "Refused" in header and "Unable to reach after 3 attempts" in header and "B" not in header
    assert "True" not in body and "False" not in body and "00:00:00" not in body and "T00:" not in body
    frame = pd.read_csv(io.StringIO(body.lstrip("\ufeff")))
    assert frame["Day 90"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    page = client.get("/gaps/assessment_90d/HA/2015Q2").get_data(as_text=True)
    assert '<th scope="col">Day 90</th>' in page and "00:00:00" not in page and ">True<" not in page
    assert "Unable to reach after 3 attempts</dt>" in page  # the legend
    # Every unit behind the result: the counts add up to the stored numbers.
    body = client.get("/units/assessment_90d/HA/2015Q2/export.csv").get_data(as_text=True)
    rows = [line for line in csv.reader(io.StringIO(body.lstrip("\ufeff"))) if line and not line[0].startswith("#")]
    h = rows[0]
    flags = [dict(zip(h, r)) for r in rows[1:]]
    assert sum(f["In the denominator"] == "Yes" for f in flags) == r.denominator  # Yes/No in files (issue 17)
    assert sum(f["In the numerator"] == "Yes" for f in flags) == r.numerator
    assert sum(f["Refused"] == "Yes" for f in flags) == r.elements["B"]
    assert client.get("/units/assessment_90d/HB/2015Q2/export.csv").status_code == 403


def test_the_deadlines_ahead_list_has_day_90_in_the_next_30_days_and_nothing_completed(example, dbs):
    """Issue 17: for the 90-day measures, the members whose day 90 is still ahead (within 30 days of the
    service's date, not of the end of the ICO's newest data) with nothing completed yet; checked against the
    rows themselves. A day 90 between the data's end and the service date has passed: it is not listed."""
    from reporting.engine.inputs import in_force_up_to, rows_of

    example.config["REPORTING_TODAY"] = date(2015, 10, 20)  # HA's newest data end on 2015-09-30
    client = example.test_client()
    login(client, "ha@example.org")
    page = client.get("/upcoming/assessment_90d/HA")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "30 days after 2015-10-20 (today, the service date)" in text
    assert "up to 2015-09-30" in text
    body = client.get("/upcoming/assessment_90d/HA?format=csv").get_data(as_text=True)
    listed = pd.read_csv(io.StringIO(body.lstrip("\ufeff")), dtype=str)
    assert list(listed.columns[:4]) == ["Member ID", "Enrollment start", "Rating category", "Day 90"]
    with example.app_context():
        from measures import Period

        inputs = in_force_up_to(Period.parse("2015Q3").end, only="HA")
        members = pd.concat([rows_of(inputs, p)["members"] for p in inputs.packages])
        events = pd.concat([rows_of(inputs, p)["assessments"] for p in inputs.packages])
    as_of = pd.Timestamp("2015-10-20")
    spans = members.drop_duplicates(["member_id", "enrollment_start"], keep="last")
    expected = set()
    for s in spans.itertuples():
        d90 = s.enrollment_start + pd.Timedelta(days=89)
        if as_of < d90 <= as_of + pd.Timedelta(days=30) and (pd.isna(s.enrollment_end) or s.enrollment_end >= d90):
            done = events[
                (events.member_id == s.member_id)
                & (events.assessment_type == "initial")
                & (events.outcome == "completed")
                & (events.event_date >= s.enrollment_start)
                & (events.event_date <= as_of)
            ]
            if done.empty:
                expected.add((s.member_id, s.enrollment_start.date().isoformat()))
    assert set(zip(listed["Member ID"], listed["Enrollment start"])) == expected and expected
    assert (listed["Days left"].astype(int).between(1, 30)).all()
    assert (pd.to_datetime(listed["Day 90"]) > as_of).all()  # none already passed
    assert client.get("/upcoming/assessment_90d/HB").status_code == 403
    assert client.get("/upcoming/fuh_7d/HA").status_code == 404


def test_exports_carry_provenance_and_escape_formulas(example, dbs):
    client = example.test_client()
    login(client, "cms@example.org")
    body = client.get("/exports/overview.csv?period=2015Q2").get_data(as_text=True)
    frame = pd.read_csv(io.StringIO(body.lstrip("\ufeff")))
    assert (frame["about_period"] == "2015Q2").all() and frame["about_data_versions"].str.contains(
        "HA: 2014Q1 v1"
    ).all()
    from reporting.rendering.exports import csv_bytes, safe_cell

    assert safe_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")' and safe_cell("-1+2") == "'-1+2" and safe_cell(3) == 3
    text = csv_bytes(["a"], [["@SUM(A1)"], ["\tcmd"]]).decode("utf-8-sig")
    assert "'@SUM(A1)" in text and "'\tcmd" in text
    xlsx = client.get("/exports/overview.xlsx?period=2015Q2")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_withhold_page_and_cli(example):
    client = example.test_client()
    login(client, "cms@example.org")
    page = client.get("/withhold?year=2015").get_data(as_text=True)
    assert "Quality withhold, 2015" in page and "Health Alliance:" in page and "Harbor Care:" in page
    out = example.test_cli_runner().invoke(args=["withhold", "--year", "2015"]).output
    assert out.startswith("HA:") and "withhold earned back" in out


def test_every_route_answers_without_error_with_data(example):
    from tests.web.test_access import ROLES, call, rules

    for role, email in ROLES.items():
        client = example.test_client()
        login(client, email)
        for rule, path, method in rules(example):
            if rule.endpoint == "auth.logout":
                continue
            r = call(client, path, method)
            assert r.status_code < 500, (role, path, r.status_code)


def test_charts_load_by_url_only_for_viewers_of_every_ico_they_show(example):
    reviewer, ha = example.test_client(), example.test_client()
    login(reviewer, "cms@example.org"), login(ha, "ha@example.org")
    page = reviewer.get("/measures/fuh_7d").get_data(as_text=True)
    all_icos = re.search(r'src="(/charts/[0-9a-f]{32}\.svg)"', page).group(1)
    assert reviewer.get(all_icos).status_code == 200 and reviewer.get(all_icos).mimetype == "image/svg+xml"
    assert ha.get(all_icos).status_code == 403  # it shows Harbor Care too
    own = re.search(r'src="(/charts/[0-9a-f]{32}\.svg)"', ha.get("/icos/HA").get_data(as_text=True)).group(1)
    assert ha.get(own).status_code == 200
    assert ha.get("/charts/" + "f" * 32 + ".svg").status_code == 404


def test_cached_pages_carry_each_session_its_own_csrf_token(example):
    from tests.conftest import csrf_token

    first, second = example.test_client(), example.test_client()
    login(first, "cms@example.org"), login(second, "cms@example.org")
    page_one = first.get("/overview?period=2015Q2").get_data(as_text=True)
    page_two = second.get("/overview?period=2015Q2").get_data(as_text=True)
    token = re.compile(r'name="csrf_token" value="([^"]+)"')
    assert token.search(page_one).group(1) != token.search(page_two).group(1)
    assert second.post("/logout", data={"csrf_token": token.search(page_two).group(1)}).status_code == 302
    assert first.post("/logout", data={"csrf_token": csrf_token(first, "/overview?period=2015Q2")}).status_code == 302


def test_cached_pages_are_shared_by_scope_and_personal_parts_filled_in(example, dbs):
    """Two reviewers share a cached page, each seeing their own name; an ICO user never gets the reviewers'
    page; a pending flash message is shown, not a cached page without it."""
    from reporting import accounts
    from reporting.storage import db as storage

    with example.app_context(), storage.transaction() as s:
        if not s.scalar(select(User).where(User.email == "cms2@example.org")):
            accounts.create_user(
                s, email="cms2@example.org", role="cms_reviewer", password="a good password 12", actor="test"
            )
    one, two, ha = example.test_client(), example.test_client(), example.test_client()
    login(one, "cms@example.org"), login(two, "cms2@example.org", "a good password 12"), login(ha, "ha@example.org")
    page_one = one.get("/overview?period=2015Q3").get_data(as_text=True)
    page_two = two.get("/overview?period=2015Q3").get_data(as_text=True)
    assert "cms@example.org · cms reviewer" in page_one and "cms2@example.org" not in page_one
    assert "cms2@example.org · cms reviewer" in page_two and "cms@example.org ·" not in page_two
    assert "\x00" not in page_one + page_two
    page_ha = ha.get("/overview?period=2015Q3").get_data(as_text=True)
    assert 'data-ico="HA"' in page_ha and 'data-ico="HB"' not in page_ha and "Harbor Care" not in page_ha
    assert "ha@example.org · ico submitter · HA" in page_ha
    with one.session_transaction() as sess:
        sess["_flashes"] = [("info", "A message waiting for you")]
    assert "A message waiting for you" in one.get("/overview?period=2015Q3").get_data(as_text=True)


def test_statewide_is_shown_to_ico_users_from_three_icos_on():
    from reporting.access import statewide_hidden_from

    assert statewide_hidden_from("ico_submitter", 2) and not statewide_hidden_from("ico_submitter", 3)
    assert not any(statewide_hidden_from(role, 2) for role in ("admin", "cms_reviewer", "state_reviewer"))


def test_the_public_table_is_the_published_one_only(example):
    """PUBLISH_MODE=approval: a preview waiting for approval, or a bare computation, has no public table."""
    from reporting import pipeline

    example.config["PUBLISH_MODE"] = "approval"
    with example.app_context():
        outcome = pipeline.run_cycle("2015Q3", trigger="test")
    assert outcome.status == "awaiting approval"
    client = example.test_client()
    login(client, "cms@example.org")
    for period in ("2015Q3", "2015Q2"):  # 2015Q2: computed, never published
        r = client.get(f"/exports/public.csv?period={period}")
        assert r.status_code == 404 and "has not been published" in r.get_data(as_text=True), period
    with example.app_context():
        pipeline.approve_edition(outcome.edition_id, "cms@example.org")
    r = client.get("/exports/public.csv?period=2015Q3")
    assert r.status_code == 200 and ",HA," in r.get_data(as_text=True)


def test_every_export_loads_with_pandas_and_says_what_it_means(example):
    """Issue 17 and 27: plain pandas calls load them (provenance in columns), benchmark_status filled, numbers as numbers in XLSX with
    filters and frozen panes, plain dates, Yes/No, and no value for an NA result."""
    import zipfile

    import pandas as pd

    client = example.test_client()
    login(client, "cms@example.org")
    for path in [
        "/exports/overview.csv?period=2015Q2",
        "/icos/HA/export.csv",
        "/measures/fuh_7d/export.csv",
        "/gaps/assessment_90d/HA/2015Q2/export.csv",
        "/units/assessment_90d/HA/2015Q2/export.csv",
        "/withhold/export.csv?year=2015",
    ]:
        body = client.get(path).data
        frame = pd.read_csv(io.BytesIO(body))
        assert len(frame) > 0 and not frame.columns[0].startswith("Unnamed"), path
        if "benchmark_status" in frame:
            with_bench = frame[frame["benchmark"].notna() & (frame["status"] == "reported")]
            assert with_bench["benchmark_status"].isin(["met", "not met", "met by gap closure"]).all(), path
            na = frame[frame["status"] == "NA"]
            assert na["value"].isna().all() and na["value_rounded"].isna().all(), path
        text = body.decode("utf-8-sig")
        assert "T00:00:00" not in text and ",True," not in text and ",False," not in text, path
    xlsx = client.get("/exports/overview.xlsx?period=2015Q2").data
    sheet = zipfile.ZipFile(io.BytesIO(xlsx)).read("xl/worksheets/sheet1.xml").decode()
    assert "<autoFilter" in sheet and "<pane " in sheet
    table = pd.read_excel(io.BytesIO(xlsx))
    reported = table[table["status"] == "reported"]
    assert pd.api.types.is_numeric_dtype(reported["value_rounded"]) and pd.api.types.is_numeric_dtype(reported["value"])


def test_official_editions_come_first_and_ad_hoc_renders_apart(example, tmp_path):
    from reporting import pipeline

    with example.app_context():
        pipeline.run_cycle("2015Q2", trigger="test")
    r = example.test_cli_runner().invoke(
        args=["scorecard", "--ico", "HA", "--period", "2015Q2", "-o", str(tmp_path / "s.pdf")]
    )
    assert r.exit_code == 0, r.output
    client = example.test_client()
    login(client, "cms@example.org")
    page = client.get("/reports").get_data(as_text=True)
    editions, adhoc = page.index('id="reports"'), page.index('id="reports-adhoc"')
    assert editions < adhoc
    official = page[editions:adhoc]
    assert "one-care-scorecard-HA-2015Q2.pdf" in official and "ad hoc" not in official
    assert "ad hoc" in page[adhoc:] and " pages)" in page and "(public, suppressed)" not in page


def test_a_departed_icos_page_links_only_lists_that_exist_and_compares_like_periods(example):
    """Issue 17: an ICO with no result in the newest quarter (Fallon after 2015Q3) links its own last period's
    member lists and compares with the statewide figure of that same period."""
    from types import SimpleNamespace

    from reporting.publication.figures import Trend

    r = SimpleNamespace(status="reported", value=50.0)
    t = Trend(
        measure=None,
        periods=["2015Q2", "2015Q3", "2015Q4"],
        series={"FTC": [r, r, None], "STATEWIDE": [r, None, r]},
        benchmarks=[None] * 3,
        latest={},
    )
    assert t.latest_period("FTC") == "2015Q3" and t.at("STATEWIDE", "2015Q3") is None and t.at("FTC", "2015Q2") is r
    assert t.latest_period("NONE") is None and t.at("FTC", None) is None
    client = example.test_client()
    login(client, "ha@example.org")
    page = client.get("/icos/HA").get_data(as_text=True)
    links = re.findall(r'href="(/gaps/[^"]+)"', page)
    assert links and all(client.get(link).status_code == 200 for link in links)
    assert "from ·" not in client.get("/overview?period=2015Q2").get_data(as_text=True)


def test_the_measure_chart_caption_names_what_is_drawn(example):
    """Issue 17: the caption said "each ICO (shaded ...)" with an ICO not drawn and no band drawn."""
    from reporting import accounts
    from reporting.storage import db

    with example.app_context(), db.transaction() as s:  # a One Care ICO that has reported nothing
        accounts.add_ico(s, code="HC", name="Cape Care", state="MA", actor="test")
    client = example.test_client()
    login(client, "cms@example.org")
    page = client.get("/measures/fuh_7d").get_data(as_text=True)
    caption = re.search(r"<figcaption>(.*?)</figcaption>", page, re.S).group(1)
    assert "Harbor Care, Health Alliance" in caption or "Health Alliance, Harbor Care" in caption
    assert "shaded" not in caption  # two ICOs: no interval band is drawn
    assert "not drawn (no reported value): Cape Care" in caption
