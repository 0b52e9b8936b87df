"""The stream names Mastodon clients subscribe to, parsed and checked once.

Names and error messages follow Mastodon's streaming server (streaming/index.js
`channelNameToIds`), since clients show those messages as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from server.domain import scopes

PUBLIC = frozenset({"public", "public:media", "public:local", "public:local:media", "public:remote",
                    "public:remote:media", "hashtag", "hashtag:local"})
PERSONAL = frozenset({"user", "user:notification", "list", "direct"})  # need a token with an account
TAG_RE = re.compile(r"^\w{1,100}$")


class StreamError(Exception):
    """A subscription refused; `status` and the message go back to the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Stream:
    name: str
    key: str | None = None  # what makes subscriptions distinct: the lower-cased tag or the list id
    shown: str | None = field(default=None, compare=False)  # the tag as the client wrote it, echoed back

    @property
    def label(self) -> list[str]:
        """The `stream` array of outgoing WebSocket frames, e.g. ["hashtag", "Kith"]."""
        return [self.name] if self.shown is None else [self.name, self.shown]

    @property
    def scope(self) -> str:
        return "read:notifications" if self.name == "user:notification" else "read:statuses"

    @property
    def local(self) -> bool | None:
        """True for local-only streams, False for remote-only, None for both."""
        parts = self.name.split(":")
        return True if "local" in parts else False if "remote" in parts else None

    @property
    def media(self) -> bool:
        return self.name.endswith(":media")


def parse(name: object, tag: object = None, list_id: object = None) -> Stream:
    """A stream from a client's `stream`, `tag` and `list` values; StreamError if it makes no sense."""
    if isinstance(name, list) and name:  # some clients send ["hashtag", "tag"]; Mastodon reads the first
        name = name[0]
    if not isinstance(name, str) or name not in PUBLIC | PERSONAL:
        raise StreamError(400, "Unknown stream type")
    if name.startswith("hashtag"):
        if not isinstance(tag, str) or not tag:
            raise StreamError(400, "No tag for stream provided")
        if not TAG_RE.match(tag):
            raise StreamError(400, "Invalid tag")
        return Stream(name, tag.lower(), tag)
    if name == "list":
        if not isinstance(list_id, (str, int)) or not str(list_id).isdigit() or len(str(list_id)) > 19:
            raise StreamError(401, "Not authorized to stream this list")
        return Stream(name, str(int(list_id)), str(int(list_id)))
    return Stream(name)


def check_access(stream: Stream, account_id: int | None, held: list[str]) -> None:
    """Personal streams need a member's token; every stream needs a read scope (Mastodon's `checkScopes`)."""
    if stream.name in PERSONAL and account_id is None:
        raise StreamError(401, "This stream requires a user's access token")
    if not scopes.grants(held, stream.scope):
        raise StreamError(401, "Access token does not have the required scopes")
