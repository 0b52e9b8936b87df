"""RFC 9421 HTTP Message Signatures (``Signature-Input`` + ``Signature``), the body pinned by an
RFC 9530 ``Content-Digest``, which recent Mastodon verifies and newer servers send."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.utils import formatdate
from urllib.parse import SplitResult, parse_qsl, quote_plus

from http_sfv.dictionary import Dictionary
from http_sfv.item import AllItemType, InnerList, Item

from federation.httpsig.common import (
    _DIGESTS,
    MAX_COMPONENTS,
    PublicKey,
    SignatureError,
    SignedRequest,
    VerifiedSignature,
    _algorithm_for,
    _authority,
    _check_body_digests,
    _check_expires,
    _check_fresh,
    _check_length,
    _encode,
    _field,
    _has_body,
    _load_private_key,
    _now,
    _outgoing_url,
    _require_content_type,
    _sign_bytes,
    _split_url,
    _verify_bytes,
    _without,
    content_digest_header,
)


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


