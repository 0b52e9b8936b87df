"""/api/v1|v2/media: upload, read, describe and delete attachments; /media/…: serve the files.

Mastodon processes large uploads in the background (v2 answers 202 until done); we process
while the request waits, so both versions answer 200 with the URLs filled in. The body is read
part by part with our own limits: the app's client_max_size (1 MiB) is for forms and JSON.
"""

from __future__ import annotations

import math

from aiohttp import BodyPartReader, web

from server.api import entities, params
from server.api.auth import api, current_user
from server.api.common import NOT_FOUND, path_id
from server.errors import AppError
from server.keys import CONFIG, POOL, URLS
from server.media import images, uploads
from server.media.storage import storage_for
from server.store import media as media_store

routes = web.RouteTableDef()

MAX_FIELD = 16 * 1024  # description, focus and any other text part
MAX_BODY = uploads.AV_LIMIT + uploads.IMAGE_LIMIT + 64 * 1024  # a file, a thumbnail and a few fields
MAX_PARTS = 10
CHUNK = 256 * 1024
FILE_LIMITS = {"file": (uploads.AV_LIMIT, "video and audio"), "thumbnail": (uploads.IMAGE_LIMIT, "thumbnails")}


def parse_focus(raw: str | None) -> tuple[float, float] | None:
    """Mastodon's focal point "x,y", each from -1.0 to 1.0 (0,0 is the centre)."""
    if raw is None or raw == "":
        return None
    try:
        x, y = (float(v) for v in raw.split(","))
    except ValueError:
        raise AppError(422, "focus must be two numbers, x,y, from -1.0 to 1.0") from None
    if not all(math.isfinite(v) and -1.0 <= v <= 1.0 for v in (x, y)):
        raise AppError(422, "focus must be two numbers, x,y, from -1.0 to 1.0")
    return x, y


def parse_description(raw: str | None) -> str | None:
    return uploads.check_description(raw) if raw is not None else None


async def _read_part(part: BodyPartReader, limit: int, what: str, total: list[int]) -> bytes:
    """A part's bytes, refused as soon as they pass `limit` or the whole body passes MAX_BODY."""
    data = bytearray()
    while chunk := await part.read_chunk(CHUNK):
        data += chunk
        total[0] += len(chunk)
        if len(data) > limit or total[0] > MAX_BODY:
            raise uploads.too_large(limit, what)
    return bytes(data)


async def read_upload(request: web.Request, file_limits: dict[str, tuple[int, str]] | None = None
                      ) -> tuple[dict[str, bytes], dict[str, str]]:
    """(files by field name, text fields) of a multipart/form-data upload, streamed under limits:
    `file_limits` names the file fields and their (byte limit, what to call them in errors)."""
    file_limits = FILE_LIMITS if file_limits is None else file_limits
    if request.content_type != "multipart/form-data":
        raise AppError(422, "Upload the file as multipart/form-data in a field named file")
    if (request.content_length or 0) > MAX_BODY:
        raise uploads.too_large(uploads.AV_LIMIT, "video and audio")
    files: dict[str, bytes] = {}
    fields: dict[str, str] = {}
    total, parts = [0], 0
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            parts += 1
            if parts > MAX_PARTS:
                raise AppError(422, "Too many form fields")
            if not isinstance(part, BodyPartReader):
                raise AppError(422, "Nested multipart bodies are not accepted")
            name = part.name or ""
            limit, what = file_limits.get(name, (MAX_FIELD, "form fields"))
            data = await _read_part(part, limit, what, total)
            if name in file_limits:
                files[name] = data
            else:
                fields[name] = data.decode("utf-8", errors="replace")
    except ValueError:  # aiohttp's multipart parser on a malformed body
        raise AppError(400, "The multipart body is malformed") from None
    return files, fields


async def _upload(request: web.Request) -> web.Response:
    files, fields = await read_upload(request)
    if not files.get("file"):
        raise AppError(422, "file is required")
    description = parse_description(fields.get("description")) or ""
    focus = parse_focus(fields.get("focus")) or (0.0, 0.0)
    row = await uploads.create(request.app[POOL], storage_for(request.app[CONFIG]), current_user(request).id,
                               files["file"], files.get("thumbnail"), description, focus)
    return web.json_response(entities.media_to_api(row, request.app[URLS]))


@routes.post("/api/v1/media")
@api("write:media")
async def upload_v1(request: web.Request) -> web.Response:
    return await _upload(request)


@routes.post("/api/v2/media")
@api("write:media")
async def upload_v2(request: web.Request) -> web.Response:
    return await _upload(request)


@routes.get("/api/v1/media/{id}")
@api("write:media")  # sic: Mastodon asks for write:media to read an upload back
async def show(request: web.Request) -> web.Response:
    row = await media_store.get_unattached(request.app[POOL], path_id(request), current_user(request).id)
    if row is None:
        raise AppError(404, NOT_FOUND)
    return web.json_response(entities.media_to_api(row, request.app[URLS]))


@routes.put("/api/v1/media/{id}")
@api("write:media")
async def update(request: web.Request) -> web.Response:
    p = await params.read(request)
    description = parse_description(p.str("description", max_len=100_000))
    row = await media_store.update_unattached(
        request.app[POOL], path_id(request), current_user(request).id,
        description=description,
        focus=parse_focus(p.str("focus", max_len=100)),
    )
    if row is None:
        raise AppError(404, NOT_FOUND)
    return web.json_response(entities.media_to_api(row, request.app[URLS]))


@routes.delete("/api/v1/media/{id}")
@api("write:media")
async def delete(request: web.Request) -> web.Response:
    found = await uploads.discard(request.app[POOL], storage_for(request.app[CONFIG]), current_user(request).id,
                                  path_id(request))
    if not found:
        raise AppError(404, NOT_FOUND)
    return web.json_response({})


@routes.get(r"/media/{folder:[0-9a-f]{32}}/{name:[a-z]+\.[a-z0-9]+}")
async def serve(request: web.Request) -> web.StreamResponse:
    """The stored file, publicly, as Mastodon serves media: by URL, to anyone who has it. The URL
    holds the random folder name, so media of private posts cannot be found by counting ids."""
    key = f"{request.match_info['folder']}/{request.match_info['name']}"
    row = await media_store.by_file_key(request.app[POOL], key)
    if row is None:
        raise web.HTTPNotFound()
    storage = storage_for(request.app[CONFIG])
    public = storage.url(key)
    if public is not None:  # the files are in a bucket: send the reader there (old links keep working)
        raise web.HTTPMovedPermanently(public)
    path = storage.path(key)
    if not path.is_file():
        raise web.HTTPNotFound()
    content_type = row["mime_type"] if key == row["file_path"] else images.PREVIEW_TYPES[path.suffix[1:]]
    return web.FileResponse(path, headers={
        "Content-Type": content_type,
        "Cache-Control": "public, max-age=31536000, immutable",  # a stored file never changes
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": "inline",
    })
