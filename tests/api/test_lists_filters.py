"""Lists, filters (v2 and v1) and conversations through real HTTP against the in-process app."""

from __future__ import annotations

import asyncio
import re
import secrets
from urllib.parse import urlparse

import pytest
from aiohttp import web

from server.api import conversations as api_conversations
from server.api import entities
from server.api import filters as api_filters
from server.api import lists as api_lists
from server.api.auth import token_hash
from server.api.filters import apply_filters
from server.domain import filtering
from server.keys import URLS
from server.store import oauth as oauth_store
from server.store import statuses as statuses_store
from tests.helpers import make_member


def app_with_routes(config) -> web.Application:
    """The app with the lists, filters and conversations routes (added here while server/app.py lacks them)."""
    from server.app import make_app

    app = make_app(config)
    present = {getattr(r, "canonical", "") for r in app.router.resources()}
    for table, probe in ((api_lists.routes, "/api/v1/lists"), (api_filters.routes, "/api/v2/filters"),
                         (api_conversations.routes, "/api/v1/conversations")):
        if probe not in present:
            app.add_routes(table)
    return app


@pytest.fixture
async def api(aiohttp_client, config, pool):
    app = app_with_routes(config)
    client = await aiohttp_client(app)
    client.app_urls = app[URLS]
    return client


async def make_token(pool, account_id: int, scopes: list[str]) -> dict[str, str]:
    app = await oauth_store.insert_app(pool, secrets.token_hex(8), "secret", "Lists test", None,
                                       ["urn:ietf:wg:oauth:2.0:oob"], ["read", "write", "follow", "push"])
    token = secrets.token_urlsafe(16)
    await oauth_store.insert_token(pool, token_hash(token), None, app.id, account_id, scopes)
    return {"Authorization": f"Bearer {token}"}


async def member(pool, name: str, scopes: tuple[str, ...] = ("read", "write", "follow")):
    account = await make_member(pool, name)
    return account, await make_token(pool, account.id, list(scopes))


async def ok(resp, status: int = 200):
    body = await resp.json()
    assert resp.status == status, (resp.status, body)
    return body


async def post(api, auth, text: str, **fields) -> dict:
    return await ok(await api.post("/api/v1/statuses", json={"status": text, **fields}, headers=auth))


async def follow(api, auth, account) -> None:
    body = await ok(await api.post(f"/api/v1/accounts/{account.id}/follow", headers=auth))
    assert body["following"] is True


def next_link(resp) -> str | None:
    found = re.search(r'<([^>]+)>; rel="next"', resp.headers.get("Link", ""))
    if not found:
        return None
    url = urlparse(found.group(1))
    return f"{url.path}?{url.query}"


# --- lists ------------------------------------------------------------------------------------

async def test_lists_crud_validation_ownership_and_scopes(api, pool):
    alice, auth = await member(pool, "alice")
    _, bob_auth = await member(pool, "bob")
    _, reader = await member(pool, "reader", ("read",))
    _, writer_only = await member(pool, "writer", ("write:lists",))

    made = await ok(await api.post("/api/v1/lists", data={"title": "Friends"}, headers=auth))
    assert made == {"id": made["id"], "title": "Friends", "replies_policy": "list", "exclusive": False}
    other = await ok(await api.post("/api/v1/lists", json={"title": "Work", "replies_policy": "followed",
                                                           "exclusive": True}, headers=auth))
    assert other["replies_policy"] == "followed" and other["exclusive"] is True
    listed = await ok(await api.get("/api/v1/lists", headers=auth))
    assert [item["title"] for item in listed] == ["Friends", "Work"]
    assert await ok(await api.get(f"/api/v1/lists/{made['id']}", headers=auth)) == made

    updated = await ok(await api.put(f"/api/v1/lists/{made['id']}", json={"title": "Close friends",
                                                                           "replies_policy": "none"}, headers=auth))
    assert updated["title"] == "Close friends" and updated["replies_policy"] == "none"
    kept = await ok(await api.put(f"/api/v1/lists/{made['id']}", data={"replies_policy": "followed"}, headers=auth))
    assert kept["title"] == "Close friends" and kept["replies_policy"] == "followed"

    for fields in ({}, {"title": "   "}, {"title": "x", "replies_policy": "everyone"}, {"title": "x" * 300}):
        resp = await api.post("/api/v1/lists", json=fields, headers=auth)
        assert resp.status == 422 and (await resp.json())["error"].startswith("Validation failed"), fields
    resp = await api.put(f"/api/v1/lists/{made['id']}", json={"title": ""}, headers=auth)
    assert resp.status == 422 and (await resp.json())["error"] == "Validation failed: Title can't be blank"

    # Someone else's list does not exist for them.
    lid = made["id"]
    for method, path in (("GET", f"/api/v1/lists/{lid}"), ("PUT", f"/api/v1/lists/{lid}"),
                         ("DELETE", f"/api/v1/lists/{lid}"), ("GET", f"/api/v1/lists/{lid}/accounts"),
                         ("POST", f"/api/v1/lists/{lid}/accounts"), ("GET", f"/api/v1/timelines/list/{lid}")):
        resp = await api.request(method, path, json={"title": "mine now", "account_ids": [str(alice.id)]},
                                 headers=bob_auth)
        assert resp.status == 404 and (await resp.json())["error"] == "Record not found", (method, path)
    assert await ok(await api.get("/api/v1/lists", headers=bob_auth)) == []

    # Scopes: read-only tokens cannot write, write-only tokens cannot read.
    assert (await api.post("/api/v1/lists", json={"title": "no"}, headers=reader)).status == 403
    assert (await api.delete(f"/api/v1/lists/{lid}", headers=reader)).status == 403
    assert (await api.get("/api/v1/lists", headers=reader)).status == 200
    assert (await api.get("/api/v1/lists", headers=writer_only)).status == 403
    assert (await api.get("/api/v1/lists")).status == 401

    assert await ok(await api.delete(f"/api/v1/lists/{lid}", headers=auth)) == {}
    assert (await api.get(f"/api/v1/lists/{lid}", headers=auth)).status == 404
    assert (await api.delete(f"/api/v1/lists/{lid}", headers=auth)).status == 404
    assert await pool.fetchval("SELECT count(*) FROM lists") == 1


async def test_list_members_follow_rule_pagination_and_account_lists(api, pool):
    alice, auth = await member(pool, "alice")
    people = [await make_member(pool, name) for name in ("bob", "carol", "dave")]
    bob, carol, dave = people
    stranger = await make_member(pool, "stranger")
    for account in people:
        await follow(api, auth, account)
    made = await ok(await api.post("/api/v1/lists", json={"title": "Pals"}, headers=auth))
    base = f"/api/v1/lists/{made['id']}/accounts"

    assert await ok(await api.post(base, data={"account_ids[]": [str(bob.id), str(carol.id)]}, headers=auth)) == {}
    assert await ok(await api.post(base, json={"account_ids": [str(dave.id)]}, headers=auth)) == {}
    resp = await api.post(base, json={"account_ids": [str(stranger.id)]}, headers=auth)
    assert resp.status == 422 and "followed" in (await resp.json())["error"]
    resp = await api.post(base, json={"account_ids": [str(bob.id)]}, headers=auth)
    assert resp.status == 422 and "already been taken" in (await resp.json())["error"]
    assert (await api.post(base, json={"account_ids": ["999999"]}, headers=auth)).status == 404
    assert (await api.post(base, json={"account_ids": []}, headers=auth)).status == 422
    assert (await api.post(base, json={"account_ids": ["abc"]}, headers=auth)).status == 422
    assert await pool.fetchval("SELECT count(*) FROM list_accounts") == 3  # nothing half-applied

    everyone = await ok(await api.get(f"{base}?limit=0", headers=auth))
    assert {a["username"] for a in everyone} == {"bob", "carol", "dave"}
    seen, url = [], f"{base}?limit=2"
    while url:
        resp = await api.get(url, headers=auth)
        batch = await ok(resp)
        if not batch:
            break
        seen += [a["id"] for a in batch]
        assert len(batch) <= 2
        url = next_link(resp)
    assert seen == sorted((str(a.id) for a in people), key=int, reverse=True)

    in_lists = await ok(await api.get(f"/api/v1/accounts/{bob.id}/lists", headers=auth))
    assert [item["id"] for item in in_lists] == [made["id"]]
    assert await ok(await api.get(f"/api/v1/accounts/{stranger.id}/lists", headers=auth)) == []
    assert (await api.get("/api/v1/accounts/999999/lists", headers=auth)).status == 404

    assert await ok(await api.delete(base, data={"account_ids[]": [str(bob.id)]}, headers=auth)) == {}
    remaining = await ok(await api.get(base, headers=auth))
    assert {a["username"] for a in remaining} == {"carol", "dave"}
    assert await ok(await api.get(f"/api/v1/accounts/{bob.id}/lists", headers=auth)) == []
    _, reader = await member(pool, "reader", ("read",))
    assert (await api.delete(base, json={"account_ids": [str(carol.id)]}, headers=reader)).status == 403


async def test_list_timeline_members_visibility_replies_policy_and_paging(api, pool):
    alice, auth = await member(pool, "alice")
    (bob, bob_auth), (carol, carol_auth), (erin, erin_auth), (dave, dave_auth), (_, frank_auth) = [
        await member(pool, n) for n in ("bob", "carol", "erin", "dave", "frank")]
    for account in (bob, carol, erin):
        await follow(api, auth, account)
    made = await ok(await api.post("/api/v1/lists", json={"title": "Pals"}, headers=auth))
    await ok(await api.post(f"/api/v1/lists/{made['id']}/accounts",
                            json={"account_ids": [str(bob.id), str(carol.id)]}, headers=auth))

    dave_post = await post(api, dave_auth, "dave's root")
    carol_post = await post(api, carol_auth, "carol's root")
    erin_post = await post(api, erin_auth, "erin's root")
    alice_post = await post(api, auth, "alice's root")
    hello = await post(api, bob_auth, "hello")
    to_dave = await post(api, bob_auth, "answering a stranger", in_reply_to_id=dave_post["id"])
    to_carol = await post(api, bob_auth, "answering a list member", in_reply_to_id=carol_post["id"])
    to_erin = await post(api, bob_auth, "answering someone alice follows", in_reply_to_id=erin_post["id"])
    to_alice = await post(api, bob_auth, "answering the list's owner", in_reply_to_id=alice_post["id"])
    thread = await post(api, bob_auth, "continuing my own thread", in_reply_to_id=hello["id"])
    private = await post(api, bob_auth, "followers only", visibility="private")
    direct = await post(api, bob_auth, "@alice a secret", visibility="direct")
    await post(api, frank_auth, "frank is not in the list")
    boost = await ok(await api.post(f"/api/v1/statuses/{dave_post['id']}/reblog", headers=carol_auth))

    async def timeline(policy: str) -> list[str]:
        await ok(await api.put(f"/api/v1/lists/{made['id']}", json={"replies_policy": policy}, headers=auth))
        return [s["id"] for s in await ok(await api.get(f"/api/v1/timelines/list/{made['id']}", headers=auth))]

    always = [boost["id"], private["id"], thread["id"], to_alice["id"], hello["id"], carol_post["id"]]
    listed = await timeline("list")
    assert listed == sorted(always + [to_carol["id"]], key=int, reverse=True)
    assert set(await timeline("followed")) == set(always + [to_carol["id"], to_erin["id"]])
    assert set(await timeline("none")) == set(always)
    for never in (to_dave, direct):
        assert never["id"] not in listed

    body = await ok(await api.get(f"/api/v1/timelines/list/{made['id']}?limit=1", headers=auth))
    assert body[0]["reblog"]["id"] == dave_post["id"]  # boosts by members come with what they boost

    # Keyset pages with Link headers walk the whole list timeline, newest first.
    await timeline("list")
    seen, url = [], f"/api/v1/timelines/list/{made['id']}?limit=3"
    while url:
        resp = await api.get(url, headers=auth)
        batch = await ok(resp)
        if not batch:
            break
        seen += [s["id"] for s in batch]
        url = next_link(resp)
    assert seen == listed
    newer = await ok(await api.get(f"/api/v1/timelines/list/{made['id']}?min_id={listed[2]}", headers=auth))
    assert [s["id"] for s in newer] == listed[:2]

    # A muted member drops out; the timeline needs read:lists.
    await ok(await api.post(f"/api/v1/accounts/{carol.id}/mute", headers=auth))
    assert carol_post["id"] not in await timeline("list")
    _, narrow = await member(pool, "narrow", ("read:statuses",))
    assert (await api.get(f"/api/v1/timelines/list/{made['id']}", headers=narrow)).status == 403


# --- filters ----------------------------------------------------------------------------------

async def test_filters_v2_crud_keywords_and_validation(api, pool):
    _, auth = await member(pool, "alice")
    _, bob_auth = await member(pool, "bob")
    _, reader = await member(pool, "reader", ("read",))

    made = await ok(await api.post("/api/v2/filters", json={
        "title": "Spoilers", "context": ["home", "public"], "filter_action": "warn", "expires_in": 3600,
        "keywords_attributes": [{"keyword": "finale", "whole_word": True}, {"keyword": "c++", "whole_word": False}],
    }, headers=auth))
    assert made["title"] == "Spoilers" and made["context"] == ["home", "public"]
    assert made["filter_action"] == "warn" and made["statuses"] == [] and made["expires_at"].endswith("Z")
    assert [(k["keyword"], k["whole_word"]) for k in made["keywords"]] == [("finale", True), ("c++", False)]

    # Form fields as the Mastodon docs send them: `keywords_attributes[][name]`, in order.
    form = await ok(await api.post("/api/v2/filters", data=[
        ("title", "Birdsite"), ("context[]", "public"), ("filter_action", "hide"),
        ("keywords_attributes[][keyword]", "foo"), ("keywords_attributes[][whole_word]", "false"),
        ("keywords_attributes[][keyword]", "bar"), ("keywords_attributes[][whole_word]", "true"),
        ("keywords_attributes[][keyword]", "baz"),
    ], headers=auth))
    assert [(k["keyword"], k["whole_word"]) for k in form["keywords"]] == [
        ("foo", False), ("bar", True), ("baz", True)]
    assert form["filter_action"] == "hide" and form["expires_at"] is None

    assert [f["id"] for f in await ok(await api.get("/api/v2/filters", headers=auth))] == [made["id"], form["id"]]
    assert await ok(await api.get(f"/api/v2/filters/{made['id']}", headers=auth)) == made

    finale, cpp = made["keywords"]
    updated = await ok(await api.put(f"/api/v2/filters/{made['id']}", json={
        "title": "TV spoilers", "context": ["home"], "filter_action": "hide", "expires_in": None,
        "keywords_attributes": [{"id": cpp["id"], "_destroy": True},
                                {"id": finale["id"], "keyword": "season finale"},
                                {"keyword": "cliffhanger", "whole_word": False}],
    }, headers=auth))
    assert updated["title"] == "TV spoilers" and updated["context"] == ["home"]
    assert updated["filter_action"] == "hide" and updated["expires_at"] is None
    assert [(k["id"] == finale["id"], k["keyword"], k["whole_word"]) for k in updated["keywords"]] == [
        (True, "season finale", True), (False, "cliffhanger", False)]
    # A keyword of another filter cannot be touched through this one.
    resp = await api.put(f"/api/v2/filters/{made['id']}", json={
        "keywords_attributes": [{"id": form["keywords"][0]["id"], "_destroy": True}]}, headers=auth)
    assert resp.status == 404

    # The keywords sub-resource (Mastodon's paths and the filter_keywords alias).
    kws = f"/api/v2/filters/{made['id']}/keywords"
    assert [k["keyword"] for k in await ok(await api.get(kws, headers=auth))] == ["season finale", "cliffhanger"]
    added = await ok(await api.post(kws, data={"keyword": "recap", "whole_word": "false"}, headers=auth))
    assert added["keyword"] == "recap" and added["whole_word"] is False
    assert await ok(await api.get(f"/api/v2/filters/keywords/{added['id']}", headers=auth)) == added
    assert await ok(await api.get(f"/api/v2/filter_keywords/{added['id']}", headers=auth)) == added
    changed = await ok(await api.put(f"/api/v2/filter_keywords/{added['id']}", json={"keyword": "recaps",
                                                                                     "whole_word": True}, headers=auth))
    assert changed == {"id": added["id"], "keyword": "recaps", "whole_word": True}
    assert (await api.put(f"/api/v2/filters/keywords/{added['id']}", json={"keyword": ""}, headers=auth)).status == 422
    assert await ok(await api.delete(f"/api/v2/filters/keywords/{added['id']}", headers=auth)) == {}
    assert (await api.get(f"/api/v2/filters/keywords/{added['id']}", headers=auth)).status == 404
    assert await ok(await api.get(f"/api/v2/filters/{made['id']}/statuses", headers=auth)) == []

    # Validation: nothing is written by a bad request.
    counts = "SELECT (SELECT count(*) FROM filters) + (SELECT count(*) FROM filter_keywords)"
    before = await pool.fetchval(counts)
    cases = [
        ({"title": "x", "context": ["home", "everywhere"]}, "everywhere"),
        ({"title": "", "context": ["home"]}, "Title can't be blank"),
        ({"context": ["home"]}, "Title can't be blank"),
        ({"title": "x"}, "Context can't be blank"),
        ({"title": "x", "context": ["home"], "filter_action": "explode"}, "Filter action"),
        ({"title": "x", "context": ["home"], "keywords_attributes": [{"keyword": "k" * 201}]}, "Keyword is too long"),
        ({"title": "x", "context": ["home"], "keywords_attributes": [{"keyword": " "}]}, "Keyword can't be blank"),
        ({"title": "x", "context": ["home"], "expires_in": "soon"}, "expires_in"),
        ({"title": "x", "context": ["home"], "keywords_attributes": "finale"}, "keywords_attributes"),
        ({"title": "t" * 257, "context": ["home"]}, "Title is too long (maximum is 256 characters)"),
        ({"title": "x", "context": ["home"], "keywords_attributes": [{"keyword": f"k{i}"} for i in range(101)]},
         "too many"),
    ]
    for fields, message in cases:
        resp = await api.post("/api/v2/filters", json=fields, headers=auth)
        body = await resp.json()
        assert resp.status == 422 and message in body["error"], (fields, body)
    resp = await api.put(f"/api/v2/filters/{made['id']}", json={"context": ["nowhere"]}, headers=auth)
    assert resp.status == 422 and "nowhere" in (await resp.json())["error"]
    resp = await api.post(kws, json={"keyword": "k" * 201}, headers=auth)
    assert resp.status == 422
    assert await pool.fetchval(counts) == before

    # Another member's filter and keywords are not found; scopes are enforced.
    fid, kid = made["id"], finale["id"]
    for method, path in (("GET", f"/api/v2/filters/{fid}"), ("PUT", f"/api/v2/filters/{fid}"),
                         ("DELETE", f"/api/v2/filters/{fid}"), ("GET", f"/api/v2/filters/{fid}/keywords"),
                         ("POST", f"/api/v2/filters/{fid}/keywords"), ("GET", f"/api/v2/filters/keywords/{kid}"),
                         ("PUT", f"/api/v2/filters/keywords/{kid}"), ("DELETE", f"/api/v2/filter_keywords/{kid}"),
                         ("GET", f"/api/v1/filters/{kid}"), ("DELETE", f"/api/v1/filters/{kid}")):
        resp = await api.request(method, path, json={"keyword": "x", "title": "x"}, headers=bob_auth)
        assert resp.status == 404, (method, path)
    assert await ok(await api.get("/api/v2/filters", headers=bob_auth)) == []
    assert (await api.post("/api/v2/filters", json={"title": "x", "context": ["home"]}, headers=reader)).status == 403
    assert (await api.delete(f"/api/v2/filters/{fid}", headers=reader)).status == 403
    assert (await api.get("/api/v2/filters", headers=reader)).status == 200

    assert await ok(await api.delete(f"/api/v2/filters/{fid}", headers=auth)) == {}
    assert (await api.get(f"/api/v2/filters/{fid}", headers=auth)).status == 404
    assert await pool.fetchval("SELECT count(*) FROM filter_keywords WHERE filter_id = $1", int(fid)) == 0


async def test_filters_v1_view(api, pool):
    _, auth = await member(pool, "alice")
    group = await ok(await api.post("/api/v2/filters", json={
        "title": "Group", "context": ["home"], "filter_action": "hide",
        "keywords_attributes": [{"keyword": "one"}, {"keyword": "two", "whole_word": False}]}, headers=auth))
    made = await ok(await api.post("/api/v1/filters", data={"phrase": "solo", "context[]": ["home", "thread"],
                                                            "irreversible": "false", "whole_word": "false"},
                                   headers=auth))
    assert made["phrase"] == "solo" and made["context"] == ["home", "thread"] and made["irreversible"] is False
    assert made["whole_word"] is False and made["expires_at"] is None

    listed = await ok(await api.get("/api/v1/filters", headers=auth))
    assert [(f["phrase"], f["irreversible"]) for f in listed] == [("one", True), ("two", True), ("solo", False)]
    assert listed[0]["id"] == group["keywords"][0]["id"]  # a v1 filter is one keyword
    assert await ok(await api.get(f"/api/v1/filters/{made['id']}", headers=auth)) == made
    v2 = await ok(await api.get("/api/v2/filters", headers=auth))
    assert v2[1]["title"] == "solo" and v2[1]["keywords"][0]["keyword"] == "solo"

    changed = await ok(await api.put(f"/api/v1/filters/{made['id']}", data={
        "phrase": "duet", "context[]": ["public"], "irreversible": "true", "expires_in": "60"}, headers=auth))
    assert changed["phrase"] == "duet" and changed["context"] == ["public"] and changed["irreversible"] is True
    assert changed["expires_at"] is not None
    # A keyword sharing its filter may change its phrase but not the group's context.
    one = group["keywords"][0]["id"]
    assert (await ok(await api.put(f"/api/v1/filters/{one}", data={"phrase": "uno"}, headers=auth)))["phrase"] == "uno"
    assert (await api.put(f"/api/v1/filters/{one}", data={"context[]": ["public"]}, headers=auth)).status == 422
    for fields in ({"context[]": ["home"]}, {"phrase": "x", "context[]": ["bogus"]}, {"phrase": "x"}):
        assert (await api.post("/api/v1/filters", data=fields, headers=auth)).status == 422, fields

    assert await ok(await api.delete(f"/api/v1/filters/{one}", headers=auth)) == {}
    remaining = await ok(await api.get(f"/api/v2/filters/{group['id']}", headers=auth))
    assert [k["keyword"] for k in remaining["keywords"]] == ["two"]


async def test_apply_filters_warns_and_hides_real_statuses(api, pool):
    alice, auth = await member(pool, "alice")
    bob, bob_auth = await member(pool, "bob")
    _, carol_auth = await member(pool, "carol")
    urls = api.app_urls

    async def add_filter(title, context, action, words, **extra):
        return await ok(await api.post("/api/v2/filters", json={
            "title": title, "context": context, "filter_action": action,
            "keywords_attributes": [{"keyword": w, "whole_word": whole} for w, whole in words], **extra},
            headers=auth))

    warn = await add_filter("Spoilers", ["home", "thread"], "warn", [("finale", True), ("c++", True)])
    await add_filter("No cats", ["home"], "hide", [("cat", True)])
    await add_filter("Public only", ["public"], "hide", [("hello", False)])
    await add_filter("Regex bait", ["home"], "hide", [(".*", False), ("(a|b)+", True)])
    expired = await add_filter("Gone", ["home"], "hide", [("weather", False)])
    await pool.execute("UPDATE filters SET expires_at = now() - interval '1 minute' WHERE id = $1",
                       int(expired["id"]))

    texts = {
        "finale": "Tonight is the <b>FINALE</b>!",
        "finales": "All the finales of the season",
        "cat": "My cat sleeps",
        "concat": "concatenate these strings",
        "cpp": "I like c++ a lot",
        "hello": "hello world",
        "weather": "nice weather",
        "plain": "nothing to see",
        "entity": "fish &amp; finale",
    }
    posted = {key: await post(api, bob_auth, text) for key, text in texts.items()}
    posted["cw"] = await post(api, bob_auth, "behind a warning", spoiler_text="Finale thoughts")
    posted["poll"] = await post(api, bob_auth, "vote", poll={"options": ["the finale", "the pilot"],
                                                             "expires_in": 3600})
    boost = await ok(await api.post(f"/api/v1/statuses/{posted['finale']['id']}/reblog", headers=carol_auth))
    own = await post(api, auth, "my own finale about my cat")

    ids = [int(s["id"]) for s in posted.values()] + [int(boost["id"]), int(own["id"])]
    items = []
    for status_id in ids:
        status = await statuses_store.get_visible(pool, status_id, alice.id)
        items.append(status)
    items = await statuses_store.with_reblogs(pool, items, alice.id)
    rendered = await entities.statuses_to_api(pool, urls, items, alice.id)
    snapshot = [dict(s) for s in rendered]

    home = {s["id"]: s for s in await apply_filters(pool, alice.id, "home", rendered)}
    assert rendered == snapshot  # the input is left as it was
    key_of = {s["id"]: k for k, s in posted.items()}
    shown = {key_of.get(i, i) for i in home}
    assert shown == {"finale", "finales", "concat", "cpp", "hello", "weather", "plain", "entity", "cw", "poll",
                     boost["id"], own["id"]}
    for key in ("finale", "cpp", "entity", "cw", "poll"):
        result = home[posted[key]["id"]]["filtered"]
        assert [r["filter"]["id"] for r in result] == [warn["id"]], key
        assert result[0]["filter"]["title"] == "Spoilers" and result[0]["filter"]["filter_action"] == "warn"
    assert home[posted["finale"]["id"]]["filtered"][0]["keyword_matches"] == ["finale"]
    assert home[posted["cpp"]["id"]]["filtered"][0]["keyword_matches"] == ["c++"]
    for key in ("finales", "concat", "hello", "weather", "plain"):
        assert home[posted[key]["id"]]["filtered"] == [], key
    assert home[boost["id"]]["filtered"] and home[boost["id"]]["reblog"]["filtered"]
    assert home[own["id"]]["filtered"] == []  # your own posts are never filtered

    public = await apply_filters(pool, alice.id, "public", rendered)
    assert posted["hello"]["id"] not in {s["id"] for s in public}
    assert all(not s["filtered"] for s in public)
    assert await apply_filters(pool, alice.id, "notifications", rendered) == rendered
    assert await apply_filters(pool, None, "home", rendered) == rendered
    assert await apply_filters(pool, bob.id, "home", rendered) == rendered  # someone else's filters

    # The list timeline applies the home filters.
    await follow(api, auth, bob)
    made = await ok(await api.post("/api/v1/lists", json={"title": "Bob"}, headers=auth))
    await ok(await api.post(f"/api/v1/lists/{made['id']}/accounts", json={"account_ids": [str(bob.id)]},
                            headers=auth))
    listed = await ok(await api.get(f"/api/v1/timelines/list/{made['id']}?limit=40", headers=auth))
    assert posted["cat"]["id"] not in {s["id"] for s in listed}
    assert any(s["filtered"] for s in listed if s["id"] == posted["finale"]["id"])

    notes = [{"id": "1", "type": "mention", "status": home[posted["finale"]["id"]]},
             {"id": "2", "type": "follow"}]
    await add_filter("Mentions", ["notifications"], "hide", [("finale", True)])
    assert [n["id"] for n in await api_filters.apply_filters_to_notifications(pool, alice.id, notes)] == ["2"]


def test_keyword_regex_is_literal_and_bounded():
    rx = filtering.keyword_regex
    assert rx("cat", True).search("a CAT!") and not rx("cat", True).search("cats")
    assert rx("cat", False).search("concatenate")
    assert rx("c++", True).search("c++ rocks") and not rx("c++", True).search("cc")
    assert rx("@twitter.com", True).search("me@twitter.com")
    assert not rx(".*", False).search("anything") and rx(".*", False).search("glob .* here")
    assert not rx("(a|b)+", True).search("aaa")


# --- conversations ----------------------------------------------------------------------------

async def test_conversations_group_unread_read_remove_and_paging(api, pool):
    alice, auth = await member(pool, "alice")
    bob, bob_auth = await member(pool, "bob")
    carol, carol_auth = await member(pool, "carol")
    _, dave_auth = await member(pool, "dave")
    _, reader = await member(pool, "reader", ("read",))

    first = await post(api, auth, "@bob psst", visibility="direct")
    answer = await post(api, bob_auth, "@alice hi back", visibility="direct", in_reply_to_id=first["id"])
    from_carol = await post(api, carol_auth, "@alice @bob a group chat", visibility="direct")
    await post(api, dave_auth, "@alice in public")  # not a conversation
    await post(api, dave_auth, "@bob private to bob", visibility="direct")  # not alice's

    convs = await ok(await api.get("/api/v1/conversations", headers=auth))
    assert [c["id"] for c in convs] == [from_carol["id"], first["id"]]  # a thread's root names it
    assert [c["last_status"]["id"] for c in convs] == [from_carol["id"], answer["id"]]
    assert [c["unread"] for c in convs] == [True, True]
    assert [sorted(a["username"] for a in c["accounts"]) for c in convs] == [["bob", "carol"], ["bob"]]

    bobs = await ok(await api.get("/api/v1/conversations", headers=bob_auth))
    assert [c["id"] for c in bobs][:2] != [] and {c["id"] for c in bobs} >= {first["id"], from_carol["id"]}
    assert next(c for c in bobs if c["id"] == first["id"])["unread"] is False  # bob wrote the newest post

    resp = await api.get("/api/v1/conversations?limit=1", headers=auth)
    assert [c["id"] for c in await ok(resp)] == [from_carol["id"]]
    older = await ok(await api.get(next_link(resp), headers=auth))
    assert [c["id"] for c in older] == [first["id"]]

    read = await ok(await api.post(f"/api/v1/conversations/{first['id']}/read", headers=auth))
    assert read["unread"] is False and read["last_status"]["id"] == answer["id"]
    convs = await ok(await api.get("/api/v1/conversations", headers=auth))
    assert [c["unread"] for c in convs] == [True, False]

    # Removing hides it until someone writes in the thread again.
    assert await ok(await api.delete(f"/api/v1/conversations/{first['id']}", headers=auth)) == {}
    assert [c["id"] for c in await ok(await api.get("/api/v1/conversations", headers=auth))] == [from_carol["id"]]
    assert (await api.post(f"/api/v1/conversations/{first['id']}/read", headers=auth)).status == 404
    again = await post(api, bob_auth, "@alice still there?", visibility="direct", in_reply_to_id=answer["id"])
    convs = await ok(await api.get("/api/v1/conversations", headers=auth))
    assert [(c["id"], c["last_status"]["id"], c["unread"]) for c in convs] == [
        (first["id"], again["id"], True), (from_carol["id"], from_carol["id"], True)]

    # Other members' conversations are not found; writes need write:conversations.
    for method, path in (("POST", f"/api/v1/conversations/{first['id']}/read"),
                         ("DELETE", f"/api/v1/conversations/{first['id']}")):
        assert (await api.request(method, path, headers=dave_auth)).status == 404
        assert (await api.request(method, path, headers=reader)).status == 403
    assert (await api.delete("/api/v1/conversations/123456789", headers=auth)).status == 404
    assert await ok(await api.get("/api/v1/conversations", headers=reader)) == []
    _, no_statuses = await member(pool, "narrow", ("read:lists",))
    assert (await api.get("/api/v1/conversations", headers=no_statuses)).status == 403


# --- a real client library --------------------------------------------------------------------

async def test_mastodon_py_lists_filters_conversations(aiohttp_server, config, pool):
    """Mastodon.py (JSON bodies, form arrays, trailing slashes) against a real server on loopback."""
    from mastodon import Mastodon, MastodonAPIError

    server = await aiohttp_server(app_with_routes(config))
    base = str(server.make_url("")).rstrip("/")
    alice, auth = await member(pool, "alice")
    bob, bob_auth = await member(pool, "bob")

    def client(headers):
        return Mastodon(access_token=headers["Authorization"].split()[1], api_base_url=base,
                        version_check_mode="none")

    def run():
        me, other = client(auth), client(bob_auth)
        made = me.list_create("Friends", replies_policy="followed")
        assert made.title == "Friends" and made.replies_policy == "followed"
        try:
            me.list_accounts_add(made, [bob.id])
            raise AssertionError("not following bob yet")
        except MastodonAPIError as exc:
            assert exc.args[1] == 422
        me.account_follow(bob.id)
        me.list_accounts_add(made, [bob.id])
        assert [a.username for a in me.list_accounts(made)] == ["bob"]
        assert [item.id for item in me.account_lists(bob.id)] == [made.id]
        said = other.status_post("the finale was great")
        assert [s.id for s in me.timeline_list(made)] == [said.id]
        me.list_update(made, "Pals", replies_policy="list")
        assert me.lists()[0].title == "Pals"

        made_filter = me.create_filter_v2("Spoilers", ["home"], "warn",
                                          keywords_attributes=[{"keyword": "finale", "whole_word": True}])
        assert [k.keyword for k in made_filter.keywords] == ["finale"]
        warned = me.timeline_list(made)[0]
        assert warned.filtered[0].filter.title == "Spoilers" and warned.filtered[0].keyword_matches == ["finale"]
        kw = me.add_filter_keyword_v2(made_filter, "pilot", whole_word=False)
        changed = me.update_filter_v2(made_filter, filter_action="hide", keywords_attributes=[
            {"id": made_filter.keywords[0].id, "_destroy": True}, {"keyword": "great"}])
        assert changed.filter_action == "hide" and [k.keyword for k in changed.keywords] == ["pilot", "great"]
        assert me.timeline_list(made) == []
        assert [f.phrase for f in me.filters()] == ["pilot", "great"]
        me.delete_filter_keyword_v2(kw)
        assert [k.keyword for k in me.filter_keywords_v2(made_filter)] == ["great"]
        me.delete_filter_v2(made_filter)
        assert me.filters_v2() == []

        dm = other.status_post("@alice just us", visibility="direct")
        convs = me.conversations()
        assert [(c.id, c.unread, c.last_status.id) for c in convs] == [(str(dm.id), True, dm.id)]
        assert [a.username for a in convs[0].accounts] == ["bob"]
        assert me.conversations_read(convs[0]).unread is False
        me.list_delete(made)
        assert me.lists() == []

    await asyncio.to_thread(run)
