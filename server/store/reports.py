"""Every query on reports and moderators' notes on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server.store.accounts import Executor, account_columns, account_from_row


async def insert(db: Executor, *, reporter_id: int, target_id: int, status_ids: list[int], comment: str,
                 category: str, rule_ids: list[int], forwarded: bool) -> int:
    return await db.fetchval(
        "INSERT INTO reports (account_id, target_account_id, status_ids, comment, category, rule_ids, forwarded)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        reporter_id, target_id, status_ids, comment, category, rule_ids, forwarded,
    )


async def created_at(db: Executor, report_id: int) -> datetime | None:
    return await db.fetchval("SELECT created_at FROM reports WHERE id = $1", report_id)


async def page(db: Executor, *, resolved: bool, limit: int = 50) -> list[dict[str, Any]]:
    rows = await db.fetch(
        f"SELECT r.id, r.status_ids, r.comment, r.category, r.rule_ids, r.forwarded, r.origin_domain,"
        f" r.created_at, r.resolved_at, r.resolution, {account_columns('t', 'target_')},"
        f" {account_columns('a', 'reporter_')} FROM reports r JOIN accounts t ON t.id = r.target_account_id"
        " LEFT JOIN accounts a ON a.id = r.account_id"
        " WHERE (r.resolved_at IS NOT NULL) = $1 ORDER BY r.id DESC LIMIT $2",
        resolved, limit,
    )
    out = []
    for r in rows:
        item = {k: r[k] for k in ("id", "status_ids", "comment", "category", "rule_ids", "forwarded", "origin_domain",
                                  "created_at", "resolved_at", "resolution")}
        item["target"] = account_from_row(r, "target_")
        item["reporter"] = account_from_row(r, "reporter_") if r["reporter_id"] else None
        out.append(item)
    return out


async def notes(db: Executor, report_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    rows = await db.fetch(
        "SELECT n.report_id, n.content, n.created_at, a.username FROM report_notes n"
        " LEFT JOIN accounts a ON a.id = n.account_id WHERE n.report_id = ANY($1::bigint[]) ORDER BY n.id",
        report_ids,
    )
    out: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r["report_id"], []).append(dict(r))
    return out


async def add_note(db: Executor, report_id: int, account_id: int, content: str) -> bool:
    return await db.fetchval(
        "INSERT INTO report_notes (report_id, account_id, content) SELECT id, $2, $3 FROM reports WHERE id = $1"
        " RETURNING true",
        report_id, account_id, content,
    ) is not None


async def resolve(db: Executor, report_id: int, account_id: int, resolution: str) -> bool:
    return await db.fetchval(
        "UPDATE reports SET resolved_at = now(), resolved_by = $2, resolution = $3 WHERE id = $1"
        " AND resolved_at IS NULL RETURNING true",
        report_id, account_id, resolution,
    ) is not None


async def assign(db: Executor, report_id: int, account_id: int) -> bool:
    return await db.fetchval(
        "UPDATE reports SET assigned_to = $2 WHERE id = $1 RETURNING true", report_id, account_id
    ) is not None
