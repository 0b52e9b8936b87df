"""Domain policies as an admin sets them, observed at the inbox, in timelines and in deliveries."""

import re

from federation.fetch import FetchError, resolve_handle
from server.domain import following, posting
from server.models import Role
from tests.conftest import kith_cli
from tests.federation.conftest import drain, follow_across
from tests.helpers import csrf_token, log_in, make_member, submit


async def test_suspend_with_preview_then_enforced_everywhere(instances):
    a, b = instances
    await make_member(a.pool, "admin1", Role.ADMIN)
    alice = await make_member(a.pool, "alice")
    bob = await make_member(b.pool, "bob")
    await follow_across(b, bob, a, "alice")
    assert await a.pool.fetchval("SELECT count(*) FROM follows") == 1

    await log_in(a.client, "admin1")
    fields = {"domain": b.host, "severity": "suspend", "public_comment": "spam", "private_comment": "ticket 7"}
    preview = await submit(a.client, "/admin/domains", fields, page="/admin/domains")
    page = await preview.text()
    assert preview.status == 200
    assert re.search(r"severs <strong>1</strong> follow relationship of <strong>1</strong> member", page)
    assert await a.pool.fetchval("SELECT count(*) FROM domain_policies") == 0  # nothing applied yet
    applied = await submit(a.client, "/admin/domains", {**fields, "confirm": "yes"}, page="/admin/domains")
    assert applied.status == 303
    assert await a.pool.fetchval("SELECT count(*) FROM follows") == 0
    log = await a.pool.fetchrow("SELECT action, target, reason FROM moderation_log")
    assert log["action"] == "domain_policy: suspend" and log["target"] == b.host and log["reason"] == "ticket 7"

    # nothing is accepted from it ...
    await posting.create_post(b.pool, b.fed.urls, bob, posting.NewPost(f"hi @alice@{a.host}"), 500,
                              lambda m: resolve_handle(b.fed, f"{m.username}@{m.domain}"))
    await drain(b)
    refused = await b.pool.fetchrow("SELECT state, last_error FROM deliveries ORDER BY id DESC LIMIT 1")
    assert refused["state"] == "dead" and "HTTP 403" in refused["last_error"]
    # ... nothing is fetched from it ...
    try:
        await resolve_handle(a.fed, f"carol@{b.host}")
        raise AssertionError("a suspended domain was fetched")
    except FetchError as exc:
        assert "suspended" in str(exc)
    # ... and nothing is delivered to it, even to an account mentioned by name
    before = await a.pool.fetchval("SELECT count(*) FROM deliveries")
    remote_bob = await a.pool.fetchrow("SELECT id FROM accounts WHERE domain = $1", b.host)
    await a.pool.execute("INSERT INTO follows (account_id, target_account_id) VALUES ($1, $2)", remote_bob["id"],
                         alice.id)  # as if a follow had slipped in
    await posting.create_post(a.pool, a.fed.urls, alice, posting.NewPost("hello followers"), 500)
    assert await a.pool.fetchval("SELECT count(*) FROM deliveries") == before

    public = await (await a.client.get("/about/moderation")).text()
    assert b.host in public and "spam" in public and "ticket 7" not in public


async def test_limited_domain_is_kept_out_of_public_timelines_and_needs_approval(instances):
    a, b = instances
    await make_member(a.pool, "alice")
    bob = await make_member(b.pool, "bob")
    from server.domain import moderation
    from server.store.domains import DomainPolicy

    await moderation.set_domain_policy(a.pool, DomainPolicy(b.host, "limit"), None)  # applies at once here
    await follow_across(b, bob, a, "alice")
    assert await a.pool.fetchval("SELECT state FROM follows") == "pending"
    assert await b.pool.fetchval("SELECT state FROM follows") == "pending"


async def test_staff_routes_are_closed_to_members_and_moderators(kith):
    await make_member(kith.pool, "mod", Role.MODERATOR)
    await make_member(kith.pool, "member")
    await log_in(kith.client, "member")
    assert (await kith.client.get("/admin/domains")).status == 403
    resp = await submit(kith.client, "/admin/domains", {"domain": "x.example", "confirm": "yes"})
    assert resp.status == 403
    await log_in(kith.client, "mod")
    assert (await kith.client.get("/admin/domains")).status == 403  # admin-only
    assert await kith.pool.fetchval("SELECT count(*) FROM domain_policies") == 0


async def test_bad_domains_are_refused(kith):
    await make_member(kith.pool, "admin1", Role.ADMIN)
    await log_in(kith.client, "admin1")
    for domain in ("not a domain", "-bad-.example", "", "a" * 300):
        resp = await submit(kith.client, "/admin/domains", {"domain": domain, "confirm": "yes"}, page="/admin/domains")
        assert resp.status == 422, domain
    assert await kith.pool.fetchval("SELECT count(*) FROM domain_policies") == 0


def test_domain_command_line(database_url):
    blocked = kith_cli("domain", "block", "spam.example", "--severity", "suspend", "--obfuscate",
                       "--public-comment", "spam", "--database-url", database_url)
    assert blocked.returncode == 0, blocked.stderr
    assert "severs 0 follow relationship(s) of 0 member(s)" in blocked.stdout
    listed = kith_cli("domain", "list", "--database-url", database_url)
    assert "spam.example\tsuspend\tobfuscate\tspam" in listed.stdout
    bad = kith_cli("domain", "block", "no spaces allowed", "--database-url", database_url)
    assert bad.returncode == 1 and "Not a domain name" in bad.stderr
    removed = kith_cli("domain", "unblock", "spam.example", "--database-url", database_url)
    assert removed.returncode == 0
    assert kith_cli("domain", "unblock", "spam.example", "--database-url", database_url).returncode == 1
    role = kith_cli("user", "role", "nobody_here", "admin", "--database-url", database_url)
    assert role.returncode == 1


async def test_blocklist_import_reports_bad_lines_previews_then_applies(instances):
    a, b = instances
    await make_member(a.pool, "admin1", Role.ADMIN)
    alice = await make_member(a.pool, "alice")
    bob = await make_member(b.pool, "bob")
    await follow_across(b, bob, a, "alice")
    await log_in(a.client, "admin1")
    bad = ("#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"
           "good.example,suspend,false,false,ok,false\nnot a domain,suspend,false,false,,false\n"
           "x.example,silence-ish,false,false,,false\ny.example,limit,maybe,false,,false\n")
    resp = await submit(a.client, "/admin/domains/import", {"csv": bad}, page="/admin/domains")
    page = await resp.text()
    assert resp.status == 422
    assert "line 3: Not a domain name" in page and "line 4: Severity must be" in page and "line 5: reject_media" in page
    assert await a.pool.fetchval("SELECT count(*) FROM domain_policies") == 0

    good = ("#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"
            f"{b.host.split(':')[0]},suspend,true,true,from the shared list,true\n"
            "quiet.example,limit,false,false,,false\n")
    resp = await submit(a.client, "/admin/domains/import", {"csv": good}, page="/admin/domains")
    page = await resp.text()
    assert resp.status == 200 and "1 follow of 1 member" in page and "Apply 2 entries" in page
    assert await a.pool.fetchval("SELECT count(*) FROM domain_policies") == 0
    resp = await submit(a.client, "/admin/domains/import", {"csv": good, "confirm": "yes"}, page="/admin/domains")
    assert resp.status == 303
    assert await a.pool.fetchval("SELECT count(*) FROM domain_policies") == 2
    assert await a.pool.fetchval("SELECT count(*) FROM follows WHERE target_account_id = $1", alice.id) == 0
    exported = await (await a.client.get("/admin/domains/export.csv")).text()
    assert exported.splitlines()[0] == "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate"
    assert "quiet.example,silence,false,false,,false" in exported  # Mastodon's name for a limit
    public = await (await a.client.get("/about/moderation")).text()
    assert "from the shared list" in public and f">{b.host.split(':')[0]}<" not in public  # obfuscated


def test_blocklist_command_line(database_url, tmp_path):
    csv_file = tmp_path / "list.csv"
    csv_file.write_text("#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"
                        "one.example,suspend,false,false,bad,false\ntwo.example,limit,true,false,,false\n")
    preview = kith_cli("domain", "import", str(csv_file), "--database-url", database_url)
    assert preview.returncode == 1 and "one.example\tsuspend\tsevers 0 follow(s)" in preview.stdout
    applied = kith_cli("domain", "import", str(csv_file), "--yes", "--database-url", database_url)
    assert applied.returncode == 0 and "Applied 2 policies." in applied.stdout
    exported = kith_cli("domain", "export", "--database-url", database_url)
    assert "two.example,silence,true,false,,false" in exported.stdout
    csv_file.write_text("#domain,#severity\nok.example,suspend\nbad domain,suspend\n")
    broken = kith_cli("domain", "import", str(csv_file), "--yes", "--database-url", database_url)
    assert broken.returncode == 1 and "line 3: Not a domain name" in broken.stderr
    for domain in ("one.example", "two.example"):
        assert kith_cli("domain", "unblock", domain, "--database-url", database_url).returncode == 0


async def test_allowlist_mode_federates_only_with_allowed_domains(instances, remote):
    a, b = instances
    await make_member(a.pool, "admin1", Role.ADMIN)
    await make_member(a.pool, "alice")
    await log_in(a.client, "admin1")
    resp = await submit(a.client, "/admin/settings", {
        "instance_name": "Kith", "instance_description": "d", "contact_email": "", "registrations": "open",
        "invites_by": "staff", "max_post_chars": "500", "federation_mode": "allowlist", "languages": "en",
        "public_log": "anonymous"}, page="/admin/settings")
    assert resp.status == 303
    mallory = remote.add_actor("mallory")
    like = {"id": f"{mallory.id}/likes/1", "type": "Like", "actor": mallory.id, "object": f"{a.base}/x"}
    assert (await remote.post(mallory, f"{a.base}/inbox", like)).status == 403
    try:
        await resolve_handle(a.fed, f"bob@{b.host}")
        raise AssertionError("fetched from a domain that is not allowed")
    except FetchError:
        pass
    assert (await submit(a.client, "/admin/domains/allow",
                         {"domain": remote.host}, page="/admin/domains")).status == 303
    assert (await remote.post(mallory, f"{a.base}/inbox", {**like, "id": f"{mallory.id}/likes/2"})).status == 202
    page = await (await a.client.get("/admin/domains")).text()
    assert "allowlist mode" in page and remote.host in page


async def test_lifting_a_suspension_brings_the_domain_back(instances, instance_databases):
    """After `kith domain unblock`, the domain's posts can be fetched again, their edits apply and
    follows are made and accepted again, as if it had never been suspended."""
    a, b = instances
    alice = await make_member(a.pool, "alice")
    bob = await make_member(b.pool, "bob")
    remote_bob = await resolve_handle(a.fed, f"bob@{b.host}")
    assert await following.follow(a.pool, a.fed.urls, alice, remote_bob) == "pending"
    await drain(a, b)
    post_id = await posting.create_post(b.pool, b.fed.urls, bob, posting.NewPost("before the suspension"), 500)
    await drain(a, b)
    post_url = b.fed.urls.status_uri(bob.username, post_id)
    assert await a.pool.fetchval("SELECT count(*) FROM statuses WHERE uri = $1 AND deleted_at IS NULL", post_url) == 1

    blocked = kith_cli("domain", "block", b.host, "--yes", "--database-url", instance_databases["kith_a"])
    assert blocked.returncode == 0, blocked.stderr
    a.fed.policies.invalidate()  # as the cache's few seconds would
    assert await a.pool.fetchval("SELECT count(*) FROM follows") == 0
    assert await a.pool.fetchval("SELECT count(*) FROM statuses WHERE uri = $1 AND deleted_at IS NULL", post_url) == 0

    lifted = kith_cli("domain", "unblock", b.host, "--database-url", instance_databases["kith_a"])
    assert lifted.returncode == 0, lifted.stderr
    a.fed.policies.invalidate()

    # the old post is found by its URL again ...
    await log_in(a.client, "alice")
    found = await a.client.get("/search", params={"q": post_url})
    assert found.status == 200 and "before the suspension" in await found.text()
    # ... a new follow is accepted ...
    assert await following.follow(a.pool, a.fed.urls, alice, remote_bob) == "pending"
    await drain(a, b)
    assert await a.pool.fetchval(
        "SELECT state FROM follows WHERE account_id = $1 AND target_account_id = $2", alice.id, remote_bob.id
    ) == "accepted"
    # ... and the old post's edit and a new post arrive
    await posting.edit_post(b.pool, b.fed.urls, bob, post_id, posting.NewPost("edited after the suspension"), 500)
    await posting.create_post(b.pool, b.fed.urls, bob, posting.NewPost("after the suspension"), 500)
    await drain(a, b)
    contents = {r["content"] for r in await a.pool.fetch(
        "SELECT content FROM statuses WHERE account_id = $1 AND deleted_at IS NULL", remote_bob.id)}
    assert any("edited after the suspension" in c for c in contents), contents
    assert "<p>after the suspension</p>" in contents, contents
    home = await a.client.get("/")
    assert "edited after the suspension" in await home.text()


async def test_a_mastodon_export_pasted_into_the_import_form(kith):
    """Mastodon's own export (with `silence`) pasted into the form, sent as the browser sends it:
    multipart, with the file input left empty. Bad lines first, then fixed: preview, apply, export."""
    from pathlib import Path

    from aiohttp import FormData

    await make_member(kith.pool, "admin1", Role.ADMIN)
    await log_in(kith.client, "admin1")
    exported_by_mastodon = (Path(__file__).parents[1] / "data/blocklists/mastodon-export.csv").read_text()

    async def paste(text: str, **extra: str):
        form = FormData()
        form.add_field("csrf_token", await csrf_token(kith.client, "/admin/domains"))
        form.add_field("csv", text)
        form.add_field("file", b"", filename="", content_type="application/octet-stream")  # nothing chosen
        for name, value in extra.items():
            form.add_field(name, value)
        return await kith.client.post("/admin/domains/import", data=form, allow_redirects=False)

    broken = exported_by_mastodon + "not a domain,silence,false,false,,false\n"
    resp = await paste(broken)
    page = await resp.text()
    assert resp.status == 422 and "line 5: Not a domain name" in page
    assert "loud.example,silence" in page  # the pasted text comes back to be fixed
    resp = await paste(exported_by_mastodon)
    page = await resp.text()
    assert resp.status == 200 and "Apply 3 entries" in page
    assert (await paste(exported_by_mastodon, confirm="yes")).status == 303
    severities = dict(await kith.pool.fetch("SELECT domain, severity FROM domain_policies"))
    assert severities == {"spam.example": "suspend", "loud.example": "limit", "slow.example": "noop"}
    exported = await (await kith.client.get("/admin/domains/export.csv")).text()
    assert sorted(exported.splitlines()) == sorted(exported_by_mastodon.splitlines())
