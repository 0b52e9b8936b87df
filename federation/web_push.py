"""Web Push (RFC 8030, 8291, 8292), as Mastodon sends it: each queued notification is encrypted
for the app's key and POSTed to its push service through the egress gate, signed with the
instance's VAPID key. Apps that subscribed with `standard: true` get RFC 8291 aes128gcm; the
others (Mastodon.py and most apps) the older aesgcm encoding with Encryption and Crypto-Key
headers. A push service that answers 404 or 410 ends the subscription; 429 and 5xx are retried."""

from __future__ import annotations

import base64
import json
import logging
import os
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import asyncpg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from federation import queue
from federation.egress import EgressError, EgressPolicy, fetch, is_forbidden_address
from federation.runtime import Federation
from server.errors import AppError
from server.store import notifications as notifications_store
from server.store import push_subscriptions as push_store
from server.store import settings as settings_store
from server.store import statuses as statuses_store
from server.text.sanitize import strip_html

if TYPE_CHECKING:  # py_vapid and http_ece are imported where pushes are sent: most processes never do
    import py_vapid

log = logging.getLogger(__name__)
BATCH = 50
TTL = 48 * 3600  # seconds a push service keeps an undelivered push
MAX_BODY = 140
TITLES = {"mention": "{} mentioned you", "reply": "{} mentioned you", "status": "{} just posted",
          "reblog": "{} boosted your post", "follow": "{} followed you", "follow_request": "{} wants to follow you",
          "favourite": "{} favourited your post", "poll": "A poll has ended", "update": "{} edited a post",
          "admin.sign_up": "{} signed up", "admin.report": "{} filed a report"}


def check_endpoint(policy: EgressPolicy, endpoint: str) -> None:
    """Refuse a push endpoint the egress gate would never reach: not https (http only in local-testing
    mode), no host, or a private address not allowed (names are checked again when resolved)."""
    parts = urlsplit(endpoint)
    if parts.scheme not in policy.allowed_schemes() or not parts.hostname:
        raise AppError(422, "Validation failed: subscription[endpoint] must be an https:// URL")
    try:
        reason = is_forbidden_address(parts.hostname)
    except ValueError:
        reason = None
    if reason and reason != "not an IP address" and not policy.allows_private(parts.hostname):
        raise AppError(422, f"Validation failed: subscription[endpoint] is a {reason} address")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    """Base64, URL-safe or not, padded or not (apps send every kind: Mastodon.py the standard one)."""
    text = text.strip().replace("+", "-").replace("/", "_").rstrip("=")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def vapid_pem(pool: asyncpg.Pool) -> bytes:
    """The instance's VAPID private key (P-256, PKCS#8 PEM), made once and shared by every process
    using this database."""
    made = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return (await settings_store.get_or_create(pool, "vapid_private_pem", made.decode())).encode()


def public_key(pem: bytes) -> str:
    """The key apps check pushes against (the instance's `vapid.public_key`, the app's `vapid_key`)."""
    key = serialization.load_pem_private_key(pem, None)
    return b64(key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))


def encrypt(payload: bytes, p256dh: str, auth: str, *, standard: bool) -> tuple[bytes, dict[str, str]]:
    import http_ece
    """The encrypted body and the headers saying how, for the receiver's key and auth secret."""
    ours = ec.generate_private_key(ec.SECP256R1())
    receiver, secret = unb64(p256dh), unb64(auth)
    if standard:
        body = http_ece.encrypt(payload, private_key=ours, dh=receiver, auth_secret=secret, version="aes128gcm")
        return body, {"Content-Encoding": "aes128gcm"}
    salt = os.urandom(16)
    body = http_ece.encrypt(payload, salt=salt, private_key=ours, dh=receiver, auth_secret=secret, version="aesgcm")
    ours_public = ours.public_key().public_bytes(serialization.Encoding.X962,
                                                 serialization.PublicFormat.UncompressedPoint)
    return body, {"Content-Encoding": "aesgcm", "Encryption": f"salt={b64(salt)}",
                  "Crypto-Key": f"dh={b64(ours_public)}"}


def vapid_headers(vapid: py_vapid.Vapid02, endpoint: str, contact: str, *, standard: bool) -> dict[str, str]:
    import py_vapid
    parts = urlsplit(endpoint)
    claims = {"aud": f"{parts.scheme}://{parts.netloc}", "exp": int(time.time()) + 12 * 3600, "sub": contact}
    if standard:
        return vapid.sign(claims)
    legacy = py_vapid.Vapid01.from_pem(vapid.private_pem())
    return legacy.sign(claims)  # Authorization: WebPush <jwt>, Crypto-Key: p256ecdsa=<key>


async def payload(fed: Federation, account_id: int, notification_id: int, access_token: str) -> dict[str, Any] | None:
    """What the app shows, as Mastodon sends it; None when the notification is gone."""
    item = await notifications_store.get(fed.pool, account_id, notification_id)
    if item is None:
        return None
    sender = item["account"]
    body = ""
    if item["status_id"]:
        status = await statuses_store.get_visible(fed.pool, item["status_id"], account_id)
        body = strip_html(status.spoiler_text or status.content)[:MAX_BODY] if status else ""
    return {"notification_id": str(notification_id), "notification_type": item["type"],
            "title": TITLES.get(item["type"], "{}").format(sender.name), "body": body,
            "icon": fed.urls.profile_picture(sender, "avatar"), "access_token": access_token,
            "preferred_locale": "en"}


class PushRunner:
    """Claims queued pushes and sends each."""

    def __init__(self, fed: Federation) -> None:
        self.fed = fed
        self.vapid: py_vapid.Vapid02 | None = None

    async def run_once(self, limit: int = BATCH) -> int:
        pool = self.fed.pool
        jobs = await queue.claim(pool, "push_deliveries", "created_at", limit)
        if jobs and self.vapid is None:
            import py_vapid

            self.vapid = py_vapid.Vapid02.from_pem(await vapid_pem(pool))
        for job in jobs:
            found = await push_store.for_delivery(pool, job.id)
            message = None
            if found:
                message = await payload(self.fed, found["account_id"], found["notification_id"], found["access_token"])
            if message is None:
                await queue.dead(pool, "push_deliveries", job.id, "the subscription or notification is gone")
                continue
            await self._send(job, found, json.dumps(message).encode())
        return len(jobs)

    async def _send(self, job: queue.Job, found: dict[str, Any], data: bytes) -> None:
        pool = self.fed.pool
        body, headers = encrypt(data, found["p256dh"], found["auth"], standard=found["standard"])
        contact = self.fed.config.contact_email or f"admin@{self.fed.urls.host.split(':')[0]}"
        signed = vapid_headers(self.vapid, found["endpoint"], f"mailto:{contact}", standard=found["standard"])
        if "Crypto-Key" in signed:  # legacy: the VAPID key joins the sender's dh in one header
            headers["Crypto-Key"] = f"{headers['Crypto-Key']};{signed.pop('Crypto-Key')}"
        headers.update(signed, TTL=str(TTL), Urgency="normal", **{"Content-Type": "application/octet-stream"})
        try:
            response = await fetch(self.fed.session, self.fed.policy, "POST", found["endpoint"], headers=headers,
                                   data=body)
        except EgressError as exc:
            await queue.retry(pool, "push_deliveries", job.id, str(exc), queue.backoff(job.attempts),
                              created_column="created_at")
            return
        if response.status in (404, 410):  # the app unsubscribed at its push service
            await push_store.delete_push(pool, found["token_id"])
        elif response.status == 429 or response.status >= 500:
            await queue.retry(pool, "push_deliveries", job.id, f"HTTP {response.status}",
                              queue.backoff(job.attempts), created_column="created_at")
        elif response.status >= 400:
            await queue.dead(pool, "push_deliveries", job.id, f"HTTP {response.status}")
        else:
            await queue.done(pool, "push_deliveries", job.id)
