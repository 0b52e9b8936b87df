"""Media uploads through the API: content checks, metadata stripping, limits, ownership, serving."""

from __future__ import annotations

import io
import re
import struct
import zlib
from pathlib import Path

import aiohttp
import pytest
from PIL import ExifTags, Image, PngImagePlugin

from server.config import Config
from server.domain import posting
from server.keys import URLS
from server.media import uploads
from tests.api.conftest import bearer


def jpeg_with_gps(size: tuple[int, int] = (1600, 800)) -> bytes:
    """Left half red, right half blue; EXIF says "rotate 90° clockwise" and where it was taken."""
    image = Image.new("RGB", size, (220, 20, 20))
    image.paste((20, 20, 220), (size[0] // 2, 0, size[0], size[1]))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "KithCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 22.0, 7.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (4.0, 53.0, 11.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


def png_rgba() -> bytes:
    image = Image.new("RGBA", (64, 48), (0, 0, 0, 0))
    image.paste((10, 200, 10, 255), (16, 16, 48, 32))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def gif_animation() -> bytes:
    frames = [Image.new("RGB", (40, 30), color) for color in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=80, loop=0,
                   comment=b"secret comment")
    return out.getvalue()


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


GPS_ATOM = b"\xa9xyz+52.3700+004.8900/"


def mp4_with_location() -> bytes:
    """A (not playable, but well-formed) MP4: ftyp, a moov with a track and user data, mdat."""
    ftyp = box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41")
    trak = box(b"trak", box(b"tkhd", bytes(84)) + box(b"udta", box(b"name", b"phone track")))
    moov = box(b"moov", box(b"mvhd", bytes(100)) + trak + box(b"udta", box(GPS_ATOM[:4], GPS_ATOM[4:])))
    return ftyp + moov + box(b"mdat", bytes(2048))


def png_header(width: int, height: int) -> bytes:
    """Only a PNG signature and IHDR: enough for Pillow to read the claimed size."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk + struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))


def form(data: bytes, filename: str, content_type: str, **fields: str) -> aiohttp.FormData:
    body = aiohttp.FormData()
    body.add_field("file", data, filename=filename, content_type=content_type)
    for name, value in fields.items():
        body.add_field(name, value)
    return body


def media_dir(config: Config) -> Path:
    return config.data_dir / "media"


def stored_files(config: Config) -> list[Path]:
    return [p for p in media_dir(config).rglob("*") if p.is_file()] if media_dir(config).exists() else []


async def upload(client, token: str, body: aiohttp.FormData, version: str = "v2"):
    return await client.post(f"/api/{version}/media", data=body, headers=bearer(token))


async def fetch(client, url: str) -> aiohttp.ClientResponse:
    path = url.split("://", 1)[1].split("/", 1)[1]
    return await client.get(f"/{path}")


async def test_jpeg_is_turned_upright_stripped_thumbnailed_and_served(client, api_token, config):
    _, token = await api_token("alice")
    original = jpeg_with_gps()
    assert b"KithCam" in original and Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    resp = await upload(client, token, form(original, "holiday.jpg", "image/jpeg", description="A flag"))
    assert resp.status == 200, await resp.text()
    media = await resp.json()
    assert media["type"] == "image" and media["description"] == "A flag"
    # served under the upload's random folder, not its (guessable) id
    assert re.search(r"/media/[0-9a-f]{32}/original\.jpg$", media["url"]), media["url"]
    assert re.search(r"/media/[0-9a-f]{32}/small\.jpg$", media["preview_url"]), media["preview_url"]
    assert media["remote_url"] is None
    assert isinstance(media["blurhash"], str) and len(media["blurhash"]) == 4 + 2 + 2 * 15
    assert media["meta"]["original"] == {"width": 800, "height": 1600, "size": "800x1600", "aspect": 0.5}
    assert media["meta"]["small"] == {"width": 320, "height": 640, "size": "320x640", "aspect": 0.5}
    assert media["meta"]["focus"] == {"x": 0.0, "y": 0.0}

    served = await fetch(client, media["url"])
    assert served.status == 200
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"] == "inline"
    assert "max-age" in served.headers["Cache-Control"]
    body = await served.read()
    assert b"KithCam" not in body and b"Exif" not in body
    image = Image.open(io.BytesIO(body))
    assert image.format == "JPEG" and image.size == (800, 1600)
    assert not image.getexif() and "exif" not in image.info
    # The left (red) half of the sideways photo is now the top.
    top, bottom = image.convert("RGB").getpixel((400, 100)), image.convert("RGB").getpixel((400, 1500))
    assert top[0] > 180 > top[2] and bottom[2] > 180 > bottom[0]

    small = await fetch(client, media["preview_url"])
    assert small.status == 200 and small.headers["Content-Type"] == "image/jpeg"
    thumb = Image.open(io.BytesIO(await small.read()))
    assert max(thumb.size) <= 640 and thumb.size == (320, 640)

    files = stored_files(config)
    assert sorted(p.name for p in files) == ["original.jpg", "small.jpg"]
    assert len(files[0].parent.name) == 32 and files[0].parent == files[1].parent
    assert files[0].parent.parent == media_dir(config)


async def test_png_with_transparency_stays_png(client, api_token):
    _, token = await api_token("alice")
    resp = await upload(client, token, form(png_rgba(), "logo.png", "image/png"), version="v1")
    assert resp.status == 200, await resp.text()
    media = await resp.json()
    served = await fetch(client, media["url"])
    assert served.headers["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(await served.read()))
    assert image.format == "PNG" and image.mode == "RGBA"
    assert image.getpixel((0, 0))[3] == 0 and image.getpixel((20, 20)) == (10, 200, 10, 255)
    small = await fetch(client, media["preview_url"])
    assert small.headers["Content-Type"] == "image/png"


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
async def test_png_and_webp_lose_their_metadata(client, api_token, fmt):
    _, token = await api_token("alice")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "KithCam"
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "KithAuthor")
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (1, 2, 3)).save(out, fmt, exif=exif, xmp=b"<x:xmpmeta>KithXMP</x:xmpmeta>",
                                                pnginfo=text)
    assert b"KithCam" in out.getvalue()
    resp = await upload(client, token, form(out.getvalue(), "x.bin", "application/octet-stream"))
    assert resp.status == 200, await resp.text()
    served = await fetch(client, (await resp.json())["url"])
    body = await served.read()
    assert served.headers["Content-Type"] == f"image/{fmt.lower()}"
    assert not any(secret in body for secret in (b"KithCam", b"KithXMP", b"KithAuthor"))


async def test_animated_gif_keeps_its_frames_but_not_its_comment(client, api_token):
    _, token = await api_token("alice")
    resp = await upload(client, token, form(gif_animation(), "loop.gif", "image/gif"))
    assert resp.status == 200, await resp.text()
    served = await fetch(client, (await resp.json())["url"])
    body = await served.read()
    assert served.headers["Content-Type"] == "image/gif" and b"secret comment" not in body
    image = Image.open(io.BytesIO(body))
    assert image.n_frames == 3 and image.info.get("loop") == 0


async def test_a_cameras_multi_picture_jpeg_is_kept_as_its_main_picture(client, api_token):
    _, token = await api_token("alice")
    out = io.BytesIO()
    Image.new("RGB", (120, 90), (200, 0, 0)).save(out, "MPO", save_all=True, append_images=[Image.new("RGB", (60, 45))])
    resp = await upload(client, token, form(out.getvalue(), "DSC0001.jpg", "image/jpeg"))
    assert resp.status == 200, await resp.text()
    served = await fetch(client, (await resp.json())["url"])
    image = Image.open(io.BytesIO(await served.read()))
    assert served.headers["Content-Type"] == "image/jpeg" and image.format == "JPEG" and image.size == (120, 90)


async def test_a_damaged_image_is_refused(client, api_token):
    _, token = await api_token("alice")
    whole = jpeg_with_gps((400, 300))
    resp = await upload(client, token, form(whole[: len(whole) // 3], "cut.jpg", "image/jpeg"))
    assert resp.status == 422 and "damaged" in (await resp.json())["error"]


async def test_text_named_like_a_jpeg_is_refused(client, api_token, config, pool):
    _, token = await api_token("alice")
    resp = await upload(client, token, form(b"hello, I am not a picture\n" * 20, "cat.jpg", "image/jpeg"))
    assert resp.status == 422
    assert "could not be verified" in (await resp.json())["error"]
    assert await pool.fetchval("SELECT count(*) FROM media_attachments") == 0
    assert stored_files(config) == []


async def test_mp4_declared_as_png_is_taken_as_video_without_its_location(client, api_token):
    _, token = await api_token("alice")
    video = mp4_with_location()
    resp = await upload(client, token, form(video, "clip.png", "image/png"))
    assert resp.status == 200, await resp.text()
    media = await resp.json()
    assert media["type"] == "video" and media["blurhash"] is None
    served = await fetch(client, media["url"])
    assert served.headers["Content-Type"] == "video/mp4"
    body = await served.read()
    assert len(body) == len(video) and body[:32] == video[:32]  # same layout: offsets still hold
    assert b"+52.3700" not in body and b"phone track" not in body and b"udta" not in body


async def test_video_with_a_custom_thumbnail(client, api_token):
    _, token = await api_token("alice")
    body = form(mp4_with_location(), "clip.mp4", "video/mp4")
    body.add_field("thumbnail", png_rgba(), filename="t.png", content_type="image/png")
    resp = await upload(client, token, body)
    assert resp.status == 200, await resp.text()
    media = await resp.json()
    assert re.search(r"/media/[0-9a-f]{32}/small\.[a-z]+$", media["preview_url"]) and media["blurhash"]
    assert media["meta"]["small"]["size"] == "64x48"


async def test_an_image_cannot_have_a_custom_thumbnail(client, api_token):
    _, token = await api_token("alice")
    body = form(png_rgba(), "a.png", "image/png")
    body.add_field("thumbnail", png_rgba(), filename="t.png", content_type="image/png")
    assert (await upload(client, token, body)).status == 422


@pytest.mark.parametrize("size, limit", [(uploads.IMAGE_LIMIT + 1, "16 MiB"), (uploads.AV_LIMIT + 1, "40 MiB")])
async def test_oversize_uploads_are_refused_and_nothing_is_kept(client, api_token, config, pool, size, limit):
    _, token = await api_token("alice")
    big = png_header(100, 100) + bytes(size)
    resp = await upload(client, token, form(big, "big.png", "image/png"))
    assert resp.status == 413
    assert limit in (await resp.json())["error"]
    assert await pool.fetchval("SELECT count(*) FROM media_attachments") == 0
    assert stored_files(config) == []


@pytest.mark.parametrize("width, height", [(50_000, 50_000), (10_000, 10), (7000, 7000)])
async def test_decompression_bombs_are_refused_before_decoding(client, api_token, width, height):
    _, token = await api_token("alice")
    resp = await upload(client, token, form(png_header(width, height), "bomb.png", "image/png"))
    assert resp.status == 422
    assert "too large" in (await resp.json())["error"]


async def test_missing_file_and_bad_focus_are_422(client, api_token):
    _, token = await api_token("alice")
    no_file = aiohttp.FormData()
    no_file.add_field("description", "nothing")
    assert (await client.post("/api/v2/media", data=no_file, headers=bearer(token))).status == 422
    resp = await upload(client, token, form(png_rgba(), "a.png", "image/png", focus="2,0"))
    assert resp.status == 422 and "focus" in (await resp.json())["error"]


async def test_owner_reads_updates_and_deletes_unattached_media(client, api_token, config):
    _, token = await api_token("alice")
    _, other = await api_token("bob")
    media = await (await upload(client, token, form(png_rgba(), "a.png", "image/png", focus="0.5,-0.25"))).json()
    assert media["meta"]["focus"] == {"x": 0.5, "y": -0.25}
    path = f"/api/v1/media/{media['id']}"

    resp = await client.put(path, json={"description": "Green square", "focus": "-0.3,0.7"}, headers=bearer(token))
    assert resp.status == 200, await resp.text()
    updated = await resp.json()
    assert updated["description"] == "Green square" and updated["meta"]["focus"] == {"x": -0.3, "y": 0.7}
    assert updated["meta"]["original"] == media["meta"]["original"]

    resp = await client.put(path, data={"description": "only this"}, headers=bearer(token))
    assert (await resp.json())["meta"]["focus"] == {"x": -0.3, "y": 0.7}
    assert (await (await client.get(path, headers=bearer(token))).json())["description"] == "only this"

    assert (await client.put(path, json={"description": "mine now"}, headers=bearer(other))).status == 404
    assert (await client.get(path, headers=bearer(other))).status == 404
    assert (await client.delete(path, headers=bearer(other))).status == 404
    assert (await client.put(path, json={"focus": "0,9"}, headers=bearer(token))).status == 422
    assert (await client.put(path, json={"description": "x" * 1501}, headers=bearer(token))).status == 422
    assert (await client.get("/api/v1/media/123", headers=bearer(token))).status == 404

    assert (await client.delete(path, headers=bearer(token))).status == 200
    assert (await client.get(path, headers=bearer(token))).status == 404
    assert (await fetch(client, media["url"])).status == 404
    assert stored_files(config) == []


async def test_attached_media_is_changed_through_its_post_only(client, api_token, pool):
    account, token = await api_token("alice")
    media = await (await upload(client, token, form(png_rgba(), "a.png", "image/png"))).json()
    status_id = await posting.create_post(pool, client.server.app[URLS], account,
                                          posting.NewPost(text="look", media_ids=[int(media["id"])]), 500)
    assert await pool.fetchval("SELECT status_id FROM media_attachments WHERE id = $1", int(media["id"])) == status_id
    path = f"/api/v1/media/{media['id']}"
    assert (await client.put(path, json={"description": "late"}, headers=bearer(token))).status == 404
    assert (await client.delete(path, headers=bearer(token))).status == 404
    assert (await fetch(client, media["url"])).status == 200  # still served for the post


async def test_scopes_and_tokens(client, api_token):
    _, reader = await api_token("alice", scopes=("read",))
    _, media_only = await api_token("alice", scopes=("write:media",))
    resp = await upload(client, reader, form(png_rgba(), "a.png", "image/png"))
    assert resp.status == 403
    assert (await client.post("/api/v2/media", data=form(png_rgba(), "a.png", "image/png"))).status == 401
    assert (await upload(client, media_only, form(png_rgba(), "a.png", "image/png"))).status == 200


async def test_serving_unknown_media_is_404(client):
    assert (await client.get("/media/42/original")).status == 404
    assert (await client.get(f"/media/{'0' * 32}/original.jpg")).status == 404
    assert (await client.get(f"/media/{'0' * 32}/../../etc/passwd")).status == 404


async def test_a_full_disk_refuses_the_upload_clearly_and_keeps_nothing(aiohttp_client, config: Config, api_token,
                                                                         pool):
    """The media directory on a tiny filesystem of its own (tmpfs, as root): a file that does not fit
    gets a 507 that says so, and neither a row nor a partial file stays behind."""
    import os
    import random
    import subprocess

    from server.app import make_app

    if os.geteuid() != 0 and not os.environ.get("CI"):
        pytest.skip("mounting a small filesystem needs root (CI runs as root)")
    media = media_dir(config)
    media.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(media)], capture_output=True)
    assert mounted.returncode == 0, f"cannot mount a small tmpfs (this test needs root): {mounted.stderr!r}"
    try:
        client = await aiohttp_client(make_app(config))
        _, token = await api_token("alice")
        noise = Image.frombytes("RGB", (400, 400), random.Random(7).randbytes(400 * 400 * 3))
        picture = io.BytesIO()
        noise.save(picture, "PNG")
        resp = await upload(client, token, form(picture.getvalue(), "noise.png", "image/png"))
        assert resp.status == 507
        assert "no room left" in (await resp.json())["error"]
        assert stored_files(config) == [] and list(os.scandir(media)) == []
        assert await pool.fetchval("SELECT count(*) FROM media_attachments") == 0
        small = io.BytesIO()
        Image.new("RGB", (8, 8), (0, 0, 255)).save(small, "PNG")
        assert (await upload(client, token, form(small.getvalue(), "dot.png", "image/png"))).status == 200
    finally:
        subprocess.run(["umount", "-l", str(media)], check=True)
