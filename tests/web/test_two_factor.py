"""Two-factor sign-in: set up from the QR code's key, asked for after the password, each code
working once, recovery codes, apps' password grant refused, turned off with password and code,
or by an admin for a member who lost their app and codes."""

import re
import time

import pyotp
from aiohttp.test_utils import TestClient

from server.mail.outbox import MailRunner
from server.models import Role
from server.store import domains as domains_store
from tests.helpers import PASSWORD, csrf_token, log_in, make_member, submit
from tests.web.test_account_care import outbox, with_email


def secret_in(page: str) -> str:
    return re.search(r'<code class="otp-secret">([A-Z2-7]+)</code>', page)[1]


async def password_step(client, username: str = "alice", password: str = PASSWORD):
    return await client.post("/login", data={"username": username, "password": password,
                                             "csrf_token": await csrf_token(client, "/login")})


def pending_in(page: str) -> str:
    return re.search(r'name="pending" value="([^"]+)"', page)[1]


async def test_two_factor_sign_in(client, pool):
    await make_member(pool, "alice")
    await log_in(client, "alice")
    setup = await (await client.get("/settings/otp")).text()
    assert "<svg" in setup and 'role="img"' in setup
    secret = secret_in(setup)
    totp = pyotp.TOTP(secret)
    assert secret_in(await (await client.get("/settings/otp")).text()) == secret  # the same until it is on
    wrong = await submit(client, "/settings/otp", {"code": "000000" if totp.now() != "000000" else "111111"},
                         page="/settings/otp")
    assert wrong.status == 422 and "does not match" in await wrong.text()
    on = await submit(client, "/settings/otp", {"code": totp.now()}, page="/settings/otp")
    codes = re.findall(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", await on.text())
    assert on.status == 200 and len(codes) == 10

    await client.post("/logout", data={"csrf_token": await csrf_token(client)})
    step = await password_step(client)
    page = await step.text()
    assert step.status == 200 and "Enter your code" in page
    assert (await client.get("/settings/profile", allow_redirects=False)).status == 303  # not signed in yet
    pending = pending_in(page)

    async def code_step(code: str, token: str = pending):
        return await client.post("/login/otp", data={"pending": token, "code": code, "next": "/",
                                                     "csrf_token": await csrf_token(client, "/login")},
                                 allow_redirects=False)

    assert (await code_step(totp.now())).status == 401  # the code used to turn it on does not work again
    forged = pending.rsplit(".", 2)[0] + f".{int(time.time()) + 9999}." + "0" * 64
    assert (await code_step(codes[0], forged)).status == 401
    assert (await code_step(codes[0])).status == 303  # a recovery code
    await client.post("/logout", data={"csrf_token": await csrf_token(client)})
    assert (await code_step(codes[0], pending_in(await (await password_step(client)).text()))).status == 401
    following = totp.at(int(time.time()) + 30)  # the next step's code (one step of drift is accepted)
    assert (await code_step(following, pending_in(await (await password_step(client)).text()))).status == 303
    assert (await client.get("/settings/profile", allow_redirects=False)).status == 200

    # Apps cannot sign in with the password alone.
    app = await (await client.post("/api/v1/apps", data={
        "client_name": "t", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read"})).json()
    grant = await client.post("/oauth/token", data={"grant_type": "password", "username": "alice",
                                                    "password": PASSWORD, "client_id": app["client_id"],
                                                    "client_secret": app["client_secret"], "scope": "read"})
    assert grant.status == 400 and "two factors" in (await grant.json())["error_description"]

    page = await (await client.get("/settings/otp")).text()
    assert "9 recovery codes left" in page
    refused = await submit(client, "/settings/otp/disable", {"password": "wrong one", "code": codes[1]},
                           page="/settings/otp")
    assert refused.status == 422
    off = await submit(client, "/settings/otp/disable", {"password": PASSWORD, "code": codes[1]}, page="/settings/otp")
    assert off.status == 303
    await client.post("/logout", data={"csrf_token": await csrf_token(client)})
    assert (await password_step(client)).status == 200
    assert (await client.get("/settings/profile", allow_redirects=False)).status == 200  # no code asked now


async def test_an_admin_turns_off_a_members_two_factor_sign_in(client, pool, config):
    alice = await make_member(pool, "alice")
    await with_email(pool, "alice", "alice@example.org")
    await make_member(pool, "mod", Role.MODERATOR)
    await make_member(pool, "root", Role.ADMIN)
    await log_in(client, "alice")
    totp = pyotp.TOTP(secret_in(await (await client.get("/settings/otp")).text()))
    assert (await submit(client, "/settings/otp", {"code": totp.now()}, page="/settings/otp")).status == 200
    await client.post("/logout", data={"csrf_token": await csrf_token(client)})
    page = f"/admin/accounts/{alice.id}"
    action = f"{page}/two_factor/disable"

    moderator = TestClient(client.server)
    await log_in(moderator, "mod")
    seen = await (await moderator.get(page)).text()
    assert "<dt>Two-factor sign-in</dt><dd>On</dd>" in seen and action not in seen  # admins only
    assert (await submit(moderator, action, {}, page=page)).status == 403
    await moderator.session.close()

    admin = TestClient(client.server)
    await log_in(admin, "root")
    assert action in await (await admin.get(page)).text()
    done = await submit(admin, action, {}, page=page)
    assert done.status == 303 and done.headers["Location"] == page
    assert "<dt>Two-factor sign-in</dt><dd>Off</dd>" in await (await admin.get(page)).text()
    again = await admin.post(action, data={"csrf_token": await csrf_token(admin, page)})
    assert again.status == 409 and "is not on for @alice" in await again.text()
    log = await domains_store.recent_log(pool)
    assert [(e["action"], e["target"], e["staff"]) for e in log][0] == ("account: disable two-factor", "@alice", "root")
    await admin.session.close()
    assert await MailRunner(pool, config).run_once() == 1
    [mail] = outbox(config)
    assert mail["To"] == "alice@example.org" and "turned off" in mail["Subject"]

    assert (await password_step(client)).status == 200  # the password alone signs her in now
    assert (await client.get("/settings/profile", allow_redirects=False)).status == 200
    setup = await (await client.get("/settings/otp")).text()
    assert secret_in(setup) != totp.secret  # and she can set it up again, with a new key
