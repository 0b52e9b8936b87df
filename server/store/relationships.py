"""How a viewer and other accounts stand: follows and blocks each way, a mute, a hidden domain, an
endorsement and a private note."""

from __future__ import annotations

from dataclasses import dataclass

from server.models import Account
from server.store.accounts import ACCOUNT_COLUMNS, Executor, account_from_row
from server.store.domains import DOMAIN_MATCH
from server.store.paging import Page, Paged


@dataclass(frozen=True)
class Relationship:
    account_id: int
    following: str | None  # the viewer's follow of the account: accepted | pending | None
    followed_by: str | None  # the account's follow of the viewer
    blocking: bool
    blocked_by: bool
    muting: bool
    muting_notifications: bool
    showing_reblogs: bool = False  # the viewer's follow lets the account's boosts into the home feed
    notifying: bool = False  # the viewer is notified when the account posts
    domain_blocking: bool = False  # the viewer hides the account's whole domain
    endorsed: bool = False  # the viewer features the account on their profile
    note: str = ""  # the viewer's private note on the account
    languages: tuple[str, ...] | None = None  # the languages the viewer's follow lets through (None: all)


async def between(db: Executor, viewer_id: int, ids: list[int]) -> dict[int, Relationship]:
    """The viewer's relationship with each of the (existing) accounts."""
    rows = await db.fetch(
        "SELECT i.id,"
        " (SELECT state FROM follows WHERE account_id = $1 AND target_account_id = i.id) AS following,"
        " (SELECT show_reblogs FROM follows WHERE account_id = $1 AND target_account_id = i.id) AS reblogs,"
        " (SELECT notify FROM follows WHERE account_id = $1 AND target_account_id = i.id) AS notify,"
        " (SELECT languages FROM follows WHERE account_id = $1 AND target_account_id = i.id) AS languages,"
        " (SELECT state FROM follows WHERE account_id = i.id AND target_account_id = $1) AS followed_by,"
        " EXISTS (SELECT 1 FROM blocks WHERE account_id = $1 AND target_account_id = i.id) AS blocking,"
        " EXISTS (SELECT 1 FROM blocks WHERE account_id = i.id AND target_account_id = $1) AS blocked_by,"
        " (SELECT hide_notifications FROM mutes WHERE account_id = $1 AND target_account_id = i.id"
        "   AND (expires_at IS NULL OR expires_at > now())) AS muting,"
        " EXISTS (SELECT 1 FROM user_domain_blocks dp WHERE dp.account_id = $1 AND a.domain IS NOT NULL"
        f"  AND {DOMAIN_MATCH}) AS domain_blocking,"
        " EXISTS (SELECT 1 FROM endorsements WHERE account_id = $1 AND target_account_id = i.id) AS endorsed,"
        " (SELECT comment FROM account_notes WHERE account_id = $1 AND target_account_id = i.id) AS note"
        " FROM unnest($2::bigint[]) AS i(id) JOIN accounts a ON a.id = i.id",
        viewer_id, ids,
    )
    return {r["id"]: Relationship(r["id"], r["following"], r["followed_by"], r["blocking"], r["blocked_by"],
                                  r["muting"] is not None, bool(r["muting"]), bool(r["reblogs"]), bool(r["notify"]),
                                  r["domain_blocking"], r["endorsed"], r["note"] or "",
                                  tuple(r["languages"]) if r["languages"] else None)
            for r in rows}


async def set_note(db: Executor, account_id: int, target_id: int, comment: str) -> None:
    """The viewer's private note on an account (an empty one removes it)."""
    if comment:
        await db.execute("INSERT INTO account_notes (account_id, target_account_id, comment) VALUES ($1, $2, $3)"
                         " ON CONFLICT (account_id, target_account_id) DO UPDATE SET comment = $3, updated_at = now()",
                         account_id, target_id, comment)
    else:
        await db.execute("DELETE FROM account_notes WHERE account_id = $1 AND target_account_id = $2",
                         account_id, target_id)


async def endorse(db: Executor, account_id: int, target_id: int, on: bool) -> None:
    if on:
        await db.execute("INSERT INTO endorsements (account_id, target_account_id) VALUES ($1, $2)"
                         " ON CONFLICT DO NOTHING", account_id, target_id)
    else:
        await db.execute("DELETE FROM endorsements WHERE account_id = $1 AND target_account_id = $2",
                         account_id, target_id)


async def endorsed(db: Executor, account_id: int, page: Page) -> list[Paged[Account]]:
    """The accounts the member endorses, newest first (paged by the endorsement)."""
    rows = await db.fetch(
        f"SELECT e.id AS cursor, {ACCOUNT_COLUMNS} FROM endorsements e JOIN accounts a ON a.id = e.target_account_id"
        f" WHERE e.account_id = $1 AND a.suspended_at IS NULL AND {page.where('e.id', 2)}"
        f" ORDER BY {page.order('e.id')} LIMIT $5", account_id, *page.args, page.limit)
    return page.newest_first([Paged(r["cursor"], account_from_row(r)) for r in rows])
