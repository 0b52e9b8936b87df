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

import base64
import hashlib
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC
from email.utils import formatdate, parsedate_to_datetime
from functools import lru_cache
from typing import Literal, TypeAlias
from urllib.parse import SplitResult, parse_qsl, quote_plus, urlsplit

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from http_sfv.dictionary import Dictionary
from http_sfv.item import AllItemType, InnerList, Item

__all__ = [
    "MAX_CLOCK_SKEW",
    "MAX_COMPONENTS",
    "MAX_FIELD_LENGTH",
    "SignatureError",
    "SignedRequest",
    "VerifiedSignature",
    "content_digest_header",
    "digest_header",
    "key_id_of",
    "sign_cavage",
    "sign_rfc9421",
    "verify",
]

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


def digest_header(body: bytes) -> str:
    """The ``Digest`` value (RFC 3230) that draft-cavage signatures cover: ``SHA-256=<base64>``."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def content_digest_header(body: bytes) -> str:
    """The RFC 9530 ``Content-Digest`` value: ``sha-256=:<base64>:``, the one Mastodon checks."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def sign_cavage(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    key_id: str,
    private_key_pem: str,
    *,
    now: float | None = None,
) -> dict[str, str]:
    """All headers to send with an outgoing request, signed the way Mastodon signs.

    Covers ``(request-target) host date``, plus ``digest content-type`` when there is a body
    (``headers`` must then hold Content-Type) or ``accept`` on a bodiless request that sends one.
    The algorithm is ``rsa-sha256`` for an RSA key and ``hs2019`` for Ed25519. Host, Date, Digest
    and Signature are set here; the other given headers pass through unchanged.
    """
    parts = _outgoing_url(url)
    key = _load_private_key(private_key_pem)
    out = _without(headers, {"host", "date", "digest", "signature"})
    out["Host"] = _authority(parts)
    out["Date"] = formatdate(_now(now), usegmt=True)
    names = ["(request-target)", "host", "date"]
    if body is not None:
        _require_content_type(out)
        out["Digest"] = digest_header(body)
        names += ["digest", "content-type"]
    elif "accept" in _Fields(out):
        names.append("accept")
    request = SignedRequest(method, url, out, body or b"")
    message = _cavage_signing_string(request, names, _request_target(method, parts))
    algorithm = "rsa-sha256" if isinstance(key, rsa.RSAPrivateKey) else "hs2019"
    signature = base64.b64encode(_sign_bytes(key, message)).decode()
    out["Signature"] = (
        f'keyId="{_quotable(key_id)}",algorithm="{algorithm}",'
        f'headers="{" ".join(names)}",signature="{signature}"'
    )
    return out


def sign_rfc9421(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    key_id: str,
    private_key_pem: str,
    *,
    now: float | None = None,
) -> dict[str, str]:
    """All headers to send with an outgoing request, signed per RFC 9421 as Mastodon signs.

    Label ``sig1`` covers ``("@method" "@target-uri" "content-digest" "content-type")`` when there
    is a body (``headers`` must then hold Content-Type) and ``("@method" "@target-uri")`` without,
    with ``created`` and ``keyid`` parameters; no ``alg``, since verifiers infer it from the key
    (RSA: rsa-v1_5-sha256, Ed25519: ed25519). Host, Date, Content-Digest, Signature-Input and
    Signature are set here; the other given headers pass through unchanged.
    """
    parts = _outgoing_url(url)
    key = _load_private_key(private_key_pem)
    out = _without(headers, {"host", "date", "content-digest", "signature", "signature-input"})
    out["Host"] = _authority(parts)
    out["Date"] = formatdate(_now(now), usegmt=True)
    components = ["@method", "@target-uri"]
    if body is not None:
        _require_content_type(out)
        out["Content-Digest"] = content_digest_header(body)
        components += ["content-digest", "content-type"]
    spec = InnerList()
    for component in components:
        spec.append(component)
    spec.params["created"] = int(_now(now))
    spec.params["keyid"] = key_id
    signature_params = str(spec)
    request = SignedRequest(method, url, out, body or b"")
    base = _signature_base(request, parts, [_Component(name) for name in components], signature_params)
    out["Signature-Input"] = f"sig1={signature_params}"
    out["Signature"] = f"sig1={Item(_sign_bytes(key, base))}"
    return out


# --- shared checks ----------------------------------------------------------------------------


def _parse(req: SignedRequest) -> _CavageSignature | _MessageSignature:
    """Read whichever scheme signed ``req``: Signature-Input means RFC 9421, as for Mastodon."""
    if "signature-input" in req.headers:
        return _parse_rfc9421(req)
    value = req.headers.get("signature")
    if value is None:
        raise SignatureError("the request is not signed: it has no Signature header")
    return _parse_cavage(value)


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


def _split_url(url: str) -> SplitResult:
    try:
        return urlsplit(url)
    except ValueError:
        raise SignatureError("the request URL cannot be parsed") from None


_DEFAULT_PORTS = {"http": 80, "https": 443}


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


@lru_cache(maxsize=64)
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


# --- draft-cavage-http-signatures-12 ----------------------------------------------------------


@dataclass(frozen=True)
class _CavageSignature:
    key_id: str
    algorithm: str
    headers: tuple[str, ...]
    signature: bytes
    created: str | None
    expires: str | None


_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
# One RFC 7235 auth-param: name = token / quoted-string, then a comma or the end.
_AUTH_PARAM = re.compile(rf'[ \t]*({_TOKEN})[ \t]*=[ \t]*(?:"((?:[^"\\]|\\.)*)"|({_TOKEN}))[ \t]*(?:,|\Z)')
_QUOTED_PAIR = re.compile(r"\\(.)")
_UNIX_TIME = re.compile(r"\d{1,12}(?:\.\d{1,9})?\Z")


def _parse_auth_params(value: str) -> dict[str, str]:
    """Parameters in any order and spacing; a repeated one is refused, since servers disagree
    on whether the first or the last would count."""
    if not value.strip():
        raise SignatureError("the Signature header is empty")
    if value.rstrip(" \t").endswith(","):
        raise SignatureError("the Signature header ends with a comma")
    params: dict[str, str] = {}
    pos = 0
    while pos < len(value):
        match = _AUTH_PARAM.match(value, pos)
        if match is None:
            raise SignatureError(f"the Signature header is malformed near {value[pos:pos + 24]!r}")
        name, quoted, token = match.groups()
        if name.lower() in params:
            raise SignatureError(f"the Signature header repeats the {name} parameter")
        params[name.lower()] = token if quoted is None else _QUOTED_PAIR.sub(r"\1", quoted)
        pos = match.end()
    return params


def _parse_cavage(value: str) -> _CavageSignature:
    _check_length("Signature", value)
    # Old node-http-signature versions prefix the value with "Signature " (Mastodon skips it too).
    params = _parse_auth_params(value.removeprefix("Signature "))
    key_id, encoded = params.get("keyid"), params.get("signature")
    if not key_id:
        raise SignatureError("the Signature header has no keyId")
    if not encoded:
        raise SignatureError("the Signature header has no signature")
    algorithm = params.get("algorithm", "hs2019").lower()
    if algorithm != "rsa-sha256" and algorithm != "hs2019":
        raise SignatureError(
            f"unsupported signature algorithm {algorithm[:40]!r}: rsa-sha256 and hs2019 are accepted"
        )
    # draft-cavage-12 §2.1.6 defaults; Mastodon keeps "date" for rsa-sha256.
    headers = tuple(params.get("headers", "(created)" if algorithm == "hs2019" else "date").lower().split())
    if not headers:
        raise SignatureError("the Signature header's headers parameter is empty")
    if len(headers) > MAX_COMPONENTS:
        raise SignatureError(f"the signature covers more than {MAX_COMPONENTS} headers")
    for name in ("created", "expires"):
        if name in params and not _UNIX_TIME.match(params[name]):
            raise SignatureError(f"the Signature header's {name} is not a Unix time")
        if f"({name})" in headers and algorithm != "hs2019":
            raise SignatureError(f"({name}) may only be signed with algorithm hs2019")
    return _CavageSignature(
        key_id=key_id,
        algorithm=algorithm,
        headers=headers,
        signature=_b64decode(encoded, "signature"),
        created=params.get("created"),
        expires=params.get("expires"),
    )


def _request_target(method: str, parts: SplitResult, *, with_query: bool = True) -> str:
    target = parts.path or "/"
    if with_query and parts.query:
        target += "?" + parts.query
    return f"{method.lower()} {target}"


def _cavage_signing_string(
    req: SignedRequest,
    names: Iterable[str],
    request_target: str,
    created: str | None = None,
    expires: str | None = None,
) -> bytes:
    pseudo = {"(request-target)": request_target, "(created)": created, "(expires)": expires}
    lines = []
    for name in names:
        if name.startswith("("):
            value = pseudo.get(name)
            if value is None:
                raise SignatureError(f"the signature covers {name[:40]}, which has no value here")
        else:
            value = _field(req, name)
        lines.append(f"{name}: {value}")
    return _encode("\n".join(lines))


def _http_date(value: str) -> float:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        raise SignatureError(f"the Date header is not an HTTP date: {value[:40]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _digest_values(req: SignedRequest) -> dict[str, bytes]:
    """The SHA-256 and SHA-512 entries of an RFC 3230 Digest header (``SHA-256=<b64>, ...``)."""
    value = _field(req, "digest")
    _check_length("Digest", value)
    offered: dict[str, str] = {}
    for part in value.split(","):
        algorithm, equals, encoded = part.strip().partition("=")
        algorithm = algorithm.lower()
        if not equals or algorithm in offered:
            raise SignatureError("the Digest header is malformed")
        offered[algorithm] = encoded
    return {
        algorithm: _b64decode(offered[algorithm], f"Digest header's {algorithm}")
        for algorithm in _DIGESTS
        if algorithm in offered
    }


def _check_signed_host(req: SignedRequest) -> None:
    """The signed Host must be the host the request was sent to (``req.url``'s): a request signed
    for another server, captured there and replayed here, is refused. (RFC 9421's @authority and
    @target-uri are taken from ``req.url`` itself, so they cannot differ.)"""
    parts = _split_url(req.url)
    signed = _field(req, "host").strip()
    if _authority(_split_url(f"{parts.scheme}://{signed}/")) != _authority(parts):
        raise SignatureError(f"the signature is for the host {signed[:100]!r}, not this server")


def _verify_cavage(
    req: SignedRequest, sig: _CavageSignature, key: PublicKey, now: float
) -> VerifiedSignature:
    covered = set(sig.headers)
    if not covered & {"date", "(created)"}:
        raise SignatureError("the signature must cover the Date header or (created)")
    if "host" not in covered:
        raise SignatureError("the signature must cover the Host header")
    if _has_body(req) and "digest" not in covered:
        raise SignatureError("a request with a body must sign its Digest header")
    # Mastodon's rule: a signed Digest pins a POST; anything else needs its target signed.
    if not covered & {"(request-target)", "digest"}:
        raise SignatureError("the signature must cover (request-target)")
    _check_signed_host(req)
    if "date" in covered:
        _check_fresh(_http_date(_field(req, "date")), now, "Date")
    if "(created)" in covered and sig.created is not None:
        _check_fresh(float(sig.created), now, "created time")
    _check_expires(None if sig.expires is None else float(sig.expires), now)
    if "digest" in covered:
        _check_body_digests("Digest", _digest_values(req), req.body)
    # rsa-sha256 names its key type; hs2019 leaves it to the key (Mastodon: RSA -> PKCS#1 v1.5).
    algorithm = _algorithm_for(key, "rsa-v1_5-sha256" if sig.algorithm == "rsa-sha256" else None)

    parts = _split_url(req.url)
    targets = [_request_target(req.method, parts)]
    if "(request-target)" in covered and parts.query:
        # Mastodon long signed (request-target) without the query string, and still accepts
        # signatures made that way (SignedRequest::HttpSignature#verified?); so do we.
        targets.append(_request_target(req.method, parts, with_query=False))
    for target in targets:
        message = _cavage_signing_string(req, sig.headers, target, sig.created, sig.expires)
        if _verify_bytes(key, algorithm, sig.signature, message):
            return VerifiedSignature(sig.key_id, "cavage", algorithm, sig.headers)
    raise SignatureError(f"the signature does not match the request and the key {sig.key_id}")


# --- RFC 9421 HTTP Message Signatures ---------------------------------------------------------


@dataclass(frozen=True)
class _Component:
    """One covered component: a derived ``@name`` or a lower-case header field name."""

    name: str
    query_name: str | None = None  # the name parameter of "@query-param"

    @property
    def label(self) -> str:
        """As VerifiedSignature.covered lists it: @method, @query-param;name="q"."""
        return self.name + self._params

    @property
    def identifier(self) -> str:
        """As the signature base spells it: "@method", "@query-param";name="q"."""
        return f'"{self.name}"{self._params}'

    @property
    def _params(self) -> str:
        return "" if self.query_name is None else f";name={Item(self.query_name)}"


@dataclass(frozen=True)
class _MessageSignature:
    key_id: str
    components: tuple[_Component, ...]
    signature_params: str
    signature: bytes
    created: int
    expires: int | None
    alg: str | None


_DERIVED_COMPONENTS = frozenset(
    {"@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query", "@query-param"}
)
_FIELD_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9a-z-]+\Z")


class _RepeatedKey(ValueError):
    pass


class _UniqueKeyDictionary(Dictionary):
    """RFC 8941 lets a repeated key silently replace the first; for signatures we refuse it."""

    def __setitem__(self, key: str, value: AllItemType) -> None:
        if key in self.data:
            raise _RepeatedKey(key)
        super().__setitem__(key, value)


# Strings and byte sequences blanked out, a run of ";name[=value]" parameters belongs to one item.
_SF_OPAQUE = re.compile(r'"(?:[^"\\]|\\.)*"|:[A-Za-z0-9+/=]*:')
_SF_PARAM_RUN = re.compile(r"(?:;[ ]*[a-z*][a-z0-9_.*-]*(?:=[^;\s(),]*)?)+")
_SF_PARAM_NAME = re.compile(r";[ ]*([a-z*][a-z0-9_.*-]*)")


def _reject_repeated_params(header: str, value: str) -> None:
    """RFC 8941 lets a repeated parameter silently replace the first; refuse that too."""
    for run in _SF_PARAM_RUN.finditer(_SF_OPAQUE.sub('""', value)):
        names = _SF_PARAM_NAME.findall(run.group())
        for i, name in enumerate(names):
            if name in names[:i]:
                raise SignatureError(f"the {header} header repeats the parameter {name!r}")


def _sf_dictionary(req: SignedRequest, header: str) -> Dictionary:
    value = req.headers.get(header)
    if value is None:
        raise SignatureError(f"the {header} header is missing")
    _check_length(header, value)
    parsed = _UniqueKeyDictionary()
    try:
        parsed.parse(value.encode("ascii"))
    except UnicodeEncodeError:
        raise SignatureError(f"the {header} header is not ASCII") from None
    except ValueError as error:
        if isinstance(error.__cause__, _RepeatedKey):
            raise SignatureError(f"the {header} header repeats the key {error.__cause__}") from None
        raise SignatureError(f"the {header} header is not a valid RFC 8941 dictionary") from None
    _reject_repeated_params(header, value)
    return parsed


def _param(params: Mapping[str, object], name: str, kind: type[str] | type[int]) -> object:
    value = params.get(name)
    if value is not None and type(value) is not kind:  # not bool, Token or DisplayString
        noun = "a string" if kind is str else "an integer"
        raise SignatureError(f"the Signature-Input parameter {name} must be {noun}")
    return value


def _component(item: Item) -> _Component:
    name = item.value
    if type(name) is not str:
        raise SignatureError("Signature-Input components must be quoted strings")
    if name.startswith("@"):
        if name not in _DERIVED_COMPONENTS:
            raise SignatureError(f"unsupported derived component {name[:40]!r}")
    elif not _FIELD_NAME.match(name):
        raise SignatureError(f"the component {name[:40]!r} is not a lower-case header name")
    allowed = {"name"} if name == "@query-param" else set()
    for param in item.params:
        if param not in allowed:
            raise SignatureError(f"the component parameter {param!r} on {name!r} is not supported")
    if name != "@query-param":
        return _Component(name)
    query_name = item.params.get("name")
    if type(query_name) is not str:
        raise SignatureError('"@query-param" needs a name parameter')
    return _Component(name, query_name)


def _parse_rfc9421(req: SignedRequest) -> _MessageSignature:
    inputs = _sf_dictionary(req, "Signature-Input")
    signatures = _sf_dictionary(req, "Signature")
    # The first signature is the one checked; later labels (say, a proxy's) are left alone.
    label, spec = next(iter(inputs.items()))
    if not isinstance(spec, InnerList):
        raise SignatureError(f"Signature-Input {label} is not a list of components")
    value = signatures.get(label)
    if value is None:
        raise SignatureError(f"the Signature header has no {label} entry")
    if not isinstance(value, Item) or type(value.value) is not bytes:
        raise SignatureError(f"Signature {label} is not a byte sequence")
    if len(spec) > MAX_COMPONENTS:
        raise SignatureError(f"the signature covers more than {MAX_COMPONENTS} components")
    components = tuple(_component(item) for item in spec)
    for i, component in enumerate(components):
        if component in components[:i]:
            raise SignatureError(f"the signature covers {component.identifier} twice")
    key_id = _param(spec.params, "keyid", str)
    created = _param(spec.params, "created", int)
    expires = _param(spec.params, "expires", int)
    alg = _param(spec.params, "alg", str)
    _param(spec.params, "nonce", str)
    _param(spec.params, "tag", str)
    if not isinstance(key_id, str) or not key_id:
        raise SignatureError("the Signature-Input header has no keyid")
    if not isinstance(created, int):
        raise SignatureError("the Signature-Input header has no created time")
    return _MessageSignature(
        key_id=key_id,
        components=components,
        signature_params=str(spec),
        signature=value.value,
        created=created,
        expires=expires if isinstance(expires, int) else None,
        alg=alg if isinstance(alg, str) else None,
    )


def _form_encode(text: str) -> str:
    """WHATWG application/x-www-form-urlencoded serialising, as RFC 9421 §2.2.8 asks."""
    return quote_plus(text, safe="*").replace("~", "%7E")


def _query_param(query: str, name: str) -> str:
    values = [v for k, v in parse_qsl(query, keep_blank_values=True) if _form_encode(k) == name]
    if not values:
        raise SignatureError(f"the signature covers the query parameter {name[:40]!r}, which is absent")
    if len(values) > 1:
        raise SignatureError(f"the query parameter {name[:40]!r} is repeated, so cannot be signed alone")
    return _form_encode(values[0])


def _component_value(req: SignedRequest, parts: SplitResult, component: _Component) -> str:
    name = component.name
    path = parts.path or "/"
    if name == "@method":
        return req.method
    if name == "@target-uri":
        return req.url
    if name == "@authority":
        return _authority(parts)
    if name == "@scheme":
        return parts.scheme.lower()
    if name == "@path":
        return path
    if name == "@query":
        return "?" + parts.query
    if name == "@request-target":
        return path + ("?" + parts.query if parts.query else "")
    if component.query_name is not None:
        return _query_param(parts.query, component.query_name)
    return _field(req, name)


def _signature_base(
    req: SignedRequest, parts: SplitResult, components: Iterable[_Component], signature_params: str
) -> bytes:
    """RFC 9421 §2.5: one ``"identifier": value`` line per component, then @signature-params."""
    lines = [f"{c.identifier}: {_component_value(req, parts, c)}" for c in components]
    lines.append(f'"@signature-params": {signature_params}')
    return _encode("\n".join(lines))


def _covers_target(names: set[str]) -> bool:
    """Mastodon asks for @target-uri; @authority with the path and query says the same."""
    return "@target-uri" in names or (
        "@authority" in names and ("@request-target" in names or {"@path", "@query"} <= names)
    )


def _content_digest_values(req: SignedRequest) -> dict[str, bytes]:
    offered = _sf_dictionary(req, "Content-Digest")
    digests: dict[str, bytes] = {}
    for algorithm in _DIGESTS:
        member = offered.get(algorithm)
        if member is None:
            continue
        if not isinstance(member, Item) or type(member.value) is not bytes:
            raise SignatureError(f"the Content-Digest header's {algorithm} is not a byte sequence")
        digests[algorithm] = member.value
    return digests


def _verify_rfc9421(
    req: SignedRequest, sig: _MessageSignature, key: PublicKey, now: float
) -> VerifiedSignature:
    names = {component.name for component in sig.components}
    if "@method" not in names:
        raise SignatureError('the signature must cover "@method"')
    if not _covers_target(names):
        raise SignatureError(
            'the signature must cover "@target-uri" (or "@authority" with "@request-target", '
            'or with "@path" and "@query")'
        )
    if _has_body(req) and "content-digest" not in names:
        raise SignatureError("a request with a body must sign its Content-Digest header")
    _check_fresh(sig.created, now, "created time")
    _check_expires(sig.expires, now)
    if "content-digest" in names:
        _check_body_digests("Content-Digest", _content_digest_values(req), req.body)
    algorithm = _algorithm_for(key, sig.alg)
    base = _signature_base(req, _split_url(req.url), sig.components, sig.signature_params)
    if not _verify_bytes(key, algorithm, sig.signature, base):
        raise SignatureError(f"the signature does not match the request and the key {sig.key_id}")
    covered = tuple(component.label for component in sig.components)
    return VerifiedSignature(sig.key_id, "rfc9421", algorithm, covered)


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
