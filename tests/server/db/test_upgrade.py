"""Upgrading an instance: a database made by the previous release (its migrations, applied by the
same runner, with rows written as that release wrote them) is brought up to date by today's
`migrate`, keeps its data, and today's code serves it."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from server.app import make_app
from server.config import load_config
from server.db import migrate as migrate_module
from server.db.migrate import migrate, migration_files

# The last migration of the previous release; every later file is new in this one.
PREVIOUS = 41  # 0041_follow_languages_spoilers.sql


async def write_previous_release_rows(conn: asyncpg.Connection) -> dict[str, int]:
    """A member with a post and its picture, a remote account they follow, a delivery waiting for its
    host: plain SQL against the old schema, since today's store code may name newer columns."""
    alice = await conn.fetchval(
        "INSERT INTO accounts (username, display_name, public_key_pem, private_key_pem)"
        " VALUES ('alice', 'Alice', 'PUBLIC', 'PRIVATE') RETURNING id")
    await conn.execute("INSERT INTO users (account_id, email, password_hash, role)"
                       " VALUES ($1, 'alice@example.org', 'argon2-hash', 'member')", alice)
    bob = await conn.fetchval(
        "INSERT INTO accounts (username, domain, uri, url, inbox_url, public_key_pem, key_id, display_name)"
        " VALUES ('bob', 'remote.example', 'https://remote.example/users/bob', 'https://remote.example/@bob',"
        " 'https://remote.example/users/bob/inbox', 'BOB-PUBLIC', 'https://remote.example/users/bob#main-key',"
        " 'Bob') RETURNING id")
    post = await conn.fetchval(
        "INSERT INTO statuses (account_id, source_text, content, visibility, language)"
        " VALUES ($1, 'written before the upgrade', '<p>written before the upgrade</p>', 'public', 'en')"
        " RETURNING id", alice)
    media = await conn.fetchval(
        "INSERT INTO media_attachments (account_id, status_id, kind, file_path, mime_type, description, meta)"
        " VALUES ($1, $2, 'image', 'attachments/old-picture.png', 'image/png', 'a picture from before',"
        " '{\"original\": {\"width\": 10, \"height\": 10}}') RETURNING id", alice, post)
    follow = await conn.fetchval(
        "INSERT INTO follows (account_id, target_account_id, state, uri, languages)"
        " VALUES ($1, $2, 'accepted', 'https://kith.test/follows/1', '{en}') RETURNING id", alice, bob)
    activity = await conn.fetchval(
        "INSERT INTO outbox_activities (account_id, payload) VALUES ($1, '{\"type\": \"Create\"}') RETURNING id",
        alice)
    await conn.execute("INSERT INTO deliveries (activity_id, inbox_url, host)"
                       " VALUES ($1, 'https://remote.example/inbox', 'remote.example')", activity)
    await conn.execute("INSERT INTO hosts (host, last_success_at) VALUES ('remote.example', now())")
    return {"alice": alice, "bob": bob, "post": post, "media": media, "follow": follow}


async def test_a_previous_release_database_upgrades_with_its_data(database_url: str, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch, aiohttp_client):
    versions = [version for version, _ in migration_files()]
    assert PREVIOUS in versions and versions[-1] > PREVIOUS, "PREVIOUS should name the previous release's last file"
    admin = await asyncpg.connect(database_url)
    await admin.execute("DROP DATABASE IF EXISTS kith_upgrade")
    await admin.execute("CREATE DATABASE kith_upgrade")
    url = urlsplit(database_url)._replace(path="/kith_upgrade").geturl()
    conn = await asyncpg.connect(url)
    try:
        previous = tmp_path / "migrations"
        previous.mkdir()
        for version, path in migration_files():
            if version <= PREVIOUS:
                shutil.copy(path, previous)
        with monkeypatch.context() as patch:
            patch.setattr(migrate_module, "MIGRATIONS_DIR", previous)
            assert await migrate(conn) == [v for v in versions if v <= PREVIOUS]
        ids = await write_previous_release_rows(conn)

        assert await migrate(conn) == [v for v in versions if v > PREVIOUS]

        # The rows are all there, and the new columns have the values the new code expects of old rows.
        media = await conn.fetchrow("SELECT * FROM media_attachments WHERE id = $1", ids["media"])
        assert media["status_id"] == ids["post"] and media["detached_at"] is None  # not cleaned up as unused
        follow = await conn.fetchrow("SELECT * FROM follows WHERE id = $1", ids["follow"])
        assert (follow["account_id"], follow["target_account_id"], follow["languages"]) == (ids["alice"], ids["bob"],
                                                                                             ["en"])
        delivery = await conn.fetchrow("SELECT * FROM deliveries")
        assert (delivery["state"], delivery["locked_by"], delivery["done_at"]) == ("pending", None, None)
        host = await conn.fetchrow("SELECT * FROM hosts WHERE host = 'remote.example'")
        assert host["last_success_at"] is not None and host["software"] is None and host["last_error"] is None
        assert await conn.fetchval("SELECT count(*) FROM worker_processes") == 0
        assert await conn.fetchval("SELECT expand_spoilers FROM users WHERE account_id = $1", ids["alice"]) is False
        stats = {r["account_id"]: tuple(r[1:]) for r in await conn.fetch(  # counted by 0046 from the old rows
            "SELECT account_id, statuses_count, followers_count, following_count, last_status_at IS NOT NULL"
            " FROM account_stats")}
        assert (stats[ids["alice"]], stats[ids["bob"]]) == ((1, 0, 1, True), (0, 1, 0, False))
    finally:
        await conn.close()

    try:
        # Today's code reads what the previous release wrote.
        config = load_config(env={}, overrides={"database_url": url, "data_dir": str(tmp_path / "data"),
                                                "domain": "kith.test", "insecure_federation": True, "workers": False})
        client = await aiohttp_client(make_app(config))
        resp = await client.get(f"/api/v1/statuses/{ids['post']}")
        status = await resp.json()
        assert resp.status == 200, status
        assert status["content"] == "<p>written before the upgrade</p>" and status["account"]["username"] == "alice"
        assert (status["account"]["statuses_count"], status["account"]["following_count"]) == (1, 1)
        [picture] = status["media_attachments"]
        assert picture["description"] == "a picture from before"
        assert picture["url"].endswith("/attachments/old-picture.png")
        resp = await client.get(f"/api/v1/accounts/{ids['alice']}/following")
        assert [account["acct"] for account in await resp.json()] == ["bob@remote.example"]
        await client.close()
    finally:
        await admin.execute("DROP DATABASE kith_upgrade WITH (FORCE)")
        await admin.close()
