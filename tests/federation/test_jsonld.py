"""JSON-LD with bundled contexts: normalising odd documents, and never touching the network."""

from __future__ import annotations

import copy
import logging
import socket
from typing import Any

import pytest
from pyld import jsonld as pyld_jsonld

from federation import jsonld
from federation.jsonld import PUBLIC

AS = "https://www.w3.org/ns/activitystreams#"

# The shape Mastodon sends: AS2, security/v1 and its inline extension map.
MASTODON_CONTEXT: list[Any] = [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
    {
        "ostatus": "http://ostatus.org#",
        "atomUri": "ostatus:atomUri",
        "inReplyToAtomUri": "ostatus:inReplyToAtomUri",
        "conversation": "ostatus:conversation",
        "sensitive": "as:sensitive",
        "toot": "http://joinmastodon.org/ns#",
        "votersCount": "toot:votersCount",
        "blurhash": "toot:blurhash",
        "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
        "Hashtag": "as:Hashtag",
        "Emoji": "toot:Emoji",
        "schema": "http://schema.org#",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
    },
]


def mastodon_create() -> dict[str, Any]:
    note = {
        "id": "https://masto.example/users/alice/statuses/1",
        "type": "Note",
        "summary": None,
        "inReplyTo": None,
        "published": "2024-05-01T10:00:00Z",
        "url": "https://masto.example/@alice/1",
        "attributedTo": "https://masto.example/users/alice",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": ["https://masto.example/users/alice/followers", "https://other.example/users/bob"],
        "sensitive": False,
        "atomUri": "https://masto.example/users/alice/statuses/1",
        "inReplyToAtomUri": None,
        "conversation": "tag:masto.example,2024-05-01:objectId=1:objectType=Conversation",
        "content": '<p>Hi <a href="https://other.example/@bob" class="u-url mention">@bob</a> #kith</p>',
        "contentMap": {"en": '<p>Hi <a href="https://other.example/@bob" class="u-url mention">@bob</a> #kith</p>'},
        "attachment": [
            {
                "type": "Document",
                "mediaType": "image/png",
                "url": "https://files.masto.example/a.png",
                "name": "a cat",
                "blurhash": "UBL_:rOpGG-;~qRjWBay",
                "focalPoint": [0.0, 0.5],
                "width": 640,
                "height": 480,
            }
        ],
        "tag": [
            {"type": "Mention", "href": "https://other.example/users/bob", "name": "@bob@other.example"},
            {"type": "Hashtag", "href": "https://masto.example/tags/kith", "name": "#kith"},
        ],
    }
    return {
        "@context": MASTODON_CONTEXT,
        "id": "https://masto.example/users/alice/statuses/1/activity",
        "type": "Create",
        "actor": "https://masto.example/users/alice",
        "published": "2024-05-01T10:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": ["https://masto.example/users/alice/followers", "https://other.example/users/bob"],
        "object": note,
    }


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make pyld's own loader and every socket fail loudly, recording what was attempted."""
    attempts: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(repr(args[:2]))
        raise AssertionError(f"network access attempted: {args[:2]!r}")

    monkeypatch.setattr(pyld_jsonld, "_default_document_loader", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


def test_mastodon_create_note_keeps_its_plain_terms(no_network: list[str]) -> None:
    doc = mastodon_create()
    original = copy.deepcopy(doc)

    out = jsonld.compact_as2(doc)

    assert doc == original  # the input is left alone
    assert out["type"] == "Create"
    assert out["actor"] == "https://masto.example/users/alice"
    assert out["to"] == PUBLIC  # single-item arrays compact to a value
    assert out["cc"] == ["https://masto.example/users/alice/followers", "https://other.example/users/bob"]
    note = out["object"]
    assert note["type"] == "Note"
    assert note["id"] == "https://masto.example/users/alice/statuses/1"
    assert note["attributedTo"] == "https://masto.example/users/alice"
    assert note["content"].startswith("<p>Hi ")
    assert note["contentMap"]["en"].startswith("<p>Hi ")
    assert note["sensitive"] is False
    assert note["atomUri"] == "https://masto.example/users/alice/statuses/1"
    assert note["conversation"].startswith("tag:masto.example")
    assert note["attachment"]["blurhash"] == "UBL_:rOpGG-;~qRjWBay"
    assert note["attachment"]["focalPoint"] == [0.0, 0.5]
    assert [t["type"] for t in note["tag"]] == ["Mention", "Hashtag"]
    assert "summary" not in note  # JSON-LD drops nulls
    assert no_network == []


def test_full_iris_compact_to_as2_terms(no_network: list[str]) -> None:
    doc = {
        "@id": "https://odd.example/notes/1",
        "@type": AS + "Note",
        AS + "content": "hello",
        AS + "attributedTo": {"@id": "https://odd.example/users/a"},
        AS + "to": [{"@id": AS + "Public"}],
        AS + "cc": [{"@id": "https://odd.example/users/a/followers"}],
        "https://w3id.org/security#publicKey": {"@id": "https://odd.example/users/a#key"},
    }

    out = jsonld.compact_as2(doc)

    assert out["id"] == "https://odd.example/notes/1"
    assert out["type"] == "Note"
    assert out["content"] == "hello"
    assert out["attributedTo"] == "https://odd.example/users/a"
    assert out["to"] == PUBLIC
    assert out["cc"] == "https://odd.example/users/a/followers"
    assert out["publicKey"] == "https://odd.example/users/a#key"


def test_prefixed_terms_and_public_aliases_normalise(no_network: list[str]) -> None:
    doc = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://odd.example/notes/2",
        "type": "as:Note",
        "as:content": "prefixed",
        "to": ["as:Public", "https://odd.example/users/b"],
        "cc": "Public",
        "object": {"type": "Note", "audience": "as:Public"},
    }

    out = jsonld.compact_as2(doc)

    assert out["type"] == "Note"
    assert out["content"] == "prefixed"
    assert out["to"] == [PUBLIC, "https://odd.example/users/b"]
    assert out["cc"] == PUBLIC
    assert out["object"]["audience"] == PUBLIC


def test_relative_iris_stay_relative() -> None:
    """pyld would otherwise resolve them against its placeholder http://example.org/base/."""
    doc = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Note", "url": "/notes/3"}

    assert jsonld.compact_as2(doc)["url"] == "/notes/3"


def test_unknown_context_url_is_empty_and_never_fetched(
    no_network: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    doc = {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://unknown.example/ns/ctx.jsonld"],
        "type": "Note",
        "content": "still read",
    }

    with caplog.at_level(logging.DEBUG, logger="kith.jsonld"):
        out = jsonld.compact_as2(doc)

    assert out["content"] == "still read"
    assert no_network == []
    assert any("https://unknown.example/ns/ctx.jsonld" in r.getMessage() for r in caplog.records)


def test_litepub_context_on_any_instance_is_bundled(no_network: list[str]) -> None:
    doc = {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://akkoma.example/schemas/litepub-0.1.jsonld"],
        "type": "Note",
        "content": "from akkoma",
        "directMessage": True,
    }

    expanded = jsonld.expand(doc)

    assert expanded[0]["http://litepub.social/ns#directMessage"] == [{"@value": True}]
    assert no_network == []


@pytest.mark.parametrize(
    "url",
    sorted(jsonld.BUNDLED) + ["http://www.w3.org/ns/activitystreams", "https://pleroma.example/schemas/litepub-0.1.jsonld"],
)
def test_every_bundled_context_processes(url: str, no_network: list[str]) -> None:
    assert jsonld.bundled_file(url) is not None
    doc = {"@context": ["https://www.w3.org/ns/activitystreams", url], "id": "https://a.example/1", "type": "Note"}

    assert jsonld.expand(doc)[0]["@type"] == [AS + "Note"]


def test_fep_521a_actor_with_did_data_integrity_and_multikey(no_network: list[str]) -> None:
    doc = {
        "@context": [
            "https://www.w3.org/ns/activitystreams",
            "https://w3id.org/security/v1",
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/data-integrity/v1",
            "https://w3id.org/security/multikey/v1",
        ],
        "id": "https://a.example/users/a",
        "type": "Person",
        "assertionMethod": [
            {
                "id": "https://a.example/users/a#ed25519-key",
                "type": "Multikey",
                "controller": "https://a.example/users/a",
                "publicKeyMultibase": "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
            }
        ],
    }

    expanded = jsonld.expand(doc)[0]

    key = expanded["https://w3id.org/security#assertionMethod"][0]
    assert key["@type"] == ["https://w3id.org/security#Multikey"]
    assert key["https://w3id.org/security#controller"] == [{"@id": "https://a.example/users/a"}]


def test_invalid_context_raises_invalid_jsonld() -> None:
    with pytest.raises(jsonld.InvalidJsonLd):
        jsonld.expand({"@context": 42, "type": "Note"})
