"""Typed keys for what the aiohttp application holds."""

from __future__ import annotations

import asyncpg
import jinja2
from aiohttp import web

from server.config import Config
from server.urls import Urls

CONFIG = web.AppKey("config", Config)
POOL = web.AppKey("pool", asyncpg.Pool)
URLS = web.AppKey("urls", Urls)
JINJA = web.AppKey("jinja", jinja2.Environment)
SECRET = web.AppKey("secret", bytes)
