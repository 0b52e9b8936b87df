"""Every query on members' imports and their rows (the rows are a queue: federation/queue.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from server.models import Visibility
from server.store.accounts import Executor


async def create_job(db: Executor, account_id: int, kind: str, mode: str, filename: str,
                     rows: list[dict[str, Any]]) -> int:
    job_id = await db.fetchval(
        "INSERT INTO import_jobs (account_id, kind, mode, filename) VALUES ($1, $2, $3, $4) RETURNING id",
        account_id, kind, mode, filename)
    await db.executemany("INSERT INTO import_rows (job_id, line, data) VALUES ($1, $2, $3)",
                         [(job_id, row["line"], row) for row in rows])
    return job_id


class JobView(NamedTuple):
    id: int
    kind: str
    mode: str
    filename: str
    created_at: datetime
    total: int
    done: int
    failed: int


async def jobs_of(db: Executor, account_id: int, limit: int = 20, job_id: int | None = None) -> list[JobView]:
    """The member's imports, newest first (or the one `job_id`), with their rows counted."""
    rows = await db.fetch(
        "SELECT j.id, j.kind, j.mode, j.filename, j.created_at, count(r.id) AS total,"
        " count(r.id) FILTER (WHERE r.state = 'done') AS done, count(r.id) FILTER (WHERE r.state = 'dead') AS failed"
        " FROM import_jobs j LEFT JOIN import_rows r ON r.job_id = j.id WHERE j.account_id = $1"
        " AND ($3::bigint IS NULL OR j.id = $3) GROUP BY j.id ORDER BY j.id DESC LIMIT $2", account_id, limit, job_id)
    return [JobView(*r) for r in rows]


async def failures(db: Executor, job_id: int, account_id: int, limit: int = 200) -> list[tuple[int, str, str]]:
    """(line, what the line named, why) of the job's failed rows."""
    rows = await db.fetch(
        "SELECT r.line, r.data ->> 'target' AS target, r.last_error FROM import_rows r"
        " JOIN import_jobs j ON j.id = r.job_id WHERE r.job_id = $1 AND j.account_id = $2 AND r.state = 'dead'"
        " ORDER BY r.line LIMIT $3", job_id, account_id, limit)
    return [(r["line"], r["target"], r["last_error"] or "") for r in rows]


async def pending_rows(db: Executor, job_id: int) -> int:
    return await db.fetchval("SELECT count(*) FROM import_rows WHERE job_id = $1 AND state = 'pending'", job_id)


async def job_of_row(db: Executor, row_id: int) -> tuple[int, str, str] | None:
    """(account id, kind, mode) of the job a row belongs to."""
    row = await db.fetchrow("SELECT j.account_id, j.kind, j.mode FROM import_rows r JOIN import_jobs j"
                            " ON j.id = r.job_id WHERE r.id = $1", row_id)
    return (row["account_id"], row["kind"], row["mode"]) if row else None


async def imported_status(db: Executor, account_id: int, old_uri: str) -> int | None:
    return await db.fetchval("SELECT status_id FROM imported_posts WHERE account_id = $1 AND old_uri = $2",
                             account_id, old_uri)


async def remember_imported(db: Executor, account_id: int, old_uri: str, status_id: int, *, redirect: bool) -> None:
    """Remember where an imported post came from (with its old id when its old URLs should redirect)."""
    old_id = old_uri.rstrip("/").rsplit("/", 1)[-1][:100] if redirect else None
    await db.execute("INSERT INTO imported_posts (account_id, old_uri, old_id, status_id) VALUES ($1, $2, $3, $4)"
                     " ON CONFLICT DO NOTHING", account_id, old_uri, old_id, status_id)


async def moved_post(db: Executor, account_id: int, old_id: int) -> int | None:
    """The post imported from the member's archive that had this id where it came from (when this
    instance now serves that domain), unless the id is one of the member's own posts here."""
    return await db.fetchval(
        "SELECT p.status_id FROM imported_posts p WHERE p.account_id = $1 AND p.old_id = $3"
        " AND NOT EXISTS (SELECT 1 FROM statuses s WHERE s.id = $2 AND s.account_id = $1) LIMIT 1",
        account_id, old_id, str(old_id))


async def insert_imported(db: Executor, *, account_id: int, source_text: str, content: str, spoiler_text: str,
                          visibility: Visibility, sensitive: bool, language: str | None, published: Any) -> int:
    """A post brought from the member's archive: dated (and so ordered) as it was first published."""
    return await db.fetchval(
        "INSERT INTO statuses (id, account_id, source_text, content, spoiler_text, visibility, sensitive, language,"
        " created_at) VALUES (kith_id(least($8::timestamptz, now())), $1, $2, $3, $4, $5, $6, $7,"
        " least($8::timestamptz, now())) RETURNING id",
        account_id, source_text, content, spoiler_text, visibility.value, sensitive, language, published,
    )
