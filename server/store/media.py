"""Every query on media attachments of our own members' uploads.

Rows come back as dicts with the columns `server.api.entities.media_to_api` reads. Uploads can be read,
changed and deleted by their owner only while unattached, as Mastodon's media endpoints do: an
attached file changes through an edit of its post, which federates.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, NamedTuple

import asyncpg

from server.store.accounts import Executor

# focus_x/focus_y are `real`: rounded here so that 0.3 reads back as 0.3, not 0.30000001192092896.
COLUMNS = (
    "id, account_id, status_id, kind, file_path, thumb_path, remote_url, mime_type, description, blurhash, meta,"
    " round(focus_x::numeric, 2)::float8 AS focus_x, round(focus_y::numeric, 2)::float8 AS focus_y"
)


async def insert(db: Executor, *, account_id: int, kind: str, mime_type: str, file_path: str,
                 thumb_path: str | None, blurhash: str | None, meta: dict[str, Any], description: str,
                 focus: tuple[float, float]) -> dict[str, Any]:
    row = await db.fetchrow(
        "INSERT INTO media_attachments (account_id, kind, mime_type, file_path, thumb_path, blurhash, meta,"
        f" description, focus_x, focus_y) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {COLUMNS}",
        account_id, kind, mime_type, file_path, thumb_path, blurhash, meta, description, *focus,
    )
    return dict(row)


async def get_unattached(db: Executor, media_id: int, account_id: int) -> dict[str, Any] | None:
    row = await db.fetchrow(
        f"SELECT {COLUMNS} FROM media_attachments WHERE id = $1 AND account_id = $2 AND status_id IS NULL",
        media_id, account_id,
    )
    return dict(row) if row else None


async def update_unattached(db: Executor, media_id: int, account_id: int, *, description: str | None,
                            focus: tuple[float, float] | None) -> dict[str, Any] | None:
    """Change what was given (None keeps the old value); None if there is no such upload."""
    x, y = focus if focus is not None else (None, None)
    row = await db.fetchrow(
        "UPDATE media_attachments SET description = coalesce($3, description),"
        " focus_x = coalesce($4, focus_x), focus_y = coalesce($5, focus_y)"
        f" WHERE id = $1 AND account_id = $2 AND status_id IS NULL RETURNING {COLUMNS}",
        media_id, account_id, description, x, y,
    )
    return dict(row) if row else None


async def delete_unattached(db: Executor, media_id: int, account_id: int) -> dict[str, Any] | None:
    """Remove the row; the caller removes the files it names."""
    row = await db.fetchrow(
        "DELETE FROM media_attachments WHERE id = $1 AND account_id = $2 AND status_id IS NULL"
        " RETURNING file_path, thumb_path",
        media_id, account_id,
    )
    return dict(row) if row else None


async def by_file_key(db: Executor, key: str) -> asyncpg.Record | None:
    """(file_path, thumb_path, mime_type) of the upload (or the instance's custom emoji) a stored file
    belongs to, for serving it."""
    return await db.fetchrow(
        "SELECT file_path, thumb_path, mime_type FROM media_attachments WHERE file_path = $1 OR thumb_path = $1"
        " UNION ALL SELECT file_path, NULL, mime_type FROM custom_emojis WHERE file_path = $1 LIMIT 1",
        key,
    )


# What a Note's attachment is rendered from (federation/render.py).
NOTE_COLUMNS = "id, file_path, mime_type, description, blurhash, meta, focus_x, focus_y"


async def local_media(db: Executor, status_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch(
        f"SELECT {NOTE_COLUMNS} FROM media_attachments WHERE status_id = $1 AND file_path IS NOT NULL ORDER BY id",
        status_id,
    )
    return [dict(r) for r in rows]


async def add_remote_media(db: Executor, account_id: int, status_id: int, attachments: list[dict[str, Any]]) -> None:
    """Remote attachments are linked (their URL kept), not copied."""
    kinds = {"image": "image", "video": "video", "audio": "audio"}
    await db.executemany(
        "INSERT INTO media_attachments (account_id, status_id, kind, remote_url, mime_type, description, blurhash)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [(account_id, status_id, kinds.get((a["media_type"] or "").split("/")[0], "unknown"), a["url"],
          a["media_type"] or "", a["description"] or "", a["blurhash"]) for a in attachments],
    )


async def media_for(db: Executor, status_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Attachments per status for pages: local files (shown) and remote links."""
    rows = await db.fetch(
        "SELECT id, status_id, kind, file_path, thumb_path, remote_url, description FROM media_attachments"
        " WHERE status_id = ANY($1::bigint[]) ORDER BY id",
        status_ids,
    )
    out: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r["status_id"], []).append(dict(r))
    return out


class RemoteMedia(NamedTuple):
    url: str
    kind: str
    status_id: int | None


async def remote(db: Executor, media_id: int) -> RemoteMedia | None:
    """A remote attachment: where its file is, and the post it belongs to."""
    row = await db.fetchrow("SELECT remote_url, kind, status_id FROM media_attachments"
                            " WHERE id = $1 AND remote_url IS NOT NULL", media_id)
    return RemoteMedia(*row) if row else None


async def detach_all(db: Executor, status_id: int) -> None:
    """A post deleted by its author lets go of its uploads, which "delete and redraft" may attach again."""
    await db.execute("UPDATE media_attachments SET status_id = NULL, detached_at = now() WHERE status_id = $1",
                     status_id)


async def delete_all_of(db: Executor, account_id: int) -> list[str]:
    """Remove the account's uploads; the storage keys of their files, to delete after commit."""
    rows = await db.fetch("DELETE FROM media_attachments WHERE account_id = $1 AND file_path IS NOT NULL"
                          " RETURNING file_path, thumb_path", account_id)
    return [key for r in rows for key in (r["file_path"], r["thumb_path"]) if key]



# What `kith media cleanup` and the workers remove (server/media/cleanup.py). Each sweep is a condition
# on `media_attachments m`; $1 is how long an unused upload is kept.
SWEEPS = {
    # Uploads no post, avatar, header or pending scheduled post uses, unused for longer than $1: a
    # compose abandoned, a replaced avatar, a deleted post's files kept a while for "delete and redraft".
    "unused uploads": (
        "m.status_id IS NULL AND m.file_path IS NOT NULL"
        " AND coalesce(m.detached_at, m.created_at) < now() - $1::interval"
        " AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.avatar_url = '/media/' || m.file_path"
        "  OR a.header_url = '/media/' || m.file_path)"
        " AND NOT EXISTS (SELECT 1 FROM scheduled_statuses ss WHERE ss.state = 'pending'"
        "  AND ss.params -> 'media_ids' @> to_jsonb(m.id))"
    ),
    # Attachments of posts deleted (by staff, by the remote author) longer than $1 ago, and the links
    # of remote posts purged with their domain.
    "deleted posts": (
        "(EXISTS (SELECT 1 FROM statuses s WHERE s.id = m.status_id AND s.deleted_at < now() - $1::interval)"
        " OR (m.status_id IS NULL AND m.file_path IS NULL AND m.created_at < now() - $1::interval))"
    ),
}


class Swept(NamedTuple):
    rows: int
    keys: list[str]  # our stored files
    remote_urls: list[str]  # other servers' files, whose cached copies go too


async def sweep_targets(db: Executor, sweep: str, older_than: timedelta) -> Swept:
    """What the sweep would remove, without removing it."""
    rows = await db.fetch(f"SELECT file_path, thumb_path, remote_url FROM media_attachments m WHERE {SWEEPS[sweep]}",
                          older_than)
    return _swept(rows)


async def sweep(db: Executor, sweep: str, older_than: timedelta, limit: int) -> Swept:
    """Remove up to `limit` rows the sweep names; their files, for the caller to delete."""
    rows = await db.fetch(
        "DELETE FROM media_attachments WHERE id IN"
        f" (SELECT m.id FROM media_attachments m WHERE {SWEEPS[sweep]} LIMIT $2)"
        " RETURNING file_path, thumb_path, remote_url",
        older_than, limit)
    return _swept(rows)


def _swept(rows: list[asyncpg.Record]) -> Swept:
    return Swept(len(rows), [key for r in rows for key in (r["file_path"], r["thumb_path"]) if key],
                 [r["remote_url"] for r in rows if r["remote_url"]])
