"""Media keys: `<random folder>/<file>`, the only names any storage (disk or bucket) accepts."""

from __future__ import annotations

import re
import secrets

KEY_RE = re.compile(r"^[0-9a-f]{32}/[a-z]+\.[a-z0-9]+$")


def new_folder() -> str:
    """A fresh random folder name for one upload's files."""
    return secrets.token_hex(16)


def check_key(key: str) -> str:
    """`key` itself, if it is one of ours: no key can point outside the storage's root or bucket."""
    if not KEY_RE.match(key):
        raise ValueError(f"not a media key: {key!r}")
    return key
