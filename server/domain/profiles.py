"""Members editing their profile; the change is federated to their followers."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

import asyncpg

from federation import outbound, rel_me
from federation.runtime import Federation
from server.domain import emojis, preferences
from server.errors import Invalid
from server.models import Account, Preferences
from server.store import accounts as accounts_store
from server.text import plaintext
from server.urls import Urls

MAX_DISPLAY_NAME = 30
MAX_BIO = 500
MAX_FIELDS = 4
SCRIPT_LINK = re.compile(r"\s*(javascript|vbscript|data|file):", re.IGNORECASE)  # never a link
MAX_FIELD_NAME = 255
MAX_FIELD_VALUE = 255


@dataclass(frozen=True)
class ProfileUpdate:
    display_name: str
    bio: str  # plain text, as typed
    locked: bool
    fields: list[tuple[str, str]] | None = None  # (name, value) as typed; None leaves them unchanged
    discoverable: bool = True  # listed in the directory and found by search
    bot: bool = False  # an automated account (Service), shown as such
    hide_collections: bool = False  # followers and following lists show only their totals to others
    indexable: bool = True  # public posts may be found by full-text search


@dataclass(frozen=True)
class Checked:
    """A profile update that passed every rule, ready to be written."""

    display_name: str
    bio: str
    note_html: str
    locked: bool
    fields: list[dict[str, str]] | None
    fields_source: list[dict[str, str]] | None
    discoverable: bool
    bot: bool
    hide_collections: bool
    indexable: bool


def check(update: ProfileUpdate, urls: Urls) -> Checked:
    """Every rule on a profile, checked before anything (a new avatar included) is written."""
    display_name = update.display_name.strip()
    bio = update.bio.replace("\r\n", "\n").strip()
    if len(display_name) > MAX_DISPLAY_NAME:
        raise Invalid(f"Display names can have at most {MAX_DISPLAY_NAME} characters.", field="display_name")
    if len(bio) > MAX_BIO:
        raise Invalid(f"Bios can have at most {MAX_BIO} characters.", field="note")
    if "\x00" in display_name + bio:
        raise Invalid("Profiles cannot contain NUL characters.", field="note")
    note_html = plaintext.to_html(bio, mention_url=lambda m: None, tag_url=urls.tag) if bio else ""
    fields = None
    if update.fields is not None:
        kept = [(n.strip(), v.strip()) for n, v in update.fields if n.strip() or v.strip()]
        if len(kept) > MAX_FIELDS:
            raise Invalid(f"A profile can have at most {MAX_FIELDS} fields.", field="fields")
        if any(len(n) > MAX_FIELD_NAME or len(v) > MAX_FIELD_VALUE or "\x00" in n + v for n, v in kept):
            raise Invalid(f"Field names and values can have at most {MAX_FIELD_NAME} characters.", field="fields")
        if any(SCRIPT_LINK.match(v) for _, v in kept):
            raise Invalid("Links in profile fields must be http:// or https:// addresses.", field="fields")
        fields = [{"name": n, "value": _field_html(v, urls)} for n, v in kept]
    source = [{"name": n, "value": v} for n, v in kept] if update.fields is not None else None
    return Checked(display_name, bio, note_html, update.locked, fields, source, update.discoverable, update.bot,
                   update.hide_collections, update.indexable)


async def update_profile(pool: asyncpg.Pool, urls: Urls, account: Account, update: ProfileUpdate, *,
                         pictures: dict[str, str] | None = None, chosen: Preferences | None = None) -> Account:
    """Save the profile, any new pictures (kind -> stored path, already checked as images) and any
    changed preferences (as the API's `source` sends them) in one transaction, and tell followers."""
    checked = check(update, urls)
    async with pool.acquire() as conn, conn.transaction():
        if chosen is not None:
            await preferences.save(conn, account.id, chosen)
        for kind, path in (pictures or {}).items():
            await accounts_store.set_picture(conn, account.id, kind, path)
        typed = [text for f in checked.fields_source or [] for text in (f["name"], f["value"])]
        await accounts_store.set_emojis(conn, account.id, await emojis.used_in(conn, checked.display_name,
                                                                                checked.bio, *typed))
        updated = await accounts_store.update_profile(
            conn, account.id, checked.display_name, checked.bio, checked.note_html, checked.locked, checked.fields,
            discoverable=checked.discoverable, actor_type="Service" if checked.bot else "Person",
            fields_source=checked.fields_source, hide_collections=checked.hide_collections,
            indexable=checked.indexable,
        )
        await outbound.profile_updated(conn, urls, updated)
    return updated


LINK = re.compile(r"https?://\S+\Z", re.IGNORECASE)


async def verify_links(pool: asyncpg.Pool, fed: Federation, account: Account) -> int:
    """Mark verified each profile field whose value is a link to a page that links back to this
    profile with rel="me" (checked at once, as the member saves); returns how many are verified.
    A field changed meanwhile is left for its own save to check."""
    typed = (await accounts_store.get_profile_source(pool, account.id)).fields
    targets = [fed.urls.account_url(account), fed.urls.actor(account.username)]
    checks = [(index, value) for index, (_, value) in enumerate(typed) if LINK.match(value)]
    results = await asyncio.gather(*(rel_me.links_back(fed, value, targets) for _, value in checks))
    verified = [index for (index, _), ok in zip(checks, results, strict=True) if ok]
    await accounts_store.set_verified_fields(pool, account.id, verified, typed)
    return len(verified)


async def remove_picture(pool: asyncpg.Pool, urls: Urls, account: Account, kind: str) -> Account:
    """Back to the default avatar or no header (Mastodon's DELETE /api/v1/profile/avatar|header); followers hear."""
    async with pool.acquire() as conn, conn.transaction():
        await accounts_store.set_picture(conn, account.id, kind, None)
        updated = await accounts_store.get_by_id(conn, account.id)
        await outbound.profile_updated(conn, urls, updated)
    return updated


def follow_lists_hidden(account: Account, viewer_id: int | None, *, instance_hides: bool) -> bool:
    """Whether a member's followers and following lists show only their totals to this viewer: the
    member chose so, or the instance hides them all; the member always sees their own."""
    return account.is_local and (instance_hides or account.hide_collections) and viewer_id != account.id


def _field_html(value: str, urls: Urls) -> str:
    """A field value as inline HTML (links made clickable), without the paragraph around it."""
    rendered = plaintext.to_html(value, mention_url=lambda m: None, tag_url=urls.tag)
    # rel="me", as Mastodon marks profile links: the linked site may verify this profile in turn.
    inline = rendered.removeprefix("<p>").removesuffix("</p>")
    return inline.replace(' rel="nofollow noopener"', ' rel="me nofollow noopener"')
