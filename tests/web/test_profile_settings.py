"""Profile settings on the web: avatar and header uploads, fields, locked/discoverable/bot; bad input
comes back on the same form with everything else kept and nothing stored."""

import io
import re

from aiohttp import FormData
from PIL import Image

from server.media import uploads
from tests.helpers import csrf_token, log_in, make_member

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'


def png(size=(120, 120), colour=(30, 120, 90)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


async def send(client, fields: dict, files: dict | None = None):
    form = FormData()
    form.add_field("csrf_token", await csrf_token(client, "/settings/profile"))
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, data, kind) in (files or {}).items():
        form.add_field(name, data, filename=filename, content_type=kind)
    for name in ("avatar", "header"):
        if name not in (files or {}):  # what a browser sends for a file input left empty
            form.add_field(name, b"", filename="", content_type="application/octet-stream")
    return await client.post("/settings/profile", data=form, allow_redirects=False)


BASE = {"display_name": "Alice A.", "note": "Gardener.", "field_name_0": "Pronouns", "field_value_0": "she/her",
        "field_name_1": "Site", "field_value_1": "https://alice.example/garden", "discoverable": "on"}


async def test_pictures_fields_and_flags_are_saved_as_the_api_would(client, pool):
    alice = await make_member(pool, "alice")
    await log_in(client, "alice")
    resp = await send(client, {**BASE, "bot": "on"}, {"avatar": ("me.png", png(), "image/png"),
                                                      "header": ("wide.png", png((600, 200)), "image/png")})
    assert resp.status == 303 and resp.headers["Location"] == "/settings/profile?saved=1"
    row = await pool.fetchrow("SELECT display_name, avatar_url, header_url, actor_type, discoverable, locked, fields"
                              " FROM accounts WHERE id = $1", alice.id)
    assert row["display_name"] == "Alice A." and row["actor_type"] == "Service" and row["discoverable"]
    assert not row["locked"]
    assert row["avatar_url"].startswith("/media/") and row["header_url"].startswith("/media/")
    assert [f["name"] for f in row["fields"]] == ["Pronouns", "Site"]
    assert 'href="https://alice.example/garden"' in row["fields"][1]["value"]
    form = await (await client.get("/settings/profile?saved=1")).text()
    assert 'value="https://alice.example/garden"' in form  # the typed value, not its HTML
    assert f'src="{row["avatar_url"]}"' in form and "Saved." in form
    profile = await (await client.get("/@alice")).text()
    assert f'src="{row["avatar_url"]}"' in profile and f'src="{row["header_url"]}"' in profile
    assert ">Bot<" in profile
    # the avatar is served from our own origin
    picture = await client.get(row["avatar_url"])
    assert picture.status == 200 and picture.content_type.startswith("image/")


async def test_bad_pictures_and_fields_come_back_on_the_form_with_nothing_stored(client, pool):
    alice = await make_member(pool, "alice")
    await log_in(client, "alice")
    cases = [
        ({}, {"avatar": ("evil.svg", SVG, "image/svg+xml")}, "avatar"),
        ({}, {"avatar": ("huge.png", b"\x89PNG" + b"\0" * (uploads.IMAGE_LIMIT + 10), "image/png")}, "too large"),
        ({}, {"header": ("notes.txt", b"just some text", "text/plain")}, "header"),
        ({"field_value_1": "javascript:alert(1)"}, {}, "http:// or https://"),
        ({"display_name": "x" * 31}, {"avatar": ("me.png", png(), "image/png")}, "at most 30"),
    ]
    for fields, files, message in cases:
        resp = await send(client, {**BASE, **fields}, files)
        page = await resp.text()
        assert resp.status == 422, (fields.keys(), files.keys())
        assert message in re.search(r'role="alert"[^>]*>(.*?)</', page, re.S).group(1), page[:300]
        assert 'value="Pronouns"' in page and "Gardener." in page  # everything typed is kept
    row = await pool.fetchrow("SELECT display_name, avatar_url, header_url, fields FROM accounts WHERE id = $1",
                              alice.id)
    assert row["display_name"] == "" and row["avatar_url"] is None and row["header_url"] is None and not row["fields"]
    assert await pool.fetchval("SELECT count(*) FROM media_attachments") == 0
