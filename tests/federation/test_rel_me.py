"""Verified profile links: a field linking to a page that links back with rel="me" is marked
verified (on the profile and to apps); any other link, or plain text, is not."""

from tests.api.conftest import bearer, make_token
from tests.helpers import log_in
from tests.web.test_profile_settings import send


async def test_links_that_link_back_are_verified(kith, remote):
    _, token = await make_token(kith.pool, "alice")
    remote.files[f"{remote.base}/alice.html"] = (
        f'<html><head><link rel="me" href="{kith.base}/@alice/"></head><body>Alice</body></html>'.encode(),
        "text/html; charset=utf-8")
    remote.files[f"{remote.base}/imposter.html"] = (
        f'<a rel="me" href="{kith.base}/@bob">bob</a> <a href="{kith.base}/@alice">alice, no rel</a>'.encode(),
        "text/html")
    await log_in(kith.client, "alice")
    saved = await send(kith.client, {"display_name": "Alice", "note": "",
                                     "field_name_0": "Site", "field_value_0": f"{remote.base}/alice.html",
                                     "field_name_1": "Other", "field_value_1": f"{remote.base}/imposter.html",
                                     "field_name_2": "Gone", "field_value_2": f"{remote.base}/missing.html",
                                     "field_name_3": "Pronouns", "field_value_3": "she/her"})
    assert saved.status == 303
    creds = await (await kith.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))).json()
    verified = {f["name"]: f["verified_at"] is not None for f in creds["fields"]}
    assert verified == {"Site": True, "Other": False, "Gone": False, "Pronouns": False}
    profile = await (await kith.client.get("/@alice")).text()
    assert profile.count('class="verified"') == 1 and 'rel="me nofollow noopener"' in profile

    # A changed link is checked again: now it does not link back.
    await send(kith.client, {"display_name": "Alice", "note": "",
                             "field_name_0": "Site", "field_value_0": f"{remote.base}/imposter.html"})
    creds = await (await kith.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))).json()
    assert [(f["name"], f["verified_at"]) for f in creds["fields"]] == [("Site", None)]
