"""The community's half of taking in a post from another server: the instance's content rules,
who it mentions here, whether anybody here wants it, and keeping it.

The protocol half (parsing, origin checks, fetching the author and the thread) is
federation/ingest.py; it hands over a parsed note whose origin is established.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from server.domain import content_rules, inbound
from server.domain.inbound import Parent
from server.models import Account, Visibility
from server.store import accounts as accounts_store
from server.store import content_rules as content_rules_store
from server.store import follows as follows_store
from server.store import tags as tags_store
from server.text.sanitize import strip_html
from server.urls import Urls


class Outcome(enum.Enum):
    """What became of an incoming post or edit."""

    STORED = "stored"
    HELD = "held"  # waiting in the moderators' review queue
    REFUSED = "refused"  # a content rule rejected it
    UNWANTED = "unwanted"  # nobody here follows its author or is addressed
    KNOWN = "known"  # already stored, or deleted before it arrived


@dataclass(frozen=True)
class Received:
    outcome: Outcome
    status_id: int | None = None
    rule: str = ""  # the content rule that refused it


def subject(note: Any, author: Account, visibility: Visibility, activity: str = "Create") -> content_rules.Subject:
    """What the content rules look at for a remote post."""
    age = (datetime.now(UTC) - author.created_at).total_seconds() / 86400
    return content_rules.Subject(
        uri=note.uri, origin="remote", domain=(author.domain or "").lower(), actor=author.uri or "",
        text=strip_html(note.content), content_warning=note.spoiler_text, display_name=author.display_name,
        bio=strip_html(author.note), hashtags=tuple(note.hashtags), mentions=len(note.mentions),
        account_age_days=max(age, 0.0), has_media=bool(note.attachments), visibility=visibility.value,
        activity=activity,
    )


async def _mentioned(pool: asyncpg.Pool, urls: Urls, uris: list[str]) -> tuple[list[Account], list[int]]:
    """(local members, ids of known remote accounts) that a post mentions."""
    local, remote = [], []
    for uri in uris:
        username = urls.local_username(uri)
        account = await (accounts_store.get_local(pool, username) if username else accounts_store.get_by_uri(pool, uri))
        if account is None:
            continue
        if username:
            local.append(account)
        else:
            remote.append(account.id)
    return local, remote


async def _wanted(pool: asyncpg.Pool, author: Account, parent: Parent | None, local_mentions: list[Account],
                  via: Account | None, context: bool, public_tags: list[str]) -> bool:
    """Someone here wants it: it is thread context, mentions or answers a member, a member follows
    its author or whoever passed it on, or (a public post) follows one of its hashtags."""
    if context or local_mentions:
        return True
    if public_tags and await tags_store.any_followed(pool, public_tags):
        return True
    if parent is not None:
        parent_author = await accounts_store.get_by_id(pool, parent.account_id)
        if parent_author is not None and parent_author.is_local:
            return True
    if await follows_store.local_follower_ids(pool, author.id):
        return True
    return via is not None and bool(await follows_store.local_follower_ids(pool, via.id))


async def receive(pool: asyncpg.Pool, urls: Urls, author: Account, note: Any, visibility: Visibility,
                  raw: dict[str, Any], *, parent: Parent | None, via: Account | None = None,
                  context: bool = False, released: bool = False) -> Received:
    """Judge and keep a remote post. `context` marks a post fetched as part of a thread (an
    ancestor, a reply, a search result): kept even if nobody follows its author. A post a
    moderator `released` from review skips the content rules."""
    if not released:
        decision = await content_rules.check(pool, subject(note, author, visibility))
        if decision.reject:
            return Received(Outcome.REFUSED, rule=decision.last_rule)
        if decision.hold:
            await content_rules_store.hold(pool, decision.hold, raw)
            return Received(Outcome.HELD)
        note, visibility = content_rules.applied(decision, note, visibility)
    local_mentions, remote_mentions = await _mentioned(pool, urls, note.mentions)
    public_tags = note.hashtags if visibility == Visibility.PUBLIC else []
    if not await _wanted(pool, author, parent, local_mentions, via, context, public_tags):
        return Received(Outcome.UNWANTED)
    status_id = await inbound.store_status(
        pool, author, note, visibility, local_mentions=local_mentions, remote_mentions=remote_mentions,
        parent=parent, raw=raw,
    )
    return Received(Outcome.STORED, status_id) if status_id is not None else Received(Outcome.KNOWN)


async def receive_edit(pool: asyncpg.Pool, status_id: int, author: Account, note: Any, visibility: Visibility,
                       raw: dict[str, Any], *, released: bool = False) -> Received:
    """The author's edit of a post we keep. The content rules judge it as they judge a new post (an
    edit cannot get round them): refused, held for review (the earlier version stays), or adjusted."""
    if not released:
        decision = await content_rules.check(pool, subject(note, author, visibility, activity="Update"))
        if decision.reject:
            return Received(Outcome.REFUSED, status_id, rule=decision.last_rule)
        if decision.hold:
            await content_rules_store.hold(pool, decision.hold, raw)
            return Received(Outcome.HELD, status_id)
        note, _ = content_rules.applied(decision, note, visibility)
    await inbound.edit_status(pool, status_id, note)
    return Received(Outcome.STORED, status_id)

