"""The content rules page: edit the ruleset as TOML, dry-run it on recent posts before saving,
see each rule's hits and the trail, restore earlier versions, and review held posts."""

from __future__ import annotations

from aiohttp import web

from federation.fetch import FetchError
from federation.ingest import Reject, Retry, import_note
from federation.runtime import FEDERATION
from server.domain import content_rules
from server.errors import AppError, Invalid
from server.keys import POOL
from server.models import Role
from server.store import content_rules as rules_store
from server.store import domains as domains_store
from server.web.admin import require_role
from server.web.forms import field
from server.web.render import render

routes = web.RouteTableDef()
EXAMPLE = """[[rules]]
name = "New accounts selling crypto"
action = "hold"            # reject | hold | sensitive | content_warning | strip_media | unlist
[rules.when]
keywords = ["free crypto", "airdrop"]
max_account_age_days = 7
"""


async def _page(request: web.Request, *, status: int = 200, **context) -> web.Response:
    pool = request.app[POOL]
    _, rules = await content_rules.active(pool)
    defaults = {
        "text": content_rules.dump_toml(rules) if rules else EXAMPLE, "rules": rules, "days": 7,
        "hits": await rules_store.hit_counts(pool), "trail": await rules_store.trail(pool),
        "versions": await rules_store.versions(pool), "held": await rules_store.held(pool), "dry_run": None,
    }
    return render(request, "admin/content_rules.html", {**defaults, **context}, status=status)


@routes.get("/admin/content-rules")
async def page(request: web.Request) -> web.Response:
    require_role(request, Role.ADMIN, Role.MODERATOR)
    return await _page(request)


@routes.post("/admin/content-rules")
async def submit(request: web.Request) -> web.Response:
    """"Dry run" shows what the draft would have matched; "Save" stores it as a new version."""
    user = require_role(request, Role.ADMIN)
    form = await request.post()
    text = field(form, "rules", max_len=200_000)
    days = field(form, "days", max_len=3)
    try:
        if field(form, "do", max_len=10) == "save":
            await content_rules.save(request.app[POOL], text, user.id, field(form, "comment", max_len=500))
            raise web.HTTPSeeOther("/admin/content-rules")
        report = await content_rules.dry_run(request.app[POOL], text, int(days) if days.isdigit() else 0)
    except Invalid as exc:
        return await _page(request, text=text, error=exc.message, status=422)
    return await _page(request, text=text, dry_run=report, days=int(days))


@routes.post(r"/admin/content-rules/versions/{version_id:\d{1,19}}")
async def restore(request: web.Request) -> web.Response:
    user = require_role(request, Role.ADMIN)
    try:
        await content_rules.rollback(request.app[POOL], int(request.match_info["version_id"]), user.id)
    except Invalid as exc:
        raise AppError(404, exc.message) from None
    raise web.HTTPSeeOther("/admin/content-rules")


@routes.get(r"/admin/content-rules/export.{fmt:toml|json}")
async def export(request: web.Request) -> web.Response:
    require_role(request, Role.ADMIN, Role.MODERATOR)
    _, rules = await content_rules.active(request.app[POOL])
    toml = request.match_info["fmt"] == "toml"
    body = content_rules.dump_toml(rules) if toml else content_rules.dump_json(rules)
    return web.Response(text=body, content_type="application/toml" if toml else "application/json",
                        headers={"Content-Disposition":
                                 f'attachment; filename="content_rules.{request.match_info["fmt"]}"'})


@routes.post(r"/admin/content-rules/held/{held_id:\d{1,19}}")
async def decide(request: web.Request) -> web.Response:
    """Approve a held post (it is stored as if it had just arrived, rules aside) or reject it."""
    user = require_role(request, Role.ADMIN, Role.MODERATOR)
    form = await request.post()
    approve = field(form, "decision", max_len=10) == "approve"
    held_id = int(request.match_info["held_id"])
    obj = await rules_store.decide(request.app[POOL], held_id, approve)
    if obj is None:
        raise AppError(404, "That post is not waiting for review.")
    if approve:
        try:
            await import_note(request.app[FEDERATION], obj, released=True, depth=1)
        except (FetchError, Reject, Retry) as exc:
            raise AppError(409, f"The post could not be stored: {exc}") from None
    await domains_store.log(request.app[POOL], user.id, f"held post: {'approved' if approve else 'rejected'}",
                            str(obj.get("id", held_id)))
    raise web.HTTPSeeOther("/admin/content-rules#held")
