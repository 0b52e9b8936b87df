"""Every query on domain policies, and on what a policy would sever."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from server.store.accounts import Executor

SEVERITIES = ("suspend", "limit", "noop")

def domain_match(account: str = "a", policy: str = "dp") -> str:
    """SQL condition: account `account`'s domain is policy `policy`'s domain (with or without a port)
    or a subdomain of it."""
    host = f"split_part(lower({account}.domain), ':', 1)"
    return (f"(lower({account}.domain) = {policy}.domain OR {host} = {policy}.domain"
            f" OR {host} LIKE '%.' || {policy}.domain)")


DOMAIN_MATCH = domain_match()
# Accounts (alias `a`) not limited, here or by their domain's policy: kept out of public places.
NOT_LIMITED = (
    "a.limited_at IS NULL AND (a.domain IS NULL OR NOT EXISTS (SELECT 1 FROM domain_policies dp"
    " WHERE dp.severity IN ('limit', 'suspend')"
    f" AND {DOMAIN_MATCH}))"
)


@dataclass(frozen=True)
class DomainPolicy:
    domain: str
    severity: str = "suspend"
    reject_media: bool = False
    reject_reports: bool = False
    public_comment: str = ""
    private_comment: str = ""
    obfuscate: bool = False
    created_at: datetime | None = None  # set when read back from the database


@dataclass(frozen=True)
class DomainAllow:
    domain: str
    created_at: datetime


_COLUMNS = "domain, severity, reject_media, reject_reports, public_comment, private_comment, obfuscate"


async def upsert(db: Executor, policy: DomainPolicy) -> None:
    await db.execute(
        f"INSERT INTO domain_policies ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (domain) DO UPDATE SET severity = EXCLUDED.severity, reject_media = EXCLUDED.reject_media,"
        " reject_reports = EXCLUDED.reject_reports, public_comment = EXCLUDED.public_comment,"
        " private_comment = EXCLUDED.private_comment, obfuscate = EXCLUDED.obfuscate, updated_at = now()",
        policy.domain, policy.severity, policy.reject_media, policy.reject_reports, policy.public_comment,
        policy.private_comment, policy.obfuscate,
    )


async def delete(db: Executor, domain: str) -> bool:
    return await db.fetchval("DELETE FROM domain_policies WHERE domain = $1 RETURNING true", domain) is not None


async def all_policies(db: Executor) -> list[DomainPolicy]:
    rows = await db.fetch(f"SELECT {_COLUMNS}, created_at FROM domain_policies ORDER BY domain")
    return [DomainPolicy(**dict(r)) for r in rows]


class Impact(NamedTuple):
    follows: int
    members: int  # local members with a follow either way


async def impact(db: Executor, domain: str) -> Impact:
    """What suspending `domain` would sever."""
    row = await db.fetchrow(
        "WITH dp AS (SELECT $1::text AS domain), remote AS ("
        f"  SELECT a.id FROM accounts a, dp WHERE a.domain IS NOT NULL AND {DOMAIN_MATCH}),"
        " severed AS (SELECT f.account_id, f.target_account_id FROM follows f"
        "  WHERE f.account_id IN (SELECT id FROM remote) OR f.target_account_id IN (SELECT id FROM remote))"
        " SELECT count(*) AS follows, count(DISTINCT CASE WHEN account_id IN (SELECT id FROM remote)"
        "  THEN target_account_id ELSE account_id END) AS members FROM severed",
        domain,
    )
    return Impact(row["follows"], row["members"])


async def remote_account_ids(db: Executor, domain: str) -> list[int]:
    rows = await db.fetch(
        f"SELECT a.id FROM accounts a, (SELECT $1::text AS domain) dp WHERE a.domain IS NOT NULL AND {DOMAIN_MATCH}",
        domain,
    )
    return [r["id"] for r in rows]


async def log(db: Executor, actor_id: int | None, action: str, target: str, reason: str = "") -> None:
    await db.execute(
        "INSERT INTO moderation_log (actor_id, action, target, reason) VALUES ($1, $2, $3, $4)",
        actor_id, action, target, reason,
    )


async def recent_log(db: Executor, limit: int = 100) -> list[dict]:
    """The newest moderation actions, with the staff member's username (the page decides whether to show it)."""
    rows = await db.fetch(
        "SELECT l.action, l.target, l.created_at, dp.obfuscate, a.username AS staff FROM moderation_log l"
        " LEFT JOIN domain_policies dp ON dp.domain = l.target LEFT JOIN accounts a ON a.id = l.actor_id"
        " ORDER BY l.id DESC LIMIT $1",
        limit,
    )
    return [dict(r) for r in rows]


async def allowed_domains(db: Executor) -> list[str]:
    return [r["domain"] for r in await db.fetch("SELECT domain FROM domain_allows ORDER BY domain")]


async def allows(db: Executor) -> list[DomainAllow]:
    rows = await db.fetch("SELECT domain, created_at FROM domain_allows ORDER BY domain")
    return [DomainAllow(r["domain"], r["created_at"]) for r in rows]


async def allow(db: Executor, domain: str) -> bool:
    return await db.fetchval("INSERT INTO domain_allows (domain) VALUES ($1) ON CONFLICT DO NOTHING RETURNING true",
                             domain) is not None


async def disallow(db: Executor, domain: str) -> bool:
    return await db.fetchval("DELETE FROM domain_allows WHERE domain = $1 RETURNING true", domain) is not None
