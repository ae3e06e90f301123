"""A real SMTP server (aiosmtpd) on loopback that records what it receives."""

from __future__ import annotations

import email
import threading
from email import policy

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import free_port


class Recorder:
    def __init__(self):
        self.messages = []  # (recipients, parsed message)
        self.refuse = set()
        self.on_rcpt = None  # called (in the server thread) for each accepted recipient
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        if self.on_rcpt:
            self.on_rcpt(address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(
                (list(envelope.rcpt_tos), email.message_from_bytes(envelope.content, policy=policy.default))
            )
        return "250 Message accepted for delivery"

    def by_recipient(self) -> dict:
        out = {}
        for rcpts, message in self.messages:
            for r in rcpts:
                out.setdefault(r, []).append(message)
        return out


class SmtpServer:
    def __init__(self):
        self.port = free_port()
        self.recorder = Recorder()
        self.controller = None

    def start(self):
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None

    def config(self) -> dict:
        return {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": self.port,
            "SMTP_SECURITY": "none",
            "SMTP_TIMEOUT": 5,
            "DELIVERY_RETRY_SECONDS": 1,
            "MAIL_FROM": "Quality Reports <reports@onecare.example.org>",
        }

    def env(self) -> dict:
        return {k: str(v) for k, v in self.config().items()}


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()
