"""How a viewer and other accounts stand: follows each way, blocks each way, a mute."""

from __future__ import annotations

from dataclasses import dataclass

from server.store.accounts import Executor


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


async def between(db: Executor, viewer_id: int, ids: list[int]) -> dict[int, Relationship]:
    """The viewer's relationship with each of the (existing) accounts."""
    rows = await db.fetch(
        "SELECT i.id,"
        " (SELECT state FROM follows WHERE account_id = $1 AND target_account_id = i.id) AS following,"
        " (SELECT show_reblogs FROM follows WHERE account_id = $1 AND target_account_id = i.id) AS reblogs,"
        " (SELECT notify FROM follows WHERE account_id = $1 AND target_account_id = i.id) AS notify,"
        " (SELECT state FROM follows WHERE account_id = i.id AND target_account_id = $1) AS followed_by,"
        " EXISTS (SELECT 1 FROM blocks WHERE account_id = $1 AND target_account_id = i.id) AS blocking,"
        " EXISTS (SELECT 1 FROM blocks WHERE account_id = i.id AND target_account_id = $1) AS blocked_by,"
        " (SELECT hide_notifications FROM mutes WHERE account_id = $1 AND target_account_id = i.id"
        "   AND (expires_at IS NULL OR expires_at > now())) AS muting"
        " FROM unnest($2::bigint[]) AS i(id) JOIN accounts a ON a.id = i.id",
        viewer_id, ids,
    )
    return {r["id"]: Relationship(r["id"], r["following"], r["followed_by"], r["blocking"], r["blocked_by"],
                                  r["muting"] is not None, bool(r["muting"]), bool(r["reblogs"]), bool(r["notify"]))
            for r in rows}
