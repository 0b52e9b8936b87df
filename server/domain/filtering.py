"""Keyword filters (Mastodon's CustomFilter): which statuses a member's filters hide or fold behind a
warning (one engine for the API's status entities and the web pages' Status rows), and the
commands that make and change filters, with one set of limits for the web UI and the API."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import asyncpg

from server.errors import Invalid, NotFound
from server.models import Status
from server.store import filters as filters_store
from server.store.filters import ACTIONS, CONTEXTS, Filter, Keyword
from server.text.sanitize import strip_html

MAX_TITLE = 256
MAX_KEYWORD = 200
MAX_KEYWORDS = 100  # per filter


@lru_cache(maxsize=4096)
def keyword_regex(word: str, whole_word: bool) -> re.Pattern[str]:
    """The keyword as a literal (never as a user's regex), case-insensitive; with whole_word, bounded
    by \\b on each side that begins or ends with a word character (as Mastodon's CustomFilter)."""
    pattern = re.escape(word)
    if whole_word:
        if re.match(r"\w", word):
            pattern = r"\b" + pattern
        if re.search(r"\w$", word):
            pattern += r"\b"
    return re.compile(pattern, re.IGNORECASE)


_BREAKS = re.compile(r"<br\s*/?>|</p>\s*<p[^>]*>", re.IGNORECASE)


def searchable_text(status: dict[str, Any]) -> str:
    """What filters look at: the content warning, the text of the content, poll options, media descriptions.

    `status` is a status entity, or any dict with its `content`, `spoiler_text`, `poll` and
    `media_attachments` keys."""
    content = html.unescape(strip_html(_BREAKS.sub("\n", status.get("content") or "")))
    parts = [status.get("spoiler_text") or "", content]
    poll = status.get("poll") or {}
    parts += [o.get("title") or "" for o in poll.get("options") or []]
    parts += [m.get("description") or "" for m in status.get("media_attachments") or []]
    return "\n\n".join(p for p in parts if p)


def match(active: list[Filter], status: dict[str, Any]) -> tuple[bool, list[tuple[Filter, list[str]]]]:
    """(hidden, the 'warn' filters that match with their matching keywords) of one status."""
    text = searchable_text(status)
    found = []
    for item in active:
        matched = [k.keyword for k in item.keywords if keyword_regex(k.keyword, k.whole_word).search(text)]
        if not matched:
            continue
        if item.action == "hide":
            return True, []
        found.append((item, matched))
    return False, found


async def active(pool: asyncpg.Pool, viewer_id: int, context: str) -> list[Filter]:
    """The viewer's unexpired filters in `context` that have something to match."""
    return [f for f in await filters_store.active(pool, viewer_id, context) if f.keywords]


async def filter_for_pages(pool: asyncpg.Pool, viewer_id: int | None, context: str,
                           statuses: list[Status]) -> tuple[list[Status], dict[int, list[str]]]:
    """The web pages' side of the same filters: (statuses with hidden ones left out, titles of the
    'warn' filters matching each remaining one by id). The viewer's own posts are never filtered."""
    if viewer_id is None or not statuses:
        return statuses, {}
    filters = await active(pool, viewer_id, context)
    if not filters:
        return statuses, {}
    kept, warned = [], {}
    for status in statuses:
        post = status.reblog or status
        if post.author.id == viewer_id:
            kept.append(status)
            continue
        hidden, found = match(filters, {"content": post.content, "spoiler_text": post.spoiler_text,
                                        "poll": post.poll or {}})
        if hidden:
            continue
        if found:
            warned[post.id] = [item.title for item, _ in found]
        kept.append(status)
    return kept, warned


# --- making and changing filters -----------------------------------------------------------------

def check_title(title: str | None, label: str = "Title") -> str:
    if title is None or not title.strip():
        raise Invalid(f"{label} can't be blank", field=label.lower())
    if len(title) > MAX_TITLE:
        raise Invalid(f"{label} is too long (maximum is {MAX_TITLE} characters)",
                      field=label.lower())
    return title.strip()


def check_keyword(word: str | None) -> str:
    if word is None or not word.strip():
        raise Invalid("Keyword can't be blank", field="keyword")
    if len(word) > MAX_KEYWORD:
        raise Invalid(f"Keyword is too long (maximum is {MAX_KEYWORD} characters)",
                      field="keyword")
    return word.strip()


def check_context(given: list[str]) -> list[str]:
    if not given:
        raise Invalid("Context can't be blank", field="context")
    for item in given:
        if item not in CONTEXTS:
            raise Invalid(f"Context {item[:50]!r} is not a valid context"
                          f" (use {', '.join(CONTEXTS)})", field="context")
    return list(dict.fromkeys(given))


def check_action(action: str | None) -> str:
    if action not in ACTIONS:
        raise Invalid("Filter action must be warn or hide", field="action")
    return action


def _check_count(count: int) -> None:
    if count > MAX_KEYWORDS:
        raise Invalid(f"a filter holds at most {MAX_KEYWORDS} keywords", field="keywords")


@dataclass(frozen=True)
class KeywordChange:
    """One keywords_attributes item: `id` None adds a keyword; with `destroy` the keyword goes."""

    id: int | None
    keyword: str | None
    whole_word: bool
    destroy: bool = False


async def create(pool: asyncpg.Pool, owner_id: int, title: str | None, context: list[str], action: str | None,
                 expires_at: datetime | None, keywords: list[tuple[str | None, bool]]) -> Filter:
    """A new filter with its keywords ((text, whole word) pairs), all checked before anything is written."""
    title, context, action = check_title(title), check_context(context), check_action(action)
    words = [(check_keyword(word), whole) for word, whole in keywords]
    _check_count(len(words))
    async with pool.acquire() as conn, conn.transaction():
        filter_id = await filters_store.insert(conn, owner_id, title, context, action, expires_at)
        for word, whole in words:
            await filters_store.insert_keyword(conn, filter_id, word, whole)
        made = await filters_store.get(conn, owner_id, filter_id)
    assert made is not None
    return made


async def update(pool: asyncpg.Pool, owner_id: int, current: Filter, title: str | None, context: list[str],
                 action: str | None, expires_at: datetime | None, changes: list[KeywordChange]) -> Filter:
    """Change the filter and its keywords in one go; a change naming a keyword the filter does not
    hold is NotFound, as in Mastodon."""
    title, context, action = check_title(title), check_context(context), check_action(action)
    known = {k.id: k for k in current.keywords}
    removed, changed, added = [], [], []
    for change in changes:
        if change.id is not None and change.id not in known:
            raise NotFound("Record not found")
        if change.destroy:
            if change.id is not None:
                removed.append(change.id)
        elif change.id is None:
            added.append((check_keyword(change.keyword), change.whole_word))
        else:
            changed.append((change.id, check_keyword(change.keyword), change.whole_word))
    _check_count(len(known) - len(set(removed)) + len(added))
    async with pool.acquire() as conn, conn.transaction():
        await filters_store.update(conn, current.id, title, context, action, expires_at)
        await filters_store.delete_keywords(conn, current.id, removed)
        for keyword_id, word, whole in changed:
            await filters_store.update_keyword(conn, keyword_id, word, whole)
        for word, whole in added:
            await filters_store.insert_keyword(conn, current.id, word, whole)
        made = await filters_store.get(conn, owner_id, current.id)
    assert made is not None
    return made


async def add_keyword(pool: asyncpg.Pool, current: Filter, word: str | None, whole_word: bool) -> Keyword:
    word = check_keyword(word)
    async with pool.acquire() as conn, conn.transaction():
        await filters_store.lock(conn, current.id)
        _check_count(await filters_store.keyword_count(conn, current.id) + 1)
        return await filters_store.insert_keyword(conn, current.id, word, whole_word)


async def change_keyword(pool: asyncpg.Pool, current: Keyword, word: str | None, whole_word: bool) -> Keyword:
    return await filters_store.update_keyword(pool, current.id, check_keyword(word), whole_word)


async def change_phrase(pool: asyncpg.Pool, found: Filter, word: Keyword, phrase: str | None, whole_word: bool,
                        context: list[str], action: str, expires_at: datetime | None) -> Keyword:
    """v1's view: a filter is one phrase. Context, action and expiry change only while the filter
    holds this one keyword (Mastodon 4 refuses them otherwise)."""
    phrase, context = check_keyword(phrase), check_context(context)
    shared = len(found.keywords) > 1
    if shared and (set(context) != set(found.context) or action != found.action or expires_at != found.expires_at):
        raise Invalid("this filter has several keywords; change its context,"
                      " action or expiry through /api/v2/filters")
    async with pool.acquire() as conn, conn.transaction():
        if not shared:
            await filters_store.update(conn, found.id, found.title, context, action, expires_at)
        return await filters_store.update_keyword(conn, word.id, phrase, whole_word)
