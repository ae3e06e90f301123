"""The one message builder: every e-mail the service sends (a report with its PDF attached, or a notice) gets
its headers here; a report has a plain-text and an HTML body from the mail templates, a notice its plain text."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import render_template

from reporting.publication.reports import REPORT_KINDS

KIND_TITLES = {kind: entry.title for kind, entry in REPORT_KINDS.items()}
SIGNATURE = "\n-- \nFinancial Alignment Initiative Quality Reporting\n"  # a notice's: the service, of every programme


@dataclass(frozen=True)
class Letter:
    recipient: str
    kind: str
    period: str
    ico_name: str | None
    edition_number: int
    revised: bool
    filename: str
    pdf: bytes
    delivery_id: int
    dashboard_url: str
    preview_until: object = None  # a preview's scorecard: the end of its window
    headlines: list = ()  # publication.headlines.Headline per ICO in the report (aggregate figures)
    programme: str = "One Care"  # the programme's name, first in the subject and the header of the body


@dataclass(frozen=True)
class NoticeLetter:
    recipient: str
    subject: str
    body: str
    delivery_id: int


def subject(letter: Letter | NoticeLetter) -> str:
    if isinstance(letter, NoticeLetter):
        return letter.subject
    who = f"{letter.ico_name} " if letter.ico_name else ""
    revised = " (revised edition)" if letter.revised else ""
    if letter.preview_until is not None:
        return (
            f"Preview until {letter.preview_until:%Y-%m-%d}: {letter.programme} {KIND_TITLES[letter.kind]}, "
            f"{who}{letter.period}"
        )
    return f"{letter.programme} {KIND_TITLES[letter.kind]}: {who}{letter.period}{revised}"


def build(letter: Letter | NoticeLetter, sender: str, reply_to: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = letter.recipient
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = subject(letter)
    message["Date"] = formatdate(localtime=False)
    domain = sender.rsplit("@", 1)[-1].strip(">") or "localhost"
    message["Message-ID"] = make_msgid(idstring=f"delivery-{letter.delivery_id}", domain=domain)
    message["X-Reporting-Delivery"] = str(letter.delivery_id)
    if isinstance(letter, NoticeLetter):
        message.set_content(letter.body + SIGNATURE)
        return message
    context = {
        "letter": letter,
        "subject": subject(letter),
        "kind_title": KIND_TITLES[letter.kind],
        "reply_to": reply_to,
    }
    message.set_content(render_template("mail/report.txt", **context))
    message.add_alternative(render_template("mail/report.html", **context), subtype="html")
    message.add_attachment(letter.pdf, maintype="application", subtype="pdf", filename=letter.filename)
    return message
