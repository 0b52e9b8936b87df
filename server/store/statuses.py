"""Every query on statuses (posts), their mentions and hashtags, and the one visibility rule."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, NamedTuple

from server.models import Account, Status, Visibility
from server.store.accounts import ACCOUNT_COLUMNS, Executor, account_columns, account_from_row
from server.store.domains import NOT_LIMITED, domain_match
from server.store.media import NOTE_COLUMNS as MEDIA_NOTE_COLUMNS
from server.store.paging import Page, optional


def visible_to(viewer: str) -> str:
    """SQL condition: status `s` exists and the account in parameter `viewer` may see it.

    This is the one place that decides who sees what; every page, feed, count and (later)
    API and ActivityPub GET filters through it. A NULL viewer is a visitor (public and
    unlisted posts only). Blocks hide posts both ways; suspended accounts' posts are hidden from all.
    """
    return (
        "(s.deleted_at IS NULL AND ("
        " s.visibility IN ('public', 'unlisted')"
        f" OR s.account_id = {viewer}"
        " OR (s.visibility = 'private' AND EXISTS (SELECT 1 FROM follows vf"
        f"     WHERE vf.account_id = {viewer} AND vf.target_account_id = s.account_id"
        "      AND vf.state = 'accepted'))"
        f" OR EXISTS (SELECT 1 FROM mentions vm WHERE vm.status_id = s.id AND vm.account_id = {viewer}))"
        " AND NOT EXISTS (SELECT 1 FROM blocks vb WHERE"
        f"  (vb.account_id = s.account_id AND vb.target_account_id = {viewer})"
        f"  OR (vb.account_id = {viewer} AND vb.target_account_id = s.account_id))"
        " AND NOT EXISTS (SELECT 1 FROM accounts vs WHERE vs.id = s.account_id AND vs.suspended_at IS NOT NULL))"
    )


def not_muted(viewer: str, author: str = "s.account_id") -> str:
    """SQL condition: the viewer has neither muted the author (mutes may expire) nor hidden its domain."""
    return (f"NOT EXISTS (SELECT 1 FROM mutes mu WHERE mu.account_id = {viewer} AND mu.target_account_id = {author}"
            " AND (mu.expires_at IS NULL OR mu.expires_at > now()))"
            f" AND NOT EXISTS (SELECT 1 FROM accounts ma JOIN user_domain_blocks dp ON dp.account_id = {viewer}"
            f"  WHERE ma.id = {author} AND ma.domain IS NOT NULL AND {domain_match('ma')})")


SELECT_STATUS = (
    "SELECT s.id, s.uri, s.url, s.source_text, s.content, s.spoiler_text, s.visibility, s.sensitive,"
    " s.in_reply_to_id, s.created_at, s.edited_at, s.kind, s.poll, s.reblog_of_id, s.emojis,"
    f" {account_columns('a', 'author_')}"
    " FROM statuses s JOIN accounts a ON a.id = s.account_id"
)


def status_from_row(row: Any) -> Status:
    return Status(
        id=row["id"],
        author=account_from_row(row, "author_"),
        uri=row["uri"],
        url=row["url"],
        source_text=row["source_text"],
        content=row["content"],
        spoiler_text=row["spoiler_text"],
        visibility=Visibility(row["visibility"]),
        sensitive=row["sensitive"],
        in_reply_to_id=row["in_reply_to_id"],
        created_at=row["created_at"],
        edited_at=row["edited_at"],
        kind=row["kind"],
        poll=row["poll"],
        reblog_of_id=row["reblog_of_id"],
        emojis=tuple((e["shortcode"], e["url"]) for e in row["emojis"]),
    )


async def with_reblogs(db: Executor, statuses: list[Status], viewer_id: int | None) -> list[Status]:
    """Attach the boosted posts (those the viewer may see; boosts of hidden posts are dropped)."""
    ids = [s.reblog_of_id for s in statuses if s.reblog_of_id is not None]
    if not ids:
        return statuses
    rows = await db.fetch(f"{SELECT_STATUS} WHERE s.id = ANY($1::bigint[]) AND {visible_to('$2::bigint')}",
                          ids, viewer_id)
    originals = {r["id"]: status_from_row(r) for r in rows}
    out = []
    for status in statuses:
        if status.reblog_of_id is None:
            out.append(status)
        elif status.reblog_of_id in originals:
            out.append(replace(status, reblog=originals[status.reblog_of_id]))
    return out


async def insert_local(
    db: Executor, *, account_id: int, source_text: str, content: str, spoiler_text: str, visibility: Visibility,
    in_reply_to_id: int | None = None, sensitive: bool = False, language: str | None = None, poll: Any = None,
    application_id: int | None = None,
) -> int:
    return await db.fetchval(
        "INSERT INTO statuses (account_id, source_text, content, spoiler_text, visibility, sensitive,"
        " in_reply_to_id, language, poll, kind, application_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $9::jsonb IS NULL THEN 'note' ELSE 'question' END, $10)"
        " RETURNING id",
        account_id, source_text, content, spoiler_text, visibility.value, sensitive, in_reply_to_id, language, poll,
        application_id,
    )


async def by_idempotency_key(db: Executor, account_id: int, key: str) -> int | None:
    return await db.fetchval(
        "SELECT status_id FROM idempotency_keys WHERE account_id = $1 AND key = $2"
        " AND created_at > now() - interval '1 hour'",
        account_id, key[:200],
    )


async def remember_idempotency_key(db: Executor, account_id: int, key: str, status_id: int) -> bool:
    """False when a concurrent request with the same key got there first."""
    await db.execute(
        "DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND created_at <= now() - interval '1 hour'",
        account_id, key[:200],
    )
    made = await db.fetchval(
        "INSERT INTO idempotency_keys (account_id, key, status_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
        " RETURNING status_id",
        account_id, key[:200], status_id,
    )
    return made is not None


async def attach_media(db: Executor, status_id: int, account_id: int, media_ids: list[int]) -> list[dict[str, Any]]:
    """Attach the author's unattached uploads; returns those attached, as a Note renders them."""
    rows = await db.fetch(
        "UPDATE media_attachments SET status_id = $1 WHERE id = ANY($3::bigint[]) AND account_id = $2"
        f" AND status_id IS NULL RETURNING {MEDIA_NOTE_COLUMNS}",
        status_id, account_id, media_ids,
    )
    return sorted((dict(r) for r in rows), key=lambda r: r["id"])


async def replace_media(db: Executor, status_id: int, account_id: int, media_ids: list[int]) -> None:
    """An edit's attachments: those kept stay, those dropped are detached, new uploads are attached."""
    await db.execute(
        "UPDATE media_attachments SET status_id = NULL, detached_at = now()"
        " WHERE status_id = $1 AND NOT (id = ANY($2::bigint[]))",
        status_id, media_ids,
    )
    await attach_media(db, status_id, account_id, media_ids)


async def notify_new(db: Executor, status_id: int, event: str = "update") -> None:
    """Tell streaming listeners in every process (delivered at commit)."""
    await db.execute("SELECT pg_notify('kith_stream', $1)", json.dumps({"event": event, "status_id": status_id}))


async def add_mentions(db: Executor, status_id: int, account_ids: list[int]) -> None:
    await db.executemany(
        "INSERT INTO mentions (status_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        [(status_id, a) for a in account_ids],
    )


async def add_tags(db: Executor, status_id: int, names: list[str]) -> list[str]:
    """Link the status to these hashtags, creating the new ones; returns the tags' names as stored, in
    `tag_names` order."""
    stored: list[str] = []
    left = list(names)
    for _ in range(2):  # a tag another transaction is creating is invisible to the first pass
        rows = await db.fetch(
            "WITH wanted AS (SELECT DISTINCT ON (lower(n)) n AS name FROM unnest($2::text[]) AS n),"
            " made AS (INSERT INTO tags (name) SELECT name FROM wanted ON CONFLICT (lower(name)) DO NOTHING"
            "  RETURNING id, name),"
            " found AS (SELECT t.id, t.name FROM tags t JOIN wanted w ON lower(t.name) = lower(w.name)),"
            " tagged AS (SELECT id, name FROM made UNION SELECT id, name FROM found),"
            " linked AS (INSERT INTO status_tags (status_id, tag_id) SELECT $1, id FROM tagged ON CONFLICT DO NOTHING)"
            " SELECT name FROM tagged",
            status_id, left,
        )
        stored += [r["name"] for r in rows]
        done = {r["name"].lower() for r in rows}
        left = [n for n in left if n.lower() not in done]
        if not left:
            break
    return sorted(stored, key=str.casefold)


async def get_visible(db: Executor, status_id: int, viewer_id: int | None) -> Status | None:
    row = await db.fetchrow(f"{SELECT_STATUS} WHERE s.id = $1 AND {visible_to('$2::bigint')}", status_id, viewer_id)
    return status_from_row(row) if row else None


async def mark_deleted(db: Executor, status_id: int, account_id: int) -> bool:
    """Soft-delete the author's own status (kept as a tombstone); False if not theirs or gone."""
    done = await db.fetchval(
        "UPDATE statuses SET deleted_at = now(), source_text = '', content = '', spoiler_text = ''"
        " WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL RETURNING id",
        status_id,
        account_id,
    )
    return done is not None


async def public_timeline(db: Executor, page: Page, *, local: bool = True, remote: bool = False,
                          viewer_id: int | None = None) -> list[Status]:
    """Public posts (of this instance, of others, or both), newest first."""
    origin = "TRUE" if local and remote else ("s.uri IS NULL" if local else "s.uri IS NOT NULL")
    rows = await db.fetch(
        f"{SELECT_STATUS} WHERE s.visibility = 'public' AND s.deleted_at IS NULL AND {origin} AND {NOT_LIMITED}"
        f" AND s.reblog_of_id IS NULL AND a.suspended_at IS NULL AND {page.where('s.id', 1)}"
        f" AND {visible_to('$5::bigint')} AND {not_muted('$5::bigint')} ORDER BY {page.order('s.id')} LIMIT $4",
        *page.args, page.limit, viewer_id,
    )
    return page.newest_first([status_from_row(r) for r in rows])


async def account_timeline(db: Executor, account_id: int, viewer_id: int | None, page: Page, *,
                           exclude_replies: bool = False, exclude_reblogs: bool = False,
                           only_media: bool = False) -> list[Status]:
    """An account's posts and boosts the viewer may see, direct messages left out (as on Mastodon profiles)."""
    extra = ""
    if exclude_replies:
        extra += " AND s.in_reply_to_id IS NULL AND s.in_reply_to_uri IS NULL"
    if exclude_reblogs:
        extra += " AND s.reblog_of_id IS NULL"
    if only_media:
        extra += " AND EXISTS (SELECT 1 FROM media_attachments m WHERE m.status_id = s.id)"
    rows = await db.fetch(
        f"{SELECT_STATUS} WHERE s.account_id = $1 AND s.visibility <> 'direct' AND {visible_to('$2::bigint')}"
        f" AND {page.where('s.id', 3)}{extra} ORDER BY {page.order('s.id')} LIMIT $6",
        account_id, viewer_id, *page.args, page.limit,
    )
    return await with_reblogs(db, page.newest_first([status_from_row(r) for r in rows]), viewer_id)


async def count_by_account(db: Executor, account_id: int) -> int:
    """Posts and boosts not deleted, public or unlisted (kept in account_stats by PostgreSQL, migration 0046)."""
    return await db.fetchval(
        "SELECT coalesce((SELECT statuses_count FROM account_stats WHERE account_id = $1), 0)", account_id)


async def languages_of(db: Executor, account_id: int, recent: int = 200) -> list[str]:
    """The languages of an account's recent posts, most used first (what a follow may be narrowed to)."""
    rows = await db.fetch(
        "SELECT language FROM (SELECT language FROM statuses WHERE account_id = $1 AND deleted_at IS NULL"
        " AND reblog_of_id IS NULL AND visibility <> 'direct' ORDER BY id DESC LIMIT $2) recent"
        " WHERE language IS NOT NULL"
        " GROUP BY language ORDER BY count(*) DESC, language", account_id, recent)
    return [r["language"] for r in rows]


async def count_local(db: Executor) -> int:
    return await db.fetchval("SELECT count(*) FROM statuses WHERE uri IS NULL AND deleted_at IS NULL")


async def tag_timeline(db: Executor, tag: str, page: Page, viewer_id: int | None = None) -> list[Status]:
    """Public posts carrying the hashtag, newest first."""
    rows = await db.fetch(
        f"{SELECT_STATUS} JOIN status_tags st ON st.status_id = s.id JOIN tags t ON t.id = st.tag_id"
        f" WHERE lower(t.name) = lower($1) AND s.visibility = 'public' AND s.deleted_at IS NULL AND {NOT_LIMITED}"
        f" AND a.suspended_at IS NULL AND {page.where('s.id', 2)} AND {visible_to('$6::bigint')}"
        f" AND {not_muted('$6::bigint')}"
        f" ORDER BY {page.order('s.id')} LIMIT $5",
        tag, *page.args, page.limit, viewer_id,
    )
    return page.newest_first([status_from_row(r) for r in rows])


async def mentioned_accounts(db: Executor, status_id: int) -> list[Account]:
    rows = await db.fetch(
        f"SELECT {ACCOUNT_COLUMNS} FROM mentions m JOIN accounts a ON a.id = m.account_id"
        " WHERE m.status_id = $1 ORDER BY a.id",
        status_id,
    )
    return [account_from_row(r) for r in rows]


async def tag_names(db: Executor, status_id: int) -> list[str]:
    rows = await db.fetch(
        "SELECT t.name FROM status_tags st JOIN tags t ON t.id = st.tag_id WHERE st.status_id = $1", status_id,
    )
    return sorted((r["name"] for r in rows), key=str.casefold)


class ParentRef(NamedTuple):
    """What a reply points at; only `uri` when the parent was never fetched, nothing for a post."""

    uri: str | None  # the parent's ActivityPub id if it is remote
    username: str | None  # its author's, if it is local
    id: int | None
    author_id: int | None = None  # who wrote it, unless it was deleted since


async def parent_ref(db: Executor, status_id: int) -> ParentRef:
    row = await db.fetchrow(
        "SELECT p.uri, pa.username, p.id, s.in_reply_to_uri,"
        " CASE WHEN p.deleted_at IS NULL THEN p.account_id END AS author_id FROM statuses s"
        " LEFT JOIN statuses p ON p.id = s.in_reply_to_id LEFT JOIN accounts pa ON pa.id = p.account_id"
        " WHERE s.id = $1",
        status_id,
    )
    if row is None or (row["id"] is None and row["in_reply_to_uri"] is None):
        return ParentRef(None, None, None)
    if row["id"] is None:
        return ParentRef(row["in_reply_to_uri"], None, None)
    return ParentRef(row["uri"], row["username"], row["id"], row["author_id"])


async def public_by_account(db: Executor, account_id: int, *, max_id: int | None, limit: int) -> list[Status]:
    """Public posts of an account (the ActivityPub outbox), newest first."""
    rows = await db.fetch(
        f"{SELECT_STATUS} WHERE s.account_id = $1 AND s.visibility = 'public' AND s.deleted_at IS NULL"
        f" AND s.reblog_of_id IS NULL AND {optional('s.id < $2', '$2::bigint', max_id)} ORDER BY s.id DESC LIMIT $3",
        account_id,
        max_id,
        limit,
    )
    return [status_from_row(r) for r in rows]


async def count_public_by_account(db: Executor, account_id: int) -> int:
    return await db.fetchval(
        "SELECT count(*) FROM statuses WHERE account_id = $1 AND visibility = 'public' AND deleted_at IS NULL"
        " AND reblog_of_id IS NULL",
        account_id,
    )


async def is_tombstoned_local(db: Executor, status_id: int, account_id: int) -> bool:
    """A local post that existed and was deleted: its id answers 410 Gone."""
    return bool(await db.fetchval(
        "SELECT 1 FROM statuses WHERE id = $1 AND account_id = $2 AND deleted_at IS NOT NULL", status_id, account_id
    ))


async def insert_remote(
    db: Executor, *, account_id: int, uri: str, url: str | None, content: str, spoiler_text: str,
    visibility: Visibility, sensitive: bool, language: str | None, kind: str, title: str, poll: Any,
    in_reply_to_id: int | None, in_reply_to_uri: str | None, published: Any, raw: Any,
    emojis: list[dict[str, str]] | None = None,
) -> int | None:
    """Store a remote post (its id ordered by when it was published, never in the future);
    None when that uri is already stored."""
    return await db.fetchval(
        "INSERT INTO statuses (id, account_id, uri, url, content, spoiler_text, visibility, sensitive, language,"
        " kind, title, poll, in_reply_to_id, in_reply_to_uri, created_at, raw, emojis)"
        " VALUES (kith_id(least(coalesce($14::timestamptz, now()), now())), $1, $2, $3, $4, $5, $6, $7, $8, $9,"
        " $10, $11, $12, $13, least(coalesce($14::timestamptz, now()), now()), $15, $16)"
        " ON CONFLICT (uri) DO NOTHING RETURNING id",
        account_id, uri, url, content, spoiler_text, visibility.value, sensitive, language, kind, title, poll,
        in_reply_to_id, in_reply_to_uri, published, raw, emojis or [],
    )


@dataclass(frozen=True)
class UriMatch:
    """A stored status found by its ActivityPub id."""

    id: int
    account_id: int
    deleted: bool


async def find_by_uri(db: Executor, uri: str) -> UriMatch | None:
    row = await db.fetchrow(
        "SELECT id, account_id, deleted_at IS NOT NULL AS deleted FROM statuses WHERE uri = $1", uri)
    return UriMatch(row["id"], row["account_id"], row["deleted"]) if row else None


async def author_of(db: Executor, status_id: int) -> int | None:
    return await db.fetchval("SELECT account_id FROM statuses WHERE id = $1 AND deleted_at IS NULL", status_id)


async def mark_deleted_by_uri(db: Executor, uri: str, account_id: int) -> int | None:
    """Soft-delete the author's status (or boost) with this uri; its id, or None if there was none."""
    return await db.fetchval(
        "UPDATE statuses SET deleted_at = now(), source_text = '', content = '', spoiler_text = '', poll = NULL,"
        " raw = NULL WHERE uri = $1 AND account_id = $2 AND deleted_at IS NULL RETURNING id",
        uri,
        account_id,
    )


async def delete_all_by_account(db: Executor, account_id: int) -> list[int]:
    rows = await db.fetch(
        "UPDATE statuses SET deleted_at = now(), source_text = '', content = '', spoiler_text = '', poll = NULL,"
        " raw = NULL WHERE account_id = $1 AND deleted_at IS NULL RETURNING id",
        account_id,
    )
    return [r["id"] for r in rows]


async def purge_by_accounts(db: Executor, account_ids: list[int]) -> int:
    """Remove these (remote) accounts' posts outright, leaving no tombstone: a suspended domain's
    posts are gone as Mastodon purges them, and can be fetched again if the suspension is lifted."""
    rows = await db.fetch("DELETE FROM statuses WHERE account_id = ANY($1::bigint[]) RETURNING id", account_ids)
    return len(rows)


async def record_edit(db: Executor, status_id: int, content: str, spoiler_text: str, sensitive: bool,
                      poll: Any, edited_at: Any, emojis: list[dict[str, str]] | None = None) -> None:
    """Keep the current version in the history, then replace it (custom emoji kept when not given)."""
    await db.execute(
        "INSERT INTO status_edits (status_id, content, spoiler_text, created_at)"
        " SELECT id, content, spoiler_text, coalesce(edited_at, created_at) FROM statuses WHERE id = $1",
        status_id,
    )
    await db.execute(
        "UPDATE statuses SET content = $2, spoiler_text = $3, sensitive = $4, poll = coalesce($5, poll),"
        " edited_at = least(coalesce($6::timestamptz, now()), now()), emojis = coalesce($7, emojis) WHERE id = $1",
        status_id, content, spoiler_text, sensitive, poll, edited_at, emojis,
    )


async def update_source(db: Executor, status_id: int, source_text: str, language: str | None,
                        visibility: Visibility) -> None:
    """A local edit's source text, language (kept when not given) and visibility."""
    await db.execute("UPDATE statuses SET source_text = $2, language = coalesce($3, language), visibility = $4"
                     " WHERE id = $1", status_id, source_text, language, visibility.value)


class Edit(NamedTuple):
    content: str
    spoiler_text: str
    created_at: datetime


async def edits(db: Executor, status_id: int) -> list[Edit]:
    """Earlier versions, oldest first."""
    rows = await db.fetch(
        "SELECT content, spoiler_text, created_at FROM status_edits WHERE status_id = $1 ORDER BY id", status_id
    )
    return [Edit(r["content"], r["spoiler_text"], r["created_at"]) for r in rows]


async def insert_reblog(db: Executor, account_id: int, reblog_of_id: int, uri: str | None,
                        visibility: Visibility, published: Any = None) -> int | None:
    """A boost is a status pointing at another; None if this account already boosted it (or the uri is known)."""
    return await db.fetchval(
        "INSERT INTO statuses (id, account_id, reblog_of_id, uri, visibility, created_at)"
        " VALUES (kith_id(least(coalesce($5::timestamptz, now()), now())), $1, $2, $3, $4,"
        " least(coalesce($5::timestamptz, now()), now())) ON CONFLICT DO NOTHING RETURNING id",
        account_id, reblog_of_id, uri, visibility.value, published,
    )


async def delete_reblog(db: Executor, account_id: int, reblog_of_id: int) -> int | None:
    return await db.fetchval(
        "UPDATE statuses SET deleted_at = now() WHERE account_id = $1 AND reblog_of_id = $2 AND deleted_at IS NULL"
        " RETURNING id",
        account_id,
        reblog_of_id,
    )


async def own_reblog(db: Executor, account_id: int, status_id: int) -> Status | None:
    """The account's live boost of a post (its `created_at` is the time of the boost)."""
    row = await db.fetchrow(f"{SELECT_STATUS} WHERE s.account_id = $1 AND s.reblog_of_id = $2 AND s.deleted_at IS NULL",
                            account_id, status_id)
    return status_from_row(row) if row else None


async def reactors(db: Executor, status_id: int, *, boosts: bool, limit: int) -> list[int]:
    """Who favourited (or boosted) a status, most recent first."""
    if boosts:
        rows = await db.fetch(
            "SELECT account_id FROM statuses WHERE reblog_of_id = $1 AND deleted_at IS NULL ORDER BY id DESC LIMIT $2",
            status_id, limit,
        )
    else:
        rows = await db.fetch(
            "SELECT account_id FROM favourites WHERE status_id = $1 ORDER BY id DESC LIMIT $2", status_id, limit
        )
    return [r["account_id"] for r in rows]


async def weekly_activity(db: Executor, weeks: int = 12) -> list[dict[str, str]]:
    """Local posts, logins and sign-ups per week (Mastodon's instance/activity), newest week first."""
    rows = await db.fetch(
        "SELECT w AS week,"
        " (SELECT count(*) FROM statuses s WHERE s.uri IS NULL"
        "  AND s.created_at >= w AND s.created_at < w + interval '7 days') AS statuses,"
        " (SELECT count(DISTINCT ws.account_id) FROM web_sessions ws"
        "  WHERE ws.last_seen_at >= w AND ws.last_seen_at < w + interval '7 days') AS logins,"
        " (SELECT count(*) FROM users u"
        "  WHERE u.created_at >= w AND u.created_at < w + interval '7 days') AS registrations"
        " FROM generate_series(date_trunc('week', now()) - make_interval(weeks => $1 - 1), date_trunc('week', now()),"
        " interval '7 days') AS w ORDER BY w DESC",
        weeks,
    )
    return [{"week": str(int(r["week"].timestamp())), "statuses": str(r["statuses"]), "logins": str(r["logins"]),
             "registrations": str(r["registrations"])} for r in rows]


async def get_for_moderation(db: Executor, status_id: int) -> Status | None:
    """A post whatever its visibility (not deleted), for the moderators reviewing a report."""
    row = await db.fetchrow(f"{SELECT_STATUS} WHERE s.id = $1 AND s.deleted_at IS NULL", status_id)
    return status_from_row(row) if row else None


@dataclass(frozen=True)
class Facts:
    """What decides which streams a status belongs to (read even from a deleted status's tombstone)."""

    id: int
    author_id: int
    visibility: str
    local: bool
    reblog_of_id: int | None
    reblog_author_id: int | None
    deleted: bool
    suspended: bool
    has_media: bool
    tags: frozenset[str]  # lower-cased
    mentions: frozenset[int]


async def status_facts(db: Executor, status_id: int) -> Facts | None:
    row = await db.fetchrow(
        "SELECT s.id, s.account_id, s.visibility, s.uri IS NULL AS local, s.reblog_of_id,"
        " r.account_id AS reblog_author,"
        " s.deleted_at IS NOT NULL AS deleted, a.suspended_at IS NOT NULL AS suspended,"
        " EXISTS (SELECT 1 FROM media_attachments m WHERE m.status_id = coalesce(s.reblog_of_id, s.id)) AS has_media,"
        " ARRAY(SELECT lower(t.name) FROM status_tags st JOIN tags t ON t.id = st.tag_id WHERE st.status_id = s.id)"
        "  AS tags,"
        " ARRAY(SELECT m.account_id FROM mentions m WHERE m.status_id = s.id) AS mentions"
        " FROM statuses s JOIN accounts a ON a.id = s.account_id LEFT JOIN statuses r ON r.id = s.reblog_of_id"
        " WHERE s.id = $1",
        status_id,
    )
    if row is None:
        return None
    return Facts(row["id"], row["account_id"], row["visibility"], row["local"], row["reblog_of_id"],
                 row["reblog_author"], row["deleted"], row["suspended"], row["has_media"], frozenset(row["tags"]),
                 frozenset(row["mentions"]))


async def all_own_by_account(db: Executor, account_id: int) -> list[Status]:
    """Every post the account wrote and still has (no boosts), oldest first: for its archive."""
    rows = await db.fetch(
        f"{SELECT_STATUS} WHERE s.account_id = $1 AND s.deleted_at IS NULL AND s.reblog_of_id IS NULL ORDER BY s.id",
        account_id)
    return [status_from_row(r) for r in rows]


async def set_emojis(db: Executor, status_id: int, emojis: list[dict[str, str]]) -> None:
    await db.execute("UPDATE statuses SET emojis = $2 WHERE id = $1", status_id, emojis)
