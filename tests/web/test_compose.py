"""Composing on the web: images with alt text, a poll others vote on, sensitive media, language,
editing with history, delete-and-redraft; refused input comes back on the same form, kept."""

import io
import re

from aiohttp import FormData
from PIL import Image

from server.media import uploads
from tests.helpers import csrf_token, log_in, make_member, submit


def png(colour=(200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "PNG")
    return out.getvalue()


async def compose(client, fields: dict, files: list[tuple[str, bytes, str]] = (), page: str = "/"):
    form = FormData()
    form.add_field("csrf_token", await csrf_token(client, page))
    for name, value in fields.items():
        for one in value if isinstance(value, list) else [value]:
            form.add_field(name, one)
    for i in range(4):  # what a browser sends: every file input, chosen or not
        name, data, kind = files[i] if i < len(files) else ("", b"", "application/octet-stream")
        form.add_field(f"media_{i}", data, filename=name, content_type=kind)
    return await client.post("/", data=form, allow_redirects=False)


def alert(page: str) -> str:
    return re.search(r'role="alert"[^>]*>(.*?)</p>', page, re.S).group(1)


async def test_images_with_alt_text_sensitive_and_language(client, pool):
    await make_member(pool, "alice")
    await log_in(client, "alice")
    resp = await compose(client, {"content": "Two squares", "visibility": "public", "language": "en",
                                  "sensitive": "on", "description_0": "A red square", "description_1": "A blue one",
                                  "next": "/"},
                         [("red.png", png(), "image/png"), ("blue.png", png((20, 40, 200)), "image/png")])
    assert resp.status == 303
    row = await pool.fetchrow("SELECT id, sensitive, language FROM statuses")
    assert row["sensitive"] and row["language"] == "en"
    media = await pool.fetch("SELECT description, file_path FROM media_attachments WHERE status_id = $1 ORDER BY id",
                             row["id"])
    assert [m["description"] for m in media] == ["A red square", "A blue one"]
    page = await (await client.get(f"/@alice/{row['id']}")).text()
    assert page.count('alt="A red square"') == 1 and 'alt="A blue one"' in page
    assert "<summary>Sensitive media</summary>" in page
    assert f'href="/media/{media[0]["file_path"]}"' in page  # the full image one click away


async def test_refused_uploads_and_polls_come_back_with_everything_kept(client, pool):
    await make_member(pool, "alice")
    await log_in(client, "alice")
    cases = [
        ({"content": "look", "description_0": "x" * 10_000}, [("a.png", png(), "image/png")], "Alt text"),
        ({"content": "look"}, [("notes.txt", b"plain text, not an image", "text/plain")], "File type"),
        ({"content": "look"}, [("big.png", b"\x89PNG" + b"\0" * (uploads.IMAGE_LIMIT + 1), "image/png")],
         "too large"),
        ({"content": "pick one", "poll_option_0": "only"}, [], "2 to 4 options"),
        ({"content": "pick", "poll_option_0": "a", "poll_option_1": "a"}, [], "different"),
    ]
    for fields, files, message in cases:
        resp = await compose(client, {"visibility": "unlisted", "spoiler_text": "cw kept", **fields}, files)
        page = await resp.text()
        assert resp.status == 422, message
        assert message in alert(page)
        assert f">{fields['content']}</textarea>" in page and 'value="cw kept"' in page
        assert '<option value="unlisted" selected>' in page
    assert await pool.fetchval("SELECT count(*) FROM statuses") == 0
    assert await pool.fetchval("SELECT count(*) FROM media_attachments") == 0

    # A post refused after its image was stored keeps the image for the next try.
    resp = await compose(client, {"content": "x" * 501, "description_0": "kept alt"}, [("a.png", png(), "image/png")])
    page = await resp.text()
    assert resp.status == 422 and "at most 500 characters" in alert(page)
    kept = re.search(r'name="media_id" value="(\d+)"', page).group(1)
    assert 'alt="kept alt"' in page
    resp = await compose(client, {"content": "shorter now", "media_id": kept, "next": "/"})
    assert resp.status == 303
    assert await pool.fetchval("SELECT count(*) FROM media_attachments WHERE status_id IS NOT NULL") == 1


async def test_a_poll_is_voted_on_in_the_page(client, aiohttp_client, pool):
    await make_member(pool, "alice")
    await make_member(pool, "bob")
    await log_in(client, "alice")
    resp = await compose(client, {"content": "Tea or coffee?", "poll_option_0": "Tea", "poll_option_1": "Coffee",
                                  "poll_expires_in": "3600", "next": "/"})
    assert resp.status == 303
    status_id = await pool.fetchval("SELECT id FROM statuses")
    own = await (await client.get(f"/@alice/{status_id}")).text()
    assert f'action="/statuses/{status_id}/vote"' not in own and "Tea" in own  # one does not vote in one's own poll
    bob = await aiohttp_client(client.server)
    await log_in(bob, "bob")
    page = await (await bob.get(f"/@alice/{status_id}")).text()
    assert f'action="/statuses/{status_id}/vote"' in page and 'type="radio" name="choice" value="1"' in page
    resp = await submit(bob, f"/statuses/{status_id}/vote", {"choice": "1", "next": f"/@alice/{status_id}"})
    assert resp.status == 303
    after = await (await bob.get(f"/@alice/{status_id}")).text()
    assert f'action="/statuses/{status_id}/vote"' not in after
    assert re.search(r'class="chosen">.*?Coffee.*?100% · 1 vote<', after, re.S)
    assert "1 person · Ends" in after
    again = await submit(bob, f"/statuses/{status_id}/vote", {"choice": "0", "next": "/"})
    assert again.status == 422 and "already voted" in await again.text()


async def test_edit_keeps_history_and_redraft_brings_the_text_back(client, pool):
    await make_member(pool, "alice")
    await log_in(client, "alice")
    await compose(client, {"content": "Frist post", "spoiler_text": "", "next": "/"})
    status_id = await pool.fetchval("SELECT id FROM statuses")
    form = await (await client.get(f"/@alice/{status_id}/edit")).text()
    assert ">Frist post</textarea>" in form
    resp = await submit(client, f"/@alice/{status_id}/edit", {"content": "First post", "language": "en"})
    assert resp.status == 303 and resp.headers["Location"] == f"/@alice/{status_id}"
    page = await (await client.get(f"/@alice/{status_id}")).text()
    assert "First post" in page and f'href="/@alice/{status_id}/history"' in page
    history = await (await client.get(f"/@alice/{status_id}/history")).text()
    assert history.index("First post") < history.index("Frist post") and "Original" in history
    bad = await submit(client, f"/@alice/{status_id}/edit", {"content": ""})
    assert bad.status == 422 and "cannot be empty" in alert(await bad.text())

    redraft = await submit(client, f"/@alice/{status_id}/redraft")
    page = await redraft.text()
    assert redraft.status == 200 and ">First post</textarea>" in page and "<h1" in page
    assert await pool.fetchval("SELECT deleted_at IS NOT NULL FROM statuses WHERE id = $1", status_id)
