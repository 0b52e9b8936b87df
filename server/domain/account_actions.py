"""Staff actions on accounts (here or remote): suspend and unsuspend, delete posts — each citing
the rules broken and a reason, and each recorded in the moderation log."""

from __future__ import annotations

import asyncpg

from federation import outbound
from server.errors import Invalid, NotFound
from server.models import Account
from server.store import domains as domains_store
from server.store import home_feed
from server.store import rules as rules_store
from server.store import statuses as statuses_store
from server.urls import Urls

ACTIONS = ("suspend", "unsuspend", "delete_posts")


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
    if action != "unsuspend" and not (rule_ids or reason):
        raise Invalid("Cite the rules broken or give a reason.", field="reason")
    cited = "; ".join(rules[r].text for r in rule_ids)
    async with pool.acquire() as conn, conn.transaction():
        if action == "suspend":
            changed = await conn.fetchval(
                "UPDATE accounts SET suspended_at = now() WHERE id = $1 AND suspended_at IS NULL RETURNING true",
                target.id)
            if target.is_local and changed:
                await conn.execute("DELETE FROM web_sessions WHERE account_id = $1", target.id)
                await conn.execute("UPDATE oauth_tokens SET revoked_at = now() WHERE account_id = $1"
                                   " AND revoked_at IS NULL", target.id)
                await outbound.account_gone(conn, urls, target)
        elif action == "unsuspend":
            changed = await conn.fetchval(
                "UPDATE accounts SET suspended_at = NULL WHERE id = $1 AND suspended_at IS NOT NULL RETURNING true",
                target.id)
            if target.is_local and changed:
                await outbound.profile_updated(conn, urls, target)
        else:
            ids = await statuses_store.delete_all_by_account(conn, target.id)
            for status_id in ids:
                await home_feed.remove_status(conn, status_id)
            changed = True
        if not changed:
            raise NotFound(f"@{target.handle()} is already {'suspended' if action == 'suspend' else 'active'}.")
        await domains_store.log(conn, staff_id, f"account: {action}", f"@{target.handle()}",
                                " — ".join(x for x in (cited, reason) if x))
