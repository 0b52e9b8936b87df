"""Writing, editing and deleting posts: validation, formatting, home feeds and federation.

The web form and the client API both come here, so a post is checked and stored the same way
whichever way it was written.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg

from federation import cards, outbound
from federation.render import NoteParts
from server.domain import content_rules, emojis, following
from server.errors import Invalid, NotFound
from server.models import Account, Status, Visibility
from server.store import accounts as accounts_store
from server.store import follows as follows_store
from server.store import home_feed
from server.store import media as media_store
from server.store import notifications as notifications_store
from server.store import statuses as statuses_store
from server.store import tags as tags_store
from server.text import plaintext
from server.text.sanitize import strip_html
from server.urls import Urls

MAX_SPOILER_CHARS = 500
MAX_MEDIA = 4
MAX_POLL_OPTIONS = 4
MAX_POLL_OPTION_CHARS = 50
POLL_MIN_SECONDS = 300
POLL_MAX_SECONDS = 30 * 86400
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


@dataclass(frozen=True)
class NewPoll:
    options: list[str]
    expires_in: int
    multiple: bool = False


@dataclass(frozen=True)
class NewPost:
    text: str
    spoiler_text: str = ""
    visibility: str = "public"
    in_reply_to_id: int | None = None
    sensitive: bool = False
    language: str | None = None
    media_ids: list[int] = field(default_factory=list)
    poll: NewPoll | None = None
    application_id: int | None = None


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
    if not text and not post.media_ids:
        raise Invalid("Write something first: a post cannot be empty.", field="content")
    if len(text) > max_chars:
        raise Invalid(f"Posts can have at most {max_chars} characters; this one has {len(text)}.", field="content")
    if len(spoiler) > MAX_SPOILER_CHARS:
        raise Invalid(f"Content warnings can have at most {MAX_SPOILER_CHARS} characters.", field="spoiler_text")
    if "\x00" in text or "\x00" in spoiler:
        raise Invalid("Posts cannot contain NUL characters.", field="content")
    if len(post.media_ids) > MAX_MEDIA:
        raise Invalid(f"A post can have at most {MAX_MEDIA} attachments.", field="media_ids")
    if post.language is not None and not LANGUAGE_RE.match(post.language):
        raise Invalid("language must be an ISO 639 code such as en or pt-BR.", field="language")
    if post.poll is not None:
        _validate_poll(post)
    return text, spoiler, parse_visibility(post.visibility)


def _validate_poll(post: NewPost) -> None:
    poll = post.poll
    assert poll is not None
    if post.media_ids:
        raise Invalid("A post cannot have both a poll and attachments.", field="poll")
    if not 2 <= len(poll.options) <= MAX_POLL_OPTIONS:
        raise Invalid(f"A poll needs 2 to {MAX_POLL_OPTIONS} options.", field="poll")
    if any(not o.strip() or len(o) > MAX_POLL_OPTION_CHARS for o in poll.options):
        raise Invalid(f"Poll options must be 1 to {MAX_POLL_OPTION_CHARS} characters.", field="poll")
    if len({o.strip() for o in poll.options}) != len(poll.options):
        raise Invalid("Poll options must be different from each other.", field="poll")
    if not POLL_MIN_SECONDS <= poll.expires_in <= POLL_MAX_SECONDS:
        raise Invalid("A poll must run between 5 minutes and 30 days.", field="poll")


def _poll_json(poll: NewPoll | None) -> dict | None:
    if poll is None:
        return None
    closes = datetime.now(UTC) + timedelta(seconds=poll.expires_in)
    return {"multiple": poll.multiple, "options": [{"title": o.strip(), "votes": 0} for o in poll.options],
            "closed_at": closes.isoformat(), "voters_count": 0}


MentionResolver = Callable[[plaintext.Mention], Awaitable[Account | None]]


@dataclass(frozen=True)
class _Rendered:
    content: str
    local: list[Account]
    remote: list[Account]
    tags: list[str]


async def _render(conn: asyncpg.Connection, urls: Urls, text: str,
                  remote: dict[tuple[str, str | None], Account]) -> _Rendered:
    parsed = plaintext.parse(text)
    local_names = [m.username for m in parsed.mentions if m.domain is None or _is_own(m.domain, urls)]
    mentioned = {a.username.lower(): a for a in await accounts_store.get_local_many(conn, local_names)}

    def mention_url(m: plaintext.Mention) -> str | None:
        if m.domain is not None and not _is_own(m.domain, urls):
            account = remote.get(m.key())
            return urls.account_url(account) if account else None
        account = mentioned.get(m.username.lower())
        return urls.profile(account.username) if account else None

    content = plaintext.to_html(text, mention_url=mention_url, tag_url=urls.tag) if text else ""
    return _Rendered(content, list(mentioned.values()), list(remote.values()), parsed.tags)


async def _resolve_remote(urls: Urls, text: str, resolve: MentionResolver | None) -> dict:
    """Look up @user@host mentions before any transaction (it may fetch over the network)."""
    remote: dict[tuple[str, str | None], Account] = {}
    for mention in plaintext.parse(text).mentions:
        if mention.domain is not None and not _is_own(mention.domain, urls) and resolve is not None:
            account = await resolve(mention)
            if account is not None:
                remote[mention.key()] = account
    return remote


async def create_post(pool: asyncpg.Pool, urls: Urls, author: Account, post: NewPost, max_chars: int,
                      resolve_remote: MentionResolver | None = None, *, idempotency_key: str | None = None) -> int:
    """Validate, render, store, fan out and federate a local post in one transaction; returns its id.

    Mentions that cannot be resolved stay plain text. A repeated `idempotency_key` returns the
    post the first request made. An account that moved posts no more (its new account does).
    """
    if author.moved_to_uri:
        raise Invalid("This account has moved: post from the new one.", field="content")
    text, spoiler, visibility = validate(post, max_chars)
    if idempotency_key:
        earlier = await statuses_store.by_idempotency_key(pool, author.id, idempotency_key)
        if earlier is not None:
            return earlier
    remote = await _resolve_remote(urls, text, resolve_remote)
    decision = await _check_rules(pool, author, text, spoiler, post.media_ids, visibility, "Create")
    spoiler = spoiler or decision.warning
    sensitive = post.sensitive or decision.sensitive or bool(spoiler)
    media_ids = [] if decision.strip_media else post.media_ids
    if decision.unlist and visibility == Visibility.PUBLIC:
        visibility = Visibility.UNLISTED
    async with pool.acquire() as conn, conn.transaction():
        rendered = await _render(conn, urls, text, remote)
        parent = None
        if post.in_reply_to_id is not None:
            parent = await statuses_store.get_visible(conn, post.in_reply_to_id, author.id)
            if parent is None or parent.reblog_of_id is not None:
                raise Invalid("The post you are replying to does not exist or is not visible to you.",
                              field="in_reply_to_id")
        status_id = await statuses_store.insert_local(
            conn, account_id=author.id, source_text=text, content=rendered.content, spoiler_text=spoiler,
            visibility=visibility, in_reply_to_id=post.in_reply_to_id, sensitive=sensitive,
            language=post.language, poll=_poll_json(post.poll), application_id=post.application_id,
        )
        attached = await statuses_store.attach_media(conn, status_id, author.id, media_ids) if media_ids else []
        if len(attached) != len(set(media_ids)):
            raise Invalid("Some attachments do not exist, are not yours, or are already used.", field="media_ids")
        if idempotency_key and not await statuses_store.remember_idempotency_key(
                conn, author.id, idempotency_key, status_id):
            raise Invalid("This request is already being processed.", field="idempotency_key")
        await content_rules.record_hits(conn, decision, urls.status_uri(author.username, status_id))
        mentioned = {a.id: a for a in rendered.local + rendered.remote if a.id != author.id}
        local_ids = [a.id for a in rendered.local if a.id != author.id]
        await statuses_store.add_mentions(conn, status_id, list(mentioned))
        tags = await statuses_store.add_tags(conn, status_id, rendered.tags)
        await cards.want_card(conn, status_id, rendered.content)
        if used := await emojis.used_in(conn, text, spoiler):
            await statuses_store.set_emojis(conn, status_id, used)
        readers = {author.id, *local_ids}
        if visibility != Visibility.DIRECT:
            readers.update(await follows_store.local_follower_ids(conn, author.id))
        if visibility == Visibility.PUBLIC:  # and those who follow one of its hashtags
            readers.update(await tags_store.local_followers_of_status(conn, status_id))
        await home_feed.add(conn, status_id, author.id, sorted(readers))
        for account_id in local_ids:
            await notifications_store.add(conn, account_id, author.id, "mention", status_id)
        await following.tell_notified_followers(conn, author.id, status_id, visibility, local_ids)
        status = await statuses_store.get_visible(conn, status_id, author.id)
        assert status is not None
        # What the Note needs was built above: federation does not read it back.
        await outbound.status_created(conn, urls, status, NoteParts(
            mentions=tuple(mentioned[i] for i in sorted(mentioned)), tags=tuple(tags),
            in_reply_to_uri=urls.status_id_uri(parent) if parent else None, attachments=tuple(attached),
            parent_author_id=parent.author.id if parent else None,
        ))
        await statuses_store.notify_new(conn, status_id)
    return status_id


async def _check_rules(pool: asyncpg.Pool, author: Account, text: str, spoiler: str, media_ids: list[int],
                       visibility: Visibility, activity: str) -> content_rules.Checked:
    """The content rules' decision on a member's post or edit (hits are recorded by the caller, in its
    transaction); a rejecting rule refuses it here, before anything is written."""
    parsed = plaintext.parse(text)
    age = (datetime.now(UTC) - author.created_at).total_seconds() / 86400
    decision = await content_rules.check(pool, content_rules.Subject(
        uri=f"local post by @{author.username}", origin="local", domain="", actor=author.username, text=text,
        content_warning=spoiler, display_name=author.display_name, bio=strip_html(author.note),
        hashtags=tuple(parsed.tags), mentions=len(parsed.mentions), account_age_days=age,
        has_media=bool(media_ids), visibility=visibility.value, activity=activity,
    ), record=False)
    if decision.reject:
        what = "post" if activity == "Create" else "edit"
        await content_rules.record_hits(pool, decision, f"refused {what} by @{author.username}")
        rule = decision.last_rule
        raise Invalid(f"This {what} breaks the instance's rule “{rule}” and was not published.", field="content")
    return decision


async def _own_post(db: asyncpg.Pool | asyncpg.Connection, status_id: int, author: Account) -> Status:
    """The author's own post (not a boost), or NotFound."""
    status = await statuses_store.get_visible(db, status_id, author.id)
    if status is None or status.author.id != author.id or status.reblog_of_id is not None:
        raise NotFound("That post does not exist or is not yours.")
    return status


async def edit_post(pool: asyncpg.Pool, urls: Urls, author: Account, status_id: int, post: NewPost, max_chars: int,
                    resolve_remote: MentionResolver | None = None) -> None:
    """Replace a post's text, warning and media, keeping the old version in its history; federated as Update.

    The content rules judge the edit as they judge a new post, so an edit cannot get round them.
    """
    text, spoiler, _ = validate(post, max_chars)
    remote = await _resolve_remote(urls, text, resolve_remote)
    current = await _own_post(pool, status_id, author)
    decision = await _check_rules(pool, author, text, spoiler, post.media_ids, current.visibility, "Update")
    spoiler = spoiler or decision.warning
    media_ids = [] if decision.strip_media else post.media_ids
    visibility = Visibility.UNLISTED if decision.unlist and current.visibility == Visibility.PUBLIC \
        else current.visibility
    async with pool.acquire() as conn, conn.transaction():
        await _own_post(conn, status_id, author)  # still there, now that the rules have been asked
        rendered = await _render(conn, urls, text, remote)
        await statuses_store.record_edit(conn, status_id, rendered.content, spoiler,
                                         post.sensitive or decision.sensitive or bool(spoiler), None, None)
        await statuses_store.update_source(conn, status_id, text, post.language, visibility)
        await statuses_store.replace_media(conn, status_id, author.id, media_ids)
        await content_rules.record_hits(conn, decision, urls.status_uri(author.username, status_id))
        local_ids = [a.id for a in rendered.local if a.id != author.id]
        await statuses_store.add_mentions(conn, status_id, local_ids + [a.id for a in rendered.remote])
        await statuses_store.add_tags(conn, status_id, rendered.tags)
        await statuses_store.set_emojis(conn, status_id, await emojis.used_in(conn, text, spoiler))
        updated = await statuses_store.get_visible(conn, status_id, author.id)
        assert updated is not None
        await outbound.status_created(conn, urls, updated, update=True)
        await statuses_store.notify_new(conn, status_id, event="status.update")


async def delete_post(pool: asyncpg.Pool, urls: Urls, author: Account, status_id: int) -> None:
    async with pool.acquire() as conn, conn.transaction():
        status = await statuses_store.get_visible(conn, status_id, author.id)
        if status is None or status.author.id != author.id:
            raise NotFound("That post does not exist or is not yours.")
        if status.reblog_of_id is None:
            await outbound.status_deleted(conn, urls, status)
        await statuses_store.mark_deleted(conn, status_id, author.id)
        await media_store.detach_all(conn, status_id)
        await home_feed.remove_status(conn, status_id)
        await statuses_store.notify_new(conn, status_id, event="delete")


def _is_own(domain: str, urls: Urls) -> bool:
    return urls.host.lower() == domain.lower()
