"""Bringing one's history: a member's archive exported on one instance and imported on another
shows the old posts there with their original dates, content warnings and media, without filling
anyone's feed or being delivered; old URLs redirect when the instance serves the archive's domain;
bad archives are refused whole."""

import io
import json
import zipfile

from aiohttp import FormData

from server.domain import archive, following, posting
from server.domain.imports import ImportRunner
from server.keys import CONFIG
from server.media import uploads
from server.media.storage import storage_for
from tests.federation.conftest import drain
from tests.helpers import csrf_token, log_in, make_member
from tests.web.test_compose import png


async def send_archive(client, data: bytes, name: str = "archive.zip"):
    form = FormData()
    form.add_field("csrf_token", await csrf_token(client, "/settings/import"))
    form.add_field("kind", "archive")
    form.add_field("mode", "merge")
    form.add_field("file", data, filename=name, content_type="application/zip")
    return await client.post("/settings/import", data=form, allow_redirects=False)


def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


async def test_history_comes_along(instances):
    a, b = instances
    old = await make_member(a.pool, "alice")
    media = await uploads.create(a.pool, storage_for(a.app[CONFIG]), old.id, png(), None, "a red square", (0.0, 0.0))
    await posting.create_post(a.pool, a.fed.urls, old, posting.NewPost("my first post"), 500)
    await posting.create_post(a.pool, a.fed.urls, old, posting.NewPost(
        "spoilers ahead", spoiler_text="the ending", media_ids=[media["id"]]), 500)
    await posting.create_post(a.pool, a.fed.urls, old, posting.NewPost("only for friends", visibility="private"), 500)
    await a.pool.execute("UPDATE statuses SET created_at = '2021-03-04T05:06:07Z'")
    data = await archive.build(a.pool, a.fed.urls, storage_for(a.app[CONFIG]), old)

    alice = await make_member(b.pool, "alice")
    follower = await make_member(b.pool, "friend")
    await following.follow(b.pool, b.fed.urls, follower, alice)
    await log_in(b.client, "alice")
    for bad, why in ((b"not a zip at all", "not a ZIP"),
                     (zipped({"actor.json": b"{}"}), "no outbox.json"),
                     (zipped({"../evil.txt": b"x", "outbox.json": b"{}"}), "unsafe file name"),
                     (zipped({"outbox.json": b"{not json"}), "not valid JSON")):
        refused = await send_archive(b.client, bad)
        assert refused.status == 422 and why in await refused.text(), why
    assert await b.pool.fetchval("SELECT count(*) FROM import_jobs") == 0
    assert not list((b.app[CONFIG].data_dir / "imports").glob("*"))  # nothing kept of a bad archive

    for _ in range(2):  # the same archive twice: nothing is imported twice
        assert (await send_archive(b.client, data)).status == 303
        await drain(b)
    posts = await b.pool.fetch("SELECT id, content, spoiler_text, visibility, created_at FROM statuses"
                               " WHERE account_id = $1 ORDER BY id", alice.id)
    assert [p["visibility"] for p in posts] == ["public", "public"]  # the followers-only post stays behind
    assert "my first post" in posts[0]["content"] and posts[1]["spoiler_text"] == "the ending"
    assert all(p["created_at"].year == 2021 for p in posts)
    attached = await b.pool.fetchrow("SELECT description, file_path FROM media_attachments WHERE status_id = $1",
                                     posts[1]["id"])
    assert attached["description"] == "a red square" and attached["file_path"]
    assert await b.pool.fetchval("SELECT count(*) FROM home_feed WHERE account_id = $1", follower.id) == 0
    assert await b.pool.fetchval("SELECT count(*) FROM outbox_activities") == 0  # delivered nowhere
    profile = await (await b.client.get("/@alice")).text()
    assert "my first post" in profile and "2021" in profile
    assert (await (await b.client.get("/settings/import")).text()).count("2 of 2 done") == 2
    assert not list((b.app[CONFIG].data_dir / "imports").glob("*"))  # archives are removed once imported


async def test_old_links_redirect_when_this_instance_served_them(kith):
    alice = await make_member(kith.pool, "alice")
    old_id = "109876543210987654"
    note = {"id": f"{kith.base}/users/alice/statuses/{old_id}", "type": "Note", "content": "<p>from before</p>",
            "attributedTo": f"{kith.base}/users/alice", "published": "2022-01-02T03:04:05Z",
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [f"{kith.base}/users/alice/followers"]}
    outbox = {"orderedItems": [{"type": "Create", "object": note}]}
    await log_in(kith.client, "alice")
    assert (await send_archive(kith.client, zipped({"outbox.json": json.dumps(outbox).encode()}))).status == 303
    assert await ImportRunner(kith.fed).run_once() == 1
    new_id = await kith.pool.fetchval("SELECT id FROM statuses WHERE account_id = $1", alice.id)
    for old_url, new_url in ((f"/@alice/{old_id}", f"{kith.base}/@alice/{new_id}"),
                             (f"/users/alice/statuses/{old_id}", f"{kith.base}/users/alice/statuses/{new_id}")):
        moved = await kith.client.get(old_url, allow_redirects=False)
        assert moved.status == 301 and moved.headers["Location"] == new_url, old_url
