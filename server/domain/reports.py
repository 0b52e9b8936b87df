"""Members reporting accounts and posts; optionally forwarded to the account's own server."""

from __future__ import annotations

import asyncpg

from federation import outbound
from server.domain.accounts import instance_actor
from server.errors import Invalid, NotFound
from server.models import Account
from server.store import domains as domains_store
from server.store import notifications as notifications_store
from server.store import reports as reports_store
from server.store import rules as rules_store
from server.store import statuses as statuses_store
from server.urls import Urls

CATEGORIES = ("spam", "legal", "violation", "other")
MAX_COMMENT = 1000
MAX_STATUSES = 20
MAX_REMOTE_COMMENT = 5000


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
        await notifications_store.tell_staff(conn, "admin.report", reporter.id, report_id=report_id)
        if forwarded:
            actor = await instance_actor(pool)
            await outbound.report_forwarded(conn, urls, actor, target, [urls.status_id_uri(s) for s in statuses],
                                            comment, report_id)
    return report_id


async def receive(pool: asyncpg.Pool, *, reporter_id: int, target_id: int, status_ids: list[int], comment: str,
                  uri: str, origin_domain: str) -> None:
    """A report another server sent (a Flag): stored once per activity id, and staff told of it."""
    async with pool.acquire() as conn, conn.transaction():
        report_id = await reports_store.insert_remote(
            conn, reporter_id=reporter_id, target_id=target_id, status_ids=status_ids,
            comment=comment[:MAX_REMOTE_COMMENT], uri=uri, origin_domain=origin_domain)
        if report_id is not None:
            await notifications_store.tell_staff(conn, "admin.report", reporter_id, report_id=report_id)


# --- handling reports (staff) --------------------------------------------------------------------

MAX_NOTE = 5000
ENDINGS = ("resolve", "dismiss")


async def handle(pool: asyncpg.Pool, staff_id: int, report_id: int, *, note: str = "",
                 ending: str | None = None) -> None:
    """A moderator's note on a report and/or its ending (resolved or dismissed), in one transaction;
    an ending goes into the moderation log with the note."""
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise Invalid(f"Notes can have at most {MAX_NOTE} characters.", field="note")
    if ending is not None and ending not in ENDINGS:
        raise Invalid("A report is resolved or dismissed.", field="action")
    if not note and ending is None:
        raise Invalid("Write a note, or dismiss or resolve the report.", field="note")
    async with pool.acquire() as conn, conn.transaction():
        if note and not await reports_store.add_note(conn, report_id, staff_id, note):
            raise NotFound("There is no such report.")
        if ending is not None:
            if not await reports_store.resolve(conn, report_id, staff_id, ending):
                raise NotFound("There is no such open report.")
            await domains_store.log(conn, staff_id, f"report: {ending}", f"report {report_id}", note)


async def assign(pool: asyncpg.Pool, staff_id: int, report_id: int) -> None:
    """The moderator takes the report on (logged, as every step of handling a report is)."""
    async with pool.acquire() as conn, conn.transaction():
        if not await reports_store.assign(conn, report_id, staff_id):
            raise NotFound("There is no such report.")
        await domains_store.log(conn, staff_id, "report: assigned", f"report {report_id}")
