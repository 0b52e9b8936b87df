"""Received AS2 documents -> validated, bounded, sanitised inputs for the domain layer.

Raw dicts stop here. Everything a remote sends is bounded: lists are cut to a documented size,
texts are truncated, and a document that cannot be made sense of raises `Malformed`.

Every property that may hold several values is read through `many`: JSON-LD compaction (Takahē,
GoToSocial and every go-fed server) writes a one-item list as the item itself, `"attachment": {...}`.
"""

from __future__ import annotations

import dataclasses
import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from server.models import Visibility
from server.text.sanitize import sanitize_html, strip_html

# The spec's forms, plus the http:// spelling older Mastodon versions sent.
PUBLIC_IDS = frozenset({
    "https://www.w3.org/ns/activitystreams#Public", "http://www.w3.org/ns/activitystreams#Public",
    "as:Public", "Public",
})
ACTOR_TYPES = frozenset({"Person", "Service", "Application", "Group", "Organization"})
ACTIVITY_TYPES = frozenset({
    "Create", "Update", "Delete", "Follow", "Accept", "Reject", "Undo", "Like", "EmojiReact", "Announce", "Block",
    "Flag", "Move", "Add", "Remove", "Dislike",
})
NOTE_TYPES = frozenset({"Note", "Question", "Article", "Page", "Video", "Event", "Audio", "Image"})

# Bounds on what a remote may make us store (documented in the README).
MAX_ID = 2048
MAX_NAME = 200
MAX_BIO = 10_000
MAX_CONTENT = 100_000  # characters of HTML; longer posts are refused
MAX_SUMMARY = 2_000
MAX_FIELDS = 16
MAX_TAGS = 64  # hashtags and mentions together; the rest are ignored
MAX_ADDRESSEES = 1_000
MAX_POLL_OPTIONS = 20
MAX_ATTACHMENTS = 16
MAX_ALT_TEXT = 1_500
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
# PropertyValue as Mastodon's context names it, and as the full IRI (Takahē's profile fields).
PROPERTY_VALUE_TYPES = frozenset({"PropertyValue", "schema:PropertyValue", "http://schema.org#PropertyValue"})


class Malformed(ValueError):
    """A remote document is malformed or breaks a bound; the message says which (never a 422 of ours)."""


@lru_cache(maxsize=4096)
def host_of(url: str) -> str:
    """Lower-cased host[:port] of a URL ('' when it has none); cached: the inbox asks it of every
    activity's id, actor and key several times."""
    try:
        parts = urlsplit(url)
        return parts.netloc.rsplit("@", 1)[-1].lower() if parts.scheme in ("http", "https") else ""
    except ValueError:
        return ""


def many(value: Any) -> list[Any]:
    """A property's values as a list, whether it was sent as a list, one value, or not at all."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _url(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_ID or not host_of(value):
        raise Malformed(f"{what} must be an http(s) URL")
    return value


def object_id(value: Any, what: str = "object") -> str:
    """The id of a reference that may be a URL string or an embedded object with an id."""
    if isinstance(value, dict):
        value = value.get("id")
    return _url(value, f"{what} id")


def optional_id(value: Any) -> str | None:
    """The id of the first value of a property that may be a URL, an object, or a list of either."""
    values = many(value)
    if not values:
        return None
    try:
        return object_id(values[0])
    except Malformed:
        return None


def deletes_itself(activity: dict[str, Any]) -> bool:
    """A Delete whose object is its own actor (still heard from a suspended account)."""
    return activity.get("type") == "Delete" and optional_id(activity.get("object")) == activity.get("actor")


def id_list(value: Any, limit: int = MAX_ADDRESSEES) -> list[str]:
    """Ids from a string, an object, or a list of either; junk entries are skipped."""
    out = []
    for item in many(value)[:limit]:
        if isinstance(item, dict):
            item = item.get("id") or item.get("href")
        if isinstance(item, str) and item and len(item) <= MAX_ID:
            out.append(item)
    return out


def _text(value: Any, limit: int) -> str:
    if isinstance(value, dict):  # nameMap / summaryMap style
        value = next((v for v in value.values() if isinstance(v, str)), "")
    return value[:limit] if isinstance(value, str) else ""


def _html(value: Any, limit: int) -> str:
    return sanitize_html(_text(value, limit))


def _plain(value: Any, limit: int) -> str:
    return strip_html(_text(value, limit)).strip()


def timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def _link(value: Any) -> str | None:
    """The first URL of a `url`-like property: a string, a Link object (`href`), or a list of either."""
    first = next(iter(many(value)), None)
    if isinstance(first, dict):
        first = first.get("href")
    return first if isinstance(first, str) and len(first) <= MAX_ID and host_of(first) else None


def _image_url(value: Any) -> str | None:
    """The URL of an `icon`/`image`: an Image object (or a list of them) whose `url` is a link, or a bare URL."""
    first = next(iter(many(value)), None)
    return _link(first.get("url")) if isinstance(first, dict) else _link(first)


SHORTCODE_RE = re.compile(r"[A-Za-z0-9_]{1,64}")
MAX_EMOJIS = 50


def emojis_of(doc: dict[str, Any]) -> list[dict[str, str]]:
    """The custom emoji an object or actor uses: its `tag` entries of type Emoji, each a `:shortcode:`
    name and an icon image; the first of a shortcode wins, malformed ones are left out."""
    found: dict[str, str] = {}
    for tag in many(doc.get("tag"))[:MAX_TAGS + MAX_EMOJIS]:
        if not isinstance(tag, dict) or tag.get("type") != "Emoji" or not isinstance(tag.get("name"), str):
            continue
        code = tag["name"].strip(":")
        url = _image_url(tag.get("icon"))
        if SHORTCODE_RE.fullmatch(code) and url and code not in found and len(found) < MAX_EMOJIS:
            found[code] = url
    return [{"shortcode": code, "url": url} for code, url in found.items()]


@dataclass(frozen=True)
class RemoteActor:
    uri: str
    username: str
    domain: str
    actor_type: str
    display_name: str
    note: str
    url: str | None
    inbox_url: str
    shared_inbox_url: str | None
    outbox_url: str | None
    followers_url: str | None
    following_url: str | None
    featured_url: str | None
    key_id: str
    public_key_pem: str
    locked: bool
    discoverable: bool
    avatar_url: str | None
    header_url: str | None
    fields: list[dict[str, str]]
    also_known_as: list[str]
    moved_to_uri: str | None
    published: datetime | None
    emojis: list[dict[str, str]] = dataclasses.field(default_factory=list)  # of the name, bio and fields


def as_actor_to_remote(doc: dict[str, Any]) -> RemoteActor:
    """A fetched actor document -> RemoteActor; the key must belong to the actor and sit on its host."""
    if not isinstance(doc, dict):
        raise Malformed("actor is not a JSON object")
    uri = object_id(doc, "actor")
    if doc.get("type") not in ACTOR_TYPES:
        raise Malformed(f"not an actor type: {str(doc.get('type'))[:40]!r}")
    username = doc.get("preferredUsername")
    if not isinstance(username, str) or not USERNAME_RE.match(username):
        raise Malformed("actor has no usable preferredUsername")
    domain = host_of(uri)
    inbox = _url(doc.get("inbox"), "inbox")
    if host_of(inbox) != domain:
        raise Malformed("inbox is not on the actor's host")
    key = next((k for k in many(doc.get("publicKey")) if isinstance(k, dict)), None)
    if not isinstance(key, dict) or not isinstance(key.get("publicKeyPem"), str):
        raise Malformed("actor has no publicKey")
    key_id = _url(key.get("id"), "publicKey")
    owner = key.get("owner", uri)
    if owner != uri or host_of(key_id) != domain:
        raise Malformed("publicKey does not belong to the actor")
    endpoints = doc.get("endpoints") if isinstance(doc.get("endpoints"), dict) else {}
    shared = endpoints.get("sharedInbox")
    shared = shared if isinstance(shared, str) and host_of(shared) == domain else None
    fields = []
    for item in many(doc.get("attachment"))[:MAX_FIELDS]:
        if isinstance(item, dict) and item.get("type") in PROPERTY_VALUE_TYPES:
            fields.append({"name": _plain(item.get("name"), MAX_NAME), "value": _html(item.get("value"), 2_000)})

    def same_host(value: Any) -> str | None:
        found = optional_id(value)
        return found if found and host_of(found) == domain else None

    return RemoteActor(
        uri=uri,
        username=username,
        domain=domain,
        actor_type=doc["type"],
        display_name=_plain(doc.get("name") or "", MAX_NAME),
        note=_html(doc.get("summary") or "", MAX_BIO),
        url=_link(doc.get("url")),
        inbox_url=inbox,
        shared_inbox_url=shared,
        outbox_url=same_host(doc.get("outbox")),
        followers_url=same_host(doc.get("followers")),
        following_url=same_host(doc.get("following")),
        featured_url=same_host(doc.get("featured")),
        key_id=key_id,
        public_key_pem=key["publicKeyPem"][:20_000],
        locked=doc.get("manuallyApprovesFollowers") is True,
        discoverable=doc.get("discoverable") is True,  # unset (null) is not a yes: Mastodon lists only true
        avatar_url=_image_url(doc.get("icon")),
        header_url=_image_url(doc.get("image")),
        fields=fields,
        also_known_as=id_list(doc.get("alsoKnownAs"), 20),
        moved_to_uri=optional_id(doc.get("movedTo")),
        published=timestamp(doc.get("published")),
        emojis=emojis_of(doc),
    )


def visibility_of(to: list[str], cc: list[str], followers_url: str | None) -> Visibility:
    """Mastodon's reading of addressing: Public in to/cc, the followers collection, or neither."""
    if PUBLIC_IDS.intersection(to):
        return Visibility.PUBLIC
    if PUBLIC_IDS.intersection(cc):
        return Visibility.UNLISTED
    if followers_url and (followers_url in to or followers_url in cc):
        return Visibility.PRIVATE
    return Visibility.DIRECT


@dataclass(frozen=True)
class RemoteNote:
    uri: str
    attributed_to: str
    url: str | None
    kind: str  # note | question | article
    title: str
    content: str
    spoiler_text: str
    sensitive: bool
    language: str | None
    published: datetime | None
    updated: datetime | None
    in_reply_to: str | None
    to: list[str]
    cc: list[str]
    mentions: list[str]  # actor ids
    hashtags: list[str]
    poll: dict[str, Any] | None
    attachments: list[dict[str, Any]]
    emojis: list[dict[str, str]] = dataclasses.field(default_factory=list)  # of the content and content warning


def _poll(doc: dict[str, Any]) -> dict[str, Any] | None:
    multiple = doc.get("anyOf") is not None
    choices = many(doc.get("anyOf") if multiple else doc.get("oneOf"))
    if not choices:
        return None
    options = []
    for choice in choices[:MAX_POLL_OPTIONS]:
        if not isinstance(choice, dict):
            continue
        replies = choice.get("replies") if isinstance(choice.get("replies"), dict) else {}
        votes = replies.get("totalItems")
        options.append({
            "title": _plain(choice.get("name"), MAX_NAME),
            "votes": votes if isinstance(votes, int) and 0 <= votes < 2**31 else 0,
        })
    closed = timestamp(doc.get("closed") or doc.get("endTime"))
    voters = doc.get("votersCount")  # Mastodon's; absent elsewhere
    return {"multiple": multiple, "options": options, "closed_at": closed.isoformat() if closed else None,
            "voters_count": voters if isinstance(voters, int) and 0 <= voters < 2**31 else None}


def as_object_to_note(doc: dict[str, Any]) -> RemoteNote:
    """A Note-like object -> RemoteNote. Article/Page/Video become a title and a link."""
    if not isinstance(doc, dict):
        raise Malformed("object is not a JSON object")
    kind_name = doc.get("type")
    if kind_name not in NOTE_TYPES:
        raise Malformed(f"unsupported object type {str(kind_name)[:40]!r}")
    uri = object_id(doc)
    # Lemmy/PeerTube: [person, group], or objects with a type; the person is the author
    attributed = many(doc.get("attributedTo"))
    people = [a for a in attributed if not (isinstance(a, dict) and a.get("type") in ("Group", "Organization"))]
    author = object_id((people or attributed or [None])[0], "attributedTo")
    content = _text(doc.get("content") or "", MAX_CONTENT + 1)
    if not content and isinstance(doc.get("contentMap"), dict):
        content = _text(doc["contentMap"], MAX_CONTENT + 1)
    if len(content) > MAX_CONTENT:
        raise Malformed(f"content is longer than {MAX_CONTENT} characters")
    language = None
    if isinstance(doc.get("contentMap"), dict) and doc["contentMap"]:
        first = next(iter(doc["contentMap"]))
        language = first[:16] if isinstance(first, str) else None
    kind = {"Question": "question", "Note": "note"}.get(kind_name, "article")
    title = _plain(doc.get("name") or "", MAX_NAME) if kind == "article" else ""
    link = _link(doc.get("url"))
    body = sanitize_html(content)
    if kind == "article":
        summary = _html(doc.get("summary") or "", MAX_SUMMARY)
        target = link or uri
        body = f'<p><strong><a href="{html.escape(target)}">{html.escape(title or target)}</a></strong></p>{summary}'
        body = sanitize_html(body)
    mentions, hashtags = [], []
    for tag in many(doc.get("tag"))[:MAX_TAGS]:
        if not isinstance(tag, dict):
            continue
        if tag.get("type") == "Mention" and isinstance(tag.get("href"), str) and host_of(tag["href"]):
            mentions.append(tag["href"])
        elif tag.get("type") == "Hashtag" and isinstance(tag.get("name"), str):
            name = tag["name"].lstrip("#")
            if re.fullmatch(r"\w{1,100}", name):
                hashtags.append(name)
    attachments = []
    for item in many(doc.get("attachment"))[:MAX_ATTACHMENTS]:
        if isinstance(item, dict) and _link(item.get("url")):
            attachments.append({
                "url": _link(item.get("url")),
                "media_type": _text(item.get("mediaType"), 100),
                "description": _plain(item.get("name") or item.get("summary") or "", MAX_ALT_TEXT),
                "blurhash": _text(item.get("blurhash"), 100) or None,
            })
    summary = "" if kind == "article" else _plain(doc.get("summary") or "", MAX_SUMMARY)
    return RemoteNote(
        uri=uri,
        attributed_to=author,
        url=link,
        kind=kind,
        title=title,
        content=body,
        spoiler_text=summary,
        sensitive=doc.get("sensitive") is True or bool(summary),
        language=language,
        published=timestamp(doc.get("published")),
        updated=timestamp(doc.get("updated")),
        in_reply_to=optional_id(doc.get("inReplyTo")),
        to=id_list(doc.get("to")),
        cc=id_list(doc.get("cc")),
        mentions=list(dict.fromkeys(mentions)),
        hashtags=list(dict.fromkeys(hashtags)),
        poll=_poll(doc) if kind == "question" else None,
        attachments=attachments,
        emojis=emojis_of(doc),
    )
