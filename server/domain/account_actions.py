"""Staff actions on accounts (here or remote): warn, limit (out of public timelines), suspend,
their reversals, and deleting posts — each citing the rules broken and a reason, recorded in the
moderation log, and, for members here, shown to them as a notice they can appeal once."""

from __future__ import annotations

import asyncpg

from federation import outbound
from server.errors import Invalid, NotFound
from server.models import Account
from server.store import accounts as accounts_store
from server.store import domains as domains_store
from server.store import follows as follows_store
from server.store import home_feed
from server.store import oauth as oauth_store
from server.store import rules as rules_store
from server.store import statuses as statuses_store
from server.urls import Urls

ACTIONS = ("warn", "sensitive", "unsensitive", "limit", "unlimit", "suspend", "unsuspend", "delete_posts")
REVERSES = {"limit": "unlimit", "suspend": "unsuspend", "sensitive": "unsensitive"}  # what an approved appeal undoes
_FLAGS = {"limit": "limited_at", "unlimit": "limited_at", "sensitive": "sensitized_at", "unsensitive": "sensitized_at"}


async def act(pool: asyncpg.Pool, urls: Urls, staff_id: int, target: Account, action: str, rule_ids: list[int],
              reason: str) -> None:
    if action not in ACTIONS:
        raise Invalid("Unknown action.", field="action")
    reason = reason.strip()
    if len(reason) > 2000:
        raise Invalid("Reasons can have at most 2000 characters.", field="reason")
    rules = {r.id: r for r in await rules_store.all_rules(pool)}
    if any(r not in rules for r in rule_ids):
        raise Invalid("Some of those rules do not exist.", field="rule_ids")
    if action not in ("unsuspend", "unlimit", "unsensitive") and not (rule_ids or reason):
        raise Invalid("Cite the rules broken or give a reason.", field="reason")
    cited = "; ".join(rules[r].text for r in rule_ids)
    async with pool.acquire() as conn, conn.transaction():
        if action == "suspend":
            changed = await conn.fetchval(
                "UPDATE accounts SET suspended_at = now() WHERE id = $1 AND suspended_at IS NULL RETURNING true",
                target.id)
            if target.is_local and changed:
                await conn.execute("DELETE FROM web_sessions WHERE account_id = $1", target.id)
                await oauth_store.revoke_all(conn, target.id)  # also closes their open streams
                await outbound.account_gone(conn, urls, target)
            elif changed:  # a remote account: its follows end both ways; the inbox ignores it from now on
                await follows_store.delete_all_of(conn, [target.id])
        elif action == "unsuspend":
            changed = await conn.fetchval(
                "UPDATE accounts SET suspended_at = NULL WHERE id = $1 AND suspended_at IS NOT NULL RETURNING true",
                target.id)
            if target.is_local and changed:
                await outbound.profile_updated(conn, urls, target)
        elif action in _FLAGS:
            column, on = _FLAGS[action], not action.startswith("un")
            changed = await conn.fetchval(
                f"UPDATE accounts SET {column} = {'now()' if on else 'NULL'} WHERE id = $1"
                f" AND {column} IS {'NULL' if on else 'NOT NULL'} RETURNING true", target.id)
        elif action == "warn":
            changed = True
        else:
            ids = await statuses_store.delete_all_by_account(conn, target.id)
            for status_id in ids:
                await home_feed.remove_status(conn, status_id)
            changed = True
        if not changed:
            raise NotFound(f"Nothing to do: @{target.handle()} is already in that state.")
        if target.is_local and not action.startswith("un"):
            await conn.execute(
                "INSERT INTO account_warnings (account_id, staff_id, action, rule_ids, reason)"
                " VALUES ($1, $2, $3, $4, $5)",
                target.id, staff_id, action, rule_ids, reason)
        await domains_store.log(conn, staff_id, f"account: {action}", f"@{target.handle()}",
                                " — ".join(x for x in (cited, reason) if x))


async def appeal(pool: asyncpg.Pool, account_id: int, warning_id: int, text: str) -> None:
    text = text.strip()
    if not 1 <= len(text) <= 2000:
        raise Invalid("Write your appeal (up to 2000 characters).", field="appeal")
    done = await pool.fetchval(
        "UPDATE account_warnings SET appeal_text = $3, appealed_at = now() WHERE id = $1 AND account_id = $2"
        " AND appealed_at IS NULL AND action <> 'warn' RETURNING true",
        warning_id, account_id, text,
    )
    if not done:
        raise NotFound("This action cannot be appealed (again).")


async def decide_appeal(pool: asyncpg.Pool, urls: Urls, staff_id: int, warning_id: int, approve: bool) -> None:
    """An approved appeal undoes the action (lifting a limit or a suspension); either way it is logged."""
    row = await pool.fetchrow(
        "UPDATE account_warnings SET appeal_state = $2, decided_at = now(), decided_by = $3 WHERE id = $1"
        " AND appealed_at IS NOT NULL AND decided_at IS NULL RETURNING account_id, action",
        warning_id, "approved" if approve else "rejected", staff_id,
    )
    if row is None:
        raise NotFound("There is no such appeal waiting.")
    target = await accounts_store.get_by_id(pool, row["account_id"])
    if approve and target is not None and row["action"] in REVERSES:
        try:
            await act(pool, urls, staff_id, target, REVERSES[row["action"]], [], "appeal approved")
        except NotFound:
            pass  # already lifted by hand
    await domains_store.log(pool, staff_id, f"appeal: {'approved' if approve else 'rejected'}",
                            f"@{target.handle() if target else row['account_id']}")
