"""Importing one's data at /settings/import: a CSV in Mastodon's format, merged or overwriting,
applied in the background with its progress (and each failed row's reason) on the page."""

from __future__ import annotations

from aiohttp import web

from federation.runtime import FEDERATION
from server.domain import archive_import, imports
from server.errors import Invalid
from server.keys import CONFIG, POOL, URLS
from server.store import imports as imports_store
from server.web.forms import field
from server.web.render import render
from server.web.sessions import require_user

routes = web.RouteTableDef()
LABELS = {"follows": "Accounts you follow", "lists": "Lists", "blocks": "Blocked accounts", "mutes": "Muted accounts",
          "domain_blocks": "Hidden servers", "bookmarks": "Bookmarks",
          "archive": "Your posts (a Mastodon archive, ZIP)"}


async def _page(request: web.Request, *, status: int = 200, **context) -> web.Response:
    user = require_user(request)
    jobs = await imports_store.jobs_of(request.app[POOL], user.id)
    return render(request, "settings_import.html", {"jobs": jobs, "labels": LABELS, "max_rows": imports.MAX_ROWS,
                                                    **context}, status=status)


@routes.get("/settings/import")
async def import_page(request: web.Request) -> web.Response:
    return await _page(request)


@routes.post("/settings/import")
async def start_import(request: web.Request) -> web.Response:
    user = require_user(request)
    form = await request.post()
    kind, mode = field(form, "kind", max_len=20), field(form, "mode", max_len=20) or "merge"
    upload = form.get("file")
    try:
        if not isinstance(upload, web.FileField) or not upload.filename:
            raise Invalid("Choose a file to import.", field="file")
        if kind == "archive":
            await archive_import.start(request.app[POOL], request.app[CONFIG], request.app[URLS], user.account,
                                       upload.file, upload.filename)
            raise web.HTTPSeeOther("/settings/import")
        data = upload.file.read(imports.MAX_BYTES + 1)
        if len(data) > imports.MAX_BYTES:
            raise Invalid(f"A file can have at most {imports.MAX_BYTES // (1024 * 1024)} MB.", field="file")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Invalid("The file is not text (UTF-8 CSV).", field="file") from None
        await imports.start(request.app[POOL], request.app[FEDERATION], user.account, kind, mode, upload.filename,
                            text)
    except Invalid as exc:
        return await _page(request, error=exc.message, error_field=exc.field, form={"kind": kind, "mode": mode},
                           status=422)
    raise web.HTTPSeeOther("/settings/import")


@routes.get(r"/settings/import/{job_id:\d{1,19}}")
async def job_page(request: web.Request) -> web.Response:
    user = require_user(request)
    job_id = int(request.match_info["job_id"])
    found = await imports_store.jobs_of(request.app[POOL], user.id, limit=1, job_id=job_id)
    if not found:
        raise web.HTTPNotFound()
    job = found[0]
    failed = await imports_store.failures(request.app[POOL], job_id, user.id)
    return render(request, "settings_import_job.html", {"job": job, "failed": failed, "labels": LABELS})
