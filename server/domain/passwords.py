"""Members' passwords, hashed with argon2id off the event loop (it is deliberately slow).

argon2 and its cffi backend load at the first sign-up or sign-in, not when Kith starts.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argon2

_hasher: argon2.PasswordHasher | None = None  # the tests put a cheap one here


def _argon2() -> argon2.PasswordHasher:
    global _hasher
    if _hasher is None:
        import argon2

        _hasher = argon2.PasswordHasher()
    return _hasher


async def hash_password(password: str) -> str:
    hasher = _argon2()
    return await asyncio.to_thread(hasher.hash, password)


async def matches(stored_hash: str | None, password: str) -> bool:
    """Whether `password` is the one `stored_hash` was made from; a malformed hash matches nothing."""
    from argon2.exceptions import InvalidHashError, VerificationError

    if stored_hash is None:
        return False
    hasher = _argon2()
    try:
        return await asyncio.to_thread(hasher.verify, stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's (then it is made again at sign-in)."""
    return _argon2().check_needs_rehash(stored_hash)
