"""Every query on the instance's published rules."""

from __future__ import annotations

from dataclasses import dataclass

from server.store.accounts import Executor


@dataclass(frozen=True)
class Rule:
    id: int
    position: int
    text: str
    hint: str

    def public(self) -> dict[str, str]:
        """As Mastodon's Rule entity (and NodeInfo's metadata) shows it."""
        return {"id": str(self.id), "text": self.text, "hint": self.hint}


async def all_rules(db: Executor) -> list[Rule]:
    rows = await db.fetch("SELECT id, position, text, hint FROM server_rules ORDER BY position, id")
    return [Rule(**dict(r)) for r in rows]


async def add(db: Executor, text: str, hint: str) -> int:
    return await db.fetchval(
        "INSERT INTO server_rules (position, text, hint)"
        " SELECT coalesce(max(position), 0) + 1, $1, $2 FROM server_rules RETURNING id",
        text, hint,
    )


async def update(db: Executor, rule_id: int, text: str, hint: str, position: int) -> bool:
    return await db.fetchval(
        "UPDATE server_rules SET text = $2, hint = $3, position = $4 WHERE id = $1 RETURNING true",
        rule_id, text, hint, position,
    ) is not None


async def delete(db: Executor, rule_id: int) -> bool:
    return await db.fetchval("DELETE FROM server_rules WHERE id = $1 RETURNING true", rule_id) is not None
