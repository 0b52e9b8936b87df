"""OAuth scopes as Mastodon defines them: read, write, follow, push, and their sub-scopes."""

from __future__ import annotations

TOP = ("read", "write", "follow", "push", "profile")
READ = ("accounts", "blocks", "bookmarks", "favourites", "filters", "follows", "lists", "mutes",
        "notifications", "search", "statuses")
WRITE = ("accounts", "blocks", "bookmarks", "conversations", "favourites", "filters", "follows", "lists",
         "media", "mutes", "notifications", "reports", "statuses")
ADMIN = ("admin:read", "admin:write", "admin:read:accounts", "admin:write:accounts", "admin:read:reports",
         "admin:write:reports", "admin:read:domain_blocks", "admin:write:domain_blocks",
         "admin:read:domain_allows", "admin:write:domain_allows")
KNOWN = frozenset(TOP + tuple(f"read:{s}" for s in READ) + tuple(f"write:{s}" for s in WRITE) + ADMIN)
# The legacy `follow` scope grants these.
FOLLOW = frozenset({"read:follows", "write:follows", "read:blocks", "write:blocks", "read:mutes", "write:mutes"})


def parse(value: str | None, default: str = "read") -> list[str]:
    """Scopes from a space- (or plus-) separated string; unknown scopes raise ValueError."""
    items = [s for s in (value or default).replace("+", " ").split() if s]
    unknown = [s for s in items if s not in KNOWN]
    if unknown:
        raise ValueError(f"unknown scope {unknown[0]!r}")
    return list(dict.fromkeys(items))


def grants(held: list[str], needed: str) -> bool:
    """Whether the held scopes allow `needed` (e.g. 'read:statuses' is allowed by 'read')."""
    if needed in held:
        return True
    parts = needed.split(":")
    if parts[0] == "admin":
        return len(parts) == 3 and f"admin:{parts[1]}" in held
    return parts[0] in held or ("follow" in held and needed in FOLLOW)


def subset(requested: list[str], allowed: list[str]) -> bool:
    """Whether every requested scope is covered by the app's registered scopes."""
    return all(grants(allowed, scope) for scope in requested)
