"""Every query on announcements, who dismissed them, and their reactions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from server.store.accounts import Executor

_COLUMNS = "a.id, a.text, a.content, a.starts_at, a.ends_at, a.all_day, a.published_at, a.updated_at"
_SHOWN = "a.published_at IS NOT NULL AND (a.ends_at IS NULL OR a.ends_at > now())"


@dataclass(frozen=True)
class Reaction:
    name: str
    count: int
    me: bool


@dataclass(frozen=True)
class Announcement:
    id: int
    text: str
    content: str
    starts_at: datetime | None
    ends_at: datetime | None
    all_day: bool
    published_at: datetime | None
    updated_at: datetime
    read: bool = False
    reactions: tuple[Reaction, ...] = ()


def _announcement(row, reactions: dict[int, list[Reaction]]) -> Announcement:
    return Announcement(row["id"], row["text"], row["content"], row["starts_at"], row["ends_at"], row["all_day"],
                        row["published_at"], row["updated_at"], bool(row["read"]), tuple(reactions.get(row["id"], ())))


async def _reactions(db: Executor, ids: list[int], viewer_id: int | None) -> dict[int, list[Reaction]]:
    if not ids:  # the usual case on a home page: no announcement, no second query
        return {}
    rows = await db.fetch(
        "SELECT announcement_id, name, count(*) AS count, bool_or(account_id = $2) AS me FROM announcement_reactions"
        " WHERE announcement_id = ANY($1::bigint[]) GROUP BY announcement_id, name ORDER BY min(created_at)",
        ids, viewer_id)
    out: dict[int, list[Reaction]] = {}
    for r in rows:
        out.setdefault(r["announcement_id"], []).append(Reaction(r["name"], r["count"], bool(r["me"])))
    return out


async def shown(db: Executor, viewer_id: int | None, *, unread_only: bool = False) -> list[Announcement]:
    """Published and not ended, oldest first (as Mastodon lists them), with whether the viewer
    dismissed each and the reactions."""
    rows = await db.fetch(
        f"SELECT {_COLUMNS}, r.account_id IS NOT NULL AS read FROM announcements a"
        " LEFT JOIN announcement_reads r ON r.announcement_id = a.id AND r.account_id = $1"
        f" WHERE {_SHOWN} AND NOT ($2 AND r.account_id IS NOT NULL) ORDER BY a.published_at, a.id",
        viewer_id, unread_only)
    reactions = await _reactions(db, [r["id"] for r in rows], viewer_id)
    return [_announcement(r, reactions) for r in rows]


async def every(db: Executor) -> list[Announcement]:
    """All of them, drafts and ended ones too, newest first (the admin page), with their reactions."""
    rows = await db.fetch(f"SELECT {_COLUMNS}, false AS read FROM announcements a ORDER BY a.id DESC")
    reactions = await _reactions(db, [r["id"] for r in rows], None)
    return [_announcement(r, reactions) for r in rows]


async def lock_shown(db: Executor, announcement_id: int) -> bool:
    """Whether it is shown; locked until the transaction ends, so concurrent reactions take turns."""
    return bool(await db.fetchval(f"SELECT true FROM announcements a WHERE a.id = $1 AND {_SHOWN} FOR UPDATE",
                                  announcement_id))


async def insert(db: Executor, text: str, content: str, starts_at: datetime | None, ends_at: datetime | None,
                 all_day: bool, publish: bool) -> int:
    return await db.fetchval(
        "INSERT INTO announcements (text, content, starts_at, ends_at, all_day, published_at)"
        " VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 THEN now() END) RETURNING id",
        text, content, starts_at, ends_at, all_day, publish)


async def update(db: Executor, announcement_id: int, text: str, content: str, starts_at: datetime | None,
                 ends_at: datetime | None, all_day: bool) -> bool:
    return bool(await db.fetchval(
        "UPDATE announcements SET text = $2, content = $3, starts_at = $4, ends_at = $5, all_day = $6,"
        " updated_at = now() WHERE id = $1 RETURNING true",
        announcement_id, text, content, starts_at, ends_at, all_day))


async def set_published(db: Executor, announcement_id: int, published: bool) -> bool:
    """Publish (from now) or take back to a draft; False when there is no such announcement."""
    return bool(await db.fetchval(
        "UPDATE announcements SET published_at = CASE WHEN $2 THEN coalesce(published_at, now()) END,"
        " updated_at = now() WHERE id = $1 RETURNING true", announcement_id, published))


async def delete(db: Executor, announcement_id: int) -> bool:
    return bool(await db.fetchval("DELETE FROM announcements WHERE id = $1 RETURNING true", announcement_id))


async def dismiss(db: Executor, announcement_id: int, account_id: int) -> bool:
    """Mark it read for the member, in one statement; False when it is not shown (a draft, gone)."""
    return await db.fetchval(
        f"WITH target AS (SELECT a.id FROM announcements a WHERE a.id = $1 AND {_SHOWN}),"
        " marked AS (INSERT INTO announcement_reads (announcement_id, account_id) SELECT id, $2 FROM target"
        " ON CONFLICT DO NOTHING) SELECT EXISTS (SELECT 1 FROM target)", announcement_id, account_id)


async def add_reaction(db: Executor, announcement_id: int, account_id: int, name: str) -> bool:
    """False when the member had already reacted so."""
    return bool(await db.fetchval(
        "INSERT INTO announcement_reactions (announcement_id, account_id, name) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING RETURNING true", announcement_id, account_id, name))


async def remove_reaction(db: Executor, announcement_id: int, account_id: int, name: str) -> bool:
    return bool(await db.fetchval(
        "DELETE FROM announcement_reactions WHERE announcement_id = $1 AND account_id = $2 AND name = $3"
        " RETURNING true", announcement_id, account_id, name))


async def reaction_names(db: Executor, announcement_id: int) -> set[str]:
    rows = await db.fetch("SELECT DISTINCT name FROM announcement_reactions WHERE announcement_id = $1",
                          announcement_id)
    return {r["name"] for r in rows}


async def reaction_count(db: Executor, announcement_id: int, name: str) -> int:
    return await db.fetchval("SELECT count(*) FROM announcement_reactions WHERE announcement_id = $1 AND name = $2",
                             announcement_id, name)


async def announce(db: Executor, event: str, announcement_id: int, name: str | None = None) -> None:
    """Tell the streaming clients of every process, once the transaction commits (server/api/streaming)."""
    note = {"event": event, "announcement_id": announcement_id, **({"name": name} if name is not None else {})}
    await db.execute("SELECT pg_notify('kith_stream', $1)", json.dumps(note))
