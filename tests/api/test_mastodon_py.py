"""The client API through a real client library: Mastodon.py against a real `kith run`.

The app registers, the member signs in through /oauth/authorize in a cookie-keeping client
(the out-of-band flow shows the code in a <code> element), then posts, edits, reads timelines,
paginates, searches, reacts, follows, and sends invalid requests.
"""

from __future__ import annotations

import re
import urllib.request
from http.cookiejar import CookieJar
from urllib.parse import urlencode

import pytest
import requests
from mastodon import Mastodon, MastodonAPIError, MastodonIllegalArgumentError, MastodonNotFoundError

from tests.conftest import KithProcess, kith_cli

OOB = "urn:ietf:wg:oauth:2.0:oob"
SCOPES = ["read", "write", "follow", "push"]
PASSWORD = "mastodon py password"


@pytest.fixture(scope="module")
def kith(database_url: str):
    server = KithProcess(["--database-url", database_url]).start()
    yield server
    server.stop()


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, url: str) -> str:
        with self.opener.open(url if url.startswith("http") else self.base + url, timeout=10) as resp:
            return resp.read().decode()

    def post(self, url: str, fields: dict[str, str]) -> str:
        with self.opener.open(url if url.startswith("http") else self.base + url, data=urlencode(fields).encode(),
                              timeout=10) as resp:
            return resp.read().decode()


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', page).group(1)


def sign_in(kith: KithProcess, username: str, scopes: list[str] = SCOPES) -> Mastodon:
    """Register an app and go through the authorization page as the member would."""
    client_id, client_secret = Mastodon.create_app("Kith test app", api_base_url=kith.base_url,
                                                   redirect_uris=OOB, scopes=scopes)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=kith.base_url)
    browser = Browser(kith.base_url)
    browser.post("/login", {"username": username, "password": PASSWORD, "csrf_token": csrf(browser.get("/login"))})
    page = browser.get(api.auth_request_url(scopes=scopes, redirect_uris=OOB))
    assert "Kith test app" in page and ">Authorize</button>" in page
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page))
    code_page = browser.post("/oauth/authorize", {**fields, "decision": "approve"})
    code = re.search(r"<code[^>]*>([^<]+)</code>", code_page).group(1)
    api.log_in(code=code, redirect_uri=OOB, scopes=scopes)
    return api


@pytest.fixture(scope="module")
def members(kith: KithProcess):
    for name in ("pyalice", "pybob"):
        made = kith_cli("user", "create", name, "--password", PASSWORD, "--database-url",
                        kith.args[kith.args.index("--database-url") + 1])
        assert made.returncode == 0 or "already taken" in made.stderr, made.stderr
    return sign_in(kith, "pyalice"), sign_in(kith, "pybob")


def test_instance_and_credentials(kith, members):
    alice, _ = members
    instance = alice.instance()
    assert instance["version"].startswith("4.3.0 (compatible; Kith")
    me = alice.account_verify_credentials()
    assert me["username"] == "pyalice" and me["acct"] == "pyalice"
    assert me["source"]["privacy"] == "public"
    assert alice.app_verify_credentials()["name"] == "Kith test app"


def test_post_read_edit_delete(kith, members):
    alice, bob = members
    status = alice.status_post("Hello from #MastodonPy", visibility="public", spoiler_text="cw",
                               language="en", idempotency_key="first-post")
    again = alice.status_post("Hello from #MastodonPy", visibility="public", spoiler_text="cw",
                              language="en", idempotency_key="first-post")
    assert again["id"] == status["id"]  # Idempotency-Key: the first status, not a second one
    assert status["spoiler_text"] == "cw" and status["language"] == "en"
    assert status["tags"][0]["name"] == "mastodonpy"
    assert status["application"]["name"] == "Kith test app"
    fetched = bob.status(status["id"])
    assert fetched["content"] == status["content"] and fetched["favourited"] is False

    bob.status_favourite(status["id"])
    bob.status_reblog(status["id"])
    assert bob.status(status["id"])["favourited"] is True
    assert [a["acct"] for a in alice.status_favourited_by(status["id"])] == ["pybob"]
    assert [a["acct"] for a in alice.status_reblogged_by(status["id"])] == ["pybob"]

    edited = alice.status_update(status["id"], "Hello again, edited")
    assert "edited" in edited["content"] and edited["edited_at"]
    history = alice.status_history(status["id"])
    assert len(history) == 2 and "MastodonPy" in history[0]["content"]
    assert alice.status_source(status["id"])["text"] == "Hello again, edited"

    reply = bob.status_post("@pyalice a reply", in_reply_to_id=status["id"])
    context = alice.status_context(status["id"])
    assert [s["id"] for s in context["descendants"]] == [reply["id"]]
    kinds = {n["type"] for n in alice.notifications()}
    assert {"favourite", "reblog", "mention"} <= kinds

    deleted = alice.status_delete(status["id"])
    assert deleted["text"] == "Hello again, edited"
    with pytest.raises(MastodonNotFoundError):
        bob.status(status["id"])


def test_timelines_and_pagination(kith, members):
    alice, bob = members
    bob.account_follow(alice.me()["id"])
    posted = [alice.status_post(f"page test {i}")["id"] for i in range(7)]
    first = bob.timeline_home(limit=3)
    assert [s["id"] for s in first] == posted[::-1][:3]
    second = bob.fetch_next(first)
    assert [s["id"] for s in second] == posted[::-1][3:6]
    newer = bob.fetch_previous(second)
    assert [s["id"] for s in newer] == posted[::-1][:3]
    local = bob.timeline_local(limit=40)
    assert {s["id"] for s in local} >= set(posted)
    rel = alice.account_relationships(bob.me()["id"])[0]
    assert rel["followed_by"] is True and rel["following"] is False


def test_privacy_is_the_same_as_on_the_web(kith, members):
    alice, bob = members
    secret = alice.status_post("followers only secret", visibility="private")
    bob.account_unfollow(alice.me()["id"])
    with pytest.raises(MastodonNotFoundError):
        bob.status(secret["id"])
    assert secret["id"] not in {s["id"] for s in bob.timeline_home()}
    assert secret["id"] not in {s["id"] for s in bob.account_statuses(alice.me()["id"])}


def test_bookmarks_pins_markers_and_search(kith, members):
    alice, bob = members
    status = alice.status_post("pin me")
    alice.status_pin(status["id"])
    assert [s["id"] for s in bob.account_statuses(alice.me()["id"], pinned=True)] == [status["id"]]
    # Mastodon's pin rules: your own public or unlisted posts, at most five
    for refused, who in ((alice.status_post("mine, followers only", visibility="private"), alice), (status, bob)):
        with pytest.raises(MastodonAPIError) as not_pinnable:
            who.status_pin(refused["id"])
        assert not_pinnable.value.args[1] == 422
    more = [alice.status_post(f"pin {n}")["id"] for n in range(5)]
    for status_id in more[:4]:
        alice.status_pin(status_id)
    with pytest.raises(MastodonAPIError) as too_many:
        alice.status_pin(more[4])
    assert too_many.value.args[1] == 422 and "at most 5" in too_many.value.args[-1]
    alice.status_pin(more[0])  # pinning a pinned post again is no new pin
    alice.status_unpin(status["id"])
    alice.status_pin(more[4])
    assert {s["id"] for s in bob.account_statuses(alice.me()["id"], pinned=True)} == set(more)
    bob.status_bookmark(status["id"])
    assert [s["id"] for s in bob.bookmarks()] == [status["id"]]
    bob.markers_set(["home"], [status["id"]])
    assert bob.markers_get(["home"])["home"]["last_read_id"] == str(status["id"])
    found = bob.search_v2("pyal", result_type="accounts")
    assert [a["acct"] for a in found["accounts"]] == ["pyalice"]
    assert bob.preferences()["posting:default:visibility"] == "public"
    assert bob.trending_tags() == [] and bob.announcements() == []


def test_invalid_requests_get_mastodon_errors(kith, members):
    alice, _ = members
    with pytest.raises(MastodonAPIError) as too_long:
        alice.status_post("x" * 501)
    assert too_long.value.args[1] == 422
    # Mastodon.py checks visibility itself, so send this one as a raw request.
    response = requests.post(f"{kith.base_url}/api/v1/statuses", data={"status": "hi", "visibility": "everyone"},
                             headers={"Authorization": f"Bearer {alice.access_token}"}, timeout=10)
    assert response.status_code == 422 and "Visibility must be one of" in response.json()["error"]
    with pytest.raises(MastodonAPIError) as poll_error:
        alice.status_post("poll", poll=alice.make_poll(["only one"], expires_in=3600))
    assert poll_error.value.args[1] == 422
    anonymous = Mastodon(api_base_url=kith.base_url)
    with pytest.raises(MastodonAPIError) as unauthorized:
        anonymous.account_verify_credentials()
    assert unauthorized.value.args[1] == 401


def test_polls(kith, members):
    alice, bob = members
    status = alice.status_post("Tea or coffee?", poll=alice.make_poll(["tea", "coffee"], expires_in=3600))
    assert [o["title"] for o in status["poll"]["options"]] == ["tea", "coffee"]
    poll = bob.poll_vote(status["poll"]["id"], [1])
    assert poll["voted"] is True and poll["own_votes"] == [1] and poll["votes_count"] == 1
    with pytest.raises(MastodonAPIError) as twice:
        bob.poll_vote(status["poll"]["id"], [0])
    assert twice.value.args[1] == 422
    with pytest.raises(MastodonAPIError) as own:
        alice.poll_vote(status["poll"]["id"], [0])
    assert own.value.args[1] == 422
    assert alice.poll(status["poll"]["id"])["options"][1]["votes_count"] == 1


def test_update_credentials_and_familiar_followers(kith, members):
    alice, bob = members
    me = alice.account_update_credentials(display_name="Alice P.", note="Hi, I'm #alice",
                                          fields=[("Site", "https://alice.example"), ("Pronouns", "she/her")])
    assert me["display_name"] == "Alice P." and me["source"]["note"] == "Hi, I'm #alice"
    assert [f["name"] for f in me["fields"]] == ["Site", "Pronouns"]
    assert 'href="https://alice.example"' in me["fields"][0]["value"]
    assert bob.account(me["id"])["display_name"] == "Alice P."
    with pytest.raises(MastodonAPIError) as too_many:
        alice.account_update_credentials(fields=[(f"f{i}", "v") for i in range(5)])
    assert too_many.value.args[1] == 422
    familiar = bob.account_familiar_followers([me["id"]])
    assert familiar[0]["id"] == me["id"]


def test_avatar_and_header_uploads(kith, members):
    import io

    from PIL import Image

    alice, _ = members
    png = io.BytesIO()
    Image.new("RGB", (120, 120), (10, 120, 200)).save(png, "PNG")
    me = alice.account_update_credentials(avatar=png.getvalue(), avatar_mime_type="image/png",
                                          header=png.getvalue(), header_mime_type="image/png")
    assert re.search(r"/media/[0-9a-f]{32}/original\.png$", me["avatar"]), me["avatar"]
    assert me["header"] != me["avatar"] and me["header"].endswith(".png")
    assert requests.get(me["avatar"], timeout=10).headers["Content-Type"] == "image/png"
    with pytest.raises(MastodonAPIError) as not_image:
        alice.account_update_credentials(avatar=b"not an image at all", avatar_mime_type="image/png")
    assert not_image.value.args[1] == 422
    # A refused update changes nothing: the new avatar is not kept when the display name is too long.
    other = io.BytesIO()
    Image.new("RGB", (120, 120), (200, 20, 20)).save(other, "PNG")
    with pytest.raises(MastodonAPIError) as too_long:
        alice.account_update_credentials(avatar=other.getvalue(), avatar_mime_type="image/png",
                                         display_name="x" * 31)
    assert too_long.value.args[1] == 422 and "Display names" in str(too_long.value)
    assert alice.me()["avatar"] == me["avatar"]


def test_mutes_hide_posts_and_notifications(kith, members):
    alice, bob = members
    bob.account_follow(alice.me()["id"])
    bob.account_mute(alice.me()["id"])
    muted_post = alice.status_post("while muted @pybob")
    assert muted_post["id"] not in {s["id"] for s in bob.timeline_home()}
    assert muted_post["id"] not in {s["id"] for s in bob.timeline_local(limit=40)}
    assert not [n for n in bob.notifications() if n.get("status") and n["status"]["id"] == muted_post["id"]]
    assert [a["acct"] for a in bob.mutes()] == ["pyalice"]
    bob.account_unmute(alice.me()["id"])
    assert muted_post["id"] in {s["id"] for s in bob.timeline_home()}
    with pytest.raises(MastodonAPIError) as self_mute:  # refused, as on the web and in Mastodon
        bob.account_mute(bob.me()["id"])
    assert self_mute.value.args[1] == 422 and "yourself" in str(self_mute.value)
    assert bob.mutes() == []


def test_streaming_with_mastodon_py(kith, members):
    """Mastodon.py's own streaming client (server-sent events) receives a new post live."""
    import threading

    from mastodon import StreamListener

    alice, bob = members
    bob.account_follow(alice.me()["id"])
    received: list[dict] = []
    ready = threading.Event()
    got = threading.Event()

    class Listener(StreamListener):
        def on_update(self, status):
            received.append(status)
            got.set()

        def handle_heartbeat(self):
            ready.set()

    handle = bob.stream_user(Listener(), run_async=True, reconnect_async=False)
    try:
        ready.wait(5)  # the stream opens with a comment line, seen as a heartbeat
        posted = alice.status_post("live for the stream")
        assert got.wait(15), "no update arrived on the stream"
        assert received[0]["id"] == posted["id"] and "live for the stream" in received[0]["content"]
    finally:
        # requests blocks closing a streamed body until more bytes come (the next heartbeat);
        # close from a side thread, and the server's shutdown ends the stream.
        threading.Thread(target=handle.close, daemon=True).start()


def test_blocklist_tools_and_reports_with_trailing_slashes(kith, members):
    """Mastodon.py's admin and report calls, as blocklist-sync scripts make them: it sends
    `POST /api/v1/admin/domain_blocks/`, `POST /api/v1/reports/` and `GET /api/v1/instance/`."""
    alice, bob = members
    made = kith_cli("user", "create", "pyadmin", "--password", PASSWORD, "--role", "admin", "--database-url",
                    kith.args[kith.args.index("--database-url") + 1])
    assert made.returncode == 0 or "already taken" in made.stderr, made.stderr
    admin = sign_in(kith, "pyadmin", [*SCOPES, "admin:read", "admin:write"])
    block = admin.admin_create_domain_block("spam.example", severity="silence", reject_media=True,
                                            public_comment="spam")
    assert block["domain"] == "spam.example" and block["severity"] == "silence" and block["reject_media"] is True
    assert block["created_at"] is not None and block["created_at"].year >= 2026
    listed = admin.admin_domain_blocks()
    assert [(b["domain"], b["severity"]) for b in listed] == [("spam.example", "silence")]
    assert requests.get(f"{kith.base_url}/api/v1/instance/").json()["uri"]
    target = alice.account_verify_credentials()
    report = bob.report(target["id"], comment="rude", category="other")
    assert report["comment"] == "rude" and report["created_at"] is not None
    queued = admin.admin_reports()
    assert any(r["id"] == report["id"] and r["created_at"] is not None for r in queued)
    # Staff hear of it: an admin.report notification carrying the report (members get none).
    told = admin.notifications(types=["admin.report"])
    assert [(n["type"], n["report"]["id"], n["report"]["target_account"]["id"]) for n in told] == [
        ("admin.report", report["id"], target["id"])]
    assert told[0]["account"]["id"] == bob.account_verify_credentials()["id"]
    assert not [n for n in alice.notifications() if n["type"].startswith("admin.")]


def test_the_4x_endpoints_apps_call(kith, members):
    alice, bob = members
    first = alice.status_post("one of two")
    second = bob.status_post("two of two")
    assert [s["id"] for s in alice.statuses([second["id"], first["id"], "999999"])] == [second["id"], first["id"]]
    me, other = alice.account_verify_credentials(), bob.account_verify_credentials()
    assert [a["acct"] for a in alice.accounts([other["id"], me["id"]])] == ["pybob", "pyalice"]
    assert alice.notifications_unread_count()["count"] >= 0
    assert [lang["code"] for lang in alice.instance_languages()] == ["en"]
    assert isinstance(alice.instance_domain_blocks(), list)
    # (Mastodon.py's helper for userinfo insists on https; the local instance is http.)
    profiled = sign_in(kith, "pyalice", [*SCOPES, "profile"])
    userinfo = requests.get(f"{kith.base_url}/oauth/userinfo", timeout=10,
                            headers={"Authorization": f"Bearer {profiled.access_token}"}).json()
    assert userinfo["preferred_username"] == "pyalice" and userinfo["sub"].endswith("/users/pyalice")

    bob.account_follow(me["id"])
    assert any(a["id"] == other["id"] for a in alice.account_followers(me["id"]))
    assert alice.account_remove_from_followers(other["id"])["followed_by"] is False
    assert not any(a["id"] == other["id"] for a in alice.account_followers(me["id"]))
    assert alice.account_delete_avatar()["avatar"].endswith("/static/avatar.png")


def test_the_profile_directory(kith, members):
    alice, bob = members
    other = bob.account_verify_credentials()

    def listed(api: Mastodon = alice, **kwargs) -> list[str]:
        return [a["acct"] for a in api.directory(local=True, limit=80, **kwargs)]

    assert {"pyalice", "pybob"} <= set(listed())  # discoverable unless they say otherwise
    bob.account_update_credentials(discoverable=False)
    assert "pybob" not in listed() and "pyalice" in listed()
    bob.account_update_credentials(discoverable=True)
    bob.status_post("the latest post of all")
    assert listed(order="active")[0] == "pybob" and listed(order="active", offset=1)[0] != "pybob"
    newest = [int(a["id"]) for a in alice.directory(local=True, order="new", limit=80)]
    assert newest == sorted(newest, reverse=True)
    alice.account_block(other["id"])
    assert "pybob" not in listed()
    anonymous = requests.get(f"{kith.base_url}/api/v1/directory/", params={"local": "true", "limit": 80}, timeout=10)
    assert "pybob" in [a["acct"] for a in anonymous.json()]
    alice.account_unblock(other["id"])
    refused = requests.get(f"{kith.base_url}/api/v1/directory", params={"order": "popular"}, timeout=10)
    assert refused.status_code == 422 and refused.json()["error"] == "order must be active or new"


def test_announcements_in_an_app(kith, members):
    alice, bob = members
    made = kith_cli("user", "create", "pyadmin", "--password", PASSWORD, "--role", "admin", "--database-url",
                    kith.args[kith.args.index("--database-url") + 1])
    assert made.returncode == 0 or "already taken" in made.stderr, made.stderr
    admin = Browser(kith.base_url)
    admin.post("/login", {"username": "pyadmin", "password": PASSWORD, "csrf_token": csrf(admin.get("/login"))})
    page = "/admin/announcements"
    for text, publish in (("Welcome to the garden #hello", "on"), ("Not yet", "")):
        admin.post(page, {"text": text, "publish": publish, "csrf_token": csrf(admin.get(page))})
    draft, shown = re.findall(r'action="/admin/announcements/(\d+)"', admin.get(page))[:2]  # newest first
    try:
        [item] = [a for a in alice.announcements() if a["id"] == shown]
        assert item["read"] is False and "#<span>hello</span>" in item["content"] and item["reactions"] == []
        assert [tag["name"] for tag in item["tags"]] == ["hello"]
        assert all(a["id"] != draft for a in alice.announcements())
        alice.announcement_reaction_create(shown, "👍")
        bob.announcement_reaction_create(shown, "👍")
        [reaction] = [a for a in alice.announcements() if a["id"] == shown][0]["reactions"]
        assert (reaction["name"], reaction["count"], reaction["me"]) == ("👍", 2, True)
        alice.announcement_reaction_delete(shown, "👍")
        [reaction] = [a for a in alice.announcements() if a["id"] == shown][0]["reactions"]
        assert (reaction["count"], reaction["me"]) == (1, False)
        with pytest.raises(MastodonAPIError) as not_emoji:
            alice.announcement_reaction_create(shown, "nope")
        assert not_emoji.value.args[1] == 422
        alice.announcement_dismiss(shown)
        assert [a for a in alice.announcements() if a["id"] == shown][0]["read"] is True
        unread = requests.get(f"{kith.base_url}/api/v1/announcements", params={"with_dismissed": "false"},
                              headers={"Authorization": f"Bearer {alice.access_token}"}, timeout=10).json()
        assert all(a["id"] != shown for a in unread)
        with pytest.raises(MastodonNotFoundError):
            alice.announcement_dismiss(draft)
    finally:
        for announcement_id in (shown, draft):
            admin.post(f"{page}/{announcement_id}", {"action": "delete", "csrf_token": csrf(admin.get(page))})


def test_notifications_from_many_accounts_on_one_post_come_as_one_group(kith, members):
    alice, bob = members
    made = kith_cli("user", "create", "pycarol", "--password", PASSWORD, "--database-url",
                    kith.args[kith.args.index("--database-url") + 1])
    assert made.returncode == 0 or "already taken" in made.stderr, made.stderr
    carol = sign_in(kith, "pycarol")
    post = alice.status_post("favourite me, both of you")
    bob.status_favourite(post["id"])
    carol.status_favourite(post["id"])
    bob.status_reblog(post["id"])
    grouped = alice.grouped_notifications(types=["favourite", "reblog"])
    groups = {g["group_key"]: g for g in grouped["notification_groups"]}
    favourites = groups[f"favourite-{post['id']}"]
    assert favourites["notifications_count"] == 2 and favourites["type"] == "favourite"
    people = {a["id"]: a["acct"] for a in grouped["accounts"]}
    assert sorted(people[i] for i in favourites["sample_account_ids"]) == ["pybob", "pycarol"]
    assert groups[f"reblog-{post['id']}"]["notifications_count"] == 1
    one = alice.grouped_notification(f"favourite-{post['id']}")
    assert one["notification_groups"][0]["notifications_count"] == 2


def test_full_text_search_finds_posts_by_their_words(kith, members):
    alice, bob = members
    bob.status_post("Pickled zucchini recipe, grandmother's way")
    bob.status_post("only for my followers: zucchini secrets", visibility="private")
    alice.status_post("my own notes on ZUCCHINI growth")
    found = alice.search_v2("zucchini", result_type="statuses")["statuses"]
    contents = " | ".join(s["content"] for s in found)
    assert len(found) == 2 and "Pickled" in contents and "own notes" in contents  # not the private one
    assert alice.search_v2("zucchini", result_type="statuses", offset=1)["statuses"][0]["id"] == found[1]["id"]
    assert alice.search_v2("nonexistentwordxyz", result_type="statuses")["statuses"] == []
    bob.account_update_credentials(indexable=False)  # bob keeps his posts out of search
    remaining = alice.search_v2("zucchini", result_type="statuses")["statuses"]
    assert [s["account"]["acct"] for s in remaining] == ["pyalice"]
    assert [s["account"]["acct"] for s in bob.search_v2("pickled", result_type="statuses")["statuses"]] == ["pybob"]


def test_notes_and_endorsements(kith, members):
    alice, bob = members
    other = bob.account_verify_credentials()
    assert alice.account_note_set(other["id"], "met at the seed swap")["note"] == "met at the seed swap"
    assert alice.account_relationships(other["id"])[0]["note"] == "met at the seed swap"
    alice.account_unfollow(other["id"])
    with pytest.raises(MastodonAPIError):
        alice.account_pin(other["id"])  # only followed accounts can be endorsed
    alice.account_follow(other["id"])
    assert alice.account_pin(other["id"])["endorsed"] is True
    assert [a["acct"] for a in alice.endorsements()] == ["pybob"]
    assert alice.account_unpin(other["id"])["endorsed"] is False and alice.endorsements() == []
    assert alice.account_note_set(other["id"], "")["note"] == ""


def test_muting_a_thread_stops_its_notifications(kith, members):
    alice, bob = members
    post = alice.status_post("a thread that will get noisy")
    muted = alice.status_mute(post["id"])
    assert muted["muted"] is True
    reply = bob.status_post("@pyalice first reply", in_reply_to_id=post["id"])
    deeper = bob.status_post("@pyalice a reply to the reply", in_reply_to_id=reply["id"])
    bob.status_favourite(post["id"])
    thread = {post["id"], reply["id"], deeper["id"]}
    assert [n for n in alice.notifications(limit=40) if n.get("status") and n["status"]["id"] in thread] == []
    assert alice.status_unmute(post["id"])["muted"] is False
    bob.status_post("@pyalice after unmuting", in_reply_to_id=post["id"])
    assert any("after unmuting" in n["status"]["content"] for n in alice.notifications(limit=5) if n.get("status"))


def test_signing_up_from_an_app(kith):
    client_id, client_secret = Mastodon.create_app("Sign-up app", api_base_url=kith.base_url, redirect_uris=OOB,
                                                   scopes=SCOPES)
    app = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=kith.base_url)
    token = app.create_account("pynewbie", "a long enough password", "newbie@example.org", agreement=True)
    newbie = Mastodon(access_token=token, api_base_url=kith.base_url)
    assert newbie.account_verify_credentials()["acct"] == "pynewbie"  # no SMTP host here: no confirmation needed
    _, error = app.create_account("pynewbie", "a long enough password", "other@example.org", agreement=True,
                                  return_detailed_error=True)
    assert error is not None  # the name is taken
    with pytest.raises(MastodonIllegalArgumentError, match="agreement"):
        app.create_account("pyother", "a long enough password", "x@example.org", agreement=False)
    assert requests.get(f"{kith.base_url}/api/v1/instance/privacy_policy", timeout=10).json()["content"] == ""
    assert requests.get(f"{kith.base_url}/api/v1/instance/terms_of_service", timeout=10).status_code == 404


def test_notification_policy_filters_into_requests(kith, members):
    alice, _ = members
    made = kith_cli("user", "create", "pystranger", "--password", PASSWORD, "--database-url",
                    kith.args[kith.args.index("--database-url") + 1])
    assert made.returncode == 0 or "already taken" in made.stderr, made.stderr
    stranger = sign_in(kith, "pystranger")
    policy = alice.update_notifications_policy(for_not_following="filter")
    assert policy["for_not_following"] == "filter"
    stranger.status_post("@pyalice buy my seeds")
    assert not any("buy my seeds" in (n["status"]["content"] if n.get("status") else "")
                   for n in alice.notifications(limit=40))
    waiting = alice.notification_requests()
    assert [(r["account"]["acct"], str(r["notifications_count"])) for r in waiting] == [("pystranger", "1")]
    assert alice.notifications_policy()["summary"]["pending_requests_count"] == 1
    alice.accept_notification_request(waiting[0]["id"])
    assert any("buy my seeds" in n["status"]["content"] for n in alice.notifications(limit=40) if n.get("status"))
    stranger.status_post("@pyalice accepted now")  # an accepted sender passes from now on
    assert any("accepted now" in n["status"]["content"] for n in alice.notifications(limit=5) if n.get("status"))
    alice.update_notifications_policy(for_not_following="accept")


def test_featured_tags(kith, members):
    alice, bob = members
    alice.status_post("a #compost update")
    assert "compost" in [t["name"] for t in alice.featured_tag_suggestions()]
    made = alice.featured_tag_create("Compost")
    assert made["name"] == "compost" and made["statuses_count"] == "1"
    me = alice.account_verify_credentials()
    assert [t["name"] for t in bob.account_featured_tags(me["id"])] == ["compost"]
    alice.featured_tag_delete(made["id"])
    assert alice.featured_tags() == []


def test_following_in_some_languages_only(kith, members):
    alice, bob = members
    other = bob.account_verify_credentials()
    # (Mastodon.py's account_follow has no `languages`; the request is as Mastodon documents it.)
    followed = requests.post(f"{kith.base_url}/api/v1/accounts/{other['id']}/follow", timeout=10,
                             headers={"Authorization": f"Bearer {alice.access_token}"}, data={"languages[]": "en"})
    assert followed.status_code == 200 and followed.json()["languages"] == ["en"]
    bob.status_post("Guten Morgen aus dem Garten", language="de")
    bob.status_post("Good morning from the garden", language="en")
    home = [s["content"] for s in alice.timeline_home(limit=10)]
    assert any("Good morning from the garden" in c for c in home)
    assert not any("Guten Morgen" in c for c in home)
    assert alice.account_relationships(other["id"])[0]["languages"] == ["en"]
