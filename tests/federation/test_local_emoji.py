"""This instance's own custom emoji: admins upload them; `:shortcode:` in a member's post and name
becomes the image here and an Emoji tag for other servers, which show it from their own cache."""

import io

from aiohttp import FormData
from PIL import Image

from server.domain import posting, profiles
from server.models import Role
from tests.api.conftest import bearer, make_token
from tests.federation.conftest import drain, follow_across
from tests.helpers import csrf_token, log_in, make_member


def png(size: int = 32) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (size, size), (240, 180, 0, 255)).save(out, "PNG")
    return out.getvalue()


async def upload(client, shortcode: str, data: bytes, name: str = "e.png", kind: str = "image/png"):
    form = FormData()
    form.add_field("csrf_token", await csrf_token(client, "/admin/custom-emojis"))
    form.add_field("shortcode", shortcode)
    form.add_field("file", data, filename=name, content_type=kind)
    return await client.post("/admin/custom-emojis", data=form, allow_redirects=False)


async def test_our_emoji_here_and_elsewhere(instances):
    a, b = instances
    await make_member(a.pool, "boss", Role.ADMIN)
    alice, token = await make_token(a.pool, "alice")
    bob = await make_member(b.pool, "bob")
    await follow_across(b, bob, a, "alice")
    await log_in(a.client, "boss")
    assert (await upload(a.client, "sprout", png())).status == 303
    for code, data, why in (("nope", b"not an image", "not a usable image"), ("big", b"x" * 300_000, "at most 256 KB"),
                            ("sprout", png(), "is taken"), ("x y", png(), "letters, digits")):
        refused = await upload(a.client, code, data)
        assert refused.status == 422 and why in await refused.text(), code
    listed = await (await a.client.get("/api/v1/custom_emojis")).json()
    assert [e["shortcode"] for e in listed] == ["sprout"] and "/media/" in listed[0]["url"]

    await profiles.update_profile(a.pool, a.fed.urls, alice, profiles.ProfileUpdate("Alice :sprout:", "", False))
    status_id = await posting.create_post(a.pool, a.fed.urls, alice, posting.NewPost("first :sprout: of spring"), 500)
    entity = await (await a.client.get(f"/api/v1/statuses/{status_id}", headers=bearer(token))).json()
    assert [e["shortcode"] for e in entity["emojis"]] == ["sprout"] and "/media/" in entity["emojis"][0]["url"]
    assert [e["shortcode"] for e in entity["account"]["emojis"]] == ["sprout"]
    page = await (await a.client.get(f"/@alice/{status_id}")).text()
    assert '<img class="emoji" src="/media/' in page and 'alt=":sprout:"' in page
    await drain(a, b)

    # b got the Emoji tag with the post and shows it from its own cache.
    stored = await b.pool.fetchrow("SELECT id, emojis FROM statuses WHERE content LIKE '%of spring%'")
    assert [e["shortcode"] for e in stored["emojis"]] == ["sprout"]
    await log_in(b.client, "bob")
    home = await (await b.client.get("/")).text()
    assert f'src="/remote/emoji/status/{stored["id"]}/sprout"' in home
    served = await b.client.get(f"/remote/emoji/status/{stored['id']}/sprout")
    assert served.status == 200 and served.content_type.startswith("image/")
