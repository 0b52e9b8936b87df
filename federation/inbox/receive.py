"""The inbox endpoints: verify, check origin, store durably, answer 202. Nothing else here.

Acting on the activity happens later in a worker (federation/inbox/worker.py), so a slow or
failing handler never makes a remote server retry, and nothing is lost if we crash.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from federation import httpsig, parse
from federation.egress import EgressError, parse_json
from federation.fetch import FetchError, key_for
from federation.runtime import FEDERATION, Federation
from server import metrics
from server.errors import AppError
from server.keys import POOL
from server.models import Account
from server.store import accounts as accounts_store
from server.store import deliveries as deliveries_store

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
MAX_ACTIVITY_BYTES = 256 * 1024
MAX_DEPTH = 32
ACCEPTED_TYPES = ("application/activity+json", "application/ld+json", "application/json")


def _reject(status: int, message: str, reason: str) -> AppError:
    """The refusal to answer; `reason` is its short, fixed name in the metrics."""
    log.info("inbox refused (%s): %s", status, message)
    metrics.INBOX.labels("refused", reason).inc()
    return AppError(status, message)


async def _read_activity(request: web.Request) -> tuple[bytes, dict[str, Any]]:
    if request.content_type not in ACCEPTED_TYPES:
        raise _reject(415, f"expected application/activity+json, got {request.content_type or 'nothing'}", "media_type")
    if request.content_length is not None and request.content_length > MAX_ACTIVITY_BYTES:
        raise _reject(413, f"activities are limited to {MAX_ACTIVITY_BYTES} bytes", "too_large")
    body = await request.read()
    if len(body) > MAX_ACTIVITY_BYTES:
        raise _reject(413, f"activities are limited to {MAX_ACTIVITY_BYTES} bytes", "too_large")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise _reject(400, "activities must be UTF-8 JSON", "bad_json") from None
    try:
        activity = parse_json(body, "inbox", MAX_DEPTH)
    except EgressError as exc:
        raise _reject(400, f"body is not acceptable JSON: {exc.reason}", "bad_json") from None
    if not isinstance(activity, dict):
        raise _reject(400, "an activity is a JSON object", "bad_json")
    if b"\\u0000" in body:
        raise _reject(400, "NUL characters are not accepted", "bad_json")
    return body, activity


async def verify_request(request: web.Request, body: bytes, *, activity_type: str | None = None,
                         actor_uri: str | None = None) -> Account | None:
    """The account whose key signed this request, or an AppError 401 saying why not.

    None only for the one unsigned-able case: a Delete of an actor we never knew (its key is gone).
    A cached key that fails is re-fetched once, in case the actor rotated it.
    """
    fed = request.app[FEDERATION]
    signed = httpsig.SignedRequest(request.method, fed.urls.base + request.raw_path, request.headers, body)
    try:
        key_id = httpsig.key_id_of(signed)
    except httpsig.SignatureError as exc:
        raise _reject(401, f"signature required: {exc}", "unsigned") from None
    known = fed.keys.get(key_id) or await accounts_store.get_by_key_id(request.app[POOL], key_id)
    deleting_itself = (known is None and activity_type == "Delete" and actor_uri is not None
                       and parse.host_of(key_id) == parse.host_of(actor_uri))
    try:
        signer, pem = await key_for(fed, key_id)
        try:
            verified = httpsig.verify(signed, pem)
        except httpsig.SignatureError:
            if known is None:
                raise
            signer, pem = await key_for(fed, key_id, refresh=True)
            verified = httpsig.verify(signed, pem)
    except httpsig.SignatureError as exc:
        raise _reject(401, f"signature did not verify: {exc}", "bad_signature") from None
    except FetchError as exc:
        if deleting_itself:
            return None  # an actor we never knew, deleting itself: its key is gone with it
        raise _reject(401, f"could not get the signing key: {exc}", "key_unavailable") from None
    if verified.scheme == "rfc9421":  # it signs with RFC 9421, so it surely verifies it: answer in kind
        await deliveries_store.remember_scheme(request.app[POOL], parse.host_of(key_id), "rfc9421", override=False)
    return signer


def _answers_our_follow(fed: Federation, activity: dict[str, Any]) -> bool:
    """Takahē names its Accept (or Reject) of our Follow after that Follow: `<our follow id>#accept`,
    an id on our host. Mastodon does not check an Accept's own id, so that one exception is made."""
    return (activity.get("type") in ("Accept", "Reject") and isinstance(activity.get("id"), str)
            and fed.urls.local_follow_id(activity["id"].split("#", 1)[0].rstrip("/")) is not None)


async def receive(request: web.Request) -> web.Response:
    fed = request.app[FEDERATION]
    body, activity = await _read_activity(request)
    try:
        activity_id = parse.object_id(activity, "activity")
        actor_uri = parse.object_id(activity.get("actor"), "actor")
    except parse.Malformed as exc:
        raise _reject(400, str(exc), "malformed") from None
    if not isinstance(activity.get("type"), str):
        raise _reject(400, "activity has no type", "malformed")
    if parse.host_of(activity_id) != parse.host_of(actor_uri) and not _answers_our_follow(fed, activity):
        raise _reject(400, "the activity's id is not on its actor's host", "origin_mismatch")
    if await fed.policies.suspended(parse.host_of(actor_uri)):
        raise _reject(403, "this instance does not federate with your domain", "domain_suspended")

    signer = await verify_request(request, body, activity_type=activity["type"], actor_uri=actor_uri)
    if signer is None:
        return web.Response(status=202)  # an account we never knew deleted itself; its key is gone too
    if signer.uri != actor_uri:
        raise _reject(401, "the request is signed by someone other than the activity's actor", "wrong_signer")
    suspended = signer.suspended_at is not None or await fed.policies.account_suspended(signer.uri)
    if suspended and not parse.deletes_itself(activity):
        raise _reject(401, "the signing account is suspended or deleted here", "account_suspended")

    await fed.inbox_writer.store(activity_id, actor_uri, body.decode())
    metrics.INBOX.labels("accepted", "").inc()
    return web.Response(status=202)


for path in ("/inbox", r"/users/{username:[A-Za-z0-9_]+}/inbox", "/actor/inbox"):
    routes.post(path)(receive)
