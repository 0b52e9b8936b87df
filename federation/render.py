"""Our rows -> ActivityStreams 2.0 documents, shaped as Mastodon sends them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from server.models import Account, Status, Visibility
from server.urls import PUBLIC, Urls

AS2 = "https://www.w3.org/ns/activitystreams"
CONTEXT: list[Any] = [
    AS2,
    "https://w3id.org/security/v1",
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "sensitive": "as:sensitive",
        "Hashtag": "as:Hashtag",
        "toot": "http://joinmastodon.org/ns#",
        "featured": {"@id": "toot:featured", "@type": "@id"},
        "discoverable": "toot:discoverable",
        "schema": "http://schema.org#",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
        "votersCount": "toot:votersCount",
        "Emoji": "toot:Emoji",
        "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
        "movedTo": {"@id": "as:movedTo", "@type": "@id"},
    },
]
ACTIVITY_JSON = "application/activity+json"


def iso(moment: datetime) -> str:
    """UTC with milliseconds, so that posts written within one second keep their order elsewhere."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def actor_to_as(account: Account, public_key_pem: str, urls: Urls) -> dict[str, Any]:
    """A local member's Person document."""
    actor = urls.actor(account.username)
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "id": actor,
        "type": account.actor_type,
        "preferredUsername": account.username,
        "name": account.display_name,
        "summary": account.note,
        "url": urls.profile(account.username),
        "inbox": f"{actor}/inbox",
        "outbox": f"{actor}/outbox",
        "followers": f"{actor}/followers",
        "following": f"{actor}/following",
        "featured": f"{actor}/collections/featured",
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "manuallyApprovesFollowers": account.locked,
        "discoverable": account.discoverable,
        "published": iso(account.created_at),
        "publicKey": {"id": urls.key_id(account.username), "owner": actor, "publicKeyPem": public_key_pem},
        "attachment": [{"type": "PropertyValue", "name": n, "value": v} for n, v, _ in account.fields],
    }
    if account.emojis:
        doc["tag"] = emoji_tags(account.emojis, urls)
    if account.also_known_as:
        doc["alsoKnownAs"] = list(account.also_known_as)
    if account.moved_to_uri:
        doc["movedTo"] = account.moved_to_uri
    if account.avatar_url:
        doc["icon"] = {"type": "Image", "url": urls.picture(account.avatar_url)}
    if account.header_url:
        doc["image"] = {"type": "Image", "url": urls.picture(account.header_url)}
    return doc


def emoji_tags(emojis: tuple[tuple[str, str], ...], urls: Urls) -> list[dict[str, Any]]:
    """This instance's custom emoji a post or profile uses, as Mastodon tags them."""
    return [{"id": f"{urls.base}/emojis/{code}", "type": "Emoji", "name": f":{code}:",
             "icon": {"type": "Image", "url": urls.picture(url)}} for code, url in emojis if url.startswith("/media/")]


def addressing(visibility: Visibility, followers_url: str, mention_uris: list[str]) -> tuple[list[str], list[str]]:
    """(to, cc) for a post, as Mastodon addresses each visibility."""
    if visibility == Visibility.PUBLIC:
        return [PUBLIC], [followers_url, *mention_uris]
    if visibility == Visibility.UNLISTED:
        return [followers_url], [PUBLIC, *mention_uris]
    if visibility == Visibility.PRIVATE:
        return [followers_url], list(mention_uris)
    return list(mention_uris), []


@dataclass(frozen=True)
class NoteParts:
    """What a Note needs beyond the status row."""

    mentions: tuple[Account, ...] = ()
    tags: tuple[str, ...] = ()
    in_reply_to_uri: str | None = None
    attachments: tuple[dict[str, Any], ...] = ()  # media_attachments rows of local uploads
    parent_author_id: int | None = None  # not rendered: the author of the post replied to also receives it


def status_to_as(status: Status, parts: NoteParts, urls: Urls) -> dict[str, Any]:
    """A local status as a Note (no @context: embed it in an activity or add one)."""
    author = status.author
    mention_uris = [urls.account_uri(m) for m in parts.mentions]
    to, cc = addressing(status.visibility, f"{urls.actor(author.username)}/followers", mention_uris)
    tag: list[dict[str, str]] = [
        {"type": "Mention", "href": urls.account_uri(m), "name": f"@{m.handle() if m.domain else m.username}"}
        for m in parts.mentions
    ]
    tag += [{"type": "Hashtag", "href": urls.tag(t), "name": f"#{t}"} for t in parts.tags]
    tag += emoji_tags(status.emojis, urls)
    note: dict[str, Any] = {
        "id": urls.status_id_uri(status),
        "type": "Note",
        "attributedTo": urls.actor(author.username),
        "content": status.content,
        "summary": status.spoiler_text or None,
        "sensitive": status.sensitive,
        "published": iso(status.created_at),
        "url": urls.status_url(status),
        "to": to,
        "cc": cc,
        "inReplyTo": parts.in_reply_to_uri,
        "tag": tag,
        "attachment": [_document(m, urls) for m in parts.attachments],
        "replies": f"{urls.status_id_uri(status)}/replies",
    }
    if status.edited_at:
        note["updated"] = iso(status.edited_at)
    if status.kind == "question" and status.poll:
        note["type"] = "Question"
        note["oneOf" if not status.poll.get("multiple") else "anyOf"] = [
            {"type": "Note", "name": o["title"], "replies": {"type": "Collection", "totalItems": o.get("votes", 0)}}
            for o in status.poll.get("options", [])
        ]
        note["votersCount"] = status.poll.get("voters_count", 0)
        if status.poll.get("closed_at"):
            end = datetime.fromisoformat(status.poll["closed_at"])
            note["endTime"] = iso(end)
            if end <= datetime.now(UTC):
                note["closed"] = iso(end)  # as Mastodon marks a poll that has ended
    return note


def _document(media: dict[str, Any], urls: Urls) -> dict[str, Any]:
    """A local upload as Mastodon federates it: a Document with its type, alt text and blurhash."""
    doc: dict[str, Any] = {
        "type": "Document", "mediaType": media["mime_type"], "url": urls.media(media["file_path"]),
        "name": media["description"] or None, "blurhash": media["blurhash"],
        "focalPoint": [round(media["focus_x"], 2), round(media["focus_y"], 2)],
    }
    original = (media["meta"] or {}).get("original") or {}
    if original.get("width") and original.get("height"):
        doc["width"], doc["height"] = original["width"], original["height"]
    return doc


def create_of(note: dict[str, Any], published: datetime) -> dict[str, Any]:
    """The Create of a post, as an outbox lists it (no @context of its own)."""
    created = activity("Create", note["attributedTo"], note, f"{note['id']}/activity", to=note["to"], cc=note["cc"],
                       published=published)
    created.pop("@context")
    return created


def with_context(doc: dict[str, Any]) -> dict[str, Any]:
    return {"@context": CONTEXT, **doc}


def activity(kind: str, actor: str, obj: Any, activity_id: str, *, published: datetime,
             to: list[str] | None = None, cc: list[str] | None = None) -> dict[str, Any]:
    """An activity wrapping `obj` (an id or an embedded object).

    `published` is required: GoToSocial refuses activities without it (400 "published prop was
    nil"), and Mastodon sends it on every activity.
    """
    doc: dict[str, Any] = {"@context": CONTEXT, "id": activity_id, "type": kind, "actor": actor, "object": obj,
                           "published": iso(published)}
    if to is not None:
        doc["to"] = to
    if cc is not None:
        doc["cc"] = cc
    return doc


def undo(inner: dict[str, Any], undo_id: str, published: datetime) -> dict[str, Any]:
    """Undo of an activity we sent, embedding it (without its own @context)."""
    embedded = {k: v for k, v in inner.items() if k != "@context"}
    return activity("Undo", inner["actor"], embedded, undo_id, published=published)


def announce(boost: Status, boosted: Status, urls: Urls) -> dict[str, Any]:
    """A member's boost as Mastodon sends it; `published` is the time of the boost, so the document is
    the same whether delivered or served at the boost's own id."""
    actor = urls.actor(boost.author.username)
    return activity("Announce", actor, urls.status_id_uri(boosted), urls.status_uri(boost.author.username, boost.id),
                    to=[PUBLIC], cc=[urls.account_uri(boosted.author), f"{actor}/followers"],
                    published=boost.created_at)


def tombstone(object_id: str) -> dict[str, Any]:
    return {"id": object_id, "type": "Tombstone"}


def ordered_collection(collection_id: str, total: int, *, first: str | None = None,
                       items: list[Any] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"@context": CONTEXT, "id": collection_id, "type": "OrderedCollection", "totalItems": total}
    if first is not None:
        doc["first"] = first
    if items is not None:
        doc["orderedItems"] = items
    return doc


def collection_page(page_id: str, part_of: str, items: list[Any], *, next_page: str | None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": CONTEXT, "id": page_id, "type": "OrderedCollectionPage", "partOf": part_of, "orderedItems": items,
    }
    if next_page:
        doc["next"] = next_page
    return doc
