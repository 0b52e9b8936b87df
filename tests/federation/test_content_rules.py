"""Content rules as data, tried as an admin would: invalid rules refused, a dry run before saving,
rules acting on inbound posts (reject, hold, content warning) and on local ones, hit counts,
the trail, versions and rollback, export and import."""

from server.domain import posting
from server.models import Role
from tests.conftest import kith_cli
from tests.federation.conftest import drain, follow_across
from tests.helpers import csrf_token, log_in, make_member, submit

RULES = """
[[rules]]
name = "crypto spam"
action = "reject"
[rules.when]
keywords = ["free crypto"]

[[rules]]
name = "hold links to casinos"
action = "hold"
[rules.when]
text = "(?i)casino"
origin = "remote"

[[rules]]
name = "warn about spiders"
action = "content_warning"
warning = "spiders"
local = true
[rules.when]
hashtags = ["spiders"]
"""


async def save(client, text, do="save", days="7"):
    return await submit(client, "/admin/content-rules", {"rules": text, "do": do, "days": days, "comment": "test"})


async def test_rules_refuse_bad_input_dry_run_then_act(instances):
    a, b = instances
    await make_member(a.pool, "admin1", Role.ADMIN)
    alice = await make_member(a.pool, "alice")
    bob = await make_member(b.pool, "bob")
    await follow_across(a, alice, b, "bob")
    await posting.create_post(b.pool, b.fed.urls, bob, posting.NewPost("get free crypto today"), 500)
    await drain(a, b)  # before any rule: stored
    await log_in(a.client, "admin1")

    for bad, message in [
        ('[[rules]]\nname = "x"\naction = "explode"\n[rules.when]\ntext = "a"\n', "action must be one of"),
        ('[[rules]]\nname = "x"\naction = "reject"\n[rules.when]\ncolour = "red"\n', "unknown condition when.colour"),
        ('[[rules]]\nname = "x"\naction = "reject"\n[rules.when]\ntext = "(a)\\\\1"\n', "can run safely"),
        ('[[rules]]\nname = "x"\naction = "reject"\n[rules.when]\ntext = "(?<=a)b"\n', "can run safely"),
        ("not [valid", "not valid TOML or JSON"),
    ]:
        resp = await save(a.client, bad)
        assert resp.status == 422 and message in await resp.text(), message
    assert await a.pool.fetchval("SELECT count(*) FROM content_rulesets") == 0

    dry = await save(a.client, RULES, do="dry")
    page = await dry.text()
    assert "crypto spam</strong> (reject): 1 of" in page and "get free crypto today" in page
    assert await a.pool.fetchval("SELECT count(*) FROM content_rulesets") == 0  # a dry run changes nothing
    assert (await save(a.client, RULES)).status == 303

    for text in ("more free crypto for you", "the casino is open", "an ordinary post"):
        await posting.create_post(b.pool, b.fed.urls, bob, posting.NewPost(text), 500)
    await drain(a, b)
    stored = {r["content"] for r in await a.pool.fetch("SELECT content FROM statuses WHERE uri IS NOT NULL")}
    assert not any("more free crypto" in c for c in stored)
    assert not any("casino" in c for c in stored) and any("ordinary" in c for c in stored)
    page = await (await a.client.get("/admin/content-rules")).text()
    assert "the casino is open" in page  # waiting for review
    held_id = await a.pool.fetchval("SELECT id FROM held_activities")
    await a.client.post(f"/admin/content-rules/held/{held_id}", data={"decision": "approve",
                                                                     "csrf_token": await csrf_token(a.client)})
    assert await a.pool.fetchval("SELECT count(*) FROM statuses WHERE content LIKE '%casino%'") == 1
    hits = dict(await a.pool.fetch("SELECT rule_name, count(*) FROM content_rule_hits GROUP BY rule_name"))
    assert hits == {"crypto spam": 1, "hold links to casinos": 1}

    # a local rule: a content warning added to members' posts
    await posting.create_post(a.pool, a.fed.urls, alice, posting.NewPost("look #spiders"), 500)
    assert await a.pool.fetchval("SELECT spoiler_text FROM statuses WHERE source_text = 'look #spiders'") == "spiders"

    # versions: save a second version, then roll back to the first
    only = '[[rules]]\nname = "only"\naction = "sensitive"\n[rules.when]\nhas_media = true\n'
    assert (await save(a.client, only)).status == 303
    first = await a.pool.fetchval("SELECT min(id) FROM content_rulesets")
    await a.client.post(f"/admin/content-rules/versions/{first}", data={"csrf_token": await csrf_token(a.client)})
    names = [r["name"] for r in await a.pool.fetchval("SELECT rules FROM content_rulesets ORDER BY id DESC LIMIT 1")]
    assert names == ["crypto spam", "hold links to casinos", "warn about spiders"]
    exported = await (await a.client.get("/admin/content-rules/export.toml")).text()
    assert 'name = "crypto spam"' in exported


async def test_members_cannot_edit_rules_and_local_reject(kith):
    await make_member(kith.pool, "admin1", Role.ADMIN)
    await make_member(kith.pool, "member")
    alice = await make_member(kith.pool, "alice")
    await log_in(kith.client, "member")
    assert (await kith.client.get("/admin/content-rules")).status == 403
    assert (await save(kith.client, RULES)).status == 403
    await log_in(kith.client, "admin1")
    await save(kith.client, '[[rules]]\nname = "no slurs"\naction = "reject"\nlocal = true\n'
                         '[rules.when]\nkeywords = ["badword"]\n')
    try:
        await posting.create_post(kith.pool, kith.fed.urls, alice, posting.NewPost("a badword here"), 500)
        raise AssertionError("the rule did not refuse the post")
    except Exception as exc:
        assert "no slurs" in str(exc)
    assert await kith.pool.fetchval("SELECT count(*) FROM statuses") == 0


EDIT_RULES = RULES + """
[[rules]]
name = "no slurs"
action = "reject"
local = true
[rules.when]
keywords = ["badword"]
"""


async def test_edits_are_judged_like_new_posts(instances):
    """A member's edit (API) and a remote author's Update go through the same rules as a new post."""
    import secrets

    from server.api.auth import token_hash
    from server.store import oauth as oauth_store

    a, b = instances
    await make_member(a.pool, "admin1", Role.ADMIN)
    alice = await make_member(a.pool, "alice")
    bob = await make_member(b.pool, "bob")
    await log_in(a.client, "admin1")
    assert (await save(a.client, EDIT_RULES)).status == 303

    app = await oauth_store.insert_app(a.pool, secrets.token_hex(16), secrets.token_hex(32), "Test client", None,
                                       ["urn:ietf:wg:oauth:2.0:oob"], ["read", "write"])
    token = secrets.token_urlsafe(32)
    await oauth_store.insert_token(a.pool, token_hash(token), None, app.id, alice.id, ["read", "write"])
    auth = {"Authorization": f"Bearer {token}"}
    created = await (await a.client.post("/api/v1/statuses", json={"status": "hello there"}, headers=auth)).json()
    refused = await a.client.put(f"/api/v1/statuses/{created['id']}", json={"status": "hello badword"}, headers=auth)
    assert refused.status == 422 and "no slurs" in (await refused.json())["error"]
    row = await a.pool.fetchrow("SELECT source_text, edited_at FROM statuses WHERE id = $1", int(created["id"]))
    assert row["source_text"] == "hello there" and row["edited_at"] is None  # nothing half-applied
    assert await a.pool.fetchval("SELECT count(*) FROM status_edits") == 0
    warned = await a.client.put(f"/api/v1/statuses/{created['id']}", json={"status": "look #spiders"}, headers=auth)
    assert warned.status == 200 and (await warned.json())["spoiler_text"] == "spiders"

    await follow_across(a, alice, b, "bob")
    post_id = await posting.create_post(b.pool, b.fed.urls, bob, posting.NewPost("an ordinary post"), 500)
    await drain(a, b)
    copy = "SELECT content FROM statuses WHERE uri IS NOT NULL AND reblog_of_id IS NULL"
    assert "ordinary" in await a.pool.fetchval(copy)
    await posting.edit_post(b.pool, b.fed.urls, bob, post_id, posting.NewPost("now with free crypto"), 500)
    await drain(a, b)
    assert "ordinary" in await a.pool.fetchval(copy)  # the edit was refused: the earlier version stays
    assert await a.pool.fetchval("SELECT last_error FROM inbox_items WHERE state = 'dead'") == \
        "rejected: the edit breaks the content rule 'crypto spam'"
    await posting.edit_post(b.pool, b.fed.urls, bob, post_id, posting.NewPost("the casino is open"), 500)
    await drain(a, b)
    assert "ordinary" in await a.pool.fetchval(copy)  # held for review
    held_id = await a.pool.fetchval("SELECT id FROM held_activities")
    approved = await submit(a.client, f"/admin/content-rules/held/{held_id}", {"decision": "approve"})
    assert approved.status == 303
    assert "casino" in await a.pool.fetchval(copy)  # approved: the edit applies
    assert await a.pool.fetchval("SELECT count(*) FROM status_edits se JOIN statuses s ON s.id = se.status_id"
                                 " WHERE s.uri IS NOT NULL") == 1
    hits = dict(await a.pool.fetch("SELECT rule_name, count(*) FROM content_rule_hits GROUP BY rule_name"))
    assert hits == {"no slurs": 1, "warn about spiders": 1, "crypto spam": 1, "hold links to casinos": 1}


def test_rules_command_line(database_url, tmp_path):
    good = tmp_path / "rules.json"
    good.write_text('{"rules": [{"name": "json rule", "action": "unlist", "when": {"min_mentions": 10}}]}')
    assert kith_cli("rules", "import", str(good), "--database-url", database_url).returncode == 0
    exported = kith_cli("rules", "export", "--format", "json", "--database-url", database_url)
    assert '"json rule"' in exported.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rules]]\nname = "x"\naction = "reject"\n')
    result = kith_cli("rules", "import", str(bad), "--database-url", database_url)
    assert result.returncode == 1 and "needs at least one condition" in result.stderr
