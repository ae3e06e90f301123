"""No caption stands alone at a page's foot (a CCA scorecard's "Passive against voluntary enrollment" caption ended
page 3, its table on page 4): a table's caption goes to the page of its first rows, a figure's with its image.

The scorecard of the worked example is laid out again with its content shifted down a little at a time, so that
each caption meets a page's foot somewhere; the layout (WeasyPrint's boxes) says on which page each part is.
Pages of the unshifted scorecard are kept as PNGs in test-artifacts/ for a look."""

import re
import subprocess

import pytest
from weasyprint.formatting_structure import boxes

from reporting.publication import render
from reporting.rendering import pdf
from tests.conftest import artifact_path

pytestmark = pytest.mark.slow  # lays out a scorecard some thirty times


def orphans(document) -> list[str]:
    """Each caption (of a table or figure) on a page that has none of what it captions: no row of the table's
    body, no image of the figure."""
    found = []
    for number, page in enumerate(document.pages, 1):
        for box in page._page_box.descendants():
            if isinstance(box, boxes.TableBox) and box.element_tag == "table":
                continue
            caption = next((c for c in getattr(box, "children", []) if isinstance(c, boxes.TableCaptionBox)), None)
            if caption is not None:
                body = [
                    row
                    for table in box.children
                    if isinstance(table, boxes.TableBox)
                    for group in table.children
                    if isinstance(group, boxes.TableRowGroupBox) and not (group.is_header or group.is_footer)
                    for row in group.children
                ]
                if not body:
                    found.append(f"page {number}: table caption {_text(caption)!r}")
            if box.element_tag == "figure" and isinstance(box, boxes.BlockBox):
                parts = {d.element_tag for d in box.descendants()}
                if "figcaption" in parts and "img" not in parts:
                    found.append(f"page {number}: figure caption {_text(box)!r}")
    return found


def _text(box) -> str:
    return " ".join(d.text for d in box.descendants() if isinstance(d, boxes.TextBox))[:60]


def _shifted(html: str, mm: int) -> str:
    """The report without its definitions' pages (laid out apart, no caption), its content ``mm`` lower."""
    html = re.sub(r'<section class="definitions">.*?</section>', "", html, flags=re.S)
    return html.replace("<body>", f'<body><div style="height: {mm}mm"></div>', 1)


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)
def test_no_caption_stands_alone_at_a_page_foot(example, tmp_path, monkeypatch):
    made = []
    monkeypatch.setattr(render, "printed", lambda html: made.append(html) or pdf.printed(html))
    out = tmp_path / "scorecard.pdf"
    r = example.test_cli_runner().invoke(args=["scorecard", "--ico", "HA", "--period", "2015Q3", "-o", str(out)])
    assert r.exit_code == 0, r.output
    (html,) = made
    assert "<caption>Passive against voluntary enrollment" in html and "<figcaption>" in html
    path = artifact_path("scorecard-captions-HA-2015Q3.pdf")
    path.write_bytes(out.read_bytes())
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(path), str(artifact_path("scorecard-captions"))], check=True)

    renderer = pdf._Renderer()
    found = {mm: orphans(renderer.render(_shifted(html, mm))) for mm in range(0, 240, 8)}
    assert {mm: f for mm, f in found.items() if f} == {}
