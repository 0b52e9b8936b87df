"""The public URLs and ActivityPub ids of local things, derived from the configured domain.

They are never stored: an instance keeps working if its port or scheme changes in testing.
Remote things carry their own ids (`uri`) in the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from server.models import Account, Status

if TYPE_CHECKING:
    from server.media.storage import MediaStorage

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
INSTANCE_ACTOR = "kith.instance"  # the instance actor's username: not a valid member name
DEFAULT_PICTURES = {"avatar": "/static/avatar.png", "header": "/static/header.png"}  # for apps (PNG, not SVG)


def card_image_path(card: Any) -> str:
    """Where our origin serves a link card's image (fetched through the media cache)."""
    return f"/remote/cards/{card.id}"


def emoji_path(owner: Status | Account, shortcode: str) -> str:
    """Where our origin serves another server's custom emoji, by the post or account that lists it."""
    kind = "status" if isinstance(owner, Status) else "account"
    return f"/remote/emoji/{kind}/{owner.id}/{shortcode}"


@dataclass(frozen=True)
class Urls:
    base: str  # e.g. https://kith.example
    # Where media files are; None (as in tests and scripts that do not serve media): our /media/ route.
    storage: MediaStorage | None = field(default=None, compare=False, repr=False)

    @property
    def host(self) -> str:
        """The domain as it appears in handles and ids (with :port when there is one)."""
        return self.base.split("://", 1)[1]

    def profile(self, username: str) -> str:
        return f"{self.base}/@{username}"

    def actor(self, username: str) -> str:
        if username == INSTANCE_ACTOR:
            return f"{self.base}/actor"
        return f"{self.base}/users/{username}"

    def status(self, username: str, status_id: int) -> str:
        return f"{self.base}/@{username}/{status_id}"

    def status_uri(self, username: str, status_id: int) -> str:
        return f"{self.base}/users/{username}/statuses/{status_id}"

    def tag(self, name: str) -> str:
        return f"{self.base}/tags/{quote(name.lower())}"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base}/inbox"

    # Ids of things that may be local or remote.

    def account_uri(self, account: Account) -> str:
        return account.uri if account.uri else self.actor(account.username)

    def account_url(self, account: Account) -> str:
        """The human-facing profile page."""
        if account.uri:
            return account.url or account.uri
        return self.profile(account.username)

    def status_id_uri(self, status: Status) -> str:
        return status.uri if status.uri else self.status_uri(status.author.username, status.id)

    def status_url(self, status: Status) -> str:
        if status.uri:
            return status.url or status.uri
        return self.status(status.author.username, status.id)

    def local_username(self, uri: str) -> str | None:
        """The member an id of ours names (actor or profile URL), or None."""
        for prefix in (f"{self.base}/users/", f"{self.base}/@"):
            if uri.startswith(prefix) and re.fullmatch(r"[A-Za-z0-9_]{1,30}", uri[len(prefix):]):
                return uri[len(prefix):]
        return None

    def local_status_id(self, uri: str) -> int | None:
        """The id of a local status named by its AS2 id or its page URL, or None."""
        match = re.fullmatch(re.escape(self.base) + r"/(?:users/[A-Za-z0-9_]+/statuses|@[A-Za-z0-9_]+)/(\d{1,19})", uri)
        return int(match.group(1)) if match else None

    def follow_uri(self, username: str, follow_id: int) -> str:
        """The id of a Follow we send (we keep the follow's row id in it to match Accept/Reject)."""
        return f"{self.actor(username)}/follows/{follow_id}"

    def local_follow_id(self, uri: str) -> int | None:
        match = re.fullmatch(re.escape(self.base) + r"/users/[A-Za-z0-9_]+/follows/(\d{1,19})", uri)
        return int(match.group(1)) if match else None

    def media(self, key: str, *, absolute: bool = True) -> str:
        """The public URL of a stored media file: the one place where keys become URLs. The storage's
        own URL when it has one (a bucket or its CDN), otherwise our /media/ route (`absolute=False`
        gives the path alone, for links in our own pages)."""
        public = self.storage.url(key) if self.storage is not None else None
        return public or f"{self.base if absolute else ''}/media/{key}"

    def picture(self, path: str | None) -> str | None:
        """An avatar or header URL. Local ones are stored as "/media/<key>" whatever the storage,
        so the database never holds a storage's address; remote ones are stored as their URL."""
        if path and path.startswith("/media/"):
            return self.media(path.removeprefix("/media/"))
        return f"{self.base}{path}" if path and path.startswith("/") else path

    def profile_picture(self, account: Account, kind: Literal["avatar", "header"]) -> str:
        """An account's avatar or header for apps, always on our origin, as Mastodon gives them: ours;
        another server's through our cache (so an app never calls that server), falling back to the
        default image when it cannot be had; or the default image."""
        stored = account.avatar_url if kind == "avatar" else account.header_url
        if not stored or account.suspended_at is not None:
            return f"{self.base}{DEFAULT_PICTURES[kind]}"
        if account.is_local:
            return self.picture(stored) or f"{self.base}{DEFAULT_PICTURES[kind]}"
        return f"{self.base}/remote/{kind}s/{account.id}?fallback=default"

    def emoji(self, owner: Status | Account, shortcode: str, url: str) -> str:
        """A custom emoji's image: this instance's own (a /media/ path), or another's through our cache."""
        return self.picture(url) if url.startswith("/media/") else f"{self.base}{emoji_path(owner, shortcode)}"

    def key_id(self, username: str) -> str:
        """The id of a local account's public key (what its signatures name as keyId)."""
        return f"{self.actor(username)}#main-key"
