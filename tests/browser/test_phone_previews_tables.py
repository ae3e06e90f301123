"""On a phone (390 x 844, Chromium): a page tells of the previews of the programme it shows only, in one compact
notice ("In preview: 2015Q3 and 2014 ..."), never another programme's; and the tables of the homes, the overview,
the Reports page and the public results by group fit the screen (each row a card of labelled lines, the ICO home's
Members and the Reports page's Download among them), so that nothing essential is off-screen to the right. At
1,440 px the same tables are still tables. Pictures go to test-artifacts/."""

from datetime import timedelta

import pytest

from tests.browser.test_browser import axe_serious, browser, live, sign_in  # noqa: F401  (fixtures)
from tests.browser.test_public_by_group import publish_and_read
from tests.conftest import artifact_path

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}

# What a user sees: the programme the page names, its preview notices (programme, height), the title's top, and
# every table cell drawn (a visually hidden header row aside) that leaves the screen or overflows its own box.
SEEN = """() => {
  const box = e => e.getBoundingClientRect();
  const shown = document.querySelector('.programme-banner [data-programme]');
  const cells = [...document.querySelectorAll('main table td, main table th')].filter(c => {
    const head = c.closest('thead');
    return box(c).width > 0 && !(head && box(head).width <= 1);
  });
  return {
    programme: shown ? shown.dataset.programme : null,
    notices: [...document.querySelectorAll('.preview-banner')].map(
      n => [n.dataset.programme, Math.round(box(n).height), n.innerText]),
    title: Math.round(box(document.querySelector('main h1')).top),
    page: document.scrollingElement.scrollWidth, inner: innerWidth,
    tables: document.querySelectorAll('main table').length,
    cells: cells.length,
    outside: cells.filter(c => box(c).left < -1 || box(c).right > innerWidth + 1 || c.scrollWidth > c.clientWidth + 1)
      .map(c => `${c.closest('table').id || c.closest('table').className}: ${c.innerText.slice(0, 40)}`),
  };
}"""


@pytest.fixture(scope="module")
def previews(live):
    """One Care: 2015Q3 in preview (its PDFs on the Reports page) and the year 2014 too; MI Health Link: 2015Q2
    (a run of its own); 2015Q2 of One Care published, for its public results by group."""
    from reporting import pipeline
    from reporting.engine.store import current_run
    from reporting.publication import editions
    from reporting.storage import db
    from reporting.storage.models import ResultRun, utcnow

    publish_and_read(live, "2015Q2")
    app = live["app"]
    app.config.update({"PUBLISH_MODE": "preview", "PREVIEW_DAYS": 7})
    with app.app_context():
        assert pipeline.run_cycle("2015Q3", trigger="scheduler").status == "preview"
    with app.app_context(), db.transaction() as s:
        editions.open_preview(s, "2014", current_run(s, "2014").id, utcnow() + timedelta(days=7), "test")
        mi = ResultRun(programme_id="mi-health-link", period_code="2015Q2", status="done", finished_at=utcnow())
        s.add(mi)
        s.flush()
        editions.open_preview(s, "2015Q2", mi.id, utcnow() + timedelta(days=7), "test")
    return live


def look(page, url, name):
    page.goto(url)
    page.screenshot(path=str(artifact_path(f"phone-tables-{name}-{page.viewport_size['width']}.png")), full_page=True)
    return page.evaluate(SEEN)


# (who, path, the programme the page shows, the periods its notice names; None: no notice, a public page)
PAGES = [
    ("cms@example.org", "/?programme=ma-one-care", "ma-one-care", "2015Q3 and 2014"),
    ("cms@example.org", "/overview?period=2015Q3", "ma-one-care", "2015Q3 and 2014"),
    ("cms@example.org", "/reports", "ma-one-care", "2015Q3 and 2014"),
    ("cms@example.org", "/reports?programme=mi-health-link", "mi-health-link", "2015Q2"),
    ("ha@example.org", "/", "ma-one-care", "2015Q3 and 2014"),
    (None, "/public/ma-one-care/2015Q2/by-group?measure=assessment_90d", "ma-one-care", None),
]


@pytest.mark.parametrize(("email", "path", "programme", "periods"), PAGES)
def test_a_page_tells_of_its_own_programmes_previews_once_and_its_tables_fit_a_phone(
    browser, previews, email, path, programme, periods
):
    context = browser.new_context(viewport=PHONE)
    page = sign_in(browser, previews, email) if email else context.new_page()
    page.set_viewport_size(PHONE)
    name = "-".join([(email or "public").split("@")[0], programme, *path.strip("/").split("?")[0].split("/")]).strip(
        "-"
    )
    seen = look(page, previews["url"] + path, name)
    assert seen["programme"] == programme, seen
    # the previews: one notice of the page's own programme naming every period in preview, a few lines high
    if periods is None:
        assert seen["notices"] == [], seen["notices"]
    else:
        assert [n[0] for n in seen["notices"]] == [programme], seen["notices"]
        assert f"In preview: {periods}" in seen["notices"][0][2], seen["notices"]
        assert f"({periods[:6]})" not in seen["notices"][0][2], seen["notices"]  # closing on one day: one date
        assert seen["notices"][0][1] <= 844 / 6, seen["notices"]  # not the first screen: the title follows it
        assert seen["title"] < 844 * 0.6, seen["title"]
    # the tables: every cell within the screen, the page not wider than it
    assert seen["tables"] and seen["cells"], seen
    assert seen["outside"] == [], seen["outside"]
    assert seen["page"] <= seen["inner"], seen
    if path == "/" and email.startswith("ha"):  # the ICO home's essential column is on the screen
        members = page.locator("#home-shortfalls td[data-label=Members]").first
        assert members.is_visible() and members.bounding_box()["x"] + members.bounding_box()["width"] <= 391
    if path == "/reports" and periods != "2015Q2":  # One Care's PDFs (MI Health Link has none here)
        download = page.locator("#reports td[data-label=Download] a").first
        assert download.is_visible() and download.bounding_box()["x"] + download.bounding_box()["width"] <= 391
    assert axe_serious(page) == []
    # on a desktop the same tables are tables, with their header rows
    page.set_viewport_size(DESKTOP)
    look(page, previews["url"] + path, name)
    displays = page.evaluate(
        "[...document.querySelectorAll('main table')].map(t => [getComputedStyle(t).display,"
        " t.tHead ? getComputedStyle(t.tHead.rows[0].cells[0]).position : 'static',"
        " t.querySelector('td') ? getComputedStyle(t.querySelector('td')).display : 'table-cell'])"
    )
    assert displays and all(d == ["table", "static", "table-cell"] for d in displays), displays
    page.context.close()
    context.close()
