"""Typed keys for what the aiohttp application holds."""

from __future__ import annotations

import asyncpg
from aiohttp import web

from server.config import Config
from server.domain.instance import InstanceSettings, Settings
from server.models import User
from server.urls import Urls

CONFIG = web.AppKey("config", Config)
POOL = web.AppKey("pool", asyncpg.Pool)
DSN = web.AppKey("dsn", str)
URLS = web.AppKey("urls", Urls)
SECRET = web.AppKey("secret", bytes)
VAPID_KEY = web.AppKey("vapid_public_key", str)  # the instance's Web Push key, as apps read it
SETTINGS = web.AppKey("instance_settings", Settings)

# Per-request values set by the middlewares.
USER = web.RequestKey("user", User | None)
SITE = web.RequestKey("instance_settings", InstanceSettings)  # the instance's settings, for pages
NAV_COUNTS = web.RequestKey("nav_counts", dict)  # a member's new posts and notifications, for the navigation
CSRF_BROWSER_ID = web.RequestKey("csrf_browser_id", str)
CSRF_NEW_COOKIE = web.RequestKey("csrf_new_cookie", str)
