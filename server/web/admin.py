"""The admin area (no JavaScript): domain policies with a preview of what they sever."""

from __future__ import annotations

from aiohttp import web

from server.domain import account_actions, blocklists, emojis, instance_rules, moderation, registrations
from server.domain.instance import InstanceSettings
from server.errors import AppError, Invalid, NotFound
from server.keys import CONFIG, POOL, SETTINGS, SITE, URLS
from server.media.storage import storage_for
from server.models import Role, User
from server.store import accounts as accounts_store
from server.store import content_rules as content_rules_store
from server.store import domains as domains_store
from server.store import emojis as emojis_store
from server.store import registrations as registrations_store
from server.store import reports as reports_store
from server.store import rules as rules_store
from server.store import warnings as warnings_store
from server.store.domains import DomainPolicy
from server.web import dashboard
from server.web.forms import field
from server.web.render import render
from server.web.sessions import require_user

routes = web.RouteTableDef()


def require_role(request: web.Request, *roles: Role) -> User:
    """Staff routes answer 403 to everyone else (and send visitors to the login page)."""
    user = require_user(request)
    if user.role not in roles:
        raise AppError(403, "This page is for the instance's staff.")
    return user


def _policy_from(form) -> DomainPolicy:
    return DomainPolicy(
        domain=field(form, "domain", max_len=300),
        severity=field(form, "severity", max_len=20) or "suspend",
        reject_media=field(form, "reject_media", max_len=10) == "on",
        reject_reports=field(form, "reject_reports", max_len=10) == "on",
        public_comment=field(form, "public_comment", max_len=2000).strip(),
        private_comment=field(form, "private_comment", max_len=2000).strip(),
        obfuscate=field(form, "obfuscate", max_len=10) == "on",
    )


async def _page(request: web.Request, **context) -> web.Response:
    policies = await domains_store.all_policies(request.app[POOL])
    status = context.pop("status", 200)
    defaults = {"policies": policies, "preview": None, "form": {}, "import_errors": [], "import_preview": None,
                "import_text": "", "allowed": await domains_store.allowed_domains(request.app[POOL]),
                "mode": (await request.app[SETTINGS].current()).federation_mode}
    return render(request, "admin/domains.html", {**defaults, **context}, status=status)


@routes.get("/admin")
async def index(request: web.Request) -> web.Response:
    """What needs the staff now, each count linking to where it is handled, and the latest actions."""
    user = require_role(request, Role.ADMIN, Role.MODERATOR)
    pool = request.app[POOL]
    waiting = [
        ("Open reports", await reports_store.open_count(pool), "/admin/reports"),
        ("Pending applications", await registrations_store.pending_count(pool), "/admin/applications"),
        ("Held posts", await content_rules_store.held_count(pool), "/admin/content-rules#held"),
        ("Open appeals", await warnings_store.open_appeals_count(pool), "/admin/appeals"),
    ]
    figures = await dashboard.figures(request) if user.role == Role.ADMIN else None
    return render(request, "admin/home.html", {"waiting": waiting, "log": await domains_store.recent_log(pool, 10),
                                               "figures": figures})


@routes.get("/admin/domains")
async def domains(request: web.Request) -> web.Response:
    require_role(request, Role.ADMIN)
    return await _page(request)


@routes.post("/admin/domains")
async def save_domain(request: web.Request) -> web.Response:
    """First submission shows what the policy would sever; the confirmed one applies it."""
    user = require_role(request, Role.ADMIN)
    form = await request.post()
    pool = request.app[POOL]
    try:
        policy = moderation.validate(_policy_from(form))
    except Invalid as exc:
        return await _page(request, error=exc.message, form=dict(form), status=422)
    if field(form, "confirm", max_len=10) != "yes":
        follows, members = await domains_store.impact(pool, policy.domain)
        return await _page(request, preview={"policy": policy, "follows": follows, "members": members},
                           form=dict(form))
    await moderation.set_domain_policy(pool, policy, user.id)
    raise web.HTTPSeeOther("/admin/domains")


@routes.post("/admin/domains/remove")
async def remove_domain(request: web.Request) -> web.Response:
    user = require_role(request, Role.ADMIN)
    form = await request.post()
    try:
        await moderation.remove_domain_policy(request.app[POOL], field(form, "domain", max_len=300), user.id)
    except Invalid as exc:
        raise AppError(422, exc.message) from None
    raise web.HTTPSeeOther("/admin/domains")


@routes.post("/admin/domains/allow")
async def allow_domain(request: web.Request) -> web.Response:
    user = require_role(request, Role.ADMIN)
    form = await request.post()
    try:
        await moderation.allow_domain(request.app[POOL], field(form, "domain", max_len=300), user.id,
                                      allowed=field(form, "remove", max_len=10) != "yes")
    except Invalid as exc:
        return await _page(request, error=exc.message, status=422)
    raise web.HTTPSeeOther("/admin/domains#allowlist")


@routes.get("/admin/domains/export.csv")
async def export_domains(request: web.Request) -> web.Response:
    require_role(request, Role.ADMIN)
    text = blocklists.export(await domains_store.all_policies(request.app[POOL]))
    return web.Response(text=text, content_type="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="domain_blocks.csv"'})


MAX_BLOCKLIST_BYTES = 2_000_000


def _uploaded_bytes(upload: object) -> bytes:
    """The content of the form's file field: a FileField when a file was chosen, but bytes when the
    browser sent the part without a file name or type (an empty file input, say)."""
    if isinstance(upload, web.FileField):
        return upload.file.read(MAX_BLOCKLIST_BYTES + 1)
    if isinstance(upload, (bytes, bytearray)):
        return bytes(upload)
    return b""


@routes.post("/admin/domains/import")
async def import_domains(request: web.Request) -> web.Response:
    """Parse a blocklist; show bad lines by number, or every entry with what it severs; apply on confirm."""
    user = require_role(request, Role.ADMIN)
    form = await request.post()
    text = field(form, "csv", max_len=MAX_BLOCKLIST_BYTES)
    uploaded = _uploaded_bytes(form.get("file"))
    if len(uploaded) > MAX_BLOCKLIST_BYTES:
        raise AppError(413, f"A blocklist can have at most {MAX_BLOCKLIST_BYTES // 1_000_000} MB.")
    if uploaded.strip():  # a chosen file wins; an empty file field (nothing chosen) leaves the pasted text
        text = uploaded.decode("utf-8", errors="replace")
    parsed = blocklists.parse(text)
    if parsed.errors:
        return await _page(request, import_errors=parsed.errors, import_text=text, status=422)
    if field(form, "confirm", max_len=10) != "yes":
        rows = await blocklists.preview(request.app[POOL], parsed.policies)
        return await _page(request, import_preview=rows, import_text=text)
    await blocklists.apply(request.app[POOL], parsed.policies, user.id)
    raise web.HTTPSeeOther("/admin/domains")


@routes.get("/admin/rules")
async def rules_page(request: web.Request) -> web.Response:
    require_role(request, Role.ADMIN)
    return render(request, "admin/rules.html", {"rules": await rules_store.all_rules(request.app[POOL])})


@routes.post("/admin/rules")
async def add_rule(request: web.Request) -> web.Response:
    user = require_role(request, Role.ADMIN)
    form = await request.post()
    await instance_rules.add(request.app[POOL], user.id, field(form, "text", max_len=5000),
                             field(form, "hint", max_len=5000))
    raise web.HTTPSeeOther("/admin/rules")


@routes.post(r"/admin/rules/{rule_id:\d{1,19}}")
async def edit_rule(request: web.Request) -> web.Response:
    user = require_role(request, Role.ADMIN)
    form = await request.post()
    rule_id = int(request.match_info["rule_id"])
    if field(form, "delete", max_len=10) == "yes":
        await instance_rules.remove(request.app[POOL], user.id, rule_id)
    else:
        position = field(form, "position", max_len=6)
        if not position.isdigit():
            raise AppError(422, "The position must be a number.")
        await instance_rules.change(request.app[POOL], user.id, rule_id, field(form, "text", max_len=5000),
                                    field(form, "hint", max_len=5000), int(position))
    raise web.HTTPSeeOther("/admin/rules")


@routes.get("/about")
async def about(request: web.Request) -> web.Response:
    return render(request, "about.html", {"rules": await rules_store.all_rules(request.app[POOL])})


@routes.get("/privacy-policy")
async def privacy_policy(request: web.Request) -> web.Response:
    return render(request, "policy.html", {"title": "Privacy policy", "text": request[SITE].privacy_policy})


@routes.get("/terms")
async def terms(request: web.Request) -> web.Response:
    return render(request, "policy.html", {"title": "Terms of service", "text": request[SITE].terms_of_service})


@routes.get("/about/moderation")
async def public_policies(request: web.Request) -> web.Response:
    """What this instance limits or suspends, and why, as its admins chose to publish it."""
    policies = [p for p in await domains_store.all_policies(request.app[POOL]) if p.severity != "noop"
                or p.reject_media or p.reject_reports]
    shown = [{"domain": moderation.obfuscated(p.domain) if p.obfuscate else p.domain, "policy": p} for p in policies]
    return render(request, "about_moderation.html", {"policies": shown})


@routes.get("/about/log")
async def public_log(request: web.Request) -> web.Response:
    """The moderation log, as the public sees it: what was done and when, not by whom."""
    site = request[SITE]
    if site.public_log == "off":
        raise AppError(404, "This instance does not publish its moderation log.")
    entries = await domains_store.recent_log(request.app[POOL])
    for entry in entries:
        if site.public_log != "full":
            entry["staff"] = None
        if entry["obfuscate"]:
            entry["target"] = moderation.obfuscated(entry["target"])
    return render(request, "about_log.html", {"entries": entries})


@routes.get("/admin/custom-emojis")
async def custom_emojis(request: web.Request, *, status: int = 200, **context) -> web.Response:
    require_role(request, Role.ADMIN)
    return render(request, "admin/custom_emojis.html",
                  {"emojis": await emojis_store.all_emojis(request.app[POOL]), **context}, status=status)


@routes.post("/admin/custom-emojis")
async def add_custom_emoji(request: web.Request) -> web.Response:
    user = require_role(request, Role.ADMIN)
    form = await request.post()
    upload = form.get("file")
    data = upload.file.read(emojis.MAX_BYTES + 1) if isinstance(upload, web.FileField) else b""
    try:
        if not data:
            raise Invalid("Choose an image file.", field="file")
        await emojis.add(request.app[POOL], storage_for(request.app[CONFIG]), user.id,
                         field(form, "shortcode", max_len=100), data, field(form, "category", max_len=100))
    except Invalid as exc:
        return await custom_emojis(request, status=422, error=exc.message, error_field=exc.field, form=dict(
            shortcode=field(form, "shortcode", max_len=100), category=field(form, "category", max_len=100)))
    raise web.HTTPSeeOther("/admin/custom-emojis")


@routes.post(r"/admin/custom-emojis/{emoji_id:\d{1,19}}/delete")
async def delete_custom_emoji(request: web.Request) -> web.Response:
    user = require_role(request, Role.ADMIN)
    try:
        await emojis.remove(request.app[POOL], storage_for(request.app[CONFIG]), user.id,
                            int(request.match_info["emoji_id"]))
    except Invalid as exc:
        raise AppError(404, exc.message) from None
    raise web.HTTPSeeOther("/admin/custom-emojis")


@routes.get("/admin/applications")
async def applications(request: web.Request) -> web.Response:
    require_role(request, Role.ADMIN, Role.MODERATOR)
    return render(request, "admin/applications.html", {
        "pending": await registrations_store.pending(request.app[POOL]),
        "email_domains": await registrations_store.email_domains(request.app[POOL]),
    })


@routes.post(r"/admin/applications/{account_id:\d{1,19}}")
async def decide_application(request: web.Request) -> web.Response:
    user = require_role(request, Role.ADMIN, Role.MODERATOR)
    form = await request.post()
    account = await accounts_store.get_by_id(request.app[POOL], int(request.match_info["account_id"]))
    if account is None:
        raise AppError(404, "There is no such application.")
    await registrations.decide(request.app[POOL], user.id, account, field(form, "decision", max_len=10) == "approve")
    raise web.HTTPSeeOther("/admin/applications")


@routes.get("/admin/settings")
async def settings_page(request: web.Request) -> web.Response:
    require_role(request, Role.ADMIN)
    return render(request, "admin/settings.html", {"values": await request.app[SETTINGS].current()})


@routes.post("/admin/settings")
async def save_settings(request: web.Request) -> web.Response:
    user = require_role(request, Role.ADMIN)
    form = await request.post()
    chars = field(form, "max_post_chars", max_len=10)
    values = InstanceSettings(
        instance_name=field(form, "instance_name", max_len=1000),
        instance_description=field(form, "instance_description", max_len=10_000),
        contact_email=field(form, "contact_email", max_len=1000).strip(),
        registrations=field(form, "registrations", max_len=20),
        invites_by=field(form, "invites_by", max_len=20),
        max_post_chars=int(chars) if chars.isdigit() else -1,
        federation_mode=field(form, "federation_mode", max_len=20),
        languages=field(form, "languages", max_len=300).replace(" ", ""),
        public_log=field(form, "public_log", max_len=20),
        privacy_policy=field(form, "privacy_policy", max_len=100_000).strip(),
        terms_of_service=field(form, "terms_of_service", max_len=100_000).strip(),
    )
    try:
        await request.app[SETTINGS].save(values, user.id)
    except Invalid as exc:
        # What was typed comes back as typed (not as parsed: an invalid number is not -1).
        return render(request, "admin/settings.html", {"values": values, "error": exc.message,
                                                       "error_field": exc.field, "form": dict(form)}, status=422)
    raise web.HTTPSeeOther("/admin/settings")


@routes.get("/admin/appeals")
async def appeals(request: web.Request) -> web.Response:
    require_role(request, Role.ADMIN, Role.MODERATOR)
    return render(request, "admin/appeals.html", {"appeals": await warnings_store.pending_appeals(request.app[POOL])})


@routes.post(r"/admin/appeals/{warning_id:\d{1,19}}")
async def decide_appeal(request: web.Request) -> web.Response:
    user = require_role(request, Role.ADMIN, Role.MODERATOR)
    form = await request.post()
    try:
        await account_actions.decide_appeal(request.app[POOL], request.app[URLS], user.id,
                                            int(request.match_info["warning_id"]),
                                            field(form, "decision", max_len=10) == "approve")
    except NotFound as exc:
        raise AppError(404, exc.message) from None
    raise web.HTTPSeeOther("/admin/appeals")


@routes.post("/admin/email-domains")
async def email_domains(request: web.Request) -> web.Response:
    user = require_role(request, Role.ADMIN)
    form = await request.post()
    try:
        await registrations.block_email_domain(request.app[POOL], user.id, field(form, "domain", max_len=300),
                                               blocked=field(form, "remove", max_len=10) != "yes")
    except Invalid as exc:
        raise AppError(422, exc.message) from None
    raise web.HTTPSeeOther("/admin/applications#email-domains")
