"""A member's data as Mastodon exports it (the same CSV formats and headers, so each file imports
into Mastodon, and into Kith's import)."""

from __future__ import annotations

import csv
import io

import asyncpg

from server.store import follows as follows_store
from server.store import hidden_domains, interactions, marks
from server.store import lists as lists_store
from server.store import mutes as mutes_store
from server.urls import Urls

KINDS = ("follows", "lists", "blocks", "mutes", "domain_blocks", "bookmarks")
FOLLOWS_HEADER = ["Account address", "Show boosts", "Notify on new posts", "Languages"]
MUTES_HEADER = ["Account address", "Hide notifications"]


def _address(username: str, domain: str | None, urls: Urls) -> str:
    """user@host, this instance's own host (with its port, if any) for members here."""
    return f"{username}@{domain or urls.host}"


def post_uris(rows: list[tuple[str | None, str, int]], urls: Urls) -> list[str]:
    """The ActivityPub ids of posts given as (uri, author username, id): local ones have no stored uri."""
    return [uri or urls.status_uri(username, status_id) for uri, username, status_id in rows]


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _flag(value: bool) -> str:
    return "true" if value else "false"


async def export_csv(pool: asyncpg.Pool, urls: Urls, account_id: int, kind: str) -> str:
    """One of KINDS as Mastodon writes it (follows and mutes with a header row, the others without)."""
    if kind == "follows":
        rows = await follows_store.export_rows(pool, account_id)
        return _csv([FOLLOWS_HEADER] + [[_address(u, d, urls), _flag(boosts), _flag(notify), ""]
                                        for u, d, boosts, notify in rows])
    if kind == "lists":
        return _csv([[title, _address(u, d, urls)] for title, u, d in await lists_store.export_rows(pool, account_id)])
    if kind == "blocks":
        return _csv([[_address(u, d, urls)] for u, d in await interactions.blocked_rows(pool, account_id)])
    if kind == "mutes":
        rows = await mutes_store.export_rows(pool, account_id)
        return _csv([MUTES_HEADER] + [[_address(u, d, urls), _flag(hide)] for u, d, hide in rows])
    if kind == "domain_blocks":
        return _csv([[domain] for domain in await hidden_domains.of(pool, account_id)])
    if kind == "bookmarks":
        return _csv([[uri] for uri in post_uris(await marks.bookmarked(pool, account_id), urls)])
    raise ValueError(f"unknown export {kind!r}")
