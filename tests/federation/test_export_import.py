"""Leaving with one's follows and coming back with them: follows.csv exported on one instance in
Mastodon's format and imported on another brings the follows back (the followed servers receive
the Follows); files that are not Mastodon's formats are refused whole, and rows that cannot be
applied are reported with their reason."""

from aiohttp import FormData

from server.domain import blocking, domain_hiding, following, muting
from server.store import accounts as accounts_store
from tests.federation.conftest import drain, follow_across
from tests.helpers import csrf_token, log_in, make_member


async def upload(client, kind: str, text: str, mode: str = "merge", name: str = "file.csv"):
    form = FormData()
    form.add_field("csrf_token", await csrf_token(client, "/settings/import"))
    form.add_field("kind", kind)
    form.add_field("mode", mode)
    form.add_field("file", text.encode(), filename=name, content_type="text/csv")
    return await client.post("/settings/import", data=form, allow_redirects=False)


async def test_follows_exported_here_and_imported_there(instances):
    a, b = instances
    alice = await make_member(a.pool, "alice")
    await make_member(a.pool, "carol")
    await make_member(b.pool, "bob")
    bob_at_a = await follow_across(a, alice, b, "bob")
    carol = await accounts_store.get_local(a.pool, "carol")
    await following.follow(a.pool, a.fed.urls, alice, carol)
    await following.set_options(a.pool, alice, bob_at_a, show_reblogs=False, notify=True)
    await blocking.block(a.pool, a.fed.urls, alice, await make_member(a.pool, "troll"))
    await muting.mute(a.pool, alice, carol, notifications=False)
    await domain_hiding.hide(a.pool, alice.id, "spam.example")

    await log_in(a.client, "alice")
    exported = await a.client.get("/settings/exports/follows.csv")
    assert exported.status == 200 and exported.headers["Content-Disposition"] == 'attachment; filename="follows.csv"'
    follows_csv = await exported.text()
    assert follows_csv.splitlines() == ["Account address,Show boosts,Notify on new posts,Languages",
                                        f"bob@{b.host},false,true,", f"carol@{a.host},true,false,"]
    assert (await (await a.client.get("/settings/exports/blocks.csv")).text()) == f"troll@{a.host}\n"
    assert (await (await a.client.get("/settings/exports/mutes.csv")).text()).splitlines() == [
        "Account address,Hide notifications", f"carol@{a.host},false"]
    assert (await (await a.client.get("/settings/exports/domain_blocks.csv")).text()) == "spam.example\n"

    # On b, a new account imports them: bob is here, carol is resolved on a and sent a Follow.
    newcomer = await make_member(b.pool, "alice")
    await log_in(b.client, "alice")
    for bad, why in (("Handle,Followed since\nbob@x.example,2024-01-01\n", "header for follows"),
                     ("bob@x.example,true,false,,extra\n", "has 5 columns"),
                     ("bob@x.example\nnot an address\n", "Line 2"),
                     ("".join(f"user{n}@x.example\n" for n in range(20_001)), "at most 20,000 rows")):
        refused = await upload(b.client, "follows", bad)
        assert refused.status == 422 and why in await refused.text(), bad[:60]
    assert await b.pool.fetchval("SELECT count(*) FROM import_jobs") == 0  # nothing applied

    started = await upload(b.client, "follows", follows_csv + f"ghost@{a.host},true,false,\n", name="follows.csv")
    assert started.status == 303
    await drain(a, b)
    b_follows = {r["username"]: (r["state"], r["show_reblogs"], r["notify"]) for r in await b.pool.fetch(
        "SELECT t.username, f.state, f.show_reblogs, f.notify FROM follows f"
        " JOIN accounts t ON t.id = f.target_account_id WHERE f.account_id = $1", newcomer.id)}
    assert b_follows == {"bob": ("accepted", False, True), "carol": ("accepted", True, False)}
    followers_of_carol = await a.pool.fetch(
        "SELECT a.username, a.domain FROM follows f JOIN accounts a ON a.id = f.account_id"
        " WHERE f.target_account_id = $1 AND f.state = 'accepted'", carol.id)
    assert {tuple(r) for r in followers_of_carol} == {("alice", None), ("alice", b.host)}
    progress = await (await b.client.get("/settings/import")).text()
    assert "2 of 3 done, 1 failed" in progress
    job_id = await b.pool.fetchval("SELECT id FROM import_jobs")
    failed = await (await b.client.get(f"/settings/import/{job_id}")).text()
    assert f"ghost@{a.host}" in failed and "HTTP 404" in failed  # a's WebFinger does not know ghost

    # Overwrite keeps only what the file names: carol is unfollowed (a hears the Undo).
    assert (await upload(b.client, "follows", f"bob@{b.host}\n", mode="overwrite")).status == 303
    await drain(a, b)
    assert {r["username"] for r in await b.pool.fetch(
        "SELECT t.username FROM follows f JOIN accounts t ON t.id = f.target_account_id WHERE f.account_id = $1",
        newcomer.id)} == {"bob"}
    assert await a.pool.fetchval("SELECT count(*) FROM follows WHERE target_account_id = $1", carol.id) == 1
