"""RSA key pairs for tests, generated once per session: generation (~50 ms each) is the slow part.

`keypairs(n)` is the first n of the cache (a fixture world maps them to its actors in a fixed
order); `next_keypair()` hands them out in turn, so the accounts a single test makes have distinct
keys as long as it makes fewer than ROTATION of them.
"""

from __future__ import annotations

import itertools
import threading

from federation.keys import generate_rsa_keypair

ROTATION = 64

_keys: list[tuple[str, str]] = []
_lock = threading.Lock()
_turn = itertools.count()


def keypairs(count: int) -> list[tuple[str, str]]:
    with _lock:
        while len(_keys) < count:
            _keys.append(generate_rsa_keypair())
        return _keys[:count]


def next_keypair() -> tuple[str, str]:
    """A (private PEM, public PEM) pair, as federation.keys.generate_rsa_keypair returns."""
    return keypairs(next(_turn) % ROTATION + 1)[-1]
