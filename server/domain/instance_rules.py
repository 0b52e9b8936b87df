"""The instance's rules, as admins write them and members read them (and cite them in reports);
every change goes into the moderation log."""

from __future__ import annotations

import asyncpg

from server.errors import Invalid, NotFound
from server.store import domains as domains_store
from server.store import rules as rules_store

MAX_RULE = 500


def _checked(text: str, hint: str) -> tuple[str, str]:
    text, hint = text.strip(), hint.strip()
    if not text:
        raise Invalid("A rule needs its text.", field="text")
    if len(text) > MAX_RULE or len(hint) > MAX_RULE:
        raise Invalid(f"Rules and their explanations can have at most {MAX_RULE} characters.", field="text")
    return text, hint


async def add(pool: asyncpg.Pool, staff_id: int, text: str, hint: str) -> int:
    text, hint = _checked(text, hint)
    async with pool.acquire() as conn, conn.transaction():
        rule_id = await rules_store.add(conn, text, hint)
        await domains_store.log(conn, staff_id, "rule: added", f"rule {rule_id}", text)
    return rule_id


async def change(pool: asyncpg.Pool, staff_id: int, rule_id: int, text: str, hint: str, position: int) -> None:
    text, hint = _checked(text, hint)
    if not 0 <= position <= 999_999:
        raise Invalid("The position must be a number.", field="position")
    async with pool.acquire() as conn, conn.transaction():
        if not await rules_store.update(conn, rule_id, text, hint, position):
            raise NotFound("There is no such rule.")
        await domains_store.log(conn, staff_id, "rule: changed", f"rule {rule_id}")


async def remove(pool: asyncpg.Pool, staff_id: int, rule_id: int) -> None:
    async with pool.acquire() as conn, conn.transaction():
        if not await rules_store.delete(conn, rule_id):
            raise NotFound("There is no such rule.")
        await domains_store.log(conn, staff_id, "rule: removed", f"rule {rule_id}")
