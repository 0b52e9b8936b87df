"""Batch queries for the client API's entities: counts, mentions, tags, media, viewer state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from server.models import Account
from server.store.accounts import Executor, account_columns, account_from_row


async def account_counts(db: Executor, ids: list[int]) -> dict[int, tuple[int, int, int, date | None]]:
    """(followers, following, posts, day of the last post) per account."""
    rows = await db.fetch(
        "SELECT i.id,"
        " (SELECT count(*) FROM follows f WHERE f.target_account_id = i.id AND f.state = 'accepted') AS followers,"
        " (SELECT count(*) FROM follows f WHERE f.account_id = i.id AND f.state = 'accepted') AS following,"
        " (SELECT count(*) FROM statuses s WHERE s.account_id = i.id AND s.deleted_at IS NULL"
        "   AND s.visibility IN ('public', 'unlisted')) AS posts,"
        " (SELECT max(s.created_at)::date FROM statuses s WHERE s.account_id = i.id AND s.deleted_at IS NULL) AS last"
        " FROM unnest($1::bigint[]) AS i(id)",
        ids,
    )
    return {r["id"]: (r["followers"], r["following"], r["posts"], r["last"]) for r in rows}


@dataclass
class StatusDetails:
    language: str | None = None
    source_text: str = ""
    reply_account_id: int | None = None
    app_name: str | None = None
    app_website: str | None = None
    bookmarked: bool = False
    pinned: bool = False
    mentions: list[Account] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    media: list[dict[str, Any]] = field(default_factory=list)
    own_votes: list[int] = field(default_factory=list)


async def status_details(db: Executor, ids: list[int], viewer_id: int | None) -> dict[int, StatusDetails]:
    out = {i: StatusDetails() for i in ids}
    for r in await db.fetch(
        "SELECT s.id, s.language, s.source_text, p.account_id AS reply_account, a.name AS app, a.website,"
        " EXISTS (SELECT 1 FROM bookmarks b WHERE b.status_id = s.id AND b.account_id = $2) AS bookmarked,"
        " EXISTS (SELECT 1 FROM pins pn WHERE pn.status_id = s.id AND pn.account_id = $2) AS pinned"
        " FROM statuses s LEFT JOIN statuses p ON p.id = s.in_reply_to_id"
        " LEFT JOIN oauth_apps a ON a.id = s.application_id"
        " WHERE s.id = ANY($1::bigint[])",
        ids, viewer_id,
    ):
        d = out[r["id"]]
        d.language, d.source_text, d.reply_account_id = r["language"], r["source_text"], r["reply_account"]
        d.app_name, d.app_website, d.bookmarked, d.pinned = r["app"], r["website"], r["bookmarked"], r["pinned"]
    for r in await db.fetch(
        f"SELECT m.status_id, {account_columns('a', 'm_')} FROM mentions m JOIN accounts a ON a.id = m.account_id"
        " WHERE m.status_id = ANY($1::bigint[]) ORDER BY m.status_id, a.id",
        ids,
    ):
        out[r["status_id"]].mentions.append(account_from_row(r, "m_"))
    for r in await db.fetch(
        "SELECT st.status_id, t.name FROM status_tags st JOIN tags t ON t.id = st.tag_id"
        " WHERE st.status_id = ANY($1::bigint[]) ORDER BY t.name",
        ids,
    ):
        out[r["status_id"]].tags.append(r["name"])
    for r in await db.fetch(
        "SELECT id, status_id, kind, file_path, thumb_path, remote_url, mime_type, description, blurhash, meta,"
        " focus_x, focus_y FROM media_attachments WHERE status_id = ANY($1::bigint[]) ORDER BY id",
        ids,
    ):
        out[r["status_id"]].media.append(dict(r))
    for r in await db.fetch(
        "SELECT status_id, choice FROM poll_votes WHERE status_id = ANY($1::bigint[]) AND account_id = $2"
        " ORDER BY status_id, choice",
        ids, viewer_id,
    ):
        out[r["status_id"]].own_votes.append(r["choice"])
    return out
