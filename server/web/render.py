"""jinja2 rendering with the context every page needs."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from markupsafe import Markup

from server.domain.instance import defaults
from server.domain.polls import is_closed
from server.keys import CONFIG, NAV_COUNTS, SITE, URLS, USER
from server.progress import human_bytes
from server.text.languages import language_name
from server.web.csrf import csrf_token
from server.web.emoji import display_name, emojify, emojify_text
from server.web.pictures import avatar_src, header_src

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    import jinja2

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
# Explicit bidi formatting characters (Unicode TR9 §2): embeddings, overrides, isolates, marks and the
# Arabic letter mark. In a name they can reorder whatever the page prints after it.
BIDI_CONTROLS = dict.fromkeys(
    [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]
)


def bdi(value: object) -> Markup:
    """A user-chosen name or handle as an isolate, so its direction cannot leak into the text around it."""
    return Markup("<bdi>{}</bdi>").format(value)


def strip_bidi(value: str) -> str:
    """Text without bidi controls, for places that cannot hold <bdi> (`<title>`); keeps Markup as Markup."""
    cleaned = str(value).translate(BIDI_CONTROLS)
    return Markup(cleaned) if isinstance(value, Markup) else cleaned


def _zone(context: jinja2.runtime.Context) -> ZoneInfo:
    """The viewer's time zone (UTC for visitors and in macros imported without the page's context)."""
    user = context.get("user")
    return zone_info(user.preferences.time_zone if user else "UTC")


@cache
def zone_info(name: str) -> ZoneInfo:
    """zoneinfo is imported here, not at the top: with the sysconfig tables it reads, 0.3 MiB that a
    server rendering no page never needs. Cached, so a page's many times skip the import statement."""
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def local_datetime(context: jinja2.runtime.Context, moment: datetime) -> str:
    """The full date and time in the viewer's time zone, as in a time's title: "2026-12-05 12:09 CET"."""
    return moment.astimezone(_zone(context)).strftime("%Y-%m-%d %H:%M %Z")


def local_input(context: jinja2.runtime.Context, moment: datetime | None) -> str:
    """A time as a datetime-local field holds it, in the viewer's time zone ('' for none)."""
    return moment.astimezone(_zone(context)).strftime("%Y-%m-%dT%H:%M") if moment else ""


def ago(context: jinja2.runtime.Context, moment: datetime, now: datetime | None = None) -> str:
    """How long ago, as feeds say it: "now", "5 min", "3 h", "2 d", then the (viewer's local) date."""
    moment = moment.astimezone(_zone(context))
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h"
    if seconds < 7 * 86400:
        return f"{int(seconds // 86400)} d"
    return moment.strftime("%-d %b %Y" if moment.year != (now or datetime.now(UTC)).year else "%-d %b")


def duration(seconds: float) -> str:
    """A span of time, roughly: "42 s", "5 min", "3 h", "2 d" (a queue's oldest item)."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit}"
    return f"{int(seconds)} s"


def when(iso: str, now: datetime | None = None) -> str:
    """How far ahead a moment (an ISO 8601 string, as polls keep it) is: "in 5 min", "in 3 d"."""
    seconds = (datetime.fromisoformat(iso) - (now or datetime.now(UTC))).total_seconds()
    if seconds <= 0:
        return "now"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"in {int(seconds // size)} {unit}"
    return "in a moment"


@cache
def environment() -> jinja2.Environment:
    """The templates' environment, one per process, made at the first page (an instance that only
    federates or answers apps never loads jinja2)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["datetime"] = jinja2.pass_context(local_datetime)  # they read the viewer's zone
    env.filters["isotime"] = lambda d: d.isoformat()
    env.filters["ago"] = jinja2.pass_context(ago)
    env.filters["local_input"] = jinja2.pass_context(local_input)
    env.filters["when"] = when
    env.filters["duration"] = duration
    env.filters["language_name"] = language_name
    env.filters["bytes"] = human_bytes
    env.filters["poll_closed"] = is_closed
    env.filters["avatar_src"] = avatar_src
    env.filters["header_src"] = header_src
    env.filters["bdi"] = bdi
    env.filters["display_name"] = display_name
    env.filters["emojify"] = emojify
    env.filters["emojify_text"] = emojify_text
    env.filters["strip_bidi"] = strip_bidi
    return env


def render(request: web.Request, template: str, context: dict[str, Any] | None = None, *,
           status: int = 200) -> web.Response:
    site = request.get(SITE) or defaults(request.app[CONFIG])
    page = environment().get_template(template).render(
        {
            "user": request.get(USER),
            "csrf_token": csrf_token(request),
            "instance_name": site.instance_name,
            "instance_description": site.instance_description,
            "site": site,
            "urls": request.app[URLS],
            "request_path": request.path,
            "request_query": request.query_string,
            "nav_counts": request.get(NAV_COUNTS) or {},
            "error": None,
            "error_field": None,
            "form": {},
            **(context or {}),
        }
    )
    return web.Response(text=page, status=status, content_type="text/html", charset="utf-8")
