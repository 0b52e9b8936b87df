"""Reading form fields and query parameters with clear errors."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.errors import AppError
from server.keys import SITE, USER
from server.models import Preferences
from server.store.paging import MAX_ID, Page, whole_number


def field(form, name: str, *, max_len: int = 10_000) -> str:
    """A text field ('' when absent); an oversized or non-text value is a 400, not a crash."""
    value = form.get(name, "")
    if not isinstance(value, str):
        raise AppError(400, f"The field {name!r} must be text.")
    if len(value) > max_len:
        raise AppError(400, f"The field {name!r} is too long.")
    return value


def max_id_param(request: web.Request, name: str = "max_id") -> int | None:
    """A keyset cursor of a paginated page: ?max_id=<id> (older than) or ?min_id=<id> (just newer than)."""
    return number_param(request, name, MAX_ID, f"{name} must be a post id.")


def number_param(request: web.Request, name: str, maximum: int, message: str) -> int | None:
    """A whole number from the query string, None when absent; anything else is a 400 with `message`."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    number = whole_number(raw, maximum)
    if number is None:
        raise AppError(400, message)
    return number


def feed_page(request: web.Request, limit: int) -> Page:
    """The page a feed shows: the newest, the one older than ?max_id or the one just newer than ?min_id.

    It asks for one post more than it shows, so that `feeds.page_context` knows whether another page
    lies beyond."""
    return Page(max_id=max_id_param(request), min_id=max_id_param(request, "min_id"), limit=limit + 1)


def safe_next(target: str | None) -> str:
    """Only same-site paths may be redirect targets after login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


async def back(request: web.Request, default: str) -> web.HTTPSeeOther:
    """Where an action returns: the form's `next` (the page and post it was sent from), else `default`."""
    target = field(await request.post(), "next", max_len=2000)
    return web.HTTPSeeOther(safe_next(target) if target else default)


# How long a poll runs: (seconds, label), as Mastodon offers.
POLL_DURATIONS = [(300, "5 minutes"), (1800, "30 minutes"), (3600, "1 hour"), (21600, "6 hours"),
                  (86400, "1 day"), (259200, "3 days"), (604800, "7 days")]


def compose_context(request: web.Request, form: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the compose form needs: the limits, the instance's languages and the values to show (a
    new post starts from the member's defaults)."""
    site = request[SITE]
    chosen = request[USER].preferences if request[USER] else Preferences()
    defaults = {"visibility": chosen.visibility, "sensitive": chosen.sensitive,
                "language": chosen.language or site.language_list[0]}
    return {"max_chars": site.max_post_chars, "languages": site.language_list, "poll_durations": POLL_DURATIONS,
            "form": form or defaults}
