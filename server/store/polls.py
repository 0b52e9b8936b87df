"""Poll votes and results: the tallies in statuses.poll, and the polls the workers still have to announce."""

from __future__ import annotations

from typing import Any

from server.store.accounts import Executor

# statuses.poll with each option's votes and voters_count recounted from poll_votes (local polls)
_RECOUNT = (
    "poll || jsonb_build_object('options', (SELECT jsonb_agg(o.v || jsonb_build_object('votes',"
    "   (SELECT count(*) FROM poll_votes pv WHERE pv.status_id = s.id AND pv.choice = o.i - 1)) ORDER BY o.i)"
    "   FROM jsonb_array_elements(s.poll -> 'options') WITH ORDINALITY o(v, i)),"
    " 'voters_count', (SELECT count(DISTINCT account_id) FROM poll_votes pv WHERE pv.status_id = s.id))"
)


async def has_voted(db: Executor, status_id: int, account_id: int) -> bool:
    return bool(await db.fetchval("SELECT 1 FROM poll_votes WHERE status_id = $1 AND account_id = $2",
                                  status_id, account_id))


async def add_votes(db: Executor, status_id: int, account_id: int, choices: list[int], *, local_poll: bool) -> bool:
    """Record an account's choices and update the tallies; False if they were all recorded already.

    A local poll is recounted and marked for its results to be sent; a remote poll's tallies (as its
    server last reported them) grow by this vote until that server sends fresh ones, as on Mastodon.
    """
    added = await db.fetch(
        "INSERT INTO poll_votes (status_id, account_id, choice) SELECT $1, $2, unnest($3::int[])"
        " ON CONFLICT DO NOTHING RETURNING choice", status_id, account_id, choices,
    )
    if not added:
        return False
    if local_poll:
        await db.execute(f"UPDATE statuses s SET poll = {_RECOUNT}, poll_results_dirty = true WHERE id = $1",
                         status_id)
        return True
    new_voter = len(added) == await db.fetchval(
        "SELECT count(*) FROM poll_votes WHERE status_id = $1 AND account_id = $2", status_id, account_id)
    await db.execute(
        "UPDATE statuses s SET poll = poll || jsonb_build_object('options', (SELECT jsonb_agg(o.v"
        "   || jsonb_build_object('votes', coalesce((o.v ->> 'votes')::int, 0) + (o.i - 1 = ANY($2::int[]))::int)"
        "   ORDER BY o.i) FROM jsonb_array_elements(s.poll -> 'options') WITH ORDINALITY o(v, i)),"
        " 'voters_count', coalesce((poll ->> 'voters_count')::int, 0) + $3::int) WHERE id = $1",
        status_id, [r["choice"] for r in added], int(new_voter),
    )
    return True


async def set_results(db: Executor, status_id: int, poll: dict[str, Any]) -> None:
    """A remote poll's results as its server sent them (no edit: no history, no edited mark)."""
    await db.execute("UPDATE statuses SET poll = $2 WHERE id = $1", status_id, poll)


async def voter_ids(db: Executor, status_id: int) -> list[int]:
    rows = await db.fetch("SELECT DISTINCT account_id FROM poll_votes WHERE status_id = $1 ORDER BY account_id",
                          status_id)
    return [r["account_id"] for r in rows]


async def take_dirty(db: Executor, limit: int) -> list[int]:
    """Local polls whose results changed since they were last sent (the flag is cleared: call in the
    transaction that queues the Update)."""
    rows = await db.fetch(
        "UPDATE statuses SET poll_results_dirty = false WHERE id IN (SELECT id FROM statuses"
        " WHERE poll IS NOT NULL AND poll_results_dirty AND deleted_at IS NULL ORDER BY id LIMIT $1"
        " FOR UPDATE SKIP LOCKED) RETURNING id", limit,
    )
    return [r["id"] for r in rows]


async def take_ended(db: Executor, limit: int) -> list[int]:
    """Polls past their end, not yet handled: local ones, and remote ones a member voted in (marked handled)."""
    rows = await db.fetch(
        "UPDATE statuses SET poll_ended_at = now() WHERE id IN (SELECT s.id FROM statuses s"
        " WHERE s.poll IS NOT NULL AND s.poll_ended_at IS NULL AND s.deleted_at IS NULL"
        "  AND (s.poll ->> 'closed_at')::timestamptz <= now()"
        "  AND (s.uri IS NULL OR EXISTS (SELECT 1 FROM poll_votes pv JOIN accounts a ON a.id = pv.account_id"
        "       WHERE pv.status_id = s.id AND a.domain IS NULL))"
        " ORDER BY s.id LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING id", limit,
    )
    return [r["id"] for r in rows]
