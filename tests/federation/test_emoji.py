"""Other servers' custom emoji: shown as images from our own origin in posts, content warnings and
names, listed to apps; malformed emoji tags are left out and shortcodes inside tags stay text."""

import io
import re

from PIL import Image

from tests.api.conftest import bearer, make_token
from tests.federation.conftest import drain
from tests.federation.test_inbox_hostile import create, follow, note
from tests.helpers import log_in


def emoji_tag(remote, code: str, url: str | None = None) -> dict:
    return {"type": "Emoji", "id": f"{remote.base}/emojis/{code}", "name": f":{code}:",
            "icon": {"type": "Image", "mediaType": "image/png", "url": url or f"{remote.base}/emoji/{code}.png"}}


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (64, 64), (250, 200, 0, 255)).save(out, "PNG")
    return out.getvalue()


async def test_remote_custom_emoji_are_images_from_our_origin(kith, remote):
    alice, token = await make_token(kith.pool, "alice")
    mallory = remote.add_actor("mallory")
    mallory.extra = {"name": "Mallory :wave:", "tag": [emoji_tag(remote, "wave")]}
    remote.files[f"{remote.base}/emoji/blobcat.png"] = (png(), "image/png")
    remote.files[f"{remote.base}/emoji/wave.png"] = (png(), "image/png")
    await follow(kith, remote, mallory, alice)
    await kith.pool.execute(
        "INSERT INTO follows (account_id, target_account_id) SELECT $1, id FROM accounts WHERE uri = $2",
        alice.id, mallory.id)
    post = note(remote, mallory, 1, content='<p>hello :blobcat: and :unknown: <a href="https://x.example/:blobcat:">'
                                            'link</a></p>', summary="cats :blobcat:", tag=[
        emoji_tag(remote, "blobcat"),
        {"type": "Emoji", "name": ":bad code:", "icon": {"url": f"{remote.base}/emoji/bad.png"}},
        {"type": "Emoji", "name": ":evil:", "icon": {"url": "javascript:alert(1)"}},
    ])
    assert (await remote.post(mallory, f"{kith.base}/inbox", create(mallory, post))).status == 202
    await drain(kith)
    status_id = await kith.pool.fetchval("SELECT id FROM statuses WHERE uri = $1", post["id"])
    account_id = await kith.pool.fetchval("SELECT id FROM accounts WHERE uri = $1", mallory.id)
    stored = await kith.pool.fetchval("SELECT emojis FROM statuses WHERE id = $1", status_id)
    assert stored == [{"shortcode": "blobcat", "url": f"{remote.base}/emoji/blobcat.png"}]

    await log_in(kith.client, "alice")
    home = await (await kith.client.get("/")).text()
    image = f'<img class="emoji" src="/remote/emoji/status/{status_id}/blobcat" alt=":blobcat:"'
    assert home.count(image) == 2  # in the text and in the content warning
    assert ":unknown:" in home and 'href="https://x.example/:blobcat:"' in home  # unknown and inside a tag: text
    assert f'<bdi>Mallory <img class="emoji" src="/remote/emoji/account/{account_id}/wave" alt=":wave:"' in home
    assert remote.host not in "".join(re.findall(r'<img [^>]*src="([^"]+)"', home))
    for path in (f"/remote/emoji/status/{status_id}/blobcat", f"/remote/emoji/account/{account_id}/wave"):
        served = await kith.client.get(path, allow_redirects=False)
        assert served.status == 200 and served.content_type.startswith("image/"), path
    assert (await kith.client.get(f"/remote/emoji/status/{status_id}/unknown")).status == 404
    assert (await kith.client.get(f"/remote/emoji/status/{status_id}/evil")).status == 404

    api = await (await kith.client.get(f"/api/v1/statuses/{status_id}", headers=bearer(token))).json()
    assert [(e["shortcode"], e["url"]) for e in api["emojis"]] == [
        ("blobcat", f"{kith.base}/remote/emoji/status/{status_id}/blobcat")]
    assert [e["shortcode"] for e in api["account"]["emojis"]] == ["wave"]
