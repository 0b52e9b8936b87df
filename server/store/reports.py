"""Every query on reports and moderators' notes on them."""

from __future__ import annotations

from typing import Any

from server.store.accounts import Executor, account_columns, account_from_row


async def insert(db: Executor, *, reporter_id: int, target_id: int, status_ids: list[int], comment: str,
                 category: str, rule_ids: list[int], forwarded: bool) -> int:
    return await db.fetchval(
        "INSERT INTO reports (account_id, target_account_id, status_ids, comment, category, rule_ids, forwarded)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        reporter_id, target_id, status_ids, comment, category, rule_ids, forwarded,
    )


async def insert_remote(db: Executor, *, reporter_id: int | None, target_id: int, status_ids: list[int], comment: str,
                     uri: str | None, origin_domain: str | None) -> int | None:
    """The new report's id; None when a report with that activity id is already stored."""
    return await db.fetchval(
        "INSERT INTO reports (account_id, target_account_id, status_ids, comment, uri, origin_domain)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (uri) DO NOTHING RETURNING id",
        reporter_id, target_id, status_ids, comment, uri, origin_domain,
    )


async def page(db: Executor, *, resolved: bool | None = None, target_id: int | None = None,
               report_id: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Reports newest first: open or resolved ones (both when None), about one account, or one report."""
    rows = await db.fetch(
        f"SELECT r.id, r.status_ids, r.comment, r.category, r.rule_ids, r.forwarded, r.origin_domain,"
        f" r.created_at, r.resolved_at, r.resolution, {account_columns('t', 'target_')},"
        f" {account_columns('a', 'reporter_')} FROM reports r JOIN accounts t ON t.id = r.target_account_id"
        " LEFT JOIN accounts a ON a.id = r.account_id"
        " WHERE ($1::boolean IS NULL OR (r.resolved_at IS NOT NULL) = $1)"
        " AND ($2::bigint IS NULL OR r.target_account_id = $2) AND ($3::bigint IS NULL OR r.id = $3)"
        " ORDER BY r.id DESC LIMIT $4",
        resolved, target_id, report_id, limit,
    )
    out = []
    for r in rows:
        item = {k: r[k] for k in ("id", "status_ids", "comment", "category", "rule_ids", "forwarded", "origin_domain",
                                  "created_at", "resolved_at", "resolution")}
        item["target"] = account_from_row(r, "target_")
        item["reporter"] = account_from_row(r, "reporter_") if r["reporter_id"] else None
        out.append(item)
    return out


async def open_count(db: Executor) -> int:
    return await db.fetchval("SELECT count(*) FROM reports WHERE resolved_at IS NULL")


async def get(db: Executor, report_id: int) -> dict[str, Any] | None:
    found = await page(db, report_id=report_id, limit=1)
    return found[0] if found else None


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


async def resolve(db: Executor, report_id: int, account_id: int, resolution: str, *,
                  target_id: int | None = None) -> bool:
    """End an open report (only if it is about `target_id`, when given); False if there is none such."""
    return await db.fetchval(
        "UPDATE reports SET resolved_at = now(), resolved_by = $2, resolution = $3 WHERE id = $1"
        " AND resolved_at IS NULL AND ($4::bigint IS NULL OR target_account_id = $4) RETURNING true",
        report_id, account_id, resolution, target_id,
    ) is not None


async def assign(db: Executor, report_id: int, account_id: int) -> bool:
    return await db.fetchval(
        "UPDATE reports SET assigned_to = $2 WHERE id = $1 RETURNING true", report_id, account_id
    ) is not None
