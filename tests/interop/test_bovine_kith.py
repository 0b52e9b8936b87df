"""Kith and bovine-herd federate over real HTTPS, as two production servers would.

Kith runs as a real `kith run` subprocess serving https://kith.test on 127.0.0.3:443 with its own
certificate (`--tls-cert/--tls-key`, no `--insecure-federation`), its embedded PostgreSQL, and
SSL_CERT_FILE pointing at the test CA so that its outgoing aiohttp trusts bovine.test. bovine-herd
(tests/interop/bovine_peer.py) serves https://bovine.test on 127.0.0.2:443. Both sides sign and
verify HTTP signatures; bovine refuses unsigned inbox POSTs and unsigned actor GETs.

We drive bovine through its client API and Kith through its web UI, as a signed-in member with a
cookie-keeping HTTPS client (login form + CSRF token), and check each flow end to end:

1. bovine's cow follows alice@kith.test (WebFinger lookup) -> Kith accepts -> bovine records it;
2. alice posts publicly -> bovine's inbox receives the Create;
3. alice follows cow@bovine.test from Kith's search page -> bovine accepts -> Kith shows Unfollow;
4. cow posts publicly -> the post is in alice's home feed;
5. cow replies to alice's post -> the reply is in the thread on Kith;
6. alice replies to, favourites and boosts cow's post -> Create(inReplyTo), Like, Announce arrive;
7. alice's direct post mentioning cow -> arrives, addressed to cow only;
8. alice deletes her post -> bovine gets the Delete;
9. cow unfollows alice -> Kith drops the follower; alice unfollows cow -> bovine drops her.

The tests share one pair of servers and run in file order, each building on the previous ones.
A failure's message carries Kith's log, its federation queues (from its database) and bovine's log.

Skips (with the reason) when bovine cannot be installed or run, or /etc/hosts or port 443 are not
ours to use; KITH_SKIP_INTEROP=1 skips too.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest

from tests.interop.bovine_peer import (
    BOVINE_ADDRESS,
    BOVINE_HOST,
    KITH_ADDRESS,
    KITH_HOST,
    REPO,
    BovineAccount,
    BovinePeer,
    InteropUnavailable,
    TestCA,
    ap_id,
    ensure_hosts,
    make_ca,
)

pytestmark = pytest.mark.skipif(bool(os.environ.get("KITH_SKIP_INTEROP")), reason="KITH_SKIP_INTEROP is set")

KITH_BASE = f"https://{KITH_HOST}"
ALICE = "alice"
ALICE_PASSWORD = "interop-pw-for-alice"
ALICE_ID = f"{KITH_BASE}/users/{ALICE}"
STEP_TIMEOUT = 20.0  # per flow; everything normally completes in about a second


# --- Kith as a subprocess ----------------------------------------------------------------------


class KithServer:
    """`kith run` serving https://kith.test on 127.0.0.3:443 (its own TLS, embedded PostgreSQL)."""

    def __init__(self, ca: TestCA, data_dir: Path) -> None:
        self.ca = ca
        self.data_dir = data_dir
        self.log_path = data_dir.parent / "kith.log"
        self.proc: subprocess.Popen | None = None
        # SSL_CERT_FILE is read by aiohttp when it is first imported, hence a subprocess. The test
        # harness's own KITH_* variables (KITH_SKIP_INTEROP, KITH_INTEROP_CACHE, ...) are dropped:
        # Kith reads KITH_<KEY> as settings and refuses to start on an unknown one.
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("KITH_")}
        self.env = {**inherited, **ca.env(), "KITH_LOG_LEVEL": "DEBUG"}

    def start(self, timeout: float = 60.0) -> None:
        cert, key = self.ca.issue(KITH_HOST)
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex((KITH_ADDRESS, 443)) == 0:
                raise InteropUnavailable(f"something already listens on {KITH_ADDRESS}:443")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "server.cli", "run", "--host", KITH_ADDRESS, "--port", "443",
               "--domain", KITH_HOST, "--data-dir", str(self.data_dir),
               "--allow-private-host", BOVINE_HOST, "--tls-cert", str(cert), "--tls-key", str(key)]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, cwd=REPO, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        context = self.ca.client_ssl_context()
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"kith run exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{KITH_BASE}/.well-known/nodeinfo", timeout=2, context=context) as r:
                    if r.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"kith run did not answer on {KITH_BASE} within {timeout}s:\n{self.log_tail()}")
            time.sleep(0.1)

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "server.cli", *args, "--data-dir", str(self.data_dir)],
                              cwd=REPO, env=self.env, capture_output=True, text=True, timeout=120)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    @property
    def database_url(self) -> str:
        return f"postgresql://postgres:@/postgres?host={self.data_dir / 'postgres'}"

    def queue_report(self) -> str:
        """Kith's federation queues (what it received and what it tried to send, with errors):
        its log has no access log, so this is where a failed exchange shows up."""

        async def report() -> str:
            import asyncpg

            conn = await asyncpg.connect(self.database_url, timeout=5)
            try:
                inbox = await conn.fetch(
                    "SELECT payload->>'type' AS type, actor_uri, activity_id, state, attempts, last_error"
                    " FROM inbox_items ORDER BY received_at DESC LIMIT 20")
                sent = await conn.fetch(
                    "SELECT a.payload->>'type' AS type, d.inbox_url, d.state, d.attempts, d.last_error"
                    " FROM deliveries d JOIN outbox_activities a ON a.id = d.activity_id"
                    " ORDER BY d.created_at DESC LIMIT 20")
            finally:
                await conn.close()
            lines = ["received (newest first):"]
            lines += [f"  {r['type']} from {r['actor_uri']} [{r['state']}, {r['attempts']} attempts]"
                      f"{' ' + r['last_error'] if r['last_error'] else ''} {r['activity_id']}" for r in inbox]
            lines += ["deliveries (newest first):"]
            lines += [f"  {r['type']} to {r['inbox_url']} [{r['state']}, {r['attempts']} attempts]"
                      f"{' ' + r['last_error'] if r['last_error'] else ''}" for r in sent]
            return "\n".join(lines)

        try:
            with concurrent.futures.ThreadPoolExecutor(1) as pool:  # no event loop of pytest's involved
                return pool.submit(asyncio.run, report()).result(timeout=15)
        except Exception as exc:  # diagnostics only
            return f"(could not read Kith's queues: {type(exc).__name__}: {exc})"


class Browser:
    """A cookie-keeping HTTPS client without JavaScript (like tests/test_cli.py's Browser)."""

    def __init__(self, base_url: str, context: ssl.SSLContext) -> None:
        self.base = base_url
        self.opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context),
                                                  urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=20) as resp:
            return resp.read().decode()

    def page_with(self, path: str, text: str) -> str | None:
        """The page at `path` if it contains `text`, else None."""
        page = self.get(path)
        return page if text in page else None

    def post(self, action: str, fields: dict[str, str], token: str) -> str:
        data = urllib.parse.urlencode({**fields, "csrf_token": token}).encode()
        with self.opener.open(self.base + action, data=data, timeout=30) as resp:
            return resp.read().decode()

    def submit(self, page_path: str, action: str, fields: dict[str, str]) -> str:
        return self.post(action, fields, csrf_token(self.get(page_path)))


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert match, f"no CSRF token in the page:\n{page[:2000]}"
    return match.group(1)


# --- fixtures ----------------------------------------------------------------------------------


@dataclass
class World:
    ca: TestCA
    bovine: BovinePeer
    kith: KithServer
    alice: Browser  # signed in as alice@kith.test
    cow: BovineAccount  # cow@bovine.test
    state: dict[str, Any]

    def logs(self) -> str:
        return (f"\n--- kith log ({self.kith.log_path}) ---\n{self.kith.log_tail()}"
                f"\n--- kith federation queues ---\n{self.kith.queue_report()}"
                f"\n--- bovine log, without our client's own requests ({self.bovine.log_path}) ---\n"
                + "\n".join([line for line in self.bovine.log_text().splitlines() if not _ours(line)][-80:]))

    @contextlib.contextmanager
    def diagnose(self) -> Iterator[None]:
        """Any failure inside names the line of the test and gets both servers' logs and Kith's
        queues appended (once: the harness's own bovine log tail is cut off)."""
        try:
            yield
        except Exception as exc:
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == __file__]
            where = f"line {frames[-1].lineno}: {frames[-1].line}\n" if frames else ""
            message = str(exc).split("\n--- bovine log ---", 1)[0]
            raise AssertionError(f"{where}{type(exc).__name__}: {message}{self.logs()}") from None

    def wait(self, what: str, check: Callable[[], Any], timeout: float = STEP_TIMEOUT) -> Any:
        """Poll `check()` until it returns something truthy (no fixed sleeps)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = check()
                last = repr(value)[:1500]
            except (OSError, urllib.error.URLError) as exc:  # e.g. an error page while it catches up
                value, last = None, f"{type(exc).__name__}: {exc}"
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not within {timeout}s (last: {last})")
            time.sleep(0.25)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    started = time.monotonic()
    try:
        ca = make_ca(tmp_path_factory.mktemp("tls"))
        ensure_hosts({BOVINE_HOST: BOVINE_ADDRESS, KITH_HOST: KITH_ADDRESS})
        ca.issue(KITH_HOST)
        bovine = BovinePeer(ca=ca, workdir=tmp_path_factory.mktemp("bovine"))  # bovine.test @ 127.0.0.2:443
    except InteropUnavailable as exc:
        pytest.skip(str(exc))
    kith = KithServer(ca, tmp_path_factory.mktemp("kith") / "data")
    try:
        try:
            bovine.start()
            kith.start()
        except InteropUnavailable as exc:
            pytest.skip(str(exc))
        made = kith.cli("user", "create", ALICE, "--password", ALICE_PASSWORD)
        assert made.returncode == 0, f"kith user create failed: {made.stderr}\n{kith.log_tail()}"
        browser = Browser(KITH_BASE, ca.client_ssl_context())
        home = browser.submit("/login", "/login", {"username": ALICE, "password": ALICE_PASSWORD})
        assert "What's on your mind?" in home, f"login failed:\n{home[:2000]}\n{kith.log_tail()}"
        cow = bovine.create_actor("cow")
        print(f"kith-interop: both servers up in {time.monotonic() - started:.1f}s", file=sys.stderr)
        yield World(ca=ca, bovine=bovine, kith=kith, alice=browser, cow=cow, state={})
    finally:
        kith.stop()
        bovine.stop()


def _ours(line: str) -> bool:
    """A bovine log line caused by the test's bovine client (polling), not by Kith."""
    return '"bovine/' in line or bool(re.search(r"(Getting|Retrieving) \S+ for https://bovine\.test/", line))


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def _content_of(item: dict) -> str:
    obj = item.get("object")
    return obj.get("content", "") if isinstance(obj, dict) else ""


def _follower_count(page: str) -> int | None:
    match = re.search(r'id="followers-count">(\d+)<', page)
    return int(match.group(1)) if match else None


def _following_count(page: str) -> int | None:
    match = re.search(r'id="following-count">(\d+)<', page)
    return int(match.group(1)) if match else None


PUBLIC_SPELLINGS = {"as:Public", "Public", "https://www.w3.org/ns/activitystreams#Public"}


# --- the flows, in order (each builds on the previous ones) -------------------------------------


def test_1_bovine_follows_kith_member_and_kith_accepts(world: World) -> None:
    bovine, cow = world.bovine, world.cow
    with world.diagnose():
        # WebFinger on https://kith.test, then the actor (bovine signs the GET)
        actor = bovine.lookup(cow, f"acct:{ALICE}@{KITH_HOST}")
        assert actor and actor.get("id") == ALICE_ID, f"bovine's lookup of alice@kith.test: {actor}"
        assert ap_id(actor.get("inbox")) == f"{ALICE_ID}/inbox"

        # Kith must fetch cow with a signed GET (bovine answers 401 otherwise), accept on its own,
        # and sign the Accept (bovine refuses unsigned or badly signed inbox POSTs).
        follow = bovine.follow(cow, ALICE_ID)
        accept = bovine.wait_for_inbox(
            cow, lambda a: a.get("type") == "Accept" and ap_id(a.get("object")) == follow["id"], timeout=STEP_TIMEOUT
        )
        assert ap_id(accept.get("actor")) == ALICE_ID, accept
        world.wait("bovine lists alice as followed", lambda: ALICE_ID in bovine.following(cow))
        world.wait("alice's profile on Kith counts the follower",
                   lambda: _follower_count(world.alice.get(f"/@{ALICE}")) == 1)
    world.state["followed"] = True


def test_2_kith_post_reaches_bovine_follower(world: World) -> None:
    assert world.state.get("followed"), "needs test_1"
    text = f"Hello bovine, from Kith {time.time_ns()}"
    with world.diagnose():
        world.alice.submit("/", "/", {"content": text, "visibility": "public"})
        create = world.bovine.wait_for_inbox(
            world.cow, lambda a: a.get("type") == "Create" and text in _content_of(a), timeout=STEP_TIMEOUT
        )
        note = create["object"]
        assert ap_id(create.get("actor")) == ALICE_ID, create
        assert note.get("type") == "Note" and ap_id(note.get("attributedTo")) == ALICE_ID, note
        assert re.fullmatch(rf"{re.escape(ALICE_ID)}/statuses/\d+", note["id"]), note["id"]
        assert PUBLIC_SPELLINGS & {ap_id(a) for a in _as_list(note.get("to")) + _as_list(note.get("cc"))}, note
    world.state["alice_note"] = note["id"]


def test_3_kith_member_follows_bovine_account(world: World) -> None:
    bovine, cow, alice = world.bovine, world.cow, world.alice
    handle = f"{cow.handle}@{bovine.hostname}"
    with world.diagnose():
        page = alice.get("/search?" + urllib.parse.urlencode({"q": handle}))  # WebFinger + signed GET
        action = f"/@{handle}/follow"
        assert f'action="{action}"' in page, f"searching {handle} on Kith offers no Follow form:\n{page[-3000:]}"
        alice.post(action, {}, csrf_token(page))

        follow = bovine.wait_for_inbox(
            cow, lambda a: a.get("type") == "Follow" and ap_id(a.get("actor")) == ALICE_ID, timeout=STEP_TIMEOUT
        )
        assert ap_id(follow.get("object")) == cow.actor_id, follow
        # The account is not locked, so Kith shows Following at once (Requested is for locked accounts) ...
        assert ">Unfollow<" in alice.get(f"/@{handle}"), "Kith should show the follow of an unlocked account"
        assert _following_count(alice.get(f"/@{ALICE}")) == 0  # ... but counts it only once accepted

        assert bovine.accept_follows(cow) == [follow["id"]]  # bovine never accepts by itself
        world.wait("Kith counts the follow of the bovine account (Kith took the Accept)",
                   lambda: _following_count(alice.get(f"/@{ALICE}")) == 1)
        assert bovine.followers(cow) == [ALICE_ID]
    world.state["following"] = True


def test_4_bovine_post_reaches_kith_home_feed(world: World) -> None:
    assert world.state.get("following"), "needs test_3"
    text = f"Moo from bovine {time.time_ns()}"
    with world.diagnose():
        post = world.bovine.post_note(world.cow, f"<p>{text}</p>")
        home = world.wait("the bovine post is in alice's home feed on Kith", lambda: world.alice.page_with("/", text))
        card = home[home.rindex("<article", 0, home.index(text)):home.index(text)]
        assert f"@{world.cow.handle}@{world.bovine.hostname}" in card, card
        assert 'data-visibility="public"' in card, f"Kith did not take bovine's as:Public post as public: {card}"
        kith_id = re.search(r'id="status-(\d+)"', card)
        assert kith_id, card
    world.state.update(cow_text=text, cow_note=post["object_id"], cow_note_on_kith=kith_id.group(1))


def test_5a_bovine_reply_shows_in_kith_thread(world: World) -> None:
    note_id = world.state.get("alice_note")
    assert note_id, "needs test_2"
    status_id = note_id.rsplit("/", 1)[1]
    text = f"A reply from the pasture {time.time_ns()}"
    with world.diagnose():
        world.bovine.post_note(world.cow, f"<p>{text}</p>", to=[ALICE_ID], in_reply_to=note_id)
        thread = world.wait("bovine's reply is in the thread of alice's post on Kith",
                            lambda: world.alice.page_with(f"/@{ALICE}/{status_id}", text))
        assert thread.index("<h2>Replies</h2>") < thread.index(text), "the reply should be listed under Replies"


def test_6_kith_member_replies_favourites_and_boosts_bovine_post(world: World) -> None:
    assert world.state.get("cow_note_on_kith"), "needs test_4"
    bovine, cow, alice = world.bovine, world.cow, world.alice
    handle = f"{cow.handle}@{bovine.hostname}"
    cow_note, on_kith = world.state["cow_note"], world.state["cow_note_on_kith"]
    text = f"Nice moo {time.time_ns()}"
    with world.diagnose():
        page = f"/@{handle}/{on_kith}"
        alice.submit(page, "/", {"content": f"@{handle} {text}", "visibility": "public",
                                 "in_reply_to_id": on_kith, "next": page})
        reply = bovine.wait_for_inbox(cow, lambda a: a.get("type") == "Create" and text in _content_of(a),
                                      timeout=STEP_TIMEOUT)
        assert ap_id(reply["object"].get("inReplyTo")) == cow_note, reply

        alice.submit(page, f"/statuses/{on_kith}/favourite", {"next": page})
        like = bovine.wait_for_inbox(cow, lambda a: a.get("type") == "Like", timeout=STEP_TIMEOUT)
        assert ap_id(like.get("object")) == cow_note and ap_id(like.get("actor")) == ALICE_ID, like

        alice.submit(page, f"/statuses/{on_kith}/boost", {"next": page})
        announce = bovine.wait_for_inbox(cow, lambda a: a.get("type") == "Announce", timeout=STEP_TIMEOUT)
        assert ap_id(announce.get("object")) == cow_note and ap_id(announce.get("actor")) == ALICE_ID, announce


def test_7_kith_direct_mention_reaches_only_bovine_account(world: World) -> None:
    bovine, cow, alice = world.bovine, world.cow, world.alice
    text = f"Just between us {time.time_ns()}"
    with world.diagnose():
        alice.submit("/", "/", {"content": f"@{cow.handle}@{bovine.hostname} {text}", "visibility": "direct"})
        create = bovine.wait_for_inbox(cow, lambda a: a.get("type") == "Create" and text in _content_of(a),
                                       timeout=STEP_TIMEOUT)
        note = create["object"]
        audience = {ap_id(a) for a in _as_list(note.get("to")) + _as_list(note.get("cc"))}
        assert cow.actor_id in audience and not (PUBLIC_SPELLINGS & audience), note
        assert f"{ALICE_ID}/followers" not in audience, note


def test_8_kith_delete_reaches_bovine_follower(world: World) -> None:
    note_id = world.state.get("alice_note")
    assert note_id and world.state.get("followed"), "needs test_1 and test_2"
    status_id = note_id.rsplit("/", 1)[1]
    with world.diagnose():
        world.alice.submit(f"/@{ALICE}/{status_id}", f"/@{ALICE}/{status_id}/delete", {})
        delete = world.bovine.wait_for_inbox(world.cow, lambda a: a.get("type") == "Delete", timeout=STEP_TIMEOUT)
        assert ap_id(delete.get("object")) == note_id and ap_id(delete.get("actor")) == ALICE_ID, delete


def test_9a_bovine_unfollow_removes_the_follower(world: World) -> None:
    assert world.state.get("followed"), "needs test_1"
    bovine, cow = world.bovine, world.cow
    with world.diagnose():
        assert _follower_count(world.alice.get(f"/@{ALICE}")) == 1
        bovine.unfollow(cow, ALICE_ID)  # Undo(Follow)
        world.wait("alice's follower count on Kith drops to 0",
                   lambda: _follower_count(world.alice.get(f"/@{ALICE}")) == 0)
        world.wait("bovine no longer lists alice as followed", lambda: ALICE_ID not in bovine.following(cow))


def test_9b_kith_member_unfollows_bovine_account(world: World) -> None:
    assert world.state.get("following") and world.state.get("cow_text"), "needs test_3 and test_4"
    bovine, cow, alice = world.bovine, world.cow, world.alice
    handle = f"{cow.handle}@{bovine.hostname}"
    with world.diagnose():
        alice.submit(f"/@{handle}", f"/@{handle}/unfollow", {})  # Kith sends Undo(Follow)
        world.wait("bovine drops alice from its followers", lambda: ALICE_ID not in bovine.followers(cow))
        profile = alice.get(f"/@{handle}")
        assert f'action="/@{handle}/follow"' in profile and ">Unfollow<" not in profile
        # Its posts leave alice's home feed; only her own boost of one (test_6) stays.
        cards = [c for c in alice.get("/").split("<article")[1:] if world.state["cow_text"] in c]
        assert cards and all('class="boosted-by"' in c for c in cards), cards
