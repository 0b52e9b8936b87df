"""Staff actions on accounts (here or remote): warn, limit (out of public timelines), suspend,
their reversals, and deleting posts — each citing the rules broken and a reason, recorded in the
moderation log, and, for members here, shown to them as a notice they can appeal once."""

from __future__ import annotations

import asyncpg

from federation import outbound
from server.domain import moderation
from server.errors import Invalid, NotFound
from server.models import Account
from server.store import accounts as accounts_store
from server.store import domains as domains_store
from server.store import follows as follows_store
from server.store import home_feed
from server.store import notifications as notifications_store
from server.store import oauth as oauth_store
from server.store import reports as reports_store
from server.store import rules as rules_store
from server.store import sessions as sessions_store
from server.store import statuses as statuses_store
from server.store import warnings as warnings_store
from server.urls import Urls

ACTIONS = ("warn", "sensitive", "unsensitive", "limit", "unlimit", "suspend", "unsuspend", "delete_posts")
REVERSES = {"limit": "unlimit", "suspend": "unsuspend", "sensitive": "unsensitive"}  # what an approved appeal undoes
_FLAGS = {"limit": "limited_at", "unlimit": "limited_at", "sensitive": "sensitized_at", "unsensitive": "sensitized_at"}


async def act(pool: asyncpg.Pool, urls: Urls, staff_id: int, target: Account, action: str, rule_ids: list[int],
              reason: str, *, report_id: int | None = None) -> None:
    """Apply the action; taken on a report (about this account), it also resolves that report."""
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
            changed = await accounts_store.set_flag(conn, target.id, "suspended_at", True)
            if target.is_local and changed:
                await sessions_store.delete_all_of(conn, target.id)
                await oauth_store.revoke_all(conn, target.id)  # also closes their open streams
                await outbound.account_gone(conn, urls, target)
            elif changed:  # a remote account: its follows end both ways; the inbox ignores it from now on
                await follows_store.delete_all_of(conn, [target.id])
        elif action == "unsuspend":
            changed = await accounts_store.set_flag(conn, target.id, "suspended_at", False)
            if target.is_local and changed:
                await outbound.profile_updated(conn, urls, target)
        elif action in _FLAGS:
            changed = await accounts_store.set_flag(conn, target.id, _FLAGS[action], not action.startswith("un"))
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
            await warnings_store.insert(conn, target.id, staff_id, action, rule_ids, reason)
        await domains_store.log(conn, staff_id, f"account: {action}", f"@{target.handle()}",
                                " — ".join(x for x in (cited, reason) if x))
        if report_id is not None:
            if not await reports_store.resolve(conn, report_id, staff_id, action, target_id=target.id):
                raise NotFound("There is no such open report about this account.")
            await domains_store.log(conn, staff_id, "report: resolve", f"report {report_id}", action)
    if action in ("suspend", "unsuspend"):
        moderation.policies_changed()  # the inbox refuses a suspended remote account at once


async def appeal(pool: asyncpg.Pool, account_id: int, warning_id: int, text: str) -> None:
    text = text.strip()
    if not 1 <= len(text) <= 2000:
        raise Invalid("Write your appeal (up to 2000 characters).", field="appeal")
    async with pool.acquire() as conn, conn.transaction():
        if not await warnings_store.add_appeal(conn, warning_id, account_id, text):
            raise NotFound("This action cannot be appealed (again).")
        await notifications_store.tell_staff(conn, "admin.appeal", account_id, warning_id=warning_id)


async def decide_appeal(pool: asyncpg.Pool, urls: Urls, staff_id: int, warning_id: int, approve: bool) -> None:
    """An approved appeal undoes the action (lifting a limit or a suspension); either way it is logged."""
    decided = await warnings_store.decide_appeal(pool, warning_id, staff_id, approve)
    if decided is None:
        raise NotFound("There is no such appeal waiting.")
    target = await accounts_store.get_by_id(pool, decided.account_id)
    if approve and target is not None and decided.action in REVERSES:
        try:
            await act(pool, urls, staff_id, target, REVERSES[decided.action], [], "appeal approved")
        except NotFound:
            pass  # already lifted by hand
    await domains_store.log(pool, staff_id, f"appeal: {'approved' if approve else 'rejected'}",
                            f"@{target.handle() if target else decided.account_id}")
