"""A member's whole archive: asked for on /settings/export, built by the workers, downloaded as a
ZIP like Mastodon's (actor.json, outbox.json with every post, likes.json, bookmarks.json, media),
only by them, and forgotten after 7 days; `kith user export` writes the same."""

import io
import json
import zipfile

from server.domain.archive import ArchiveRunner
from server.keys import URLS
from tests.conftest import kith_cli
from tests.helpers import log_in, make_member, post_status, submit
from tests.web.test_compose import compose, png


async def test_archive_is_built_downloaded_and_forgotten(client, pool, config, tmp_path, database_url):
    await make_member(pool, "alice")
    await make_member(pool, "bob")
    await log_in(client, "bob")
    await post_status(client, "bob's post")
    bobs = await pool.fetchval("SELECT id FROM statuses")
    await log_in(client, "alice")
    await post_status(client, "first, public")
    await post_status(client, "second, for followers", visibility="private")
    await compose(client, {"content": "with a picture", "description_0": "a red square"},
                  files=[("file_0", png(), "image/png")])
    for action in ("favourite", "bookmark"):
        await submit(client, f"/statuses/{bobs}/{action}", {"next": "/"})

    runner = ArchiveRunner(pool, config, client.server.app[URLS])
    assert (await submit(client, "/settings/export/archive", {}, page="/settings/export")).status == 303
    assert (await submit(client, "/settings/export/archive", {}, page="/settings/export")).status == 303
    assert await pool.fetchval("SELECT count(*) FROM archives") == 1  # one at a time
    assert "Being built" in await (await client.get("/settings/export")).text()
    assert await runner.run_once() == 1
    archive_id = await pool.fetchval("SELECT id FROM archives")
    page = await (await client.get("/settings/export")).text()
    assert f'href="/settings/export/archive/{archive_id}.zip"' in page
    assert "<title>Export your data · Kith</title>" in page and page.count("Your whole archive") == 1

    got = await client.get(f"/settings/export/archive/{archive_id}.zip")
    assert got.status == 200 and got.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(await got.read())) as archive:
        names = archive.namelist()
        outbox = json.loads(archive.read("outbox.json"))
        actor = json.loads(archive.read("actor.json"))
        likes = json.loads(archive.read("likes.json"))["orderedItems"]
        bookmarks = json.loads(archive.read("bookmarks.json"))["orderedItems"]
        contents = [item["object"]["content"] for item in outbox["orderedItems"]]
        assert [item["type"] for item in outbox["orderedItems"]] == ["Create"] * 3
        assert "first, public" in contents[0] and "for followers" in contents[1] and "picture" in contents[2]
        assert outbox["orderedItems"][0]["published"].startswith("20")
        document = outbox["orderedItems"][2]["object"]["attachment"][0]
        assert document["name"] == "a red square" and document["url"].lstrip("/") in names
        assert archive.read(document["url"].lstrip("/"))[:4] in (b"\x89PNG", b"RIFF", b"\xff\xd8\xff\xe0")
    assert actor["preferredUsername"] == "alice"
    assert likes == bookmarks == [f"http://kith.test/users/bob/statuses/{bobs}"]

    await log_in(client, "bob")
    assert (await client.get(f"/settings/export/archive/{archive_id}.zip")).status == 404  # only alice's
    await log_in(client, "alice")
    await pool.execute("UPDATE archives SET finished_at = now() - interval '8 days'")
    await runner.run_once()
    assert (await client.get(f"/settings/export/archive/{archive_id}.zip")).status == 404
    assert not list((config.data_dir / "archives").glob("*.zip"))

    written = kith_cli("user", "export", "alice", str(tmp_path / "alice.zip"), "--database-url", database_url,
                       "--data-dir", str(config.data_dir))
    assert written.returncode == 0, written.stderr
    with zipfile.ZipFile(tmp_path / "alice.zip") as archive:
        assert len(json.loads(archive.read("outbox.json"))["orderedItems"]) == 3
