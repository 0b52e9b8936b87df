"""draft-cavage-http-signatures-12: the ``Signature: keyId=...,headers=...,signature=...`` header
every ActivityPub server sends, in Mastodon's dialect (``rsa-sha256`` or ``hs2019``, the body
pinned by a ``Digest`` header)."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC
from email.utils import formatdate, parsedate_to_datetime
from functools import lru_cache
from urllib.parse import SplitResult

from cryptography.hazmat.primitives.asymmetric import rsa

from federation.httpsig.common import (
    _DIGESTS,
    MAX_COMPONENTS,
    PublicKey,
    SignatureError,
    SignedRequest,
    VerifiedSignature,
    _algorithm_for,
    _authority,
    _b64decode,
    _check_body_digests,
    _check_expires,
    _check_fresh,
    _check_length,
    _encode,
    _field,
    _Fields,
    _has_body,
    _load_private_key,
    _now,
    _outgoing_url,
    _quotable,
    _require_content_type,
    _sign_bytes,
    _split_url,
    _verify_bytes,
    _without,
    digest_header,
)


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
# The quoted string is matched run by run, not character by character: a signature is 344 of them.
_AUTH_PARAM = re.compile(rf'[ \t]*({_TOKEN})[ \t]*=[ \t]*(?:"([^"\\]*(?:\\.[^"\\]*)*)"|({_TOKEN}))[ \t]*(?:,|\Z)')
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
        if quoted is not None and "\\" in quoted:
            quoted = _QUOTED_PAIR.sub(r"\1", quoted)
        params[name.lower()] = token if quoted is None else quoted
        pos = match.end()
    return params


@lru_cache(maxsize=256)  # key_id_of() reads it to find the key, then verify() again: parse once
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


@lru_cache(maxsize=64)  # the requests of one second share their Date
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


