"""Where messages go: an SMTP server, or (the embedded default) ``.eml`` files in an outbox folder."""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from email.message import EmailMessage

from reporting.errors import DeliveryError


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int | None
    security: str  # starttls | tls | none
    username: str | None
    password: str | None
    timeout: int = 30


class OutboxProvider:
    name = "outbox"

    def __init__(self, folder: str):
        self.folder = folder

    def send(self, message: EmailMessage, file_stem: str, before_data=None) -> None:
        os.makedirs(self.folder, exist_ok=True)
        target = os.path.join(self.folder, f"{file_stem}.eml")
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(message.as_bytes())
        if before_data:
            before_data()
        os.replace(tmp, target)


class SmtpProvider:
    name = "smtp"

    def __init__(self, settings: SmtpSettings):
        self.s = settings

    def send(self, message: EmailMessage, file_stem: str, before_data=None) -> None:
        """Connect, MAIL, RCPT; ``before_data()`` is called just before DATA, the only step after which
        the server may have the message."""
        s = self.s
        port = s.port or {"tls": 465, "starttls": 587}.get(s.security, 25)
        try:
            if s.security == "tls":
                client = smtplib.SMTP_SSL(s.host, port, timeout=s.timeout, context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(s.host, port, timeout=s.timeout)
            with client:
                if s.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if s.username:
                    client.login(s.username, s.password or "")
                client.ehlo_or_helo_if_needed()
                code, reply = client.mail(_address(message["From"]))
                if code != 250:
                    raise smtplib.SMTPResponseException(code, reply)
                code, reply = client.rcpt(_address(message["To"]))
                if code not in (250, 251):
                    raise DeliveryError(
                        f"recipient refused: {code} {reply.decode(errors='replace')}", permanent=500 <= code < 600
                    )
                if before_data:
                    before_data()
                code, reply = client.data(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
                if code != 250:
                    raise smtplib.SMTPResponseException(code, reply)
        except smtplib.SMTPRecipientsRefused as e:
            code, reason = next(iter(e.recipients.values()))
            raise DeliveryError(
                f"recipient refused: {code} {reason.decode(errors='replace')}", permanent=500 <= code < 600
            ) from None
        except smtplib.SMTPResponseException as e:
            raise DeliveryError(
                f"SMTP error {e.smtp_code}: {e.smtp_error.decode(errors='replace') if isinstance(e.smtp_error, bytes) else e.smtp_error}",
                permanent=500 <= e.smtp_code < 600,
            ) from None
        except (TimeoutError, smtplib.SMTPException, OSError) as e:
            raise DeliveryError(
                f"the SMTP server could not be reached: {type(e).__name__}: {e}", permanent=False
            ) from None


def provider_from_config(config):
    if config.get("SMTP_HOST"):
        return SmtpProvider(
            SmtpSettings(
                config["SMTP_HOST"],
                config.get("SMTP_PORT"),
                config["SMTP_SECURITY"],
                config.get("SMTP_USERNAME"),
                config.get("SMTP_PASSWORD"),
                config.get("SMTP_TIMEOUT", 30),
            )
        )
    return OutboxProvider(config["OUTBOX_DIR"])


def _address(header: str) -> str:
    from email.utils import parseaddr

    return parseaddr(header)[1]
