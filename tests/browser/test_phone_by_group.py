"""Issue 26 on a phone (390 x 844, Chromium): the measure page's "By group" view does not widen the page (each
group a block of labelled lines under its table's caption, one line a column), the preview banners take a few
lines, not half the screen, and the view's introduction speaks to users (no file of the repository cited).
Pictures go to test-artifacts/."""

import pytest

from tests.browser.test_browser import NARROW_CELLS, axe_serious, browser, live, sign_in  # noqa: F401  (fixtures)
from tests.conftest import artifact_path

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}

# Whether anything sticks out sideways: the page's own scroll width, each By group table's box (within the
# screen, and scrolling nothing sideways) and its caption (in view); the preview banners' heights.
MEASURED = """() => {
  const box = e => e.getBoundingClientRect();
  const tables = [...document.querySelectorAll('table.by-group')];
  return {
    page: document.scrollingElement.scrollWidth, inner: innerWidth,
    tables: tables.length,
    outside: tables.filter(t => box(t).right > innerWidth + 1 || box(t).left < -1).map(t => t.id),
    scrolls: tables.filter(t => t.scrollWidth > t.clientWidth + 1).length,
    captions: tables.map(t => t.querySelector('caption')).filter(c => !c || box(c).width < 150 || box(c).right > innerWidth + 1).length,
    banners: [...document.querySelectorAll('.preview-banner')].map(b => Math.round(box(b).height)),
    intro: document.querySelector('#by-group-intro') ? document.querySelector('#by-group-intro').innerText : null,
    title: box(document.querySelector('main h1')).top,
  };
}"""


@pytest.fixture(scope="module")
def in_preview(live):
    """2015Q3 in preview (a week to question it), so that every dashboard page carries its banner."""
    from reporting import pipeline

    app = live["app"]
    app.config.update({"PUBLISH_MODE": "preview", "PREVIEW_DAYS": 7})
    with app.app_context():
        assert pipeline.run_cycle("2015Q3", trigger="scheduler").status == "preview"
    return live


@pytest.mark.parametrize("email", ["cms@example.org", "ha@example.org"])
def test_the_by_group_view_fits_a_phone(browser, in_preview, email):
    live = in_preview
    page = sign_in(browser, live, email)
    page.set_viewport_size(PHONE)
    page.goto(live["url"] + "/measures/assessment_90d?period=2015Q3")
    name = email.split("@")[0]
    page.screenshot(path=str(artifact_path(f"phone-by-group-{name}-390.png")), full_page=True)
    seen = page.evaluate(MEASURED)
    assert seen["tables"] == 7, seen  # one a stratifier
    assert seen["page"] <= seen["inner"], seen  # the page never scrolls sideways
    assert seen["outside"] == [] and seen["captions"] == 0, seen
    # the banners: a few lines each, and the page's own title within the first half of the first screen
    assert seen["banners"] and max(seen["banners"]) <= 844 / 7, seen["banners"]
    assert seen["title"] < 844 / 2, seen
    # the introduction says what the view is in words, citing no file of the repository
    assert seen["intro"] and ".md" not in seen["intro"] and "measures.md" not in seen["intro"], seen["intro"]
    assert "counted over the members of each group alone" in seen["intro"]
    assert page.evaluate(NARROW_CELLS) == []
    assert axe_serious(page) == []
    # each group is a block of labelled lines, one a column (the reviewer's: each ICO and statewide), so that no
    # table scrolls sideways either
    assert seen["scrolls"] == 0, seen
    labels = page.evaluate(
        "[...document.querySelectorAll('#by-group-sex tbody tr:first-child td')]"
        ".map(c => getComputedStyle(c, '::before').content)"
    )
    columns = ["Health Alliance", "Harbor Care", "Statewide"] if email.startswith("cms") else ["Health Alliance"]
    assert labels == [f'"{c}"' for c in columns], labels
    assert page.locator("#by-group-sex tbody tr").first.locator("td").first.is_visible()
    page.context.close()
