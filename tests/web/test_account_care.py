"""Members looking after their account: a password reset from the mail in DATA_DIR/outbox/ (and
through a real SMTP server), changing a password or address, confirming an address at sign-up,
the browsers signed in, and `kith user password`."""

import dataclasses
import email
import re
from email import policy

from aiohttp.test_utils import TestClient
from aiosmtpd.controller import Controller

from server.app import make_app
from server.mail.outbox import MailRunner
from tests.api.conftest import bearer, make_token
from tests.conftest import free_port
from tests.helpers import PASSWORD, csrf_token, log_in, make_member, submit

NEW_PASSWORD = "a brand new passphrase"


def outbox(config) -> list[email.message.EmailMessage]:
    folder = config.data_dir / "outbox"
    paths = sorted(folder.glob("*.eml"), key=lambda p: int(p.stem)) if folder.is_dir() else []
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in paths]


def link_in(mail, path: str) -> str:
    found = re.search(rf"https?://[^/\s]+({re.escape(path)}\S+)", mail.get_content())
    assert found, mail.get_content()
    return found[1]


async def with_email(pool, username: str, address: str) -> None:
    await pool.execute("UPDATE users SET email = $2, email_confirmed_at = now() FROM accounts a"
                       " WHERE a.id = users.account_id AND a.username = $1", username, address)


async def test_password_reset_from_the_mail_in_the_outbox(client, pool, config):
    alice = await make_member(pool, "alice")
    await with_email(pool, "alice", "alice@example.org")
    _, token = await make_token(pool, "alice")
    elsewhere = TestClient(client.server)
    await log_in(elsewhere, "alice")

    page = await (await client.get("/login")).text()
    assert 'href="/password/reset"' in page
    answers = []
    for who in ("alice", "nobody-here", "ALICE@example.org"):
        sent = await submit(client, "/password/reset", {"identifier": who}, page="/password/reset")
        assert sent.status == 200
        answers.append(re.sub(r'name="csrf_token" value="\w+"', "", await sent.text()))
    assert answers[0] == answers[1] == answers[2]  # nobody learns who is a member
    assert await MailRunner(pool, config).run_once() == 2
    mails = outbox(config)
    assert [m["To"] for m in mails] == ["alice@example.org", "alice@example.org"]
    assert mails[0]["Subject"] == "Reset your password on Kith" and mails[0]["From"] == "notifications@kith.test"
    first, second = link_in(mails[0], "/password/reset/"), link_in(mails[1], "/password/reset/")

    form = await client.get(first)
    assert form.status == 200 and "Choose a new password" in await form.text()
    short = await submit(client, first, {"password": "short"}, page=first)
    assert short.status == 422 and "at least 8 characters" in await short.text()
    done = await submit(client, first, {"password": NEW_PASSWORD}, page=first)
    assert done.status == 200 and "Your password is changed" in await done.text()
    again = await client.get(first)
    assert again.status == 410  # single use
    assert (await client.get(second)).status == 410  # a new password ends the other links too
    # Signed out everywhere, apps revoked; the new password works, the old one not.
    assert (await elsewhere.get("/settings/profile", allow_redirects=False)).status == 303
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))).status == 401
    assert "Wrong username or password" in await (await submit(
        client, "/login", {"username": "alice", "password": PASSWORD}, page="/login")).text()
    await log_in(client, "alice", NEW_PASSWORD)
    assert (await client.get("/settings/profile", allow_redirects=False)).status == 200

    # An expired link is refused the same way.
    await submit(client, "/password/reset", {"identifier": "alice"}, page="/password/reset")
    await MailRunner(pool, config).run_once()
    stale = link_in(outbox(config)[-1], "/password/reset/")
    await pool.execute("UPDATE user_tokens SET expires_at = now() - interval '1 second' WHERE used_at IS NULL")
    assert (await client.get(stale)).status == 410
    refused = await submit(client, stale, {"password": "yet another passphrase"}, page="/password/reset")
    assert refused.status == 410 and "more than an hour old" in await refused.text()
    assert alice.id
    await elsewhere.session.close()


async def test_changing_password_and_address_and_signing_out_other_browsers(client, pool, config):
    await make_member(pool, "bob")
    await with_email(pool, "bob", "bob@old.example")
    _, token = await make_token(pool, "bob")
    other = TestClient(client.server)
    await log_in(other, "bob")
    await log_in(client, "bob")

    wrong = await submit(client, "/settings/password", {"current_password": "guess", "password": NEW_PASSWORD},
                         page="/settings/password")
    assert wrong.status == 422 and "not your current password" in await wrong.text()
    assert (await other.get("/settings/profile", allow_redirects=False)).status == 200  # nothing changed
    sessions = await (await client.get("/settings/sessions")).text()
    assert sessions.count("Sign out</button>") == 1 and "This browser" in sessions
    third = TestClient(client.server)
    await log_in(third, "bob")
    third_id = await pool.fetchval("SELECT id FROM web_sessions ORDER BY id DESC LIMIT 1")
    assert (await submit(client, f"/settings/sessions/{third_id}/revoke", {}, page="/settings/sessions")).status == 303
    assert (await third.get("/settings/profile", allow_redirects=False)).status == 303  # that browser is out
    assert (await submit(client, f"/settings/sessions/{third_id}/revoke", {}, page="/settings/sessions")).status == 404
    await third.session.close()

    changed = await submit(client, "/settings/password", {"current_password": PASSWORD, "password": NEW_PASSWORD,
                                                          "sign_out_others": "on"}, page="/settings/password")
    assert changed.status == 303
    assert (await client.get("/settings/profile", allow_redirects=False)).status == 200  # this browser stays
    assert (await other.get("/settings/profile", allow_redirects=False)).status == 303  # the other is out
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))).status == 401

    moved = await submit(client, "/settings/email", {"email": "bob@new.example", "email_password": NEW_PASSWORD},
                         page="/settings/password")
    assert moved.status == 303
    assert await pool.fetchval("SELECT email FROM users") == "bob@old.example"  # until confirmed
    await MailRunner(pool, config).run_once()
    mail = outbox(config)[-1]
    assert mail["To"] == "bob@new.example"
    confirmed = await client.get(link_in(mail, "/auth/confirm"))
    assert confirmed.status == 200 and "confirmed" in await confirmed.text()
    assert await pool.fetchval("SELECT email FROM users") == "bob@new.example"
    taken = await make_member(pool, "carol")
    await with_email(pool, "carol", "carol@example.org")
    refused = await submit(client, "/settings/email", {"email": "carol@example.org", "email_password": NEW_PASSWORD},
                           page="/settings/password")
    assert refused.status == 422 and "already registered" in await refused.text() and taken.id
    await other.session.close()


async def test_sign_up_confirms_the_address_through_a_real_smtp_server(aiohttp_client, pool, config):
    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            received.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=policy.default)))
            return "250 OK"

    port = free_port()
    smtp = Controller(Handler(), hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        cfg = dataclasses.replace(config, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none",
                                  require_email_confirmation=True)
        client = await aiohttp_client(make_app(cfg))
        token = await csrf_token(client, "/signup")
        assert 'name="email" autocomplete="email" required' in await (await client.get("/signup")).text()
        missing = await client.post("/signup", data={"username": "dana", "password": NEW_PASSWORD,
                                                     "csrf_token": token})
        assert missing.status == 422 and "needs one to sign up" in await missing.text()
        assert await pool.fetchval("SELECT count(*) FROM accounts WHERE username = 'dana'") == 0
        joined = await client.post("/signup", data={"username": "dana", "password": NEW_PASSWORD,
                                                    "email": "dana@example.org", "csrf_token": token})
        assert joined.status == 200 and "Check your mail" in await joined.text()
        refused = await submit(client, "/login", {"username": "dana", "password": NEW_PASSWORD}, page="/login")
        body = await refused.text()
        assert refused.status == 403 and "Confirm your e-mail address first" in body
        assert "Send the confirmation link again" in body
        assert await MailRunner(pool, cfg).run_once() == 1
        [(recipients, mail)] = received
        assert recipients == ["dana@example.org"] and mail["Subject"] == "Confirm your e-mail address for Kith"
        assert not (cfg.data_dir / "outbox").exists()  # sent over SMTP, not written out
        confirmed = await client.get(link_in(mail, "/auth/confirm"))
        assert confirmed.status == 200
        await log_in(client, "dana", NEW_PASSWORD)
        assert (await client.get("/settings/profile", allow_redirects=False)).status == 200
    finally:
        smtp.stop()


async def test_blocked_mail_providers_mean_sign_up_needs_an_address(client, pool):
    await pool.execute("INSERT INTO email_domain_blocks (domain) VALUES ('spam-mail.example')")
    token = await csrf_token(client, "/signup")
    refused = await client.post("/signup", data={"username": "sneaky", "password": NEW_PASSWORD, "csrf_token": token})
    assert refused.status == 422 and "needs one to sign up" in await refused.text()
    assert await pool.fetchval("SELECT count(*) FROM accounts WHERE username = 'sneaky'") == 0


async def test_a_failed_send_is_kept_and_retried(pool, config):
    from server.mail.outbox import queue_mail

    cfg = dataclasses.replace(config, smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none")
    await queue_mail(pool, "someone@example.org", "Hello", "Body")
    assert await MailRunner(pool, cfg).run_once() == 1  # nobody listens on that port
    row = await pool.fetchrow("SELECT state, attempts, last_error, next_attempt_at > now() AS later FROM mail_outbox")
    assert row["state"] == "pending" and row["attempts"] == 1 and row["later"] and row["last_error"]
    await pool.execute("UPDATE mail_outbox SET next_attempt_at = now()")
    assert await MailRunner(pool, config).run_once() == 1  # no SMTP host now: written to the outbox
    assert await pool.fetchval("SELECT state FROM mail_outbox") == "done"
    assert [m["Subject"] for m in outbox(config)] == ["Hello"]


async def test_an_app_sign_up_waits_for_the_confirmed_address(aiohttp_client, pool, config):
    import secrets

    from server.api.auth import token_hash
    from server.store import oauth as oauth_store

    cfg = dataclasses.replace(config, require_email_confirmation=True)
    client = await aiohttp_client(make_app(cfg))
    app = await oauth_store.insert_app(pool, "cid", "secret", "App", None, ["urn:ietf:wg:oauth:2.0:oob"],
                                       ["read", "write"])
    app_token = secrets.token_urlsafe(16)
    await oauth_store.insert_token(pool, token_hash(app_token), None, app.id, None, ["read", "write"])
    made = await client.post("/api/v1/accounts", headers={"Authorization": f"Bearer {app_token}"}, data={
        "username": "appuser", "password": NEW_PASSWORD, "email": "appuser@example.org", "agreement": "true"})
    assert made.status == 200
    token = (await made.json())["access_token"]
    mine = {"Authorization": f"Bearer {token}"}
    refused = await client.get("/api/v1/accounts/verify_credentials", headers=mine)
    assert refused.status == 403 and "confirmed e-mail" in (await refused.json())["error"]
    assert (await client.post("/api/v1/emails/confirmations", headers=mine)).status == 200
    await MailRunner(pool, cfg).run_once()
    assert (await client.get(link_in(outbox(cfg)[-1], "/auth/confirm"))).status == 200
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=mine)).status == 200
