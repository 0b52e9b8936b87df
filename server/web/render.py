"""jinja2 rendering with the context every page needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from markupsafe import Markup

from server.domain.instance import defaults
from server.keys import CONFIG, JINJA, SITE, URLS, USER
from server.web.csrf import csrf_token

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


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["datetime"] = lambda d: d.strftime("%Y-%m-%d %H:%M UTC")
    env.filters["isotime"] = lambda d: d.isoformat()
    env.filters["bdi"] = bdi
    env.filters["strip_bidi"] = strip_bidi
    return env


def render(request: web.Request, template: str, context: dict[str, Any] | None = None, *,
           status: int = 200) -> web.Response:
    site = request.get(SITE) or defaults(request.app[CONFIG])
    page = request.app[JINJA].get_template(template).render(
        {
            "user": request.get(USER),
            "csrf_token": csrf_token(request),
            "instance_name": site.instance_name,
            "instance_description": site.instance_description,
            "site": site,
            "urls": request.app[URLS],
            "request_path": request.path,
            "error": None,
            "error_field": None,
            "form": {},
            **(context or {}),
        }
    )
    return web.Response(text=page, status=status, content_type="text/html", charset="utf-8")
