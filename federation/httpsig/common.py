"""What both signature schemes share: the request as signed data, the errors, the checks on
times, lengths and digests, and the keys and algorithms (``cryptography``)."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, TypeAlias
from urllib.parse import SplitResult, urlsplit

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

MAX_FIELD_LENGTH = 8 * 1024
"""Longest Signature, Signature-Input, Digest or Content-Digest value we are willing to parse."""

MAX_COMPONENTS = 30
"""Most headers or components one signature may cover."""

MAX_CLOCK_SKEW = 3600
"""Seconds a signature's Date or created time may lie from our clock, either way."""

PublicKey: TypeAlias = rsa.RSAPublicKey | ed25519.Ed25519PublicKey
PrivateKey: TypeAlias = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


class SignatureError(Exception):
    """The request's signature is absent, malformed, stale or wrong; ``str()`` says which."""


class _Fields(Mapping[str, str]):
    """Header fields by case-insensitive name.

    Values are trimmed and repeated fields (as a multidict's ``items()`` yields them) are joined
    with ", ", which is how both draft-cavage-12 §2.3 and RFC 9421 §2.1 combine them.
    """

    def __init__(self, source: Mapping[str, str]) -> None:
        fields: dict[str, str] = {}
        for name, value in source.items():
            key, value = name.lower(), value.strip()
            fields[key] = f"{fields[key]}, {value}" if key in fields else value
        self._fields = fields

    def __getitem__(self, name: str) -> str:
        return self._fields[name.lower()]

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return self._fields.get(name.lower(), default)  # Mapping's get would raise and catch a KeyError

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._fields

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._fields!r})"


@dataclass(frozen=True)
class SignedRequest:
    """An HTTP request as its signer saw it.

    ``url`` is absolute (``https://host[:port]/path?query``) with the path and query exactly as
    they crossed the wire: rebuild it from the raw request target, not from a re-encoded one.
    ``headers`` may be any mapping, a multidict included; the stored copy ignores case.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes = b""

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", _Fields(self.headers))


@dataclass(frozen=True)
class VerifiedSignature:
    """Who signed a request and what the signature vouches for."""

    key_id: str
    scheme: Literal["cavage", "rfc9421"]
    algorithm: str
    """What was checked, by its RFC 9421 name: rsa-v1_5-sha256, rsa-pss-sha512 or ed25519."""
    covered: tuple[str, ...]
    """Signed header names (cavage) or component identifiers (RFC 9421), in signed order."""



def digest_header(body: bytes) -> str:
    """The ``Digest`` value (RFC 3230) that draft-cavage signatures cover: ``SHA-256=<base64>``."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def content_digest_header(body: bytes) -> str:
    """The RFC 9530 ``Content-Digest`` value: ``sha-256=:<base64>:``, the one Mastodon checks."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def _has_body(req: SignedRequest) -> bool:
    return bool(req.body) or req.method.upper() in {"POST", "PUT", "PATCH"}


def _check_length(header: str, value: str) -> None:
    if len(value) > MAX_FIELD_LENGTH:
        raise SignatureError(f"the {header} header is longer than {MAX_FIELD_LENGTH} characters")


def _check_fresh(moment: float, now: float, what: str) -> None:
    if moment > now + MAX_CLOCK_SKEW:
        raise SignatureError(f"the signature's {what} is more than {MAX_CLOCK_SKEW} s in the future")
    if moment < now - MAX_CLOCK_SKEW:
        raise SignatureError(f"the signature's {what} is more than {MAX_CLOCK_SKEW} s old")


def _check_expires(expires: float | None, now: float) -> None:
    if expires is not None and expires < now:
        raise SignatureError("the signature has expired")


def _field(req: SignedRequest, name: str) -> str:
    """A covered header's value; a line break in it could forge extra lines of the signed text."""
    value = req.headers.get(name)
    if value is None:
        raise SignatureError(f"the signature covers the {name} header, which the request lacks")
    if "\n" in value or "\r" in value:
        raise SignatureError(f"the {name} header contains a line break")
    return value


_DIGESTS: dict[str, Callable[[bytes], hashlib._Hash]] = {
    "sha-256": hashlib.sha256,
    "sha-512": hashlib.sha512,
}


def _check_body_digests(header: str, digests: Mapping[str, bytes], body: bytes) -> None:
    """Every digest we can compute must match the body, and at least one must be offered."""
    if not digests:
        raise SignatureError(f"the {header} header offers no SHA-256 or SHA-512 digest")
    for algorithm, digest in digests.items():
        if digest != _DIGESTS[algorithm](body).digest():
            raise SignatureError(f"the {header} header's {algorithm} does not match the body")


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise SignatureError(f"the {what} is not valid base64") from None


def _encode(text: str) -> bytes:
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raise SignatureError("the signed headers cannot be encoded as bytes") from None


@lru_cache(maxsize=256)  # an inbox's URL, and the few hosts signed for it, over and over
def _split_url(url: str) -> SplitResult:
    try:
        return urlsplit(url)
    except ValueError:
        raise SignatureError("the request URL cannot be parsed") from None


_DEFAULT_PORTS = {"http": 80, "https": 443}


@lru_cache(maxsize=256)
def _authority(parts: SplitResult) -> str:
    """host[:port] normalised as RFC 9421 §2.2.3 asks: lower case, default port left out."""
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise SignatureError("the request URL has an invalid port") from None
    if not host:
        raise SignatureError("the request URL has no host")
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        return f"{host}:{port}"
    return host


# --- keys and algorithms ----------------------------------------------------------------------

_ALGORITHMS = frozenset({"rsa-v1_5-sha256", "rsa-pss-sha512", "ed25519"})
_PSS_SHA512 = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)  # RFC 9421 §3.3.1


@lru_cache(maxsize=1024)
def _load_public_key(pem: str) -> PublicKey:
    """Parse a publicKeyPem once; SubjectPublicKeyInfo and PKCS#1 "RSA PUBLIC KEY" both work."""
    try:
        key = serialization.load_pem_public_key(pem.strip().encode())
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise SignatureError("the signer's public key is not a PEM public key we can read") from None
    if not isinstance(key, (rsa.RSAPublicKey, ed25519.Ed25519PublicKey)):
        raise SignatureError("the signer's public key is neither RSA nor Ed25519")
    return key


@lru_cache(maxsize=1024)  # parsing a PEM takes tens of ms: one per member posting at the same time
def _load_private_key(pem: str) -> PrivateKey:
    key = serialization.load_pem_private_key(pem.strip().encode(), password=None)
    if not isinstance(key, (rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)):
        raise ValueError("only RSA and Ed25519 private keys can sign")
    return key


def _algorithm_for(key: PublicKey, declared: str | None) -> str:
    """The algorithm to verify with. Undeclared, an RSA key means PKCS#1 v1.5 with SHA-256,
    which is what every fediverse server signs with, and an Ed25519 key means Ed25519."""
    is_rsa = isinstance(key, rsa.RSAPublicKey)
    if declared is None:
        return "rsa-v1_5-sha256" if is_rsa else "ed25519"
    if declared not in _ALGORITHMS:
        raise SignatureError(
            f"unsupported signature algorithm {declared[:40]!r}: "
            "rsa-v1_5-sha256, rsa-pss-sha512 and ed25519 are accepted"
        )
    if (declared != "ed25519") != is_rsa:
        kind = "RSA" if is_rsa else "Ed25519"
        raise SignatureError(f"the signature's algorithm {declared} does not fit the signer's {kind} key")
    return declared


def _verify_bytes(key: PublicKey, algorithm: str, signature: bytes, message: bytes) -> bool:
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, message)
        elif algorithm == "rsa-pss-sha512":
            key.verify(signature, message, _PSS_SHA512, hashes.SHA512())
        else:
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def _sign_bytes(key: PrivateKey, message: bytes) -> bytes:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(message)
    return key.sign(message, padding.PKCS1v15(), hashes.SHA256())


# --- outgoing ---------------------------------------------------------------------------------


def _now(now: float | None) -> float:
    return time.time() if now is None else now


def _outgoing_url(url: str) -> SplitResult:
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"cannot sign a request to {url!r}: it is not an absolute http(s) URL")
    return parts


def _without(headers: Mapping[str, str], names: set[str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name.lower() not in names}


def _require_content_type(headers: Mapping[str, str]) -> None:
    if "content-type" not in _Fields(headers):
        raise ValueError("a signed request with a body needs a Content-Type header")


def _quotable(key_id: str) -> str:
    if '"' in key_id or "\\" in key_id or not (key_id.isascii() and key_id.isprintable()):
        raise ValueError(f"key id {key_id!r} cannot go in a quoted string")
    return key_id
