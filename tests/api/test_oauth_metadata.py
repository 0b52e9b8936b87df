"""RFC 8414 authorization server metadata: published with https URLs, and not at all in local
testing over http (Mastodon.py refuses to sign in to an http:// server it is told of)."""

import dataclasses

from server.app import make_app


async def test_metadata_is_published_over_https_only(aiohttp_client, config, pool):
    local = await aiohttp_client(make_app(config))
    assert (await local.get("/.well-known/oauth-authorization-server")).status == 404
    secure = await aiohttp_client(make_app(dataclasses.replace(config, insecure_federation=False)))
    metadata = await (await secure.get("/.well-known/oauth-authorization-server")).json()
    assert metadata["issuer"] == "https://kith.test/"
    assert metadata["token_endpoint"] == "https://kith.test/oauth/token"
    assert metadata["authorization_endpoint"] == "https://kith.test/oauth/authorize"
    assert "S256" in metadata["code_challenge_methods_supported"] and "read:statuses" in metadata["scopes_supported"]
