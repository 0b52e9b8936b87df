"""HTTP signatures on server-to-server requests: sign what we send, verify what we receive.

Two schemes travel between fediverse servers, and both are handled here:

* draft-cavage-http-signatures-12, the ``Signature: keyId=...,headers=...,signature=...`` header
  every ActivityPub server sends, in Mastodon's dialect: ``rsa-sha256`` or ``hs2019``, the body
  pinned by a ``Digest`` header.
* RFC 9421 HTTP Message Signatures (``Signature-Input`` + ``Signature``), the body pinned by an
  RFC 9530 ``Content-Digest``, which recent Mastodon verifies and newer servers send.

Everything is pure: a request is plain data (:class:`SignedRequest`), keys are PEM strings and
the clock is a parameter. Verification returns a :class:`VerifiedSignature` or raises
:class:`SignatureError`, whose message is fit to send back as a 401 body.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from federation.httpsig.cavage import _CavageSignature, _parse_cavage, _verify_cavage, sign_cavage
from federation.httpsig.common import (
    MAX_CLOCK_SKEW,
    MAX_COMPONENTS,
    MAX_FIELD_LENGTH,
    SignatureError,
    SignedRequest,
    VerifiedSignature,
    _load_public_key,
    _now,
    content_digest_header,
    digest_header,
)
from federation.httpsig.rfc9421 import _MessageSignature, _parse_rfc9421, _verify_rfc9421, sign_rfc9421

__all__ = [
    "MAX_CLOCK_SKEW",
    "MAX_COMPONENTS",
    "MAX_FIELD_LENGTH",
    "SignatureError",
    "SignedRequest",
    "SigningKey",
    "VerifiedSignature",
    "content_digest_header",
    "digest_header",
    "key_id_of",
    "sign_cavage",
    "sign_rfc9421",
    "verify",
]


@dataclass(frozen=True)
class SigningKey:
    """A local actor's key, as outgoing requests are signed with it."""

    key_id: str
    private_pem: str

    def signer(self, scheme: str = "cavage") -> Callable[[str, str, Mapping[str, str], bytes | None], dict[str, str]]:
        """Signs each hop of a request: draft-cavage as Mastodon expects, or RFC 9421 for hosts known to use it."""
        sign = sign_rfc9421 if scheme == "rfc9421" else sign_cavage

        def hop(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> dict[str, str]:
            return sign(method, url, dict(headers), body, self.key_id, self.private_pem)

        return hop


def key_id_of(req: SignedRequest) -> str:
    """The key that claims to have signed ``req``, so the caller can fetch it before verify()."""
    return _parse(req).key_id


def verify(req: SignedRequest, public_key_pem: str, *, now: float | None = None) -> VerifiedSignature:
    """Check ``req``'s signature with the signer's public key, or raise SignatureError saying why.

    Beyond the cryptography this enforces what makes a signature worth trusting: it must cover
    the request's time, target and (for a body) a digest that matches the body, and its time
    must be within MAX_CLOCK_SKEW of ``now`` (default: the current time).
    """
    now = _now(now)
    signature = _parse(req)
    key = _load_public_key(public_key_pem)
    if isinstance(signature, _CavageSignature):
        return _verify_cavage(req, signature, key, now)
    return _verify_rfc9421(req, signature, key, now)


# --- which scheme -----------------------------------------------------------------------------


def _parse(req: SignedRequest) -> _CavageSignature | _MessageSignature:
    """Read whichever scheme signed ``req``: Signature-Input means RFC 9421, as for Mastodon."""
    if "signature-input" in req.headers:
        return _parse_rfc9421(req)
    value = req.headers.get("signature")
    if value is None:
        raise SignatureError("the request is not signed: it has no Signature header")
    return _parse_cavage(value)


