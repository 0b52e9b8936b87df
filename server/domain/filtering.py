"""Keyword filters (Mastodon's CustomFilter): which statuses a member's filters hide or fold behind a
warning. One engine for the API (status entities) and the web pages (Status rows)."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Any

import asyncpg
import nh3

from server.models import Status
from server.store import filters as filters_store
from server.store.filters import Filter


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
    content = html.unescape(nh3.clean(_BREAKS.sub("\n", status.get("content") or ""), tags=set(), attributes={}))
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
