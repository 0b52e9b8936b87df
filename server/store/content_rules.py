"""Every query on content rulesets (versions), their hits and the held-for-review queue."""

from __future__ import annotations

from typing import Any, NamedTuple

from server.store.accounts import Executor


class Ruleset(NamedTuple):
    version_id: int
    rules: list[dict[str, Any]]


async def current(db: Executor) -> Ruleset | None:
    row = await db.fetchrow("SELECT id, rules FROM content_rulesets ORDER BY id DESC LIMIT 1")
    return Ruleset(row["id"], row["rules"]) if row else None


async def save(db: Executor, rules: list[dict[str, Any]], actor_id: int | None, comment: str) -> int:
    return await db.fetchval(
        "INSERT INTO content_rulesets (rules, actor_id, comment) VALUES ($1, $2, $3) RETURNING id",
        rules, actor_id, comment,
    )


async def versions(db: Executor, limit: int = 50) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT v.id, v.comment, v.created_at, jsonb_array_length(v.rules) AS count, a.username"
        " FROM content_rulesets v LEFT JOIN accounts a ON a.id = v.actor_id ORDER BY v.id DESC LIMIT $1",
        limit,
    )
    return [dict(r) for r in rows]


async def version(db: Executor, version_id: int) -> list[dict[str, Any]] | None:
    return await db.fetchval("SELECT rules FROM content_rulesets WHERE id = $1", version_id)


async def record_hits(db: Executor, ruleset_id: int, hits: list[tuple[str, str]], subject: str) -> None:
    await db.executemany(
        "INSERT INTO content_rule_hits (ruleset_id, rule_name, action, subject) VALUES ($1, $2, $3, $4)",
        [(ruleset_id, name, action, subject[:2000]) for name, action in hits],
    )


async def hit_counts(db: Executor) -> dict[str, int]:
    rows = await db.fetch("SELECT rule_name, count(*) AS hits FROM content_rule_hits GROUP BY rule_name")
    return {r["rule_name"]: r["hits"] for r in rows}


async def trail(db: Executor, limit: int = 50) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT rule_name, action, subject, created_at FROM content_rule_hits ORDER BY id DESC LIMIT $1", limit
    )
    return [dict(r) for r in rows]


async def hold(db: Executor, rule_name: str, obj: dict[str, Any]) -> None:
    await db.execute("INSERT INTO held_activities (rule_name, object) VALUES ($1, $2)", rule_name, obj)


async def held(db: Executor) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT id, rule_name, object, created_at FROM held_activities WHERE decided_at IS NULL ORDER BY id"
    )
    return [dict(r) for r in rows]


async def held_count(db: Executor) -> int:
    return await db.fetchval("SELECT count(*) FROM held_activities WHERE decided_at IS NULL")


async def decide(db: Executor, held_id: int, approve: bool) -> dict[str, Any] | None:
    """Mark a held item decided; the held object if it was still waiting."""
    return await db.fetchval(
        "UPDATE held_activities SET decided_at = now(), decision = $2 WHERE id = $1 AND decided_at IS NULL"
        " RETURNING object",
        held_id, "approved" if approve else "rejected",
    )


async def recent_posts(db: Executor, days: int, limit: int) -> list[dict[str, Any]]:
    """Stored posts of the last `days` days with their authors, for dry runs."""
    rows = await db.fetch(
        "SELECT coalesce(s.uri, s.id::text) AS uri, s.uri IS NULL AS local, s.content, s.spoiler_text, s.visibility,"
        " s.created_at, a.username, a.domain, a.display_name, a.note, a.created_at AS account_created,"
        " coalesce(a.uri, a.username) AS actor,"
        " (SELECT count(*) FROM mentions m WHERE m.status_id = s.id) AS mentions,"
        " EXISTS (SELECT 1 FROM media_attachments ma WHERE ma.status_id = s.id) AS has_media,"
        " ARRAY(SELECT t.name FROM status_tags st JOIN tags t ON t.id = st.tag_id WHERE st.status_id = s.id) AS tags"
        " FROM statuses s JOIN accounts a ON a.id = s.account_id"
        " WHERE s.deleted_at IS NULL AND s.reblog_of_id IS NULL AND s.created_at > now() - make_interval(days => $1)"
        " ORDER BY s.id DESC LIMIT $2",
        days, limit,
    )
    return [dict(r) for r in rows]
