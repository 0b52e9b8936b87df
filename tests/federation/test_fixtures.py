"""Every payload in tests/data/activities/, parsed and applied end to end by a real Kith.

How it works
- One Kith instance (tests/federation/conftest.py's `start_instance`, local-testing mode, workers
  off) and one real aiohttp server per fictional fixture host (tests/federation/fixture_servers.py):
  fixture URLs are rewritten to those servers, actor keys are replaced by generated ones, and the
  servers serve every actor and every Note-like object the fixtures contain, so Kith's key
  fetches and "re-fetch from origin" paths run over real HTTP.
- A local member, rosa, follows (accepted) every remote actor, so posts are kept; lena is a
  second, locked member for follow requests. rosa has a few posts of her own for reactions.
- Each fixture file has one applier below, registered in the order they are applied (actors
  first, then actors' Updates, Creates, the edit, reactions and relationships, and Undo /
  Delete / Move / Block last). An applier POSTs the activity signed (cavage) as its actor to
  the shared inbox, asserts 202, drains the queues, and checks the inbox item's final state and
  the concrete effect in the database. Activities aimed at accounts that are not ours are sent
  as they are (and must be cleanly refused or ignored); where a fixture's point is its shape,
  the applier also sends a variant retargeted at our member (say so in its docstring).
- The whole scenario runs once (module-scoped: a Kith per file would blow the time budget);
  failures are recorded per file, and `test_fixture[<file>]` reports its file's failures, so a
  known Kith bug is an xfail on exactly the file that shows it.

The module-scoped instance uses the same `start_instance` / `truncate` the `instances` fixture
uses (that fixture is function-scoped and starts two instances, which 60-odd times over would not
fit in the time budget); it truncates the database first, as `instances` does.
"""

from __future__ import annotations

import copy
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from federation import parse
from federation.fetch import fetch_actor, key_for
from server.domain import lists as lists_domain
from server.domain import posting
from server.models import Account
from server.store import accounts as accounts_store
from server.store import lists as lists_store
from tests.federation.conftest import Instance, drain, start_instance, truncate
from tests.federation.fixture_servers import World, fixture_files, start_world
from tests.helpers import make_member

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
SEED = "<seeding: every actor resolved over HTTP>"

Applier = Callable[["Kith", dict[str, Any]], Awaitable[None]]
APPLIERS: dict[str, Applier] = {}


def applies(path: str) -> Callable[[Applier], Applier]:
    """Register the applier of one fixture file; the registration order is the order of application."""

    def register(fn: Applier) -> Applier:
        assert path not in APPLIERS, f"{path} has two appliers"
        APPLIERS[path] = fn
        return fn

    return register


# Kith bugs the fixtures expose. Remove an entry when its bug is fixed: the xfails are strict, so
# the fixed file shows up as XPASS(strict) until its entry goes.
KNOWN_BUGS: dict[str, str] = {}


@dataclass
class Kith:
    """The instance under test, the fixture servers, and what the run found, file by file."""

    inst: Instance
    world: World
    results: dict[str, list[str]] = field(default_factory=dict)
    current: str = ""
    rosa: Account | None = None
    lena: Account | None = None
    posts: dict[str, int] = field(default_factory=dict)

    @property
    def pool(self) -> asyncpg.Pool:
        return self.inst.pool

    @property
    def fed(self):
        return self.inst.fed

    def url(self, fictional: str) -> str:
        return self.world.url(fictional)

    def member_uri(self, account: Account) -> str:
        return self.fed.urls.actor(account.username)

    def post_uri(self, purpose: str) -> str:
        return self.fed.urls.status_uri("rosa", self.posts[purpose])

    # --- recording ------------------------------------------------------------------------

    def fail(self, path: str, message: str) -> None:
        self.results.setdefault(path, []).append(message)

    def expect(self, condition: Any, message: str) -> None:
        """A soft assertion: recorded against the current file, the applier goes on."""
        if not condition:
            self.fail(self.current, message)

    # --- delivering -----------------------------------------------------------------------

    async def deliver(self, activity: dict[str, Any], *, signer: str | None = None, status: int = 202) -> None:
        """The origin publishes the activity's objects, POSTs it signed to Kith's shared inbox; then drain."""
        self.world.publish(activity)
        got = await self.world.post(f"{self.inst.base}/inbox", activity, signer)
        assert got == status, f"{activity['type']} {activity['id']}: HTTP {got}, expected {status}"
        await drain(self.inst)

    async def item(self, activity: dict[str, Any]) -> asyncpg.Record:
        row = await self.pool.fetchrow(
            "SELECT state, last_error FROM inbox_items WHERE activity_id = $1", activity["id"])
        assert row is not None, f"no inbox item for {activity['id']}"
        return row

    async def done(self, activity: dict[str, Any]) -> None:
        row = await self.item(activity)
        self.expect(row["state"] == "done", f"{activity['type']} {activity['id']}: inbox item {row['state']}"
                                            f" ({row['last_error']}), expected done")

    async def refused_or_ignored(self, activity: dict[str, Any]) -> None:
        """Aimed at someone who is not ours: done (ignored) or dead with a clean `rejected:` reason."""
        row = await self.item(activity)
        clean = row["state"] == "done" or (row["state"] == "dead" and (row["last_error"] or "").startswith("rejected:"))
        self.expect(clean, f"{activity['type']} {activity['id']}: inbox item {row['state']} ({row['last_error']}),"
                           " expected cleanly refused or ignored")

    # --- reading --------------------------------------------------------------------------

    async def account_id(self, fictional_or_real: str) -> int | None:
        return await self.pool.fetchval("SELECT id FROM accounts WHERE uri = $1", self.url(fictional_or_real))

    async def expect_emojis(self, uri: str, codes: list[str], *, actor: bool = False) -> None:
        """The custom emoji kept for a post (or an actor): their shortcodes, in the order given."""
        table = "accounts" if actor else "statuses"
        stored = await self.pool.fetchval(f"SELECT emojis FROM {table} WHERE uri = $1", self.url(uri))
        got = [e["shortcode"] for e in stored or []]
        self.expect(got == codes, f"{uri}: emoji {got}, expected {codes}")

    async def status(self, uri: str) -> asyncpg.Record | None:
        return await self.pool.fetchrow(
            "SELECT s.id, s.uri, s.url, s.content, s.spoiler_text, s.visibility, s.sensitive, s.language, s.kind,"
            " s.title, s.poll, s.in_reply_to_id, s.in_reply_to_uri, s.reblog_of_id, s.created_at, s.edited_at,"
            " s.deleted_at, a.uri AS author FROM statuses s JOIN accounts a ON a.id = s.account_id WHERE s.uri = $1",
            self.url(uri))

    async def tags(self, status_id: int) -> set[str]:
        rows = await self.pool.fetch(
            "SELECT t.name FROM status_tags st JOIN tags t ON t.id = st.tag_id WHERE st.status_id = $1", status_id)
        return {r["name"].lower() for r in rows}

    async def mentions(self, status_id: int) -> set[str]:
        rows = await self.pool.fetch(
            "SELECT a.uri, a.username FROM mentions m JOIN accounts a ON a.id = m.account_id WHERE m.status_id = $1",
            status_id)
        return {r["uri"] or self.fed.urls.actor(r["username"]) for r in rows}

    async def follow_state(self, follower: str | Account, target: str | Account) -> str | None:
        ids = [a.id if isinstance(a, Account) else await self.account_id(a) for a in (follower, target)]
        return await self.pool.fetchval(
            "SELECT state FROM follows WHERE account_id = $1 AND target_account_id = $2", *ids)

    async def in_feed(self, status_id: int, reader: Account | None = None) -> bool:
        return bool(await self.pool.fetchval(
            "SELECT 1 FROM home_feed WHERE account_id = $1 AND status_id = $2", (reader or self.rosa).id, status_id))

    async def favourite(self, uri: str) -> asyncpg.Record | None:
        return await self.pool.fetchrow(
            "SELECT f.status_id, a.uri AS actor FROM favourites f JOIN accounts a ON a.id = f.account_id"
            " WHERE f.uri = $1", uri)

    async def notified(self, kind: str, sender: str, status_id: int | None = None, to: Account | None = None) -> bool:
        return bool(await self.pool.fetchval(
            "SELECT 1 FROM notifications n JOIN accounts a ON a.id = n.from_account_id WHERE n.account_id = $1"
            " AND n.type = $2 AND a.uri = $3 AND n.status_id IS NOT DISTINCT FROM $4",
            (to or self.rosa).id, kind, self.url(sender), status_id))

    async def pending_follow_of(self, target: str) -> str:
        """Make rosa's follow of `target` a pending one (as if just sent); the id Kith gave its Follow."""
        target_id = await self.account_id(target)
        follow_id = await self.pool.fetchval(
            "INSERT INTO follows (account_id, target_account_id, state) VALUES ($1, $2, 'pending')"
            " ON CONFLICT (account_id, target_account_id) DO UPDATE SET state = 'pending' RETURNING id",
            self.rosa.id, target_id)
        return self.fed.urls.follow_uri("rosa", follow_id)

    # --- shared expectations --------------------------------------------------------------

    def clean_html(self, html: str, what: str) -> None:
        """Sanitised: no scripts or event handlers, and every link is rel="nofollow noopener"."""
        lowered = html.lower()
        for bad in ("<script", "<img", "<iframe", "<style", "onerror", "onclick", "javascript:", "style="):
            self.expect(bad not in lowered, f"{what}: unsanitised HTML ({bad}) in {html[:300]!r}")
        for chunk in lowered.split("<a ")[1:]:
            tag = chunk.split(">", 1)[0]
            self.expect('rel="nofollow noopener"' in tag, f"{what}: link without rel=nofollow: <a {tag[:150]}>")
            self.expect("target=" not in tag and "translate=" not in tag, f"{what}: unexpected attribute <a {tag}>")

    async def expect_post(self, uri: str, *, visibility: str, kind: str = "note", tags: set[str] = frozenset(),
                          mentions: set[str] = frozenset(), contains: tuple[str, ...] = (), reply_to: str | None = None,
                          sensitive: bool | None = None, spoiler: str | None = None, title: str | None = None,
                          created: datetime | None = None, in_feed: bool = True) -> asyncpg.Record | None:
        """The stored post; `in_feed`: whether it reached rosa's home feed (she follows every author)."""
        row = await self.status(uri)
        self.expect(row is not None, f"no status {uri}")
        if row is None:
            return None
        self.expect(row["deleted_at"] is None, f"{uri} is deleted")
        self.expect(row["visibility"] == visibility, f"{uri}: visibility {row['visibility']}, expected {visibility}")
        self.expect(row["kind"] == kind, f"{uri}: kind {row['kind']}, expected {kind}")
        got_tags = await self.tags(row["id"])
        self.expect(got_tags == set(tags), f"{uri}: hashtags {sorted(got_tags)}, expected {sorted(tags)}")
        got_mentions = await self.mentions(row["id"])
        wanted = {self.url(m) for m in mentions}
        self.expect(got_mentions == wanted, f"{uri}: mentions {sorted(got_mentions)}, expected {sorted(wanted)}")
        for text in contains:
            self.expect(text in row["content"], f"{uri}: {text!r} not in content {row['content'][:300]!r}")
        self.clean_html(row["content"], uri)
        if reply_to is not None:
            parent = await self.status(reply_to)
            self.expect(parent is not None and row["in_reply_to_id"] == parent["id"],
                        f"{uri}: not threaded under {reply_to} (in_reply_to_id {row['in_reply_to_id']})")
        if sensitive is not None:
            self.expect(row["sensitive"] is sensitive, f"{uri}: sensitive {row['sensitive']}, expected {sensitive}")
        if spoiler is not None:
            self.expect(row["spoiler_text"] == spoiler, f"{uri}: spoiler {row['spoiler_text']!r}, expected {spoiler!r}")
        if title is not None:
            self.expect(row["title"] == title, f"{uri}: title {row['title']!r}, expected {title!r}")
        if created is not None:
            self.expect(row["created_at"] == created, f"{uri}: created_at {row['created_at']}, expected {created}")
        self.expect(await self.in_feed(row["id"]) is in_feed, f"{uri}: in rosa's home feed is not {in_feed}")
        return row

    async def expect_actor(self, doc: dict[str, Any], *, username: str, display_name: str, actor_type: str,
                           locked: bool, shared_inbox: bool, fields: list[str], avatar: str | None = None,
                           header: str | None = None, also_known_as: tuple[str, ...] = (),
                           followers: bool = True, shared_inbox_path: str = "/inbox") -> None:
        """parse.as_actor_to_remote reads the document as expected, and Kith stored the same when it
        fetched the actor over HTTP at seeding time."""
        actor = parse.as_actor_to_remote(doc)
        shared = f"{self.world.host_of(doc['id']).base}{shared_inbox_path}" if shared_inbox else None
        expected = {
            "username": username, "display_name": display_name, "actor_type": actor_type, "locked": locked,
            "inbox_url": doc["inbox"], "shared_inbox_url": shared, "avatar_url": avatar and self.url(avatar),
            "header_url": header and self.url(header), "key_id": doc["publicKey"]["id"],
            "also_known_as": [self.url(a) for a in also_known_as],
            "followers_url": doc.get("followers") if followers else None,
        }
        for name, value in expected.items():
            self.expect(getattr(actor, name) == value, f"parsed {name} {getattr(actor, name)!r}, expected {value!r}")
        self.expect([f["name"] for f in actor.fields] == fields, f"parsed fields {actor.fields}, expected {fields}")
        for item in actor.fields:
            self.clean_html(item["value"], f"field {item['name']}")
        self.clean_html(actor.note, "bio")
        row = await self.pool.fetchrow(
            "SELECT username, display_name, actor_type, locked, inbox_url, shared_inbox_url, avatar_url, header_url,"
            " key_id, also_known_as, followers_url, fields FROM accounts WHERE uri = $1", doc["id"])
        self.expect(row is not None, f"{doc['id']} was not stored when Kith fetched it")
        if row is not None:
            for name, value in expected.items():
                self.expect(row[name] == value, f"stored {name} {row[name]!r}, expected {value!r}")
            self.expect([f["name"] for f in row["fields"]] == fields, f"stored fields {row['fields']}")


def retarget(doc: dict[str, Any], suffix: str = "-retargeted", **changes: Any) -> dict[str, Any]:
    """A variant of a fixture: same shape, a distinct id (so the inbox does not take it for the
    original), some properties replaced."""
    out = copy.deepcopy(doc)
    out["id"] = f"{doc['id']}{suffix}"
    out.update(changes)
    return out


def note(k: Kith, actor: str, note_id: str, content: str, **extra: Any) -> dict[str, Any]:
    """A Create of a minimal public Note: setup for a fixture that names a post the set does not include."""
    actor, note_id = k.url(actor), k.url(note_id)
    obj = {"id": note_id, "type": "Note", "attributedTo": actor, "content": content, "to": [PUBLIC],
           "cc": [f"{actor}/followers"], "published": "2024-10-01T12:00:00Z", **extra}
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{note_id}/activity", "type": "Create",
            "actor": actor, "object": obj, "to": obj["to"], "cc": obj["cc"]}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# =====================================================================================
# Actor documents. The fixture servers serve them; Kith fetched each one over HTTP when it
# resolved the actor's key at seeding time (see `seed`), exactly as on first contact.
# =====================================================================================


@applies("mastodon/actor-person.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await k.expect_actor(
        doc, username="alice", display_name="Alice :blobcat:", actor_type="Person", locked=False, shared_inbox=True,
        fields=["Website", "Pronouns"], avatar=doc["icon"]["url"], header=doc["image"]["url"],
        also_known_as=("https://akkoma.example/users/alice",))
    await k.expect_emojis(doc["id"], ["blobcat"], actor=True)
    actor = parse.as_actor_to_remote(doc)
    k.expect('href="https://alice.example"' in actor.fields[0]["value"], f"Website field {actor.fields[0]}")
    k.expect(actor.discoverable and actor.published == utc(2022, 11, 7), "discoverable / published")
    k.expect("#<span>houseplants</span>" in actor.note, f"bio {actor.note!r}")


@applies("mastodon/actor-service-bot.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await k.expect_actor(doc, username="newsbot", display_name="Garden News Bot", actor_type="Service", locked=False,
                         shared_inbox=True, fields=["Operator", "Source"], avatar=doc["icon"]["url"])


@applies("mastodon/actor-application-instance.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await k.expect_actor(doc, username="mastodon.example", display_name="", actor_type="Application", locked=True,
                         shared_inbox=True, fields=[], followers=False)


@applies("gotosocial/actor-person.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Locked, no sharedInbox, and a keyId that is a path (`…/main-key`) served as an actor stub."""
    await k.expect_actor(doc, username="dana", display_name="dana 🌱", actor_type="Person", locked=True,
                         shared_inbox=False, fields=["pronouns", "allotment"], avatar=doc["icon"]["url"])


@applies("gotosocial/actor-person-moved-target.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await k.expect_actor(doc, username="carol", display_name="carol", actor_type="Person", locked=False,
                         shared_inbox=False, fields=[], also_known_as=("https://mastodon.example/users/carol",))


@applies("takahe/actor-person.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """JSON-LD compacted: the one profile field is a bare object typed with the full schema.org IRI."""
    await k.expect_actor(
        doc, username="ada", display_name="Ada", actor_type="Person", locked=False, shared_inbox=True,
        fields=["Website"], avatar=doc["icon"]["url"], header=doc["image"]["url"], shared_inbox_path="/inbox/")


@applies("akkoma/actor-person.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await k.expect_actor(doc, username="erin", display_name="erin :blobcat:", actor_type="Person", locked=False,
                         shared_inbox=True, fields=["garden"], avatar=doc["icon"]["url"], header=doc["image"]["url"])
    await k.expect_emojis(doc["id"], ["blobcat"], actor=True)  # Akkoma's Emoji tags have no mediaType
    k.expect(parse.as_actor_to_remote(doc).url == doc["id"], "url == id")


@applies("misskey/actor-person.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await k.expect_actor(doc, username="frank", display_name="Frank 🐈", actor_type="Person", locked=False,
                         shared_inbox=True, fields=["Website", "Location"], avatar=doc["icon"]["url"],
                         header=doc["image"]["url"])


@applies("lemmy/actor-group.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await k.expect_actor(doc, username="technology", display_name="Technology", actor_type="Group", locked=False,
                         shared_inbox=True, fields=[], avatar=doc["icon"]["url"], header=doc["image"]["url"])
    k.expect(parse.as_actor_to_remote(doc).featured_url == doc["featured"], "featured collection")


@applies("lemmy/actor-person.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await k.expect_actor(doc, username="grace", display_name="Grace", actor_type="Person", locked=False,
                         shared_inbox=True, fields=[], avatar=doc["icon"]["url"], followers=False)
    k.expect(not parse.as_actor_to_remote(doc).discoverable, "no discoverable: not listed in the directory")


@applies("peertube/actor-application.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await k.expect_actor(doc, username="peertube", display_name="peertube", actor_type="Application", locked=False,
                         shared_inbox=True, fields=[])
    k.expect(parse.as_actor_to_remote(doc).note == "", "summary: null gives an empty bio")


@applies("peertube/actor-person.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """`icon` is an array of sizes: the first (120 px) is the avatar."""
    await k.expect_actor(doc, username="jules", display_name="Jules", actor_type="Person", locked=False,
                         shared_inbox=True, fields=[], avatar=doc["icon"][0]["url"])


@applies("peertube/actor-group.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await k.expect_actor(doc, username="jules_garden", display_name="Jules' Balcony Garden", actor_type="Group",
                         locked=False, shared_inbox=True, fields=[], avatar=doc["icon"][0]["url"],
                         header=doc["image"][0]["url"])


# =====================================================================================
# Actors' Updates
# =====================================================================================


@applies("misskey/update-person.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await k.deliver(doc)
    await k.done(doc)
    row = await k.pool.fetchrow("SELECT display_name, note FROM accounts WHERE uri = $1", doc["actor"])
    k.expect(row["display_name"] == "Frank 🐈 (no seedlings left)", f"display name {row['display_name']!r}")
    k.expect("Out of seedlings until spring!" in row["note"], f"bio {row['note']!r}")
    k.clean_html(row["note"], "bio")


@applies("gotosocial/update-person-one-field.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """dana is down to one profile field, which go-fed writes as a bare object, not a list."""
    await k.deliver(doc)
    await k.done(doc)
    fields = await k.pool.fetchval("SELECT fields FROM accounts WHERE uri = $1", doc["actor"])
    k.expect(fields == [{"name": "pronouns", "value": "she/they"}], f"fields {fields}")


@applies("takahe/update-person.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Takahē names every profile update `<actor>#update`: a second update under that id is new content
    and applies; the same body delivered again is a duplicate."""
    await k.deliver(doc)
    await k.done(doc)
    name = await k.pool.fetchval("SELECT display_name FROM accounts WHERE uri = $1", doc["actor"])
    k.expect(name == "Ada (on a knitting retreat)", f"display name after the first update {name!r}")
    second = copy.deepcopy(doc)
    second["object"]["name"] = "Ada (back home)"
    await k.deliver(second)
    await k.deliver(second)
    name = await k.pool.fetchval("SELECT display_name FROM accounts WHERE uri = $1", doc["actor"])
    k.expect(name == "Ada (back home)", f"display name after the second update under the same id {name!r}")
    states = await k.pool.fetch("SELECT state FROM inbox_items WHERE activity_id = $1", doc["id"])
    k.expect([r["state"] for r in states] == ["done", "done"], f"inbox items for {doc['id']}: {states}")
    fields = await k.pool.fetchval("SELECT fields FROM accounts WHERE uri = $1", doc["actor"])
    k.expect([f["name"] for f in fields] == ["Website"], f"fields {fields}")


# =====================================================================================
# Creates
# =====================================================================================

MASTODON_TOMATO = "https://mastodon.example/users/alice/statuses/113272250105874764"
GTS_FROST = "https://gts.example/users/dana/statuses/01J9NNVGW0HCS6J6K6S393YJEE"
MISSKEY_SKY = "https://misskey.example/notes/9z4v2wxgz7"
LEMMY_POST = "https://lemmy2.example/post/9312"


@applies("mastodon/create-note-reply-attachment.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Applied before the GoToSocial post it answers: Kith must fetch the parent from gts.example."""
    await k.deliver(doc)
    await k.done(doc)
    await k.expect_post(doc["object"]["id"], visibility="unlisted", mentions={"https://gts.example/users/dana"},
                        contains=("didn’t make it through the last frost",), reply_to=GTS_FROST, sensitive=True,
                        spoiler="dead plant (sad)")
    parsed = parse.as_object_to_note(doc["object"])
    k.expect(len(parsed.attachments) == 1 and parsed.attachments[0]["description"].startswith("A frost-blackened")
             and parsed.attachments[0]["blurhash"], f"attachment {parsed.attachments}")


@applies("gotosocial/create-note.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """`to` a bare string, `tag` a single object, `published` with +02:00."""
    await k.deliver(doc)
    await k.done(doc)
    await k.expect_post(doc["object"]["id"], visibility="public", mentions={"https://akkoma.example/users/erin"},
                        contains=("first frost warning tonight",), sensitive=False, spoiler="",
                        created=utc(2024, 10, 8, 9, 2, 40))


@applies("mastodon/create-note.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Also a hostile variant: the sanitiser must strip what a post may not carry."""
    await k.deliver(doc)
    await k.done(doc)
    row = await k.expect_post(doc["object"]["id"], visibility="public", tags={"gardening"},
                              mentions={"https://gts.example/users/dana"}, contains=("First tomato of the season",),
                              sensitive=False, spoiler="", created=utc(2024, 10, 8, 14, 22, 51))
    if row:
        k.expect(row["language"] == "en" and row["url"] == k.url("https://mastodon.example/@alice/113272250105874764"),
                 f"language {row['language']!r} / url {row['url']!r}")
    await k.expect_emojis(doc["object"]["id"], ["blobcat"])
    # Variant: the same post carrying a script, event handlers, an image and a javascript: link.
    hostile = ('<script>alert(1)</script><img src="x" onerror="alert(2)"><iframe src="http://evil.example/">'
               '</iframe><a href="javascript:alert(3)" onclick="alert(4)" style="color:red">click</a>')
    obj = {**doc["object"], "id": f"{doc['object']['id']}-hostile", "content": doc["object"]["content"] + hostile}
    obj.pop("contentMap")
    variant = retarget(doc, "-hostile", object=obj)
    await k.deliver(variant)
    await k.done(variant)
    await k.expect_post(obj["id"], visibility="public", tags={"gardening"}, mentions={"https://gts.example/users/dana"},
                        contains=("First tomato of the season", "click"))


@applies("mastodon/create-note-direct.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Kept (rosa follows alice) but out of rosa's feed: only frank is addressed. Variant: the same
    direct message sent to rosa reaches her feed, with a mention notification."""
    await k.deliver(doc)
    await k.done(doc)
    await k.expect_post(doc["object"]["id"], visibility="direct", mentions={"https://misskey.example/users/9d2t3xmozq"},
                        contains=("chilli seedlings",), in_feed=False)
    rosa = k.member_uri(k.rosa)
    mention = {"type": "Mention", "href": rosa, "name": f"@rosa@{k.inst.host}"}
    obj = {**doc["object"], "id": f"{doc['object']['id']}-to-rosa", "to": [rosa], "tag": [mention]}
    variant = retarget(doc, "-to-rosa", object=obj, to=[rosa])
    await k.deliver(variant)
    await k.done(variant)
    row = await k.expect_post(obj["id"], visibility="direct", mentions={rosa}, contains=("chilli seedlings",))
    if row:
        k.expect(await k.notified("mention", doc["actor"], row["id"]), "rosa was not notified of the mention")


@applies("mastodon/create-question.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await k.deliver(doc)
    await k.done(doc)
    row = await k.expect_post(doc["object"]["id"], visibility="public", kind="question",
                              contains=("Which should I plant next spring?",))
    if row:
        k.expect(row["poll"] == {"multiple": True, "closed_at": "2024-10-10T07:45:00+00:00", "options": [
            {"title": "Tomatoes", "votes": 4}, {"title": "Peppers", "votes": 7}, {"title": "Squash", "votes": 2}],
            "voters_count": 9}, f"poll {row['poll']}")


@applies("gotosocial/create-note-image.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Unlisted as GoToSocial spells it: `to` followers and `cc` Public, both bare strings."""
    await k.deliver(doc)
    await k.done(doc)
    await k.expect_post(doc["object"]["id"], visibility="unlisted", tags={"allotment"}, contains=("harvest haul",))
    await k.expect_emojis(doc["object"]["id"], ["cabbage"])
    # Variant: followers-only, the same bare-string `to` without the Public `cc`.
    obj = {k2: v for k2, v in doc["object"].items() if k2 != "cc"}
    obj["id"] = f"{obj['id']}-followers-only"
    private = {k2: v for k2, v in retarget(doc, "-followers-only", object=obj).items() if k2 != "cc"}
    await k.deliver(private)
    await k.done(private)
    await k.expect_post(obj["id"], visibility="private", tags={"allotment"}, contains=("harvest haul",))
    parsed = parse.as_object_to_note(doc["object"])
    k.expect([a["description"] for a in parsed.attachments]
             == ["A wheelbarrow full of cabbages, leeks and two enormous marrows"],
             f"alt text from `summary`: {parsed.attachments}")


@applies("gotosocial/create-note-one-image.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """One attachment and one tag, each a bare object (go-fed's single-value form)."""
    await k.deliver(doc)
    await k.done(doc)
    row = await k.expect_post(doc["object"]["id"], visibility="public", tags={"allotment"}, contains=("garlic is up",))
    if row:
        media = await k.pool.fetch("SELECT remote_url, description FROM media_attachments WHERE status_id = $1",
                                   row["id"])
        k.expect([(m["remote_url"], m["description"]) for m in media]
                 == [(doc["object"]["attachment"]["url"], doc["object"]["attachment"]["summary"])], f"media {media}")


@applies("takahe/create-note-image.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """pyld-compacted: `to` is `as:Public`, and the one attachment and one hashtag are bare objects."""
    await k.deliver(doc)
    await k.done(doc)
    row = await k.expect_post(doc["object"]["id"], visibility="public", tags={"knitting"}, contains=("Heel turned!",))
    if row:
        media = await k.pool.fetch("SELECT remote_url, description FROM media_attachments WHERE status_id = $1",
                                   row["id"])
        k.expect([(m["remote_url"], m["description"]) for m in media]
                 == [(doc["object"]["attachment"]["url"], doc["object"]["attachment"]["name"])], f"media {media}")


@applies("akkoma/create-note.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await k.deliver(doc)
    await k.done(doc)
    await k.expect_post(doc["object"]["id"], visibility="public", tags={"gardening"},
                        mentions={"https://mastodon.example/users/alice"}, contains=("congrats!!",),
                        reply_to=MASTODON_TOMATO, sensitive=False)
    await k.expect_emojis(doc["object"]["id"], ["blobcat"])


@applies("misskey/create-note.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await k.deliver(doc)
    await k.done(doc)
    row = await k.expect_post(doc["object"]["id"], visibility="public", tags={"photography"},
                              contains=("Autumn sky over the river",), spoiler="")
    if row:
        k.expect(row["url"] is None, f"no url in the Note, got {row['url']!r}")
    await k.expect_emojis(doc["object"]["id"], ["blobcat_thumbsup"])


@applies("misskey/create-note-quote.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """A content warning with no text (`summary` a zero-width space) still marks the post sensitive."""
    await k.deliver(doc)
    await k.done(doc)
    row = await k.expect_post(doc["object"]["id"], visibility="public", contains=("Nice tomato!", "RE: "),
                              sensitive=True)
    if row:
        k.expect(row["spoiler_text"].strip("\u200b") == "", f"spoiler {row['spoiler_text']!r}")
        k.expect(f'href="{k.url(MASTODON_TOMATO)}"' in row["content"], "the quoted post's link is kept")


@applies("misskey/create-note-reply-inreplyto-object.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """`inReplyTo` is the embedded parent Note, not its id."""
    await k.deliver(doc)
    await k.done(doc)
    await k.expect_post(doc["object"]["id"], visibility="public", contains=("east bridge",), reply_to=MISSKEY_SKY)


@applies("misskey/create-question.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await k.deliver(doc)
    await k.done(doc)
    row = await k.expect_post(doc["object"]["id"], visibility="public", kind="question",
                              contains=("Hottest chilli",))
    if row:
        k.expect(row["poll"] == {"multiple": False, "closed_at": "2024-10-12T12:00:00.125000+00:00", "options": [
            {"title": "Jalapeño", "votes": 12}, {"title": "Habanero", "votes": 5},
            {"title": "Carolina Reaper", "votes": 1}], "voters_count": None}, f"poll {row['poll']}")


@applies("lemmy/announce-create-page.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """FEP-1b12, applied before lemmy2's own Create reaches us: the community relay is how a
    Lemmy post reaches a server that follows the community. It is signed by the announcing Group
    (its `actor`), as Lemmy signs it. The post must be kept, and taken from its origin
    (lemmy2.example serves it), not from the Group-signed embedded copy: a variant relayed first
    carries a doctored copy of the same Page, which must not be what Kith keeps."""
    create = doc["object"]
    doctored = retarget(doc, "-doctored", object=retarget(
        create, "-doctored", object={**create["object"], "name": "Doctored by the relay"}))
    await k.deliver(doctored)
    await k.done(doctored)
    await k.deliver(doc)
    await k.done(doc)
    await k.expect_post(LEMMY_POST, visibility="public", kind="article", title="Show your homelab: October edition",
                        mentions={"https://lemmy.example/c/technology"})


@applies("lemmy/create-page.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await k.deliver(doc)
    await k.done(doc)
    await k.expect_post(LEMMY_POST, visibility="public", kind="article", title="Show your homelab: October edition",
                        mentions={"https://lemmy.example/c/technology"},
                        contains=(f'href="{k.url(LEMMY_POST)}"', "Show your homelab"))


@applies("lemmy/create-note-comment.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await k.deliver(doc)
    await k.done(doc)
    await k.expect_post(doc["object"]["id"], visibility="public", mentions={"https://lemmy2.example/u/heidi"},
                        contains=("Raspberry Pi taped to the door",), reply_to=LEMMY_POST)


@applies("peertube/create-video.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Activity id == video id; `url` is a list of Links (the first is the watch page)."""
    await k.deliver(doc)
    await k.done(doc)
    watch = k.url("https://peertube.example/videos/watch/64b92ec6-9782-4542-a2c8-8caca5566832")
    row = await k.expect_post(doc["object"]["id"], visibility="public", kind="article",
                              title="Overwintering chillies on a balcony", tags={"gardening", "chillies"},
                              contains=(f'href="{watch}"',))
    if row:
        k.expect(row["author"] == k.url("https://peertube.example/accounts/jules"), f"author {row['author']}")


@applies("writefreely/create-article.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Create id == Article id; the actor is the blog (a collection actor, synthesized)."""
    await k.deliver(doc)
    await k.done(doc)
    await k.expect_post(doc["object"]["id"], visibility="public", kind="article", title="First frost",
                        tags={"gardening", "frost"},
                        contains=(f'href="{k.url("https://writefreely.example/gardenlog/first-frost")}"',))


@applies("plume/create-article.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """`attributedTo` is [author, blog]: the author is kim."""
    await k.deliver(doc)
    await k.done(doc)
    row = await k.expect_post(doc["object"]["id"], visibility="public", kind="article", title="Seed saving 101",
                              tags={"seeds"}, mentions={"https://gts.example/users/dana"},
                              contains=("Ferment, dry, label, repeat",))
    if row:
        k.expect(row["author"] == k.url("https://plume.example/@/kim"), f"author {row['author']}")


@applies("variants/create-note-as-public.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await k.deliver(doc)
    await k.done(doc)
    await k.expect_post(doc["object"]["id"], visibility="public", contains=("compacted as:Public form",))


# =====================================================================================
# The edit
# =====================================================================================


@applies("mastodon/update-note.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await k.deliver(doc)
    await k.done(doc)
    row = await k.expect_post(MASTODON_TOMATO, visibility="public", tags={"gardening"},
                              mentions={"https://gts.example/users/dana"}, contains=("slightly lopsided",))
    if row:
        edits = await k.pool.fetch("SELECT content FROM status_edits WHERE status_id = $1", row["id"])
        k.expect(len(edits) == 1 and "First tomato of the season" in edits[0]["content"], f"edits {edits}")
        k.expect(row["edited_at"] == utc(2024, 10, 8, 15, 2, 51), f"edited_at {row['edited_at']}")


@applies("takahe/update-note.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Takahē sends every edit of a post as `<post>#update`: the second edit (same id, new content) applies."""
    await k.deliver(doc)
    await k.done(doc)
    await k.expect_post(doc["object"]["id"], visibility="public", tags={"knitting"}, contains=("gusset next",))
    second = copy.deepcopy(doc)
    second["object"]["content"] = doc["object"]["content"].replace("gusset next!", "gusset done, foot to go.")
    second["object"]["updated"] = "2024-10-10T11:47:19.004Z"
    await k.deliver(second)
    row = await k.expect_post(doc["object"]["id"], visibility="public", tags={"knitting"}, contains=("foot to go",))
    if row:
        edits = await k.pool.fetch("SELECT content FROM status_edits WHERE status_id = $1 ORDER BY id", row["id"])
        k.expect(len(edits) == 2 and "gusset next" in edits[1]["content"], f"edits {edits}")
    states = await k.pool.fetch("SELECT state FROM inbox_items WHERE activity_id = $1", doc["id"])
    k.expect([r["state"] for r in states] == ["done", "done"], f"inbox items for {doc['id']}: {states}")


# =====================================================================================
# Reactions. The originals react to remote posts, which Kith does not track (it keeps
# reactions to its members' posts only); each has a variant aimed at one of rosa's posts.
# =====================================================================================


async def _like_of_rosas_post(k: Kith, doc: dict[str, Any], purpose: str) -> None:
    await k.deliver(doc)
    await k.done(doc)
    k.expect(await k.favourite(doc["id"]) is None, "a reaction to a remote post was kept")
    variant = retarget(doc, object=k.post_uri(purpose))
    await k.deliver(variant)
    await k.done(variant)
    fav = await k.favourite(variant["id"])
    k.expect(fav is not None and fav["status_id"] == k.posts[purpose] and fav["actor"] == doc["actor"],
             f"favourite {fav}")
    k.expect(await k.notified("favourite", doc["actor"], k.posts[purpose]), "rosa was not notified")


@applies("gotosocial/like.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Variant: dana likes rosa's post."""
    await _like_of_rosas_post(k, doc, "liked")


@applies("misskey/like-reaction-custom.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Variant: frank reacts to rosa's post (a Like with `_misskey_reaction`)."""
    await _like_of_rosas_post(k, doc, "liked")


@applies("akkoma/emoji-react-unicode.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Variant: erin reacts 🍅 to rosa's post (kept as a favourite)."""
    await _like_of_rosas_post(k, doc, "react-unicode")


@applies("akkoma/emoji-react-custom.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Variant: erin reacts :blobcat: (an Emoji tag without id) to rosa's post."""
    await _like_of_rosas_post(k, doc, "react-custom")


@applies("lemmy/like-page.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Variant: grace upvotes rosa's post (no to/cc at all)."""
    await _like_of_rosas_post(k, doc, "liked")


async def _boost(k: Kith, doc: dict[str, Any], target: str, visibility: str) -> None:
    await k.deliver(doc)
    await k.done(doc)
    boost = await k.status(doc["id"])
    boosted = await k.status(target)
    k.expect(boost is not None and boosted is not None and boost["reblog_of_id"] == boosted["id"]
             and boost["author"] == doc["actor"] and boost["deleted_at"] is None, f"boost {boost} of {target}")
    if boost is not None:
        k.expect(boost["visibility"] == visibility, f"boost visibility {boost['visibility']}, expected {visibility}")
        k.expect(await k.in_feed(boost["id"]), "the boost did not reach rosa's home feed")


@applies("mastodon/announce.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await _boost(k, doc, GTS_FROST, "public")


@applies("gotosocial/announce.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await _boost(k, doc, MASTODON_TOMATO, "unlisted")


@applies("akkoma/announce.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await _boost(k, doc, GTS_FROST, "public")


@applies("variants/announce-bare-public.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await _boost(k, doc, MASTODON_TOMATO, "public")


@applies("lemmy/announce-like-page.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """The Group relays a vote on a remote post: nothing to keep, nothing to boost."""
    await k.deliver(doc)
    await k.done(doc)
    k.expect(await k.status(doc["id"]) is None, "the relayed Like became a boost")
    k.expect(await k.favourite(doc["object"]["id"]) is None, "a vote on a remote post was kept")


# =====================================================================================
# Follows and their answers. The originals concern remote accounts and must be refused or
# ignored cleanly; the variants follow our members or answer rosa's own follows.
# =====================================================================================


@applies("akkoma/follow.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Variant: erin follows rosa (unlocked): follow kept, notification, signed Accept delivered."""
    await k.deliver(doc)
    await k.refused_or_ignored(doc)
    variant = retarget(doc, object=k.member_uri(k.rosa), to=[k.member_uri(k.rosa)])
    await k.deliver(variant)
    await k.done(variant)
    k.expect(await k.follow_state(doc["actor"], k.rosa) == "accepted", "erin does not follow rosa")
    k.expect(await k.notified("follow", doc["actor"]), "rosa was not notified of the follow")
    accepts = [r for r in k.world.host_of(doc["actor"]).received
               if r.activity.get("type") == "Accept" and isinstance(r.activity.get("object"), dict)
               and r.activity["object"].get("id") == variant["id"]]
    k.expect(len(accepts) == 1, f"{len(accepts)} Accepts of the follow reached akkoma.example")
    if accepts:
        k.expect(accepts[0].signature_ok, "the Accept's signature does not verify")
        k.expect(accepts[0].path == "/users/erin/inbox", f"Accept posted to {accepts[0].path}")
        k.expect(accepts[0].activity["actor"] == k.member_uri(k.rosa), f"Accept by {accepts[0].activity['actor']}")


@applies("mastodon/follow-locked.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Variant: alice follows lena, who is locked: a pending request, and no answer sent yet."""
    await k.deliver(doc)
    await k.refused_or_ignored(doc)
    variant = retarget(doc, object=k.member_uri(k.lena))
    await k.deliver(variant)
    await k.done(variant)
    k.expect(await k.follow_state(doc["actor"], k.lena) == "pending", "alice's request to lena is not pending")
    k.expect(await k.notified("follow_request", doc["actor"], to=k.lena), "lena was not notified of the request")
    answers = [r for r in k.world.host_of(doc["actor"]).received if isinstance(r.activity.get("object"), dict)
               and r.activity["object"].get("id") == variant["id"]]
    k.expect(not answers, f"an answer was sent for a locked account: {answers}")


async def _accept_of_rosas_follow(k: Kith, doc: dict[str, Any], inner: Callable[[str], Any]) -> None:
    """The original (about a follow that is not ours) is refused or ignored; the variant answers
    rosa's pending follow of the Accept's actor and makes it accepted."""
    await k.deliver(doc)
    await k.refused_or_ignored(doc)
    follow_uri = await k.pending_follow_of(doc["actor"])
    variant = retarget(doc, object=inner(follow_uri))
    await k.deliver(variant)
    await k.done(variant)
    state = await k.follow_state(k.rosa, doc["actor"])
    k.expect(state == "accepted", f"rosa's follow of {doc['actor']} is {state}")


@applies("gotosocial/accept-follow.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Variant: dana accepts rosa's follow, re-serialized with GoToSocial's extra `to`."""
    await _accept_of_rosas_follow(k, doc, lambda uri: {**doc["object"], "id": uri, "actor": k.member_uri(k.rosa)})


@applies("mastodon/accept-follow.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Variant: bob accepts rosa's follow (the embedded Follow keeps the follower's id)."""
    await _accept_of_rosas_follow(k, doc, lambda uri: {**doc["object"], "id": uri, "actor": k.member_uri(k.rosa)})


@applies("akkoma/accept-follow.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Variant: erin accepts rosa's follow (the Follow rebuilt with actor/id/object/type only)."""
    await _accept_of_rosas_follow(
        k, doc, lambda uri: {"actor": k.member_uri(k.rosa), "id": uri, "object": doc["actor"], "type": "Follow"})


@applies("mitra/accept-follow-object-string.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Variant: ivan accepts rosa's follow, naming it only by its id string."""
    await _accept_of_rosas_follow(k, doc, lambda uri: uri)


@applies("takahe/accept-follow.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Variant: ada accepts rosa's pending follow, naming a Follow id we no longer know (Takahē keeps the
    first Follow's id across re-follows): matched by the two accounts, as Mastodon does."""
    await _accept_of_rosas_follow(
        k, doc, lambda uri: {**doc["object"], "id": uri.rsplit("/", 1)[0] + "/1", "actor": k.member_uri(k.rosa)})


@applies("mastodon/reject-follow.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Variant: bob rejects rosa's follow: it is gone."""
    await k.deliver(doc)
    await k.refused_or_ignored(doc)
    follow_uri = await k.pending_follow_of(doc["actor"])
    variant = retarget(doc, object={**doc["object"], "id": follow_uri, "actor": k.member_uri(k.rosa)})
    await k.deliver(variant)
    await k.done(variant)
    k.expect(await k.follow_state(k.rosa, doc["actor"]) is None, "rosa's rejected follow is still there")


@applies("mastodon/flag.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Variant: the instance actor reports rosa and one of her posts (account first, then statuses)."""
    await k.deliver(doc)
    await k.done(doc)
    k.expect(not await k.pool.fetchval("SELECT 1 FROM reports WHERE uri = $1", doc["id"]),
             "a report about remote accounts was kept")
    variant = retarget(doc, object=[k.member_uri(k.rosa), k.post_uri("reported")])
    await k.deliver(variant)
    await k.done(variant)
    report = await k.pool.fetchrow(
        "SELECT a.uri AS reporter, r.target_account_id, r.status_ids, r.comment, r.origin_domain FROM reports r"
        " LEFT JOIN accounts a ON a.id = r.account_id WHERE r.uri = $1", variant["id"])
    k.expect(report is not None, "no report")
    if report:
        k.expect(report["reporter"] == doc["actor"] and report["target_account_id"] == k.rosa.id
                 and report["status_ids"] == [k.posts["reported"]] and report["comment"] == doc["content"]
                 and report["origin_domain"] == k.world.host_of(doc["actor"]).base.split("://")[1],
                 f"report {dict(report)}")


# =====================================================================================
# Undo, Delete, Move, Block
# =====================================================================================


@applies("gotosocial/undo-like.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Variant: dana undoes her like of rosa's post (the variant Like of gotosocial/like.json)."""
    await k.deliver(doc)
    await k.done(doc)
    like = retarget(doc["object"], object=k.post_uri("liked"))
    k.expect(await k.favourite(like["id"]) is not None, "the like to undo is not there (see gotosocial/like.json)")
    variant = retarget(doc, object=like)
    await k.deliver(variant)
    await k.done(variant)
    k.expect(await k.favourite(like["id"]) is None, "the like was not undone")


@applies("akkoma/undo-like-object-string.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Setup: erin's Like (the one whose id the Undo names) of rosa's post. Then the Undo as is."""
    like = {"@context": "https://www.w3.org/ns/activitystreams", "id": doc["object"], "type": "Like",
            "actor": doc["actor"], "object": k.post_uri("undone"), "to": doc["to"], "cc": doc["cc"]}
    await k.deliver(like)
    await k.done(like)
    k.expect(await k.favourite(like["id"]) is not None, "setup: erin's like was not kept")
    await k.deliver(doc)
    await k.done(doc)
    k.expect(await k.favourite(like["id"]) is None, "the like was not undone")


async def _undo_reaction_to_rosas_post(k: Kith, doc: dict[str, Any], purpose: str) -> None:
    """The Undo as is (of a reaction to a remote post) is done; the variant takes back the reaction
    variant that the reaction's own applier kept on rosa's post, and its favourite goes."""
    await k.deliver(doc)
    await k.done(doc)
    reaction = retarget(doc["object"], object=k.post_uri(purpose))
    fav = await k.favourite(reaction["id"])
    k.expect(fav is not None and fav["status_id"] == k.posts[purpose], f"the reaction to undo is not there: {fav}")
    variant = retarget(doc, object=reaction)
    await k.deliver(variant)
    await k.done(variant)
    k.expect(await k.favourite(reaction["id"]) is None, "the reaction was not undone")
    k.expect(not await k.pool.fetchval("SELECT 1 FROM favourites f JOIN accounts a ON a.id = f.account_id"
                                       " WHERE a.uri = $1 AND f.status_id = $2", doc["actor"], k.posts[purpose]),
             "the reactor still favourites rosa's post")


@applies("akkoma/undo-emoji-react.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Variant: erin takes back her 🍅 on rosa's post (an Undo embedding the EmojiReact)."""
    await _undo_reaction_to_rosas_post(k, doc, "react-unicode")


@applies("misskey/undo-like-reaction.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Variant: frank takes back his reaction (a Like with `_misskey_reaction`) on rosa's post. Then he
    reacts again and an Undo embeds the Like under an id we never stored: matched by the post, as Mastodon does."""
    await _undo_reaction_to_rosas_post(k, doc, "liked")
    again = retarget(doc["object"], "-again", object=k.post_uri("liked"))
    await k.deliver({**again, "@context": doc["@context"]})
    k.expect(await k.favourite(again["id"]) is not None, "setup: frank's second reaction was not kept")
    undo = retarget(doc, "-again", object={**again, "id": f"{again['id']}-reissued"})
    await k.deliver(undo)
    await k.done(undo)
    k.expect(await k.favourite(again["id"]) is None, "the reaction named by an unknown id was not undone")


@applies("mastodon/undo-announce.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await k.deliver(doc)
    await k.done(doc)
    boost = await k.status(doc["object"]["id"])
    k.expect(boost is not None and boost["deleted_at"] is not None, f"boost not undone: {boost}")
    if boost is not None:
        k.expect(not await k.in_feed(boost["id"]), "the undone boost is still in rosa's home feed")


@applies("variants/undo-announce-http-public.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Setup: the legacy Announce the Undo embeds, delivered first as is (object = the status's
    web URL, Public spelled http://), boosting a status oldmasto.example serves at both its URI
    and its web URL (as Mastodon does). Then the Undo reverts the boost."""
    status_uri = k.url("https://oldmasto.example/users/admin/statuses/99541947525187367")
    status = {"@context": "https://www.w3.org/ns/activitystreams", "id": status_uri, "type": "Note",
              "attributedTo": doc["actor"], "content": "<p>admin's post</p>", "to": [PUBLIC],
              "url": doc["object"]["object"], "published": "2018-05-11T16:20:00Z"}
    k.world.serve(status_uri, status)
    k.world.serve(doc["object"]["object"], status)
    inner = doc["object"]
    followers = f"{doc['actor']}/followers"
    seen = parse.visibility_of(parse.id_list(inner["to"]), parse.id_list(inner["cc"]), followers)
    k.expect(seen == "public", f"`to: http://…#Public` read as {seen}")
    announce = {"@context": "https://www.w3.org/ns/activitystreams", **inner}
    await k.deliver(announce)
    await k.done(announce)
    boost = await k.status(announce["id"])
    k.expect(boost is not None and boost["reblog_of_id"] is not None, "setup: the legacy boost was not kept")
    if boost is not None:
        k.expect(boost["visibility"] == "public", f"http:// Public read as {boost['visibility']}")
    await k.deliver(doc)
    await k.done(doc)
    boost = await k.status(announce["id"])
    k.expect(boost is None or boost["deleted_at"] is not None, "the boost was not undone")


async def _undo_follow(k: Kith, doc: dict[str, Any]) -> None:
    await k.deliver(doc)
    await k.refused_or_ignored(doc)
    follow = retarget(doc["object"], object=k.member_uri(k.rosa))
    await k.deliver({"@context": "https://www.w3.org/ns/activitystreams", **follow})
    k.expect(await k.follow_state(doc["actor"], k.rosa) == "accepted", "setup: the follow was not kept")
    variant = retarget(doc, object=follow)
    await k.deliver(variant)
    await k.done(variant)
    k.expect(await k.follow_state(doc["actor"], k.rosa) is None, "the follow was not undone")


@applies("mastodon/undo-follow.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Variant: alice follows rosa (setup), then undoes it with this shape."""
    await _undo_follow(k, doc)


@applies("misskey/undo-follow.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Variant: frank follows rosa (setup, Misskey's /follows/<a>/<b> id), then undoes it."""
    await _undo_follow(k, doc)


async def _delete_note(k: Kith, doc: dict[str, Any]) -> None:
    """Setup: the post the Delete names (the fixture set does not include it). Then the Delete."""
    target = doc["object"]["id"]
    create = note(k, doc["actor"], target, "<p>soon gone</p>")
    await k.deliver(create)
    k.expect(await k.status(target) is not None, "setup: the post to delete was not kept")
    k.world.withdraw(target)
    await k.deliver(doc)
    await k.done(doc)
    row = await k.status(target)
    k.expect(row is not None and row["deleted_at"] is not None and row["content"] == "", f"not deleted: {row}")
    k.expect(await k.pool.fetchval("SELECT 1 FROM tombstones WHERE uri = $1", target), "no tombstone")


@applies("mastodon/delete-note.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await _delete_note(k, doc)


@applies("misskey/delete-note.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await _delete_note(k, doc)


async def _delete_actor(k: Kith, doc: dict[str, Any]) -> None:
    """Setup: a post by the actor (so there is something to remove). Then the Delete."""
    create = note(k, doc["actor"], f"{doc['actor']}/statuses/1", "<p>last words</p>")
    await k.deliver(create)
    k.expect(await k.status(create["object"]["id"]) is not None, "setup: the actor's post was not kept")
    await k.deliver(doc)
    await k.done(doc)
    account = await k.pool.fetchrow("SELECT id, suspended_at FROM accounts WHERE uri = $1", doc["actor"])
    k.expect(account["suspended_at"] is not None, "the account is not suspended")
    live = await k.pool.fetchval(
        "SELECT count(*) FROM statuses WHERE account_id = $1 AND deleted_at IS NULL", account["id"])
    k.expect(live == 0, f"{live} posts of the deleted account remain")
    k.expect(await k.follow_state(k.rosa, doc["actor"]) is None, "rosa still follows the deleted account")


@applies("mastodon/delete-actor.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await _delete_actor(k, doc)


@applies("lemmy/delete-user.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    await _delete_actor(k, doc)


@applies("mastodon/move.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """The target (gotosocial/actor-person-moved-target.json) lists the old account in alsoKnownAs."""
    await k.deliver(doc)
    await k.done(doc)
    moved = await k.pool.fetchval("SELECT moved_to_uri FROM accounts WHERE uri = $1", doc["actor"])
    k.expect(moved == doc["target"], f"moved_to_uri {moved!r}")


@applies("mastodon/block.json")
async def _(k: Kith, doc: dict[str, Any]) -> None:
    """Variant (last, as it ends rosa's follow of alice): alice blocks rosa."""
    await k.deliver(doc)
    await k.refused_or_ignored(doc)
    variant = retarget(doc, object=k.member_uri(k.rosa))
    blocker = await accounts_store.get_by_uri(k.pool, doc["actor"])
    friends = await lists_domain.create(k.pool, k.rosa.id, "friends", "list", False)
    await lists_domain.add_members(k.pool, k.rosa.id, friends.id, [blocker.id])
    await k.deliver(variant)
    await k.done(variant)
    k.expect(await k.pool.fetchval("SELECT 1 FROM blocks WHERE uri = $1 AND target_account_id = $2",
                                   variant["id"], k.rosa.id), "no block row")
    k.expect(await k.follow_state(k.rosa, doc["actor"]) is None, "rosa still follows the account that blocked her")
    k.expect(not await lists_store.members(k.pool, friends.id, None),
             "the account that blocked rosa is still in her list (a block ends list membership both ways)")


# =====================================================================================
# The run
# =====================================================================================


async def seed(k: Kith) -> None:
    """Members, the remote actors (resolved through their keys, as on first contact), rosa's
    follows of every one of them, and rosa's posts for the reactions to land on."""
    k.rosa = await make_member(k.pool, "rosa")
    k.lena = await make_member(k.pool, "lena")
    await k.pool.execute("UPDATE accounts SET locked = true WHERE id = $1", k.lena.id)
    k.lena = await accounts_store.get_local(k.pool, "lena")
    actor_files = {doc["id"]: path for path, doc in k.world.docs.items() if doc.get("type") in parse.ACTOR_TYPES}
    for actor in k.world.actors.values():
        try:
            owner, _ = await key_for(k.fed, actor.key_id)
            assert owner.uri == actor.uri, f"the key belongs to {owner.uri}"
        except Exception as exc:  # recorded against the actor's file; the run goes on with the actor fetched
            k.fail(actor_files.get(actor.uri, SEED), f"Kith could not resolve the key {actor.key_id}: {exc}")
            await fetch_actor(k.fed, actor.uri)
    await k.pool.execute(
        "INSERT INTO follows (account_id, target_account_id) SELECT $1, id FROM accounts WHERE domain IS NOT NULL",
        k.rosa.id)
    for purpose in ("liked", "react-unicode", "react-custom", "undone", "reported"):
        k.posts[purpose] = await posting.create_post(
            k.pool, k.fed.urls, k.rosa, posting.NewPost(f"rosa's post to be {purpose}"), 500)


@pytest.fixture(scope="module")
async def scenario(instance_databases: dict[str, str], tmp_path_factory) -> dict[str, list[str]]:
    """Apply every fixture in order against one Kith; the failures found, by fixture file."""
    url = instance_databases["kith_a"]
    await truncate(url)
    inst = await start_instance(url, tmp_path_factory.mktemp("fixtures"))
    world = await start_world()
    try:
        k = Kith(inst, world)
        await seed(k)
        for path, apply in APPLIERS.items():
            k.current = path
            try:
                await apply(k, world.doc(path))
            except Exception as exc:
                where = traceback.extract_tb(exc.__traceback__)[-1]
                k.fail(path, f"{type(exc).__name__} at line {where.lineno}: {exc}")
        yield k.results
    finally:
        await world.close()
        await inst.client.close()


def _params() -> list[Any]:
    return [pytest.param(path, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[path]))
            if path in KNOWN_BUGS else path for path in fixture_files()]


@pytest.mark.parametrize("path", _params())
async def test_fixture(path: str, scenario: dict[str, list[str]]) -> None:
    assert path in APPLIERS, f"{path} has no applier in {__name__}"
    problems = scenario.get(path, [])
    assert not problems, f"{path}:\n  " + "\n  ".join(problems)


async def test_every_actor_resolves(scenario: dict[str, list[str]]) -> None:
    """The synthesized actors (not fixture files) resolved over HTTP too."""
    assert not scenario.get(SEED), "\n".join(scenario[SEED])


def test_every_fixture_file_is_applied() -> None:
    """A new fixture cannot be silently skipped: each file on disk has exactly one applier."""
    assert set(APPLIERS) == set(fixture_files())
    assert set(KNOWN_BUGS) <= set(APPLIERS)
