"""Instance moderation: domain policies (with what they would sever, shown before they apply),
and the log every staff action goes into."""

from __future__ import annotations

import re
from dataclasses import replace

import asyncpg

from server.errors import Invalid
from server.store import domains as domains_store
from server.store import follows as follows_store
from server.store import statuses as statuses_store
from server.store.domains import SEVERITIES, DomainPolicy

# Mastodon calls a limit `silence` in its CSV and admin API; Kith shows it as `limit`.
SEVERITY_ALIASES = {"silence": "limit"}


def mastodon_severity(severity: str) -> str:
    """The severity as Mastodon names it (`silence` for a limit), for its CSV and admin API."""
    return "silence" if severity == "limit" else severity



class _Changes:
    """How many moderation changes this process has made: federation's policy cache re-reads when
    the count moves (other processes re-read within the cache's few seconds)."""

    count = 0


def policies_changed() -> None:
    _Changes.count += 1


def policy_changes() -> int:
    return _Changes.count


DOMAIN_RE = re.compile(r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$")
MAX_COMMENT = 1000


def normalise_domain(value: str) -> str:
    domain = value.strip().lower().rstrip(".")
    if domain.startswith(("http://", "https://")):
        domain = domain.split("://", 1)[1].split("/", 1)[0]
    try:
        domain = domain.encode("idna").decode() if domain and not domain.isascii() else domain
    except UnicodeError:
        raise Invalid(f"Not a domain name: {value[:100]!r}", field="domain") from None
    if not DOMAIN_RE.match(domain):
        raise Invalid(f"Not a domain name: {value[:100]!r}", field="domain")
    return domain


def validate(policy: DomainPolicy) -> DomainPolicy:
    """The policy checked, with its domain normalised and Mastodon's `silence` read as `limit`."""
    policy = replace(policy, severity=SEVERITY_ALIASES.get(policy.severity, policy.severity))
    if policy.severity not in SEVERITIES:
        raise Invalid("Severity must be suspend, silence (limit) or noop.", field="severity")
    if len(policy.public_comment) > MAX_COMMENT or len(policy.private_comment) > MAX_COMMENT:
        raise Invalid(f"Comments can have at most {MAX_COMMENT} characters.", field="public_comment")
    return replace(policy, domain=normalise_domain(policy.domain))


async def set_domain_policy(pool: asyncpg.Pool, policy: DomainPolicy, actor_id: int | None, reason: str = "") -> None:
    """Apply a policy in one transaction. Suspending severs follows and purges the domain's posts
    (no tombstones: lifting the suspension lets them be fetched and followed again)."""
    policy = validate(policy)
    async with pool.acquire() as conn, conn.transaction():
        await domains_store.upsert(conn, policy)
        if policy.severity == "suspend":
            remote = await domains_store.remote_account_ids(conn, policy.domain)
            await follows_store.delete_all_of(conn, remote)
            await statuses_store.purge_by_accounts(conn, remote)  # feeds, boosts, notifications cascade
        flags = [f for f in ("reject_media", "reject_reports", "obfuscate") if getattr(policy, f)]
        summary = policy.severity + (f" ({', '.join(flags)})" if flags else "")
        await domains_store.log(conn, actor_id, f"domain_policy: {summary}", policy.domain,
                                reason or policy.private_comment)
    policies_changed()


async def remove_domain_policy(pool: asyncpg.Pool, domain: str, actor_id: int | None, reason: str = "") -> bool:
    domain = normalise_domain(domain)
    async with pool.acquire() as conn, conn.transaction():
        removed = await domains_store.delete(conn, domain)
        if removed:
            await domains_store.log(conn, actor_id, "domain_policy: removed", domain, reason)
    policies_changed()
    return removed


def obfuscated(domain: str) -> str:
    """Mastodon's way to name a domain without spelling it out: 'ex****e.com'."""
    head, _, tail = domain.partition(".")
    if len(head) <= 2:
        return f"{'*' * len(head)}.{tail}" if tail else "*" * len(head)
    return f"{head[0]}{'*' * (len(head) - 2)}{head[-1]}" + (f".{tail}" if tail else "")


async def allow_domain(pool: asyncpg.Pool, domain: str, actor_id: int | None, *, allowed: bool = True) -> bool:
    """Add a domain to (or take it off) the allowlist used in allowlist mode."""
    domain = normalise_domain(domain)
    async with pool.acquire() as conn, conn.transaction():
        changed = await (domains_store.allow(conn, domain) if allowed else domains_store.disallow(conn, domain))
        if changed:
            await domains_store.log(conn, actor_id, f"domain_allow: {'added' if allowed else 'removed'}", domain)
    policies_changed()
    return changed
