"""Every query on outgoing activities, their deliveries and per-host state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.store.accounts import Executor


async def insert_activity(db: Executor, account_id: int, payload: dict[str, Any]) -> int:
    return await db.fetchval(
        "INSERT INTO outbox_activities (account_id, payload) VALUES ($1, $2) RETURNING id", account_id, payload
    )


async def insert_deliveries(db: Executor, activity_id: int, inboxes: list[tuple[str, str]]) -> None:
    """One delivery per (inbox URL, host); a repeated inbox is a no-op, a suspended host gets none,
    and a host whose breaker is open gets it when the breaker lets the next try through."""
    await db.execute(
        "INSERT INTO deliveries (activity_id, inbox_url, host, next_attempt_at)"
        " SELECT $1, i.url, i.host, coalesce((SELECT greatest(h.retry_at, now()) FROM hosts h"
        "  WHERE h.host = i.host AND h.unreachable_since IS NOT NULL), now())"
        " FROM unnest($2::text[], $3::text[]) AS i(url, host)"
        " WHERE NOT EXISTS (SELECT 1 FROM domain_policies dp WHERE dp.severity = 'suspend' AND"
        "  (i.host = dp.domain OR split_part(i.host, ':', 1) = dp.domain"
        "   OR split_part(i.host, ':', 1) LIKE '%.' || dp.domain))"
        " ON CONFLICT (activity_id, inbox_url) DO NOTHING",
        activity_id,
        [url for url, _ in inboxes],
        [host for _, host in inboxes],
    )


async def follower_inboxes(db: Executor, account_id: int) -> list[str]:
    """Where the account's remote followers receive posts: each server's shared inbox once."""
    rows = await db.fetch(
        "SELECT DISTINCT coalesce(a.shared_inbox_url, a.inbox_url) AS inbox FROM follows f"
        " JOIN accounts a ON a.id = f.account_id"
        " WHERE f.target_account_id = $1 AND f.state = 'accepted' AND a.domain IS NOT NULL"
        " AND a.inbox_url IS NOT NULL",
        account_id,
    )
    return [r["inbox"] for r in rows]


async def account_inboxes(db: Executor, account_ids: list[int]) -> list[str]:
    """Inboxes of these accounts (remote ones only), shared inboxes preferred."""
    rows = await db.fetch(
        "SELECT DISTINCT coalesce(shared_inbox_url, inbox_url) AS inbox FROM accounts"
        " WHERE id = ANY($1::bigint[]) AND domain IS NOT NULL AND inbox_url IS NOT NULL",
        account_ids,
    )
    return [r["inbox"] for r in rows]


async def personal_inbox(db: Executor, account_id: int) -> str | None:
    return await db.fetchval("SELECT inbox_url FROM accounts WHERE id = $1 AND domain IS NOT NULL", account_id)


@dataclass(frozen=True)
class ActivityToSend:
    body: bytes  # the JSON as stored, sent as is to every inbox
    username: str  # the local sender, whose key signs it
    private_pem: str


async def activities_to_send(db: Executor, activity_ids: list[int]) -> dict[int, ActivityToSend]:
    rows = await db.fetch(
        "SELECT o.id, o.payload::text AS body, a.username, a.private_key_pem FROM outbox_activities o"
        " JOIN accounts a ON a.id = o.account_id WHERE o.id = ANY($1::bigint[]) AND a.private_key_pem IS NOT NULL",
        activity_ids,
    )
    return {r["id"]: ActivityToSend(r["body"].encode(), r["username"], r["private_key_pem"]) for r in rows}


async def mark_done(db: Executor, delivery_ids: list[int], hosts: list[str]) -> None:
    """Record a batch's successful deliveries and that their hosts answered."""
    if not delivery_ids:
        return
    await db.execute(
        "UPDATE deliveries SET state = 'done', done_at = now(), locked_until = NULL, last_error = NULL"
        " WHERE id = ANY($1::bigint[])",
        delivery_ids,
    )
    await db.execute(
        "INSERT INTO hosts (host, last_success_at) SELECT h, now() FROM unnest($1::text[]) AS h"
        " ON CONFLICT (host) DO UPDATE SET last_success_at = now(), unreachable_since = NULL, retry_at = NULL",
        hosts,
    )


async def defer(db: Executor, delivery_ids: list[int], until: list[datetime], host_failed: list[bool]) -> None:
    """Hand claimed deliveries back untried, each due again at its `until` or when its host's open
    breaker lets the next try through, whichever is later. The claim's attempt stands if the host
    failed meanwhile, and is taken back if the host was only busy."""
    await db.execute(
        "UPDATE deliveries d SET locked_until = NULL, locked_by = NULL,"
        " attempts = d.attempts - CASE WHEN u.failed THEN 0 ELSE 1 END,"
        " next_attempt_at = greatest(u.at, (SELECT h.retry_at FROM hosts h"
        "  WHERE h.host = d.host AND h.unreachable_since IS NOT NULL))"
        " FROM unnest($1::bigint[], $2::timestamptz[], $3::bool[]) AS u(id, at, failed) WHERE d.id = u.id",
        delivery_ids,
        until,
        host_failed,
    )


async def remember_scheme(db: Executor, host: str, scheme: str, *, override: bool) -> None:
    """Record that `host` accepts `scheme` (inbound RFC 9421 only sets it if nothing is known yet)."""
    await db.execute(
        "INSERT INTO hosts (host, signature_scheme) VALUES ($1, $2) ON CONFLICT (host) DO UPDATE"
        " SET signature_scheme = CASE WHEN $3 OR hosts.signature_scheme IS NULL THEN EXCLUDED.signature_scheme"
        " ELSE hosts.signature_scheme END",
        host,
        scheme,
        override,
    )


async def host_failed(db: Executor, host: str, retry_at: datetime) -> None:
    """Mark the host unreachable and defer its other pending deliveries too (a circuit breaker):
    one failed attempt stands for the whole host instead of each delivery timing out in turn."""
    await db.execute(
        "INSERT INTO hosts (host, unreachable_since, retry_at) VALUES ($1, now(), $2) ON CONFLICT (host) DO UPDATE"
        " SET unreachable_since = coalesce(hosts.unreachable_since, now()), retry_at = $2",
        host,
        retry_at,
    )
    await db.execute(
        "UPDATE deliveries SET next_attempt_at = $2 WHERE host = $1 AND state = 'pending'"
        " AND next_attempt_at < $2 AND (locked_until IS NULL OR locked_until < now())",
        host,
        retry_at,
    )


async def known_inboxes(db: Executor, account_id: int) -> list[str]:
    """Every server that knows the account: its followers', those it follows, and those it delivered
    to (shared inboxes preferred, each once)."""
    rows = await db.fetch(
        "SELECT DISTINCT coalesce(a.shared_inbox_url, a.inbox_url) AS inbox FROM accounts a"
        " WHERE a.domain IS NOT NULL AND a.inbox_url IS NOT NULL AND a.id IN ("
        "  SELECT account_id FROM follows WHERE target_account_id = $1"
        "  UNION SELECT target_account_id FROM follows WHERE account_id = $1)"
        " UNION SELECT DISTINCT d.inbox_url FROM deliveries d JOIN outbox_activities o ON o.id = d.activity_id"
        " WHERE o.account_id = $1",
        account_id,
    )
    return [r["inbox"] for r in rows]


async def hosts_by_state(db: Executor) -> dict[str, int]:
    """Peer hosts we delivered to: reachable, or unreachable (their deliveries held back)."""
    row = await db.fetchrow("SELECT count(*) FILTER (WHERE unreachable_since IS NULL) AS reachable,"
                            " count(*) FILTER (WHERE unreachable_since IS NOT NULL) AS unreachable FROM hosts")
    return dict(row)


async def record_failure(db: Executor, host: str, error: str) -> None:
    """The host's latest failed delivery and why, for the admins' federation page."""
    await db.execute(
        "INSERT INTO hosts (host, last_failure_at, last_error) VALUES ($1, now(), $2) ON CONFLICT (host) DO UPDATE"
        " SET last_failure_at = now(), last_error = EXCLUDED.last_error", host, error[:500])


async def retry_host_now(db: Executor, host: str) -> int:
    """Make the host's pending deliveries due now and close its breaker; how many there are."""
    await db.execute("UPDATE hosts SET unreachable_since = NULL, retry_at = NULL WHERE host = $1", host)
    return await db.fetchval(
        "WITH due AS (UPDATE deliveries SET next_attempt_at = now() WHERE host = $1 AND state = 'pending'"
        " RETURNING 1) SELECT count(*) FROM due", host)


async def give_up_host(db: Executor, host: str, reason: str) -> int:
    """Drop the host's pending deliveries for good (kept as dead, with why); how many."""
    return await db.fetchval(
        "WITH dropped AS (UPDATE deliveries SET state = 'dead', locked_until = NULL, last_error = $2"
        " WHERE host = $1 AND state = 'pending' RETURNING 1) SELECT count(*) FROM dropped", host, reason[:1000])
