"""Link preview cards: a post's first link (not a mention or hashtag) gets a card fetched in the
background through the egress gate, with the page's title and description as plain text and its
image served from our own origin; one fetch per URL; pages that are not HTML give no card."""

import io

from PIL import Image

from server.domain import posting
from tests.api.conftest import bearer, make_token
from tests.federation.conftest import drain
from tests.helpers import log_in


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (20, 120, 60)).save(out, "PNG")
    return out.getvalue()


async def test_a_link_gets_a_card(kith, remote):
    alice, token = await make_token(kith.pool, "alice")
    page = f"{remote.base}/article"
    remote.files[page] = (
        (b'<html><head><title>Fallback</title><meta property="og:title" content="How to grow   tomatoes">'
         b'<meta property="og:description" content="A guide &amp; <b>more</b>"><meta property="og:site_name"'
         b' content="Garden Weekly"><meta property="og:image" content="/cover.png">'
         b'<script>alert(1)</script></head><body><iframe src="https://evil.example"></iframe></body></html>'),
        "text/html; charset=utf-8")
    remote.files[f"{remote.base}/cover.png"] = (png(), "image/png")
    remote.files[f"{remote.base}/data.json"] = (b'{"title": "not a page"}', "application/json")
    first = await posting.create_post(kith.pool, kith.fed.urls, alice, posting.NewPost(f"look {page} #tomatoes"), 500)
    second = await posting.create_post(kith.pool, kith.fed.urls, alice, posting.NewPost(f"again: {page}"), 500)
    plain = await posting.create_post(kith.pool, kith.fed.urls, alice,
                                      posting.NewPost(f"data at {remote.base}/data.json"), 500)
    await drain(kith)

    entity = await (await kith.client.get(f"/api/v1/statuses/{first}", headers=bearer(token))).json()
    card = entity["card"]
    assert card["title"] == "How to grow tomatoes" and card["description"] == "A guide & <b>more</b>"
    assert card["provider_name"] == "Garden Weekly" and card["type"] == "link" and card["html"] == ""
    assert card["url"] == page and card["image"].startswith(kith.base)
    again = await (await kith.client.get(f"/api/v1/statuses/{second}", headers=bearer(token))).json()
    assert again["card"]["title"] == "How to grow tomatoes"
    assert remote.fetched.count(page) == 1  # one fetch per URL, shared
    assert (await (await kith.client.get(f"/api/v1/statuses/{plain}", headers=bearer(token))).json())["card"] is None

    image = await kith.client.get(card["image"].removeprefix(kith.base))
    assert image.status == 200 and image.content_type.startswith("image/")
    await log_in(kith.client, "alice")
    shown = await (await kith.client.get(f"/@alice/{first}")).text()
    assert 'class="link-card"' in shown and "How to grow tomatoes" in shown and "alert(1)" not in shown
    assert "&lt;b&gt;more&lt;/b&gt;" in shown  # the description is text, never markup
