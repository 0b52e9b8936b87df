"""Reading form fields and query parameters with clear errors."""

from __future__ import annotations

from aiohttp import web

from server.errors import AppError


def field(form, name: str, *, max_len: int = 10_000) -> str:
    """A text field ('' when absent); an oversized or non-text value is a 400, not a crash."""
    value = form.get(name, "")
    if not isinstance(value, str):
        raise AppError(400, f"The field {name!r} must be text.")
    if len(value) > max_len:
        raise AppError(400, f"The field {name!r} is too long.")
    return value


def max_id_param(request: web.Request) -> int | None:
    """The keyset cursor of a paginated page: ?max_id=<status id>."""
    raw = request.query.get("max_id")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 19:
        raise AppError(400, "max_id must be a post id.")
    return int(raw)


def safe_next(target: str | None) -> str:
    """Only same-site paths may be redirect targets after login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"
