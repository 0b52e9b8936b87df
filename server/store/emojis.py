"""Every query on this instance's own custom emoji."""

from __future__ import annotations

from typing import NamedTuple

from server.store.accounts import Executor


class LocalEmoji(NamedTuple):
    id: int
    shortcode: str
    file_path: str
    mime_type: str
    category: str
    visible_in_picker: bool


_COLUMNS = "id, shortcode, file_path, mime_type, category, visible_in_picker"


async def insert(db: Executor, shortcode: str, file_path: str, mime_type: str, category: str) -> LocalEmoji | None:
    """The new emoji; None when the shortcode is taken."""
    row = await db.fetchrow(
        f"INSERT INTO custom_emojis (shortcode, file_path, mime_type, category) VALUES ($1, $2, $3, $4)"
        f" ON CONFLICT DO NOTHING RETURNING {_COLUMNS}", shortcode, file_path, mime_type, category)
    return LocalEmoji(*row) if row else None


async def all_emojis(db: Executor) -> list[LocalEmoji]:
    rows = await db.fetch(f"SELECT {_COLUMNS} FROM custom_emojis ORDER BY category, lower(shortcode)")
    return [LocalEmoji(*r) for r in rows]


async def by_shortcodes(db: Executor, shortcodes: list[str]) -> list[LocalEmoji]:
    rows = await db.fetch(f"SELECT {_COLUMNS} FROM custom_emojis WHERE lower(shortcode) = ANY($1::text[])",
                          [s.lower() for s in shortcodes])
    return [LocalEmoji(*r) for r in rows]


async def delete(db: Executor, emoji_id: int) -> str | None:
    """Remove an emoji; its file's key, to delete."""
    return await db.fetchval("DELETE FROM custom_emojis WHERE id = $1 RETURNING file_path", emoji_id)
