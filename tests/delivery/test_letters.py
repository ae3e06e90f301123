"""The report e-mail's two parts say the same: why the recipient gets it (a preview also goes to the ICO's
submitters) and what the report shows (a withhold report has no statewide figures)."""

from datetime import datetime

from reporting.delivery.messages import Letter, build


def parts(message):
    return [p.get_content() for p in message.walk() if p.get_content_type() in ("text/plain", "text/html")]


def test_text_and_html_say_the_same_about_why_and_what(app):
    with app.app_context():
        letter = Letter(
            "submitter@ha.example.org",
            "withhold",
            "2015",
            "Health Alliance",
            1,
            False,
            "withhold.pdf",
            b"%PDF-1.7",
            1,
            "http://127.0.0.1:5000/icos/HA",
            preview_until=datetime(2026, 12, 8),
        )
        text, html = parts(build(letter, "reports@example.org"))
        for part in (text, html):
            assert "report recipient or submitter" in part
            assert "exact values; it is not for publication" in part and "statewide figures" not in part
        scorecard = Letter(
            "reports@ha.example.org",
            "scorecard",
            "2015Q3",
            "Health Alliance",
            1,
            False,
            "scorecard.pdf",
            b"%PDF-1.7",
            2,
            "http://127.0.0.1:5000/icos/HA",
        )
        for part in parts(build(scorecard, "reports@example.org")):
            assert (
                "exact values, and the statewide figures when at least three ICOs reported" in part
                and "or submitter" not in part
            )
