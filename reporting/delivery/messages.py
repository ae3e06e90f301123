"""The one message builder: every e-mail the service sends (a report with its PDF attached, or a notice) gets
its headers here; a report has a plain-text and an HTML body from the mail templates, a notice its plain text."""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from flask import render_template

from reporting.publication.reports import REPORT_KINDS

KIND_TITLES = {kind: entry.title for kind, entry in REPORT_KINDS.items()}
SERVICE = "Financial Alignment Initiative Quality Reporting"  # the service's name, of every programme
SIGNATURE = f"\n-- \n{SERVICE}\n"  # a notice's: the service, of every programme (its subject names the programme)
# The headers are written unfolded up to the 998 characters RFC 5322 allows: a folded Subject reads with a stray
# space in some clients (an encoded word after the fold doubles it). The bodies are encoded first, under the default
# policy, so that their lines keep the 76 characters quoted-printable and base64 require.
HEADERS = policy.default.clone(max_line_length=998)


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


def sender_name(letter: Letter | NoticeLetter) -> str:
    """Who a message is from, as clients show it: a report's programme ("MI Health Link Quality Reporting"), a
    notice the service."""
    return f"{letter.programme} Quality Reporting" if isinstance(letter, Letter) else SERVICE


def build(letter: Letter | NoticeLetter, sender: str, reply_to: str | None = None) -> EmailMessage:
    """``sender``: the configured ``MAIL_FROM``; its address is kept, its display name is the programme's."""
    message = EmailMessage()
    message["From"] = formataddr((sender_name(letter), parseaddr(sender)[1]))
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
        message.policy = HEADERS
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
    message.policy = HEADERS
    return message
