"""How pages print text that members and remote servers chose: names isolated, links honest."""

import re

from tests.federation.conftest import drain
from tests.helpers import log_in, make_member, post_status, submit

RLO = "\u202e"
SPOOF = f"Admin{RLO}gpj.exe"
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def title_of(page: str) -> str:
    return re.search(r"<title>(.*?)</title>", page, re.S).group(1)


def assert_isolated(page: str, name: str, *, titled: bool = True) -> None:
    """Every occurrence of the name sits inside <bdi>, and the title holds no bidi control at all."""
    assert not BIDI.search(title_of(page)), title_of(page)
    assert ("Admingpj.exe" in title_of(page)) is titled
    assert page.count(name) >= 1
    assert page.count(name) == page.count(f"<bdi>{name}</bdi>"), [
        page[max(0, m.start() - 60):m.end() + 10] for m in re.finditer(re.escape(name), page)]


async def test_bidi_override_in_display_name_is_isolated_local_and_remote(instances):
    a, b = instances
    await make_member(a.pool, "alice")
    await make_member(b.pool, "bob")
    await log_in(a.client, "alice")
    await log_in(b.client, "bob")
    resp = await submit(b.client, "/settings/profile",
                        {"display_name": SPOOF, "note": "hello"}, page="/settings/profile")
    assert resp.status == 303
    assert await post_status(b.client, "A post from B") == 303
    own_id = await b.pool.fetchval("SELECT id FROM statuses")

    assert_isolated(await (await b.client.get("/@bob")).text(), SPOOF)
    assert_isolated(await (await b.client.get(f"/@bob/{own_id}")).text(), SPOOF)

    await submit(a.client, f"/@bob@{b.host}/follow", page="/search")
    await drain(a, b)
    remote_profile = await (await a.client.get(f"/@bob@{b.host}")).text()
    assert_isolated(remote_profile, SPOOF)
    assert f"<h1 id=\"profile-name\"><bdi>{SPOOF}</bdi></h1>" in remote_profile
    assert await post_status(b.client, "Another post from B") == 303
    await drain(a, b)
    home = await (await a.client.get("/")).text()
    assert "Another post from B" in home
    assert f"<strong><bdi>{SPOOF}</bdi></strong>" in home
    local_id = int(re.search(rf'href="/@bob@{re.escape(b.host)}/(\d+)"', home).group(1))
    assert_isolated(await (await a.client.get(f"/@bob@{b.host}/{local_id}")).text(), SPOOF)
    await submit(b.client, f"/@alice@{a.host}/follow", page="/search")
    await drain(a, b)
    notes = await (await a.client.get("/notifications")).text()
    assert "followed you" in notes
    assert_isolated(notes, SPOOF, titled=False)


PHISH = '<a href="https://evil.example/phish">https://bank.example</a>'
REVEALED = "https://bank.example (evil.example)</a>"


async def test_misleading_links_from_a_remote_profile_and_post_show_the_real_host(kith, remote):
    """The exact payload in a profile field, a bio and a post: the web page and the API both show evil.example."""


    await make_member(kith.pool, "alice")
    await log_in(kith.client, "alice")
    mallory = remote.add_actor("mallory")
    mallory.extra = {
        "summary": f"<p>My bank: {PHISH}</p>",
        "attachment": [{"type": "PropertyValue", "name": "Bank", "value": PHISH}],
    }
    profile = await (await kith.client.get(f"/@mallory@{remote.host}")).text()
    assert profile.count(REVEALED) == 2, profile  # the bio and the field
    note = {"id": f"{mallory.id}/statuses/1", "type": "Note", "attributedTo": mallory.id,
            "content": f'<p><span class="h-card"><a href="{kith.base}/@alice" class="u-url mention">@<span>alice</span>'
                       f"</a></span> please check {PHISH}</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [f"{kith.base}/users/alice"],
            "published": "2026-11-20T10:00:00Z",
            "tag": [{"type": "Mention", "href": f"{kith.base}/users/alice", "name": "@alice"}]}
    create = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{note['id']}/activity", "type": "Create",
              "actor": mallory.id, "object": note, "to": note["to"], "cc": note["cc"]}
    assert (await remote.post(mallory, f"{kith.base}/inbox", create)).status == 202
    await drain(kith)
    status_id = await kith.pool.fetchval("SELECT id FROM statuses WHERE uri = $1", note["id"])
    page = await (await kith.client.get(f"/@mallory@{remote.host}/{status_id}")).text()
    assert REVEALED in page
    assert ">@<span>alice</span></a>" in page  # the mention is honest and left alone

    # the API's HTML, as any client reads it
    account = await (await kith.client.get("/api/v1/accounts/lookup", params={"acct": f"mallory@{remote.host}"})).json()
    assert REVEALED in account["note"] and REVEALED in account["fields"][0]["value"]
    status = await (await kith.client.get(f"/api/v1/statuses/{status_id}")).json()
    assert REVEALED in status["content"]
