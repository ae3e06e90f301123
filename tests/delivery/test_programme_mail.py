"""Each programme's mail is its own: a report is From "<programme> Quality Reporting" at the configured address,
its outbox file is named for the programme, and its Subject reads back as written, however long (a user walk found
MI Health Link's reports sent From "One Care Quality Reporting", two programmes' files of one period alike, and
long subjects folded into a stray space)."""

from __future__ import annotations

import email
import email.header
import email.policy
import email.utils
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from reporting.delivery.messages import Letter, build, subject
from tests.web.test_programme_walk import PUBLISHED, two  # noqa: F401 (the fixture: One Care and two MI plans)


def _letters(app) -> dict[str, email.message.EmailMessage]:
    outbox = Path(app.config["OUTBOX_DIR"]).glob("*.eml")
    return {p.name: email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in outbox}


@pytest.mark.parametrize("two", ["sqlite"], indirect=True)  # the mail, not the database
def test_each_programme_s_reports_come_from_it_and_its_files_name_it(two):
    letters = _letters(two)
    address = email.utils.parseaddr(two.config["MAIL_FROM"])[1]
    mi = {n: m for n, m in letters.items() if str(m["To"]).endswith(("@mia.example.org", "@mib.example.org"))}
    ma = {n: m for n, m in letters.items() if str(m["To"]).endswith(("@ha.example.org", "@hb.example.org"))}
    assert mi and ma
    for name, m in mi.items():
        assert m["From"].addresses[0].display_name == "MI Health Link Quality Reporting", name
        assert m["From"].addresses[0].addr_spec == address
        assert f"-mi-health-link-scorecard-{PUBLISHED}.eml" in name or "-mi-health-link-" in name, name
    for name, m in ma.items():
        assert m["From"].addresses[0].display_name == "Massachusetts One Care Quality Reporting", name
        assert "-ma-one-care-" in name, name
    # one period's scorecards of the two programmes are told apart by their files' names
    stems = {n.split("-", 1)[1] for n in letters}
    assert f"mi-health-link-scorecard-{PUBLISHED}.eml" in stems and f"ma-one-care-scorecard-{PUBLISHED}.eml" in stems


def test_a_long_subject_reads_back_as_written(app):
    """A subject past the 78-character line (a preview of a long-named plan) reads as written: it is not folded,
    so no client shows a folded line's leading space, and a name with non-ASCII letters decodes as written too."""
    with app.app_context():
        letter = Letter(
            "reports@uphp.example.org",
            "withhold",
            "2015",
            "Upper Peninsula Health Plan of Michigan, Marquette and Escanaba region",
            1,
            True,
            "withhold.pdf",
            b"%PDF-1.7",
            7,
            "http://127.0.0.1:5000/icos/UP",
            preview_until=datetime(2016, 3, 25),
            programme="MI Health Link",
        )
        raw = build(letter, "Anything <quality@mi.example.org>").as_bytes()
        accented = replace(letter, ico_name="Upper Peninsula Health Plan — Marquette–Escanaba région, Michigan")
        raw_accented = build(accented, "quality@mi.example.org").as_bytes()
    written = subject(letter)
    assert len(written) > 78
    modern = email.message_from_bytes(raw, policy=email.policy.default)
    legacy = email.message_from_bytes(raw, policy=email.policy.compat32)  # the header as it is on the wire
    assert modern["Subject"] == written and legacy["Subject"] == written
    decoded = email.message_from_bytes(raw_accented, policy=email.policy.default)["Subject"]
    assert decoded == subject(accented) and not decoded.startswith(" ") and "  " not in decoded
    assert modern["From"].addresses[0].display_name == "MI Health Link Quality Reporting"
    assert modern["From"].addresses[0].addr_spec == "quality@mi.example.org"
