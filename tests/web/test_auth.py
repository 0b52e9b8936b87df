"""Sign-up, sign-in, sign-out, CSRF and throttling through the real forms."""

from tests.helpers import PASSWORD, csrf_token, log_in, make_member, submit


async def test_signup_creates_account_and_signs_in(client, pool):
    token = await csrf_token(client, "/signup")
    resp = await client.post(
        "/signup",
        data={"username": "Newbie", "email": "newbie@example.com", "password": "long enough pw", "csrf_token": token},
        allow_redirects=False,
    )
    assert resp.status == 303
    home = await (await client.get("/")).text()
    assert "What's on your mind?" in home
    assert "@Newbie" in home
    assert await pool.fetchval("SELECT count(*) FROM users") == 1


async def test_signup_rejects_bad_input_and_stores_nothing(client, pool):
    await make_member(pool, "taken")
    cases = [
        ({"username": "bad name!", "password": "long enough pw"}, "letters a-z"),
        ({"username": "", "password": "long enough pw"}, "Choose a username"),
        ({"username": "TAKEN", "password": "long enough pw"}, "already taken"),
        ({"username": "shorty", "password": "short"}, "at least 8"),
        ({"username": "mailer", "password": "long enough pw", "email": "nope"}, "email address"),
        ({"username": "x" * 31, "password": "long enough pw"}, "1 to 30"),
        ({"username": "admin", "password": "long enough pw"}, "reserved"),
    ]
    for fields, message in cases:
        token = await csrf_token(client, "/signup")
        resp = await client.post("/signup", data={**fields, "csrf_token": token}, allow_redirects=False)
        assert resp.status == 422, fields
        assert message in await resp.text(), fields
    assert await pool.fetchval("SELECT count(*) FROM accounts WHERE username <> 'kith.instance'") == 1


async def test_signup_closed(aiohttp_client, config, pool):
    import dataclasses

    from server.app import make_app

    client = await aiohttp_client(make_app(dataclasses.replace(config, registrations="closed")))
    page = await (await client.get("/signup")).text()
    assert "not accepting sign-ups" in page
    token = await csrf_token(client, "/login")
    resp = await client.post("/signup", data={"username": "x1", "password": "long enough pw", "csrf_token": token})
    assert resp.status == 403
    assert await pool.fetchval("SELECT count(*) FROM accounts WHERE username <> 'kith.instance'") == 0


async def test_login_and_logout(client, pool):
    await make_member(pool, "alice")
    await log_in(client, "ALICE")  # usernames are case-insensitive
    assert "What's on your mind?" in await (await client.get("/")).text()
    token = await csrf_token(client, "/")
    resp = await client.post("/logout", data={"csrf_token": token}, allow_redirects=False)
    assert resp.status == 303
    assert "What's on your mind?" not in await (await client.get("/")).text()
    assert await pool.fetchval("SELECT count(*) FROM web_sessions") == 0


async def test_session_cookie_flags(client, pool):
    await make_member(pool, "alice")
    token = await csrf_token(client, "/login")
    resp = await client.post(
        "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token}, allow_redirects=False
    )
    cookie = resp.cookies["kith_session"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


async def test_wrong_password(client, pool):
    await make_member(pool, "alice")
    token = await csrf_token(client, "/login")
    resp = await client.post("/login", data={"username": "alice", "password": "wrong", "csrf_token": token})
    assert resp.status == 401
    assert "Wrong username or password" in await resp.text()
    assert "What's on your mind?" not in await (await client.get("/")).text()


async def test_failed_logins_are_throttled(client, pool):
    await make_member(pool, "alice")
    for _ in range(5):
        token = await csrf_token(client, "/login")
        resp = await client.post("/login", data={"username": "alice", "password": "wrong", "csrf_token": token})
        assert resp.status == 401
    token = await csrf_token(client, "/login")
    resp = await client.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token})
    assert resp.status == 429
    assert "Too many failed sign-in attempts" in await resp.text()


async def test_forms_need_a_valid_csrf_token(client, pool):
    await make_member(pool, "alice")
    await csrf_token(client, "/login")  # the browser has its CSRF cookie
    for data in ({}, {"csrf_token": "0" * 64}, {"csrf_token": ""}):
        resp = await client.post("/login", data={"username": "alice", "password": PASSWORD, **data})
        assert resp.status == 403
        assert "did not come from this site" in await resp.text()
    await log_in(client, "alice")
    resp = await client.post("/", data={"content": "sneaky", "visibility": "public"})
    assert resp.status == 403
    assert await pool.fetchval("SELECT count(*) FROM statuses") == 0


async def test_next_parameter_cannot_leave_the_site(client, pool):
    await make_member(pool, "alice")
    token = await csrf_token(client, "/login")
    resp = await client.post(
        "/login",
        data={"username": "alice", "password": PASSWORD, "csrf_token": token, "next": "//evil.example/"},
        allow_redirects=False,
    )
    assert resp.headers["Location"] == "/"


async def test_throttling_counts_the_address_behind_the_proxy(client, pool):
    """Behind nginx every request comes from 127.0.0.1; one browser's failures must not lock out others."""
    await make_member(pool, "alice")
    for i in range(5):
        token = await csrf_token(client, "/login")
        await client.post("/login", data={"username": f"nobody{i}", "password": "x", "csrf_token": token},
                          headers={"X-Forwarded-For": "203.0.113.7"})
    token = await csrf_token(client, "/login")
    blocked = await client.post("/login", data={"username": "someone", "password": "x", "csrf_token": token},
                                headers={"X-Forwarded-For": "203.0.113.7"})
    assert blocked.status == 429
    token = await csrf_token(client, "/login")
    other = await client.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token},
                              headers={"X-Forwarded-For": "198.51.100.2"}, allow_redirects=False)
    assert other.status == 303


async def _login(client, username: str, password: str, address: str):
    token = await csrf_token(client, "/login")
    return await client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                             headers={"X-Forwarded-For": address}, allow_redirects=False)


async def test_guessing_cannot_lock_the_owner_out_of_a_browser_they_used_before(client, pool):
    """OWASP device cookies: strangers' guesses lock the username, not the owner's own browser."""
    await make_member(pool, "alice")
    jar = client.session.cookie_jar
    assert (await _login(client, "alice", PASSWORD, "198.51.100.7")).status == 303
    device = next(c.value for c in jar if c.key == "kith_device")
    await submit(client, "/logout")

    jar.clear()  # the attacker's browser, from its own address
    for _ in range(5):
        assert (await _login(client, "alice", "guess", "203.0.113.5")).status == 401
    assert (await _login(client, "alice", "guess", "203.0.113.5")).status == 429
    assert not any(c.key == "kith_device" for c in jar)

    jar.clear()  # a fresh browser elsewhere, with the right password: the username is locked
    locked = await _login(client, "alice", PASSWORD, "198.51.100.8")
    assert locked.status == 429 and "Too many failed sign-in attempts" in await locked.text()

    jar.clear()  # the owner's browser, even from the attacker's own address
    jar.update_cookies({"kith_device": device})
    assert (await _login(client, "alice", PASSWORD, "203.0.113.5")).status == 303
    assert "What's on your mind?" in await (await client.get("/")).text()
    await submit(client, "/logout")

    jar.clear()  # the owner signing in gave the strangers no fresh budget
    assert (await _login(client, "alice", PASSWORD, "198.51.100.9")).status == 429


async def test_a_device_cookie_has_its_own_small_budget(client, pool):
    """A stolen or shared device cookie is no master key: its own failures lock it, and only for that account."""
    await make_member(pool, "alice")
    await make_member(pool, "bob")
    jar = client.session.cookie_jar
    assert (await _login(client, "alice", PASSWORD, "198.51.100.7")).status == 303
    await submit(client, "/logout")
    for i in range(5):
        assert (await _login(client, "alice", "wrong", f"198.51.100.{10 + i}")).status == 401
    assert (await _login(client, "alice", PASSWORD, "198.51.100.20")).status == 429
    assert any(c.key == "kith_device" for c in jar)
    for _ in range(5):  # trusted for alice only: guesses at bob count against bob and the address
        assert (await _login(client, "bob", "wrong", "198.51.100.30")).status == 401
    assert (await _login(client, "bob", PASSWORD, "198.51.100.31")).status == 429
