"""Every query on link preview cards and the posts waiting for theirs (a queue: federation/queue.py)."""

from __future__ import annotations

from typing import NamedTuple

from server.store.accounts import Executor


class Card(NamedTuple):
    id: int
    url: str
    title: str
    description: str
    provider_name: str
    image_url: str | None


CARD_COLUMNS = ("id", "url", "title", "description", "provider_name", "image_url")  # Card's fields, in order
_COLUMNS = ", ".join(CARD_COLUMNS)


async def want(db: Executor, status_id: int, url: str) -> None:
    """Queue the fetch of a post's card (at once attached if that URL's card is known)."""
    known = await db.fetchval("SELECT id FROM preview_cards WHERE url = $1", url)
    if known is not None:
        await db.execute("UPDATE statuses SET card_id = $2 WHERE id = $1", status_id, known)
        return
    await db.execute("INSERT INTO card_fetches (status_id, url) VALUES ($1, $2)", status_id, url)


async def known(db: Executor, url: str) -> int | None:
    return await db.fetchval("SELECT id FROM preview_cards WHERE url = $1", url)


async def save(db: Executor, url: str, title: str, description: str, provider: str, image_url: str | None) -> int:
    return await db.fetchval(
        "INSERT INTO preview_cards (url, title, description, provider_name, image_url) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (url) DO UPDATE SET title = EXCLUDED.title, description = EXCLUDED.description,"
        " provider_name = EXCLUDED.provider_name, image_url = EXCLUDED.image_url, fetched_at = now() RETURNING id",
        url, title, description, provider, image_url)


async def attach(db: Executor, status_id: int, card_id: int) -> None:
    await db.execute("UPDATE statuses SET card_id = $2 WHERE id = $1", status_id, card_id)


async def for_statuses(db: Executor, status_ids: list[int]) -> dict[int, Card]:
    rows = await db.fetch(
        f"SELECT s.id AS status_id, {', '.join('c.' + c for c in _COLUMNS.split(', '))} FROM statuses s"
        " JOIN preview_cards c ON c.id = s.card_id WHERE s.id = ANY($1::bigint[])", status_ids)
    return {r["status_id"]: Card(*(r[c] for c in _COLUMNS.split(", "))) for r in rows}


async def get(db: Executor, card_id: int) -> Card | None:
    row = await db.fetchrow(f"SELECT {_COLUMNS} FROM preview_cards WHERE id = $1", card_id)
    return Card(*row) if row else None

