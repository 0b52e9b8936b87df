"""Self-test of the bovine interop harness: the peer runs, answers over HTTPS on loopback, and two
bovine servers can follow each other and deliver a post -- the same calls Kith's interop tests make.

Skips (with the reason) when bovine cannot be installed or run here; KITH_SKIP_INTEROP=1 skips too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from tests.interop.bovine_peer import BovinePeer, InteropUnavailable, TestCA, make_ca

pytestmark = pytest.mark.skipif(bool(os.environ.get("KITH_SKIP_INTEROP")), reason="KITH_SKIP_INTEROP is set")

SECOND_HOST, SECOND_ADDRESS = "bovine2.test", "127.0.0.4"


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    try:
        return make_ca(tmp_path_factory.mktemp("tls"))
    except InteropUnavailable as exc:
        pytest.skip(str(exc))


def _start(peer: BovinePeer) -> BovinePeer:
    try:
        peer.start()
    except InteropUnavailable as exc:
        pytest.skip(str(exc))
    return peer


@pytest.fixture(scope="module")
def peer(ca: TestCA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BovinePeer]:
    # Both servers must know both names before either starts (see BovinePeer's docstring).
    peer = _start(BovinePeer(ca=ca, workdir=tmp_path_factory.mktemp("bovine"),
                             extra_hosts={SECOND_HOST: SECOND_ADDRESS}))
    yield peer
    peer.stop()


@pytest.fixture(scope="module")
def second_peer(ca: TestCA, peer: BovinePeer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BovinePeer]:
    other = _start(BovinePeer(ca=ca, workdir=tmp_path_factory.mktemp("bovine2"),
                              hostname=SECOND_HOST, address=SECOND_ADDRESS))
    yield other
    other.stop()


def test_webfinger_and_actor_over_https(peer: BovinePeer) -> None:
    alice = peer.create_actor("alice")
    assert alice.acct == "acct:alice@bovine.test"

    jrd = peer.webfinger(alice.acct)
    assert jrd["subject"] == alice.acct
    assert {"rel": "self", "type": "application/activity+json", "href": alice.actor_id} in jrd["links"]

    status, _, _ = peer.https_get(alice.actor_id)
    assert status == 401, "bovine serves actors only to signed requests (authorized fetch)"

    status, headers, body = peer.https_get("/activitypub/bovine")  # the instance actor is public
    assert status == 200 and "activity+json" in headers["content-type"]
    instance = json.loads(body)
    assert instance["type"] == "Application" and "publicKeyPem" in instance["publicKey"]

    # A signed GET: bovine fetches alice as bob (draft-cavage signature, verified by bovine
    # fetching bob's key with its instance actor's signed GET) -- all over TLS via SSL_CERT_FILE.
    bob = peer.create_actor("bob")
    actor = peer.fetch(bob, alice.actor_id)
    assert actor and actor["id"] == alice.actor_id and actor["inbox"] == alice.inbox
    assert actor["publicKey"]["id"] == alice.public_key_id


def test_follow_accept_and_post_between_two_bovine_servers(peer: BovinePeer, second_peer: BovinePeer) -> None:
    carol = peer.create_actor("carol")
    dave = second_peer.create_actor("dave")

    looked_up = peer.lookup(carol, dave.acct)
    assert looked_up and looked_up["id"] == dave.actor_id

    follow = peer.follow(carol, dave.actor_id)
    assert follow["activity"]["type"] == "Follow" and follow["id"].startswith("https://bovine.test/")

    second_peer.wait_for_inbox(dave, lambda a: a.get("type") == "Follow" and a.get("id") == follow["id"])
    assert second_peer.accept_follows(dave) == [follow["id"]]
    assert second_peer.accept_follows(dave) == []  # idempotent
    peer.wait_for_inbox(carol, lambda a: a.get("type") == "Accept")
    peer.wait_until(lambda: dave.actor_id in peer.following(carol))
    assert second_peer.followers(dave) == [carol.actor_id]

    post = second_peer.post_note(dave, "Hello <em>bovine</em> 🐄")
    create = peer.wait_for_inbox(carol, lambda a: a.get("type") == "Create")
    assert create["id"] == post["id"]
    note = create["object"]
    assert note["id"] == post["object_id"] and note["content"] == "Hello <em>bovine</em> 🐄"
    assert note["attributedTo"] == dave.actor_id
