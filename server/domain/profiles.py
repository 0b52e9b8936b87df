"""Members editing their profile; the change is federated to their followers."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from federation import outbound
from server.errors import Invalid
from server.models import Account
from server.store import accounts as accounts_store
from server.text import plaintext
from server.urls import Urls

MAX_DISPLAY_NAME = 30
MAX_BIO = 500


@dataclass(frozen=True)
class ProfileUpdate:
    display_name: str
    bio: str  # plain text, as typed
    locked: bool


async def update_profile(pool: asyncpg.Pool, urls: Urls, account: Account, update: ProfileUpdate) -> Account:
    display_name = update.display_name.strip()
    bio = update.bio.replace("\r\n", "\n").strip()
    if len(display_name) > MAX_DISPLAY_NAME:
        raise Invalid(f"Display names can have at most {MAX_DISPLAY_NAME} characters.", field="display_name")
    if len(bio) > MAX_BIO:
        raise Invalid(f"Bios can have at most {MAX_BIO} characters.", field="note")
    if "\x00" in display_name + bio:
        raise Invalid("Profiles cannot contain NUL characters.", field="note")
    note_html = plaintext.to_html(bio, mention_url=lambda m: None, tag_url=urls.tag) if bio else ""
    async with pool.acquire() as conn, conn.transaction():
        updated = await accounts_store.update_profile(conn, account.id, display_name, bio, note_html, update.locked)
        await outbound.profile_updated(conn, urls, updated)
    return updated
