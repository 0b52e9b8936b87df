"""jinja2 rendering with the context every page needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from server.domain.instance import CURRENT, defaults
from server.keys import CONFIG, JINJA, URLS, USER
from server.web.csrf import csrf_token

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"


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
    return env


def render(request: web.Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200) -> web.Response:
    site = request.get(CURRENT) or defaults(request.app[CONFIG])
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
