"""Members reporting accounts and posts; optionally forwarded to the account's own server."""

from __future__ import annotations

import asyncpg

from federation import outbound
from server.domain.accounts import instance_actor
from server.errors import Invalid
from server.models import Account
from server.store import reports as reports_store
from server.store import rules as rules_store
from server.store import statuses as statuses_store
from server.urls import Urls

CATEGORIES = ("spam", "legal", "violation", "other")
MAX_COMMENT = 1000
MAX_STATUSES = 20


async def file_report(pool: asyncpg.Pool, urls: Urls, reporter: Account, target: Account, *, status_ids: list[int],
                      comment: str, category: str, rule_ids: list[int], forward: bool) -> int:
    """Validate everything, then store the report (and queue the Flag) in one transaction."""
    if target.id == reporter.id:
        raise Invalid("You cannot report yourself.")
    if category not in CATEGORIES:
        raise Invalid("The category must be spam, legal, violation or other.", field="category")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise Invalid(f"Comments can have at most {MAX_COMMENT} characters.", field="comment")
    if len(status_ids) > MAX_STATUSES:
        raise Invalid(f"A report can include at most {MAX_STATUSES} posts.", field="status_ids")
    known_rules = {r.id for r in await rules_store.all_rules(pool)}
    if any(r not in known_rules for r in rule_ids):
        raise Invalid("Some of those rules do not exist.", field="rule_ids")
    if category == "violation" and not rule_ids:
        raise Invalid("Say which rules were broken.", field="rule_ids")
    async with pool.acquire() as conn, conn.transaction():
        statuses = []
        for status_id in dict.fromkeys(status_ids):
            status = await statuses_store.get_visible(conn, status_id, reporter.id)
            if status is None or status.author.id != target.id:
                raise Invalid("Some of those posts are not the reported account's.", field="status_ids")
            statuses.append(status)
        forwarded = forward and not target.is_local
        report_id = await reports_store.insert(
            conn, reporter_id=reporter.id, target_id=target.id, status_ids=[s.id for s in statuses], comment=comment,
            category=category, rule_ids=rule_ids, forwarded=forwarded,
        )
        if forwarded:
            actor = await instance_actor(pool)
            await outbound.report_forwarded(conn, urls, actor, target, [urls.status_id_uri(s) for s in statuses],
                                            comment, report_id)
    return report_id
