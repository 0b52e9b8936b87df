"""Media in an S3-compatible bucket: a real S3 API server on loopback (moto's), spoken to by the
same library Kith uses, aiobotocore. Everything the local-storage tests check about processing
holds unchanged; these check where the files go, what URLs point at them and that they go away."""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Iterator
from typing import Any

import aiohttp
import asyncpg
import pytest
from moto.server import ThreadedMotoServer
from PIL import Image

from server.config import Config, load_config
from server.domain import posting
from server.keys import URLS
from server.media.s3 import S3Storage
from server.media.storage import storage_for
from server.store import media as media_store
from tests.api.conftest import bearer
from tests.api.test_media import form, jpeg_with_gps, mp4_with_location, png_rgba, upload
from tests.conftest import free_port

PUBLIC = "http://cdn.kith.test/media"  # where a CDN would serve the bucket; never fetched by the tests
FILE_URL = re.compile(re.escape(PUBLIC) + r"/([0-9a-f]{32}/[a-z]+\.[a-z0-9]+)$")


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
async def s3_config(config: Config, s3_endpoint: str) -> Config:
    """The usual test settings with media in a fresh, empty bucket."""
    cfg = load_config(env={}, overrides={
        "database_url": config.database_url, "data_dir": str(config.data_dir), "domain": config.domain,
        "insecure_federation": True, "workers": False,
        "media_storage": "s3", "s3_endpoint": s3_endpoint, "s3_bucket": f"kith-{secrets.token_hex(6)}",
        "s3_access_key": "kith-test", "s3_secret_key": "kith-test-secret", "s3_public_url": PUBLIC + "/",
    })
    async with bucket(cfg).client() as s3:
        await s3.create_bucket(Bucket=cfg.s3_bucket)
    return cfg


@pytest.fixture
async def s3_client(aiohttp_client, s3_config: Config, pool: asyncpg.Pool):
    from server.app import make_app

    return await aiohttp_client(make_app(s3_config))


def bucket(cfg: Config) -> S3Storage:
    storage = storage_for(cfg)
    assert isinstance(storage, S3Storage)
    return storage


async def objects(cfg: Config) -> dict[str, dict[str, Any]]:
    """Every object in the bucket: key -> {"body", "type", "cache", "disposition"}, read back over S3."""
    found = {}
    async with bucket(cfg).client() as s3:
        listing = await s3.list_objects_v2(Bucket=cfg.s3_bucket)
        for item in listing.get("Contents", []):
            got = await s3.get_object(Bucket=cfg.s3_bucket, Key=item["Key"])
            async with got["Body"] as stream:
                body = await stream.read()
            found[item["Key"]] = {"body": body, "type": got["ContentType"], "cache": got.get("CacheControl"),
                                  "disposition": got.get("ContentDisposition")}
    return found


def key_of(url: str) -> str:
    match = FILE_URL.match(url)
    assert match, url
    return match.group(1)


async def test_an_upload_goes_to_the_bucket_and_its_urls_to_the_public_address(s3_client, s3_config, api_token):
    _, token = await api_token("alice")
    resp = await upload(s3_client, token, form(jpeg_with_gps(), "holiday.jpg", "image/jpeg", description="A flag"))
    assert resp.status == 200, await resp.text()
    media = await resp.json()
    original, small = key_of(media["url"]), key_of(media["preview_url"])
    assert original.endswith("/original.jpg") and small == original.replace("original", "small")

    stored = await objects(s3_config)
    assert set(stored) == {original, small}
    for key, size in ((original, (800, 1600)), (small, (320, 640))):
        assert stored[key]["type"] == "image/jpeg"
        assert stored[key]["cache"] == "public, max-age=31536000, immutable"
        assert stored[key]["disposition"] == "inline"
        image = Image.open(io.BytesIO(stored[key]["body"]))
        assert image.format == "JPEG" and image.size == size and not image.getexif()
        assert b"KithCam" not in stored[key]["body"]
    assert not (s3_config.data_dir / "media").exists()  # nothing on local disk

    again = await s3_client.get(f"/api/v1/media/{media['id']}", headers=bearer(token))
    assert (await again.json())["url"] == media["url"]
    # Our own /media/ path sends readers to the bucket (links made before the switch keep working).
    moved = await s3_client.get(f"/media/{original}", allow_redirects=False)
    assert moved.status == 301 and moved.headers["Location"] == media["url"]
    assert (await s3_client.get(f"/media/{'0' * 32}/original.jpg", allow_redirects=False)).status == 404


async def test_video_and_its_thumbnail_keep_their_own_types(s3_client, s3_config, api_token):
    _, token = await api_token("alice")
    body = form(mp4_with_location(), "clip.mp4", "video/mp4")
    body.add_field("thumbnail", png_rgba(), filename="t.png", content_type="image/png")
    resp = await upload(s3_client, token, body)
    assert resp.status == 200, await resp.text()
    media = await resp.json()
    stored = await objects(s3_config)
    assert stored[key_of(media["url"])]["type"] == "video/mp4"
    assert stored[key_of(media["preview_url"])]["type"] == "image/png"
    assert b"+52.3700" not in stored[key_of(media["url"])]["body"]


async def test_posts_link_to_the_bucket_in_pages_and_federation(s3_client, s3_config, api_token, pool):
    account, token = await api_token("alice")
    media = await (await upload(s3_client, token, form(png_rgba(), "a.png", "image/png",
                                                       description="green"))).json()
    status_id = await posting.create_post(pool, s3_client.server.app[URLS], account,
                                          posting.NewPost(text="look", media_ids=[int(media["id"])]), 500)
    note = await (await s3_client.get(f"/users/alice/statuses/{status_id}",
                                      headers={"Accept": "application/activity+json"})).json()
    assert [a["url"] for a in note["attachment"]] == [media["url"]]

    page = await s3_client.get("/@alice")
    html = await page.text()
    assert f'<a href="{media["url"]}"><img src="{media["preview_url"]}" alt="green"' in html
    # The page may show images from the bucket's public origin, and from nowhere else new.
    assert "img-src 'self' http://cdn.kith.test data:;" in page.headers["Content-Security-Policy"]


async def test_deleting_an_upload_removes_its_objects(s3_client, s3_config, api_token):
    _, token = await api_token("alice")
    media = await (await upload(s3_client, token, form(png_rgba(), "a.png", "image/png"))).json()
    assert len(await objects(s3_config)) == 2
    assert (await s3_client.delete(f"/api/v1/media/{media['id']}", headers=bearer(token))).status == 200
    assert await objects(s3_config) == {}


async def test_a_failed_insert_leaves_nothing_in_the_bucket(s3_client, s3_config, api_token, pool, monkeypatch):
    _, token = await api_token("alice")

    async def insert_fails(*args: Any, **kwargs: Any) -> None:
        assert len(await objects(s3_config)) == 2  # the files were uploaded first
        raise asyncpg.PostgresError("the database went away")

    monkeypatch.setattr(media_store, "insert", insert_fails)
    resp = await upload(s3_client, token, form(png_rgba(), "a.png", "image/png"))
    assert resp.status == 500
    assert await objects(s3_config) == {}
    assert await pool.fetchval("SELECT count(*) FROM media_attachments") == 0


async def test_avatars_and_headers_land_in_the_bucket(s3_client, s3_config, api_token, pool):
    account, token = await api_token("alice")
    body = aiohttp.FormData()
    body.add_field("avatar", png_rgba(), filename="me.png", content_type="image/png")
    body.add_field("header", jpeg_with_gps((300, 100)), filename="top.jpg", content_type="image/jpeg")
    resp = await s3_client.patch("/api/v1/accounts/update_credentials", data=body, headers=bearer(token))
    assert resp.status == 200, await resp.text()
    me = await resp.json()
    avatar, header = key_of(me["avatar"]), key_of(me["header"])
    stored = await objects(s3_config)
    assert stored[avatar]["type"] == "image/png" and stored[header]["type"] == "image/jpeg"
    assert Image.open(io.BytesIO(stored[avatar]["body"])).size == (64, 48)

    # The database keeps the storage-independent "/media/<key>"; the URL is made when rendered.
    row = await pool.fetchrow("SELECT avatar_url, header_url FROM accounts WHERE id = $1", account.id)
    assert (row["avatar_url"], row["header_url"]) == (f"/media/{avatar}", f"/media/{header}")
    actor = await (await s3_client.get("/users/alice", headers={"Accept": "application/activity+json"})).json()
    assert actor["icon"]["url"] == me["avatar"] and actor["image"]["url"] == me["header"]
