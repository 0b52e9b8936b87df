"""Writing and deleting posts: validation, formatting, and placing them in home feeds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg

from federation import outbound
from server.errors import Invalid, NotFound
from server.models import Account, Visibility
from server.store import accounts as accounts_store
from server.store import follows as follows_store
from server.store import home_feed
from server.store import notifications as notifications_store
from server.store import statuses as statuses_store
from server.text import plaintext
from server.urls import Urls

MAX_SPOILER_CHARS = 500


@dataclass(frozen=True)
class NewPost:
    text: str
    spoiler_text: str = ""
    visibility: str = "public"
    in_reply_to_id: int | None = None


def parse_visibility(value: str) -> Visibility:
    try:
        return Visibility(value)
    except ValueError:
        raise Invalid(
            "Visibility must be one of public, unlisted, private or direct.", field="visibility"
        ) from None


def validate(post: NewPost, max_chars: int) -> tuple[str, str, Visibility]:
    """Normalised (text, spoiler, visibility), or Invalid naming the field."""
    text = post.text.replace("\r\n", "\n").strip()
    spoiler = post.spoiler_text.strip()
    if not text:
        raise Invalid("Write something first: a post cannot be empty.", field="content")
    if len(text) > max_chars:
        raise Invalid(f"Posts can have at most {max_chars} characters; this one has {len(text)}.", field="content")
    if len(spoiler) > MAX_SPOILER_CHARS:
        raise Invalid(f"Content warnings can have at most {MAX_SPOILER_CHARS} characters.", field="spoiler_text")
    if "\x00" in text or "\x00" in spoiler:
        raise Invalid("Posts cannot contain NUL characters.", field="content")
    return text, spoiler, parse_visibility(post.visibility)


MentionResolver = Callable[[plaintext.Mention], Awaitable[Account | None]]


async def create_post(pool: asyncpg.Pool, urls: Urls, author: Account, post: NewPost, max_chars: int,
                      resolve_remote: MentionResolver | None = None) -> int:
    """Validate, render, store, fan out and federate a local post in one transaction; returns its id.

    `resolve_remote` looks up @user@host mentions (it may fetch, so it runs before the transaction);
    mentions it cannot resolve stay plain text.
    """
    text, spoiler, visibility = validate(post, max_chars)
    parsed = plaintext.parse(text)
    local_names = [m.username for m in parsed.mentions if m.domain is None or _is_own(m.domain, urls)]
    remote: dict[tuple[str, str | None], Account] = {}
    for mention in parsed.mentions:
        if mention.domain is not None and not _is_own(mention.domain, urls) and resolve_remote is not None:
            account = await resolve_remote(mention)
            if account is not None:
                remote[mention.key()] = account
    async with pool.acquire() as conn, conn.transaction():
        mentioned = {a.username.lower(): a for a in await accounts_store.get_local_many(conn, local_names)}

        def mention_url(m: plaintext.Mention) -> str | None:
            if m.domain is not None and not _is_own(m.domain, urls):
                account = remote.get(m.key())
                return urls.account_url(account) if account else None
            account = mentioned.get(m.username.lower())
            return urls.profile(account.username) if account else None

        content = plaintext.to_html(text, mention_url=mention_url, tag_url=urls.tag)
        if post.in_reply_to_id is not None:
            parent = await statuses_store.get_visible(conn, post.in_reply_to_id, author.id)
            if parent is None:
                raise Invalid("The post you are replying to does not exist or is not visible to you.")
        status_id = await statuses_store.insert_local(
            conn,
            account_id=author.id,
            source_text=text,
            content=content,
            spoiler_text=spoiler,
            visibility=visibility,
            in_reply_to_id=post.in_reply_to_id,
        )
        mentioned_ids = [a.id for a in mentioned.values() if a.id != author.id]
        await statuses_store.add_mentions(conn, status_id, mentioned_ids + [a.id for a in remote.values()])
        await statuses_store.add_tags(conn, status_id, parsed.tags)
        readers = {author.id, *mentioned_ids}
        if visibility != Visibility.DIRECT:
            readers.update(await follows_store.local_follower_ids(conn, author.id))
        await home_feed.add(conn, status_id, author.id, sorted(readers))
        for account_id in mentioned_ids:
            await notifications_store.add(conn, account_id, author.id, "mention", status_id)
        status = await statuses_store.get_visible(conn, status_id, author.id)
        assert status is not None
        await outbound.status_created(conn, urls, status)
    return status_id


async def delete_post(pool: asyncpg.Pool, urls: Urls, author: Account, status_id: int) -> None:
    async with pool.acquire() as conn, conn.transaction():
        status = await statuses_store.get_visible(conn, status_id, author.id)
        if status is None or status.author.id != author.id:
            raise NotFound("That post does not exist or is not yours.")
        await outbound.status_deleted(conn, urls, status)
        await statuses_store.mark_deleted(conn, status_id, author.id)
        await home_feed.remove_status(conn, status_id)


def _is_own(domain: str, urls: Urls) -> bool:
    return urls.base.split("://", 1)[1].lower() == domain.lower()
