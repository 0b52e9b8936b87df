"""How pages print text that members and remote servers chose: names isolated, links honest."""

import re

from tests.federation.conftest import drain
from tests.federation.test_web_federation import submit
from tests.helpers import log_in, make_member, post_status

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
    resp = await submit(b.client, "/settings/profile", "/settings/profile",
                        {"display_name": SPOOF, "note": "hello"})
    assert resp.status == 303
    assert await post_status(b.client, "A post from B") == 303
    own_id = await b.pool.fetchval("SELECT id FROM statuses")

    assert_isolated(await (await b.client.get("/@bob")).text(), SPOOF)
    assert_isolated(await (await b.client.get(f"/@bob/{own_id}")).text(), SPOOF)

    await submit(a.client, "/search", f"/@bob@{b.host}/follow")
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
    await submit(b.client, "/search", f"/@alice@{a.host}/follow")
    await drain(a, b)
    notes = await (await a.client.get("/notifications")).text()
    assert "followed you" in notes
    assert_isolated(notes, SPOOF, titled=False)
