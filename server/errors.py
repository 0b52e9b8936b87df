"""AppError: an error whose message is safe to show to whoever sent the request."""

from __future__ import annotations


class AppError(Exception):
    """Raised anywhere below the web and API layers; rendered as HTML or JSON by one middleware."""

    def __init__(self, status: int, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


class NotFound(AppError):
    def __init__(self, message: str = "Not found") -> None:
        super().__init__(404, message)


class Forbidden(AppError):
    def __init__(self, message: str = "You are not allowed to do that") -> None:
        super().__init__(403, message)


class Invalid(AppError):
    """Input that breaks a rule; `field` names the form field when there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(422, message, field=field)
