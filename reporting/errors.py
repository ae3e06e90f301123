"""Typed errors that surface once: each carries a message for the user and an HTTP status."""

from __future__ import annotations


class ReportingError(Exception):
    status = 400
    title = "That did not work"

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class ConfigError(ReportingError):
    status = 500
    title = "Configuration problem"


class NotFound(ReportingError):
    status = 404
    title = "Not found"


class Forbidden(ReportingError):
    status = 403
    title = "Not allowed"


class RenderError(ReportingError):
    status = 500
    title = "The report could not be rendered"


class DeliveryError(ReportingError):
    status = 502
    title = "The message could not be delivered"

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent
