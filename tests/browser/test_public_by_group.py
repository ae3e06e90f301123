"""The public results by group, in Chromium (Playwright), signed out: from a programme's public page to a
measure's groups, each cell equal to the published strata (``strata_release.published_strata``), suppressed
cells reading "suppressed", no count from 1 to 10 shown, flags in words; at 390 px the page does not scroll
sideways. The open-data package the page links to holds ``results_strata.csv`` with the same figures and
validates with the plain ``frictionless validate datapackage.json``."""

from __future__ import annotations

import re
import zipfile

import pandas as pd
import pytest

from measures import REGISTRY
from reporting import programmes
from reporting.engine.strata import STRATIFIERS
from reporting.publication.strata import TITLES, flag_words, stratum_label
from reporting.rendering.filters import format_value
from tests.browser.test_browser import axe_serious, browser, live  # noqa: F401  (fixtures)
from tests.conftest import artifact_path
from tests.interop.test_opendata_strata import frictionless_validate

pytestmark = [pytest.mark.browser, pytest.mark.slow]
COUNTS = re.compile(r"(suppressed|[\d,]+)/(suppressed|[\d,]+)")


def publish_and_read(live, period="2015Q2") -> tuple[pd.DataFrame, int]:
    """Publish ``period`` (if it is not) and read its public strata as the outputs do, and the threshold."""
    from reporting.engine.store import current_run
    from reporting.interop.published import published
    from reporting.publication import editions
    from reporting.publication.strata_release import published_strata
    from reporting.storage import db

    with live["app"].app_context(), db.transaction() as s:
        if editions.latest_published(s, period) is None:
            editions.create(s, period, current_run(s, period).id, publish=True, actor="test")
    with live["app"].app_context(), db.transaction() as s:
        pub = published(s, period)
        return published_strata(s, pub), pub.programme.disclosure_threshold


def _count(text: str):
    return text if text == "suppressed" else int(text.replace(",", ""))


def check_cell(text: str, row, m, code: str, threshold: int) -> None:
    """One cell of the page against its published stratum."""
    if row["denominator"] == 0:
        assert text == "none"
        return
    if row["value"] == "suppressed":
        assert text.startswith("suppressed"), text
    elif row["status"] == "NA":
        assert text.startswith("NA"), text
    else:
        assert text.startswith(format_value(m.unit, row["value"])), (text, row)
    found = COUNTS.search(text)
    if text == "suppressed":  # every count of the cell suppressed: the word once
        assert row["denominator"] == "suppressed" and row["numerator"] in (None, "suppressed"), row
        return
    if m.unit == "score":  # respondents only
        shown = re.search(r"(suppressed|[\d,]+) respondents", text).group(1)
        assert _count(shown) == row["denominator"], (text, row)
        counts = [_count(shown)]
    else:
        assert found, text
        numerator, denominator = (_count(g) for g in found.groups())
        assert (numerator, denominator) == (row["numerator"], row["denominator"]), (text, row)
        counts = [numerator, denominator]
        if m.unit == "percent" and "suppressed" not in counts:
            counts.append(denominator - numerator)  # the complement is a count too (CMS rule)
    assert not any(isinstance(c, int) and 0 < c < threshold for c in counts), (text, row)
    words = flag_words(row["flag"], code) if row["flag"] else None
    assert (words in text) if words else (" than the " not in text), (text, row)


def test_the_public_results_by_group_walked_signed_out(browser, live, tmp_path):
    strata, threshold = publish_and_read(live)
    assert len(strata) and (strata["suppressed"]).any()  # the worked example has groups to suppress
    context = browser.new_context(accept_downloads=True, viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(live["url"] + "/public/ma-one-care")
    page.get_by_role("link", name="Results by group of 2015Q2").click()
    assert page.locator("h1").inner_text() == "Massachusetts One Care: results by group, 2015Q2"
    checked = 0
    for m in (REGISTRY["assessment_90d"], REGISTRY["fuh_7d"], REGISTRY["facility_admissions"]):
        page.select_option("select[name=measure]", m.id)
        page.get_by_role("button", name="Show").click()
        page.wait_for_load_state()
        assert page.locator("h2#measure").inner_text() == m.title
        rows = strata[strata["measure_id"] == m.id].set_index(["ico", "stratifier", "stratum"])
        for name, values in STRATIFIERS.items():
            table = page.locator(f"#by-group-{name}")
            heads = table.locator("thead th").all_inner_texts()
            assert heads == [TITLES[name], "Health Alliance", "Harbor Care", "Statewide"], heads
            body = table.locator("tbody tr")
            assert body.count() == len(values)
            for i, stratum in enumerate(values):
                line = body.nth(i)
                assert line.locator("th").inner_text() == stratum_label(stratum, programmes.get("ma-one-care"))
                for text, code in zip(line.locator("td").all_inner_texts(), ["HA", "HB", "STATEWIDE"]):
                    check_cell(" ".join(text.split()), rows.loc[(code, name, stratum)], m, code, threshold)
                    checked += 1
        assert axe_serious(page) == [], m.id
        page.screenshot(path=str(artifact_path(f"public-by-group-{m.id}-1440.png")), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        assert page.evaluate("document.documentElement.scrollWidth") <= 392, m.id
        page.screenshot(path=str(artifact_path(f"public-by-group-{m.id}-390.png")), full_page=True)
        page.set_viewport_size({"width": 1440, "height": 900})
    assert checked == 3 * 3 * sum(len(v) for v in STRATIFIERS.values())
    # the open data the page links to: results_strata.csv, the same figures, valid as a reader would check it
    with page.expect_download() as download:
        page.get_by_role("link", name="results_strata.csv").click()
    archive = zipfile.ZipFile(download.value.path())
    assert "results_strata.csv" in archive.namelist()
    archive.extractall(tmp_path)
    checked_package = frictionless_validate(tmp_path)
    assert checked_package.returncode == 0, checked_package.stdout
    table = pd.read_csv(tmp_path / "results_strata.csv", dtype=str, keep_default_na=False)
    assert len(table) == len(strata)
    for given, row in zip(strata.to_dict("records"), table.to_dict("records")):
        key = ("ico", "measure_id", "stratifier", "stratum")
        assert tuple(row[k] for k in key) == tuple(given[k] for k in key)
        for column in ("numerator", "denominator"):
            expected = "" if given[column] in (None, "suppressed") else str(int(given[column]))
            assert row[column] == expected, (column, given)
        assert row["suppressed"] == ("true" if given["suppressed"] else "false")
    context.close()


def test_a_phone_reads_the_programme_page_and_its_groups(browser, live):
    publish_and_read(live)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    for path in ("/public/ma-one-care", "/public/ma-one-care/2015Q2/by-group?measure=care_plan_90d"):
        assert page.goto(live["url"] + path).status == 200
        assert page.evaluate("document.documentElement.scrollWidth") <= 392, path
    bad = page.goto(live["url"] + "/public/ma-one-care/2015Q2/by-group?measure=nope")
    assert bad.status == 404 and "Choose one of" in page.content()
    assert page.goto(live["url"] + "/public/ma-one-care/2015Q3/by-group").status == 404  # never published
    context.close()
