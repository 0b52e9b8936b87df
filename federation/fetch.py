"""Dereferencing remote actors, keys and objects, with origin checks.

Every request goes through the egress gate, signed by the instance actor (so servers in
authorized-fetch mode answer). A document is accepted only with an AS2 media type and an id
equal to the URL it was finally served from: nobody can serve an object for another host.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urldefrag

from federation import parse
from federation.egress import EgressError, fetch_json
from federation.runtime import KEY_FAILURE_COST, Federation
from server import metrics
from server.models import Account
from server.store import accounts as accounts_store

log = logging.getLogger(__name__)
ACTOR_TTL = timedelta(days=1)
AS2_TYPES = ("application/activity+json", "application/ld+json")
HANDLE_RE = re.compile(r"^@?([A-Za-z0-9_.\-]{1,64})@([A-Za-z0-9.\-]{1,253}(?::\d{1,5})?)$")
SUBSCRIBE_REL = "http://ostatus.org/schema/1.0/subscribe"


class FetchError(Exception):
    """The remote thing could not be had or did not pass the checks; the message says why."""


def _scheme(fed: Federation) -> str:
    return "http" if fed.config.insecure_federation else "https"


async def fetch_document(fed: Federation, url: str, *, _second_try: bool = False) -> dict[str, Any]:
    """GET an AS2 document; its id must equal the final URL (after redirects), or name another URL
    on the same host that serves it with that id."""
    if parse.host_of(url) == "":
        raise FetchError(f"not an http(s) URL: {url[:200]}")
    if await fed.policies.suspended(parse.host_of(url)):
        raise FetchError(f"{parse.host_of(url)} is suspended here")
    try:
        result = await fetch_json(fed.session, fed.policy, url, sign=fed.instance_key.signer())
    except EgressError as exc:
        raise FetchError(str(exc)) from exc
    doc = result.data
    if not isinstance(doc, dict):
        raise FetchError(f"{url[:200]}: not a JSON object")
    served_id = doc.get("id")
    if served_id != result.response.url:
        # Like Mastodon: a document may name its canonical id elsewhere on the same host (a web URL,
        # a key URL that serves its actor); then it is accepted only as served from that id.
        same_host = isinstance(served_id, str) and parse.host_of(served_id) == parse.host_of(result.response.url)
        if _second_try or not same_host:
            raise FetchError(f"{url[:200]}: the document's id does not match where it was served from")
        return await fetch_document(fed, served_id, _second_try=True)
    return doc


async def fetch_actor(fed: Federation, uri: str, *, refresh: bool = False) -> Account:
    """The remote actor with this id, fetched when unknown or stale (or when `refresh`)."""
    uri = urldefrag(uri)[0]
    if parse.host_of(uri) == fed.urls.host.lower():
        raise FetchError("that is one of our own ids")
    if not refresh:
        known = await accounts_store.get_by_uri(fed.pool, uri)
        fetched = await accounts_store.fetched_at(fed.pool, uri) if known else None
        if known and fetched and fetched > datetime.now(UTC) - ACTOR_TTL:
            return known
    doc = await fetch_document(fed, uri)
    try:
        actor = parse.as_actor_to_remote(doc)
    except parse.Malformed as exc:
        raise FetchError(f"{uri[:200]}: {exc}") from exc
    return await accounts_store.upsert_remote(fed.pool, actor)


async def key_for(fed: Federation, key_id: str, *, refresh: bool = False) -> tuple[Account, str]:
    """(owner, public key PEM) for a key id; fetched (rate-limited per host) when unknown or on refresh."""
    if not refresh:
        cached = fed.keys.get(key_id)
        if cached:
            return cached
        known = await accounts_store.get_by_key_id(fed.pool, key_id)
        if known:
            fed.keys.put(key_id, known.owner, known.public_pem)
            return known.owner, known.public_pem
    host = parse.host_of(key_id)
    if not host:
        raise FetchError("keyId is not an http(s) URL")
    if key_id in fed.key_failures:
        raise FetchError(f"the key {key_id[:200]} could not be fetched a moment ago")
    if refresh:
        if key_id in fed.key_refetched:
            raise FetchError(f"the key {key_id[:200]} was re-fetched a moment ago and still does not verify")
        fed.key_refetched.add(key_id)
    fed.keys.drop(key_id)
    # Each fetch reserves what a failure costs, so concurrent fetches of bogus keys cannot overrun
    # the host's budget; a successful one gives the difference back.
    if not fed.key_fetches.allow(host, KEY_FAILURE_COST):
        metrics.KEY_FETCHES.labels("throttled").inc()
        raise FetchError(f"too many key fetches for {host}; try again later")
    try:
        found = await _fetch_key(fed, key_id)
    except FetchError:
        fed.key_failures.add(key_id)
        metrics.KEY_FETCHES.labels("failed").inc()
        raise
    fed.key_fetches.refund(host, KEY_FAILURE_COST - 1)
    metrics.KEY_FETCHES.labels("fetched").inc()
    return found


async def _fetch_key(fed: Federation, key_id: str) -> tuple[Account, str]:
    doc = await fetch_document(fed, urldefrag(key_id)[0])
    owner = doc.get("owner") if doc.get("type") not in parse.ACTOR_TYPES else None
    account = await fetch_actor(fed, owner, refresh=True) if isinstance(owner, str) else None
    if account is None:
        try:
            account = await accounts_store.upsert_remote(fed.pool, parse.as_actor_to_remote(doc))
        except parse.Malformed as exc:
            raise FetchError(f"{key_id[:200]}: {exc}") from exc
    found = await accounts_store.get_by_key_id(fed.pool, key_id)
    if found is None or found.owner.id != account.id:
        raise FetchError("the key does not belong to the actor that published it")
    fed.keys.put(key_id, found.owner, found.public_pem)
    return found.owner, found.public_pem


async def _jrd_links(fed: Federation, username: str, domain: str) -> list[dict[str, Any]]:
    """The links of a handle's WebFinger document (RFC 7033), from the handle's domain."""
    if await fed.policies.suspended(domain):
        raise FetchError(f"{domain} is suspended here")
    url = f"{_scheme(fed)}://{domain}/.well-known/webfinger?resource={quote(f'acct:{username}@{domain}')}"
    try:
        result = await fetch_json(fed.session, fed.policy, url, accept=("application/jrd+json", "application/json"))
    except EgressError as exc:
        raise FetchError(str(exc)) from exc
    links = result.data.get("links") if isinstance(result.data, dict) else None
    return [link for link in links if isinstance(link, dict)] if isinstance(links, list) else []


async def webfinger(fed: Federation, username: str, domain: str) -> str:
    """The actor id that a handle names, by WebFinger on the handle's domain."""
    for link in await _jrd_links(fed, username, domain):
        if (link.get("rel") == "self" and isinstance(link.get("href"), str)
                and str(link.get("type", "")).split(";")[0].strip() in AS2_TYPES):
            return link["href"]
    raise FetchError(f"{username}@{domain} has no ActivityPub actor")


async def subscribe_template(fed: Federation, handle: str) -> str:
    """Where the server of `handle` lets its member act on something of ours: the OStatus subscribe
    template WebFinger advertises (Mastodon, Pleroma, Kith...), an http(s) URL with a {uri} slot."""
    match = HANDLE_RE.match(handle.strip().lstrip("@"))
    if not match:
        raise FetchError("Type your address as name@your.server")
    for link in await _jrd_links(fed, match.group(1), match.group(2).lower()):
        template = link.get("template")
        if (link.get("rel") == SUBSCRIBE_REL and isinstance(template, str) and "{uri}" in template
                and template.startswith(("https://", "http://"))):
            return template
    raise FetchError(f"{handle} does not say where to follow from; search for this address on your server")


async def resolve_handle(fed: Federation, handle: str) -> Account:
    """user@host -> the remote account (known, or looked up by WebFinger and fetched)."""
    match = HANDLE_RE.match(handle.strip())
    if not match:
        raise FetchError("a handle looks like user@example.social")
    username, domain = match.group(1), match.group(2).lower()
    known = await accounts_store.get_remote(fed.pool, username, domain)
    if known is not None:
        return known
    return await fetch_actor(fed, await webfinger(fed, username, domain))


def mention_resolver(fed: Federation) -> Callable[[Any], Awaitable[Account | None]]:
    """How a new post finds its @user@host mentions: by WebFinger; None when that fails, so the
    mention stays plain text."""

    async def resolve(mention: Any) -> Account | None:
        try:
            return await resolve_handle(fed, f"{mention.username}@{mention.domain}")
        except FetchError:
            return None

    return resolve
