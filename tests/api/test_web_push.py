"""Web Push as real apps use it: Mastodon.py subscribes with its own key helpers, a mention is
pushed to the app's push service by `kith run`'s workers, encrypted, and Mastodon.py decrypts it;
RFC 8291 subscriptions get aes128gcm; a push service that says the subscription is gone ends it."""

from __future__ import annotations

import base64
import datetime
import ipaddress
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import http_ece
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from mastodon import MastodonAPIError

from tests.api.test_mastodon_py import PASSWORD, sign_in
from tests.conftest import KithProcess, free_port, kith_cli


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (Mastodon.py only subscribes https:// endpoints); Kith trusts it
    through SSL_CERT_FILE, as a machine trusts its own CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "push.pem", folder / "push.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class PushService:
    """A push service on loopback (https) that keeps what it is sent (and answers `status`)."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.status = 201
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                service.received.append((self.path, dict(self.headers), body))
                self.send_response(service.status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}{path}"

    def wait(self, path: str, timeout: float = 15) -> tuple[dict[str, str], bytes]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for got_path, headers, body in self.received:
                if got_path == path:
                    return headers, body
            time.sleep(0.1)
        raise AssertionError(f"no push to {path} within {timeout}s: {[p for p, _, _ in self.received]}")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("push"))


@pytest.fixture(scope="module")
def kith(database_url: str, certificate):
    server = KithProcess(["--database-url", database_url, "--allow-private-host", "127.0.0.1"],
                         env={"SSL_CERT_FILE": str(certificate[0])}).start()
    yield server
    server.stop()


def test_pushes_reach_apps_encrypted(kith, certificate):
    for name in ("pushalice", "pushbob"):
        made = kith_cli("user", "create", name, "--password", PASSWORD, "--database-url",
                        kith.args[kith.args.index("--database-url") + 1])
        assert made.returncode == 0 or "already taken" in made.stderr, made.stderr
    alice, bob = sign_in(kith, "pushalice"), sign_in(kith, "pushbob")
    service = PushService(*certificate)
    try:
        assert alice.instance()["configuration"]["vapid"]["public_key"]
        for bad in ("ftp://push.example/x", "https://10.1.2.3/x", "push.example/no-scheme"):
            refused = requests.post(f"{kith.base_url}/api/v1/push/subscription", timeout=10,
                                    headers={"Authorization": f"Bearer {alice.access_token}"},
                                    data={"subscription[endpoint]": bad, "subscription[keys][p256dh]": "x",
                                          "subscription[keys][auth]": "y"})
            assert refused.status_code == 422, (bad, refused.text)

        private, public = alice.push_subscription_generate_keys()
        made = alice.push_subscription_set(service.url("/legacy"), public, mention_events=True, follow_events=False)
        assert made["alerts"]["mention"] is True and made["server_key"] == alice.instance()["configuration"]["vapid"][
            "public_key"]
        # RFC 8291 as apps ask for it (Mastodon.py's helper does not send `standard`, so this one is by hand).
        modern = sign_in(kith, "pushalice")
        modern_private, modern_public = modern.push_subscription_generate_keys()
        subscribed = requests.post(f"{kith.base_url}/api/v1/push/subscription", timeout=10, headers={
            "Authorization": f"Bearer {modern.access_token}"}, data={
            "subscription[endpoint]": service.url("/standard"), "subscription[standard]": "true",
            "subscription[keys][p256dh]": base64.urlsafe_b64encode(modern_public["pubkey"]).decode().rstrip("="),
            "subscription[keys][auth]": base64.urlsafe_b64encode(modern_public["auth"]).decode().rstrip("="),
            "data[alerts][mention]": "true"})
        assert subscribed.status_code == 200 and subscribed.json()["standard"] is True

        bob.status_post("@pushalice are you there?")
        headers, body = service.wait("/legacy")
        assert headers["Content-Encoding"] == "aesgcm" and headers["TTL"] and headers["Authorization"].startswith(
            "WebPush ")
        pushed = alice.push_subscription_decrypt_push(body, private, headers["Encryption"], headers["Crypto-Key"])
        mention = alice.notifications(types=["mention"])[0]
        assert pushed["notification_type"] == "mention" and str(pushed["notification_id"]) == str(mention["id"])
        assert pushed["title"] == "pushbob mentioned you" and "are you there" in pushed["body"]
        assert pushed["icon"].endswith("/static/avatar.png")  # a PNG an app can draw: pushbob has no avatar

        headers, body = service.wait("/standard")
        assert headers["Content-Encoding"] == "aes128gcm" and headers["Authorization"].startswith("vapid t=")
        key = ec.derive_private_key(modern_private["privkey"], ec.SECP256R1())
        plain = http_ece.decrypt(body, private_key=key, auth_secret=modern_private["auth"], version="aes128gcm")
        assert b'"notification_type": "mention"' in plain

        # The push service says the subscription is gone: Kith forgets it.
        service.status = 410
        bob.status_post("@pushalice hello again")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                alice.push_subscription()
            except MastodonAPIError:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the subscription was not removed after 410")
    finally:
        service.server.shutdown()
