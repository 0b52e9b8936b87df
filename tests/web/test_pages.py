"""Headers, error pages and NodeInfo: what every response promises."""

from tests.helpers import make_member


async def test_security_headers_on_pages_and_errors(client, pool):
    for path in ("/", "/login", "/no/such/page", "/static/kith.css"):
        resp = await client.get(path)
        csp = resp.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src 'self';" in csp and "unsafe" not in csp  # our own script files only, nothing inline
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "same-origin"
        assert resp.headers["X-Frame-Options"] == "DENY"


async def test_error_pages_are_rendered_templates(client, pool):
    resp = await client.get("/no/such/page")
    assert resp.status == 404
    text = await resp.text()
    assert resp.content_type == "text/html" and "Not found" in text and "Traceback" not in text
    assert (await client.get("/@nobody")).status == 404
    assert (await client.get("/@nobody/123")).status == 404
    assert (await client.get("/@nobody/99999999999999999999999")).status == 404
    resp = await client.put("/login")
    assert resp.status == 405 and "not allowed" in await resp.text()


async def test_oversized_form_is_a_413_page(client, pool):
    resp = await client.post("/login", data={"username": "x" * (2 * 1024 * 1024)})
    assert resp.status == 413


async def test_nodeinfo(client, pool):
    await make_member(pool, "alice")
    links = await (await client.get("/.well-known/nodeinfo")).json()
    hrefs = [link["href"] for link in links["links"]]
    assert hrefs == ["http://kith.test/nodeinfo/2.0", "http://kith.test/nodeinfo/2.1"]
    resp = await client.get("/nodeinfo/2.1")
    assert resp.status == 200
    assert 'profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"' in resp.headers["Content-Type"]
    doc = await resp.json(content_type=None)
    assert doc["software"]["name"] == "kith"
    assert doc["protocols"] == ["activitypub"]
    assert doc["openRegistrations"] is True
    assert doc["usage"]["users"]["total"] == 1
    assert (await client.get("/nodeinfo/3.0")).status == 404
