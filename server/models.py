"""Rows as frozen dataclasses: what the domain layer, the web UI and federation hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Visibility(StrEnum):
    PUBLIC = "public"
    UNLISTED = "unlisted"
    PRIVATE = "private"  # followers only
    DIRECT = "direct"  # mentioned accounts only


class Role(StrEnum):
    ADMIN = "admin"
    MODERATOR = "moderator"
    MEMBER = "member"


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    domain: str | None
    display_name: str
    note: str
    uri: str | None
    url: str | None
    locked: bool
    created_at: datetime
    suspended_at: datetime | None
    discoverable: bool = True
    actor_type: str = "Person"
    avatar_url: str | None = None
    header_url: str | None = None
    fields: tuple[tuple[str, str, str | None], ...] = ()  # (name, sanitised HTML value, verified at: ISO 8601)
    sensitized_at: datetime | None = None  # moderators marked the account's media sensitive
    hide_collections: bool = False  # followers and following lists show only their totals to others
    emojis: tuple[tuple[str, str], ...] = ()  # another server's custom emoji: (shortcode, image URL)
    also_known_as: tuple[str, ...] = ()  # actor ids of the account's other accounts (aliases)
    moved_to_uri: str | None = None  # the account it moved to
    indexable: bool = True  # its public posts may be found by full-text search (Mastodon's `indexable`)

    @property
    def is_local(self) -> bool:
        return self.domain is None

    @property
    def name(self) -> str:
        """What to show as the account's name: the display name or the username."""
        return self.display_name or self.username

    def handle(self) -> str:
        """username for local accounts, username@domain for remote ones (as in /@handle)."""
        return self.username if self.domain is None else f"{self.username}@{self.domain}"


@dataclass(frozen=True)
class Preferences:
    """What a member chose: where their compose form starts (Mastodon's `posting:default:*`) and
    the time zone their pages show times in."""

    visibility: str = "public"
    sensitive: bool = False
    language: str | None = None
    time_zone: str = "UTC"
    expand_spoilers: bool = False  # content warnings shown opened (Mastodon's reading:expand:spoilers)


@dataclass(frozen=True)
class User:
    account: Account
    email: str | None
    role: Role
    preferences: Preferences = Preferences()
    awaiting: str | None = None  # "confirmation" of their address, or "approval" of their application

    @property
    def id(self) -> int:
        return self.account.id

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.ADMIN, Role.MODERATOR)


@dataclass(frozen=True)
class Status:
    id: int
    author: Account
    uri: str | None
    url: str | None
    source_text: str
    content: str
    spoiler_text: str
    visibility: Visibility
    sensitive: bool
    in_reply_to_id: int | None
    created_at: datetime
    edited_at: datetime | None
    kind: str = "note"  # note | question | article
    poll: dict | None = None  # for questions: {"multiple", "options": [{"title", "votes"}], "closed_at"}
    reblog_of_id: int | None = None
    reblog: Status | None = None  # the boosted post, when this row is a boost
    emojis: tuple[tuple[str, str], ...] = ()  # another server's custom emoji: (shortcode, image URL)

    @property
    def is_local(self) -> bool:
        return self.uri is None or (self.reblog_of_id is not None and self.author.is_local)
