"""The public URLs of local things, derived from the configured domain (never stored)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Urls:
    base: str  # e.g. https://kith.example

    def profile(self, username: str) -> str:
        return f"{self.base}/@{username}"

    def actor(self, username: str) -> str:
        return f"{self.base}/users/{username}"

    def status(self, username: str, status_id: int) -> str:
        return f"{self.base}/@{username}/{status_id}"

    def status_uri(self, username: str, status_id: int) -> str:
        return f"{self.base}/users/{username}/statuses/{status_id}"

    def tag(self, name: str) -> str:
        return f"{self.base}/tags/{quote(name.lower())}"
