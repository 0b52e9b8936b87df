"""A member's own preferences: their compose defaults and their time zone (the web settings page
and the API's `source[privacy|sensitive|language]` save them through here)."""

from __future__ import annotations

import functools

import asyncpg

from server.domain.posting import LANGUAGE_RE
from server.errors import Invalid
from server.models import Preferences
from server.store import accounts as accounts_store

VISIBILITIES = ("public", "unlisted", "private")  # a default of 'direct' would surprise; Mastodon refuses it too


@functools.cache
def time_zones() -> list[str]:
    """The IANA time zones a member may choose, sorted (tzdata ships them where the system has none)."""
    import zoneinfo  # here, not at the top: see server.web.render.zone_info

    return sorted(zoneinfo.available_timezones())


def check(preferences: Preferences) -> Preferences:
    if preferences.visibility not in VISIBILITIES:
        raise Invalid("The default visibility must be public, unlisted or private.", field="visibility")
    if preferences.language is not None and not LANGUAGE_RE.match(preferences.language):
        raise Invalid("The default language must be an ISO 639 code such as en or pt-BR.", field="language")
    if preferences.time_zone not in time_zones():
        raise Invalid("Choose a time zone from the list, such as Europe/Paris or UTC.", field="time_zone")
    return preferences


async def save(db: asyncpg.Pool | asyncpg.Connection, account_id: int, preferences: Preferences) -> None:
    await accounts_store.set_preferences(db, account_id, check(preferences))
