"""JSON-LD processing with bundled contexts: a context URL is never fetched at runtime.

Fetching contexts would hand every remote document a way to make us issue requests (and to
stall on w3.org or purl.archive.org outages), so `document_loader` serves the copies in
`contexts/` and treats any other context URL as empty, as many fediverse servers do: the
fediverse names odd contexts, and refusing those documents outright would lose real posts.

pyld is slow (milliseconds per document, more for large ones) and recursive, so keep it off hot
paths: read ordinary AS2 keys directly, and use `compact_as2` for documents that spell terms
unusually (full IRIs, `as:` prefixes, unfamiliar contexts) and in tests. Give it only documents
already parsed through the egress gate's size and depth limits.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger("kith.jsonld")

CONTEXTS_DIR = Path(__file__).with_name("contexts")
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

# Context URL (https, no fragment) -> bundled copy, and where that copy was taken from.
BUNDLED: dict[str, str] = {
    # w3c/activitystreams ns/activitystreams.jsonld
    AS_CONTEXT: "activitystreams.jsonld",
    # w3c-ccg/security-vocab contexts/security-v1.jsonld
    SECURITY_CONTEXT: "security-v1.jsonld",
    # w3c/vc-data-integrity contexts/data-integrity/v1
    "https://w3id.org/security/data-integrity/v1": "data-integrity-v1.jsonld",
    # w3c/vc-data-integrity contexts/multikey/v1
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
    # web-payments/web-payments.org contexts/identity-v1.jsonld (Mastodon's LD-signature context)
    "https://w3id.org/identity/v1": "identity-v1.jsonld",
    # w3c/did-spec-registries vocabs/v1/context.jsonld
    "https://www.w3.org/ns/did/v1": "did-v1.jsonld",
    # FEP-2c59; fedify-dev/fedify packages/vocab-runtime/src/contexts/webfinger.json
    "https://purl.archive.org/socialweb/webfinger": "webfinger.jsonld",
    # swicg/miscellany miscellany.jsonld (every version URL serves 1.0.0 so far)
    "https://purl.archive.org/miscellany": "miscellany.jsonld",
    "https://purl.archive.org/miscellany/1": "miscellany.jsonld",
    "https://purl.archive.org/miscellany/1.0": "miscellany.jsonld",
    "https://purl.archive.org/miscellany/1.0.0": "miscellany.jsonld",
    # fedify-dev/fedify packages/vocab-runtime/src/contexts/gotosocial.json
    "https://gotosocial.org/ns": "gotosocial.jsonld",
    # LemmyNet/joinlemmy-site src/assets/lemmy_federation_context.json
    "https://join-lemmy.org/context.json": "lemmy.jsonld",
    # Mastodon has never served this URL (its terms are always inline), but some servers name
    # it; fedify-dev/fedify packages/vocab-runtime/src/contexts/joinmastodon.json
    "https://joinmastodon.org/ns": "joinmastodon.jsonld",
}
# Pleroma and Akkoma serve their context from every instance; one copy stands for all
# (Akkoma's: blacklight/akkoma priv/static/schemas/litepub-0.1.jsonld).
LITEPUB_SUFFIX = "/schemas/litepub-0.1.jsonld"
LITEPUB_FILE = "litepub-0.1.jsonld"

# What `compact_as2` compacts to: AS2, the security vocabulary (publicKey ...), and the
# extension terms Mastodon defines inline, so these come out under their usual names.
AS2_CONTEXT: list[Any] = [
    AS_CONTEXT,
    SECURITY_CONTEXT,
    {
        "toot": "http://joinmastodon.org/ns#",
        "schema": "http://schema.org#",
        "ostatus": "http://ostatus.org#",
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "sensitive": "as:sensitive",
        "Hashtag": "as:Hashtag",
        "movedTo": {"@id": "as:movedTo", "@type": "@id"},
        "quoteUrl": "as:quoteUrl",
        "featured": {"@id": "toot:featured", "@type": "@id"},
        "featuredTags": {"@id": "toot:featuredTags", "@type": "@id"},
        "discoverable": "toot:discoverable",
        "indexable": "toot:indexable",
        "memorial": "toot:memorial",
        "suspended": "toot:suspended",
        "attributionDomains": {"@id": "toot:attributionDomains", "@type": "@id"},
        "Emoji": "toot:Emoji",
        "blurhash": "toot:blurhash",
        "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
        "votersCount": "toot:votersCount",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
        "atomUri": "ostatus:atomUri",
        "inReplyToAtomUri": "ostatus:inReplyToAtomUri",
        "conversation": "ostatus:conversation",
    },
]
ADDRESSING = ("to", "cc", "bto", "bcc", "audience")
# How compaction spells the public collection in an `@id`-typed property, and how some send it.
PUBLIC_ALIASES = frozenset({"as:Public", "Public"})


class InvalidJsonLd(ValueError):
    """The document cannot be processed as JSON-LD (bad context, protected-term clash, ...)."""


def bundled_file(url: str) -> str | None:
    """The bundled file standing for context `url`, or None if we have no copy."""
    key = url.split("#", 1)[0]
    if key.startswith("http://"):
        key = "https://" + key.removeprefix("http://")
    if key.endswith(LITEPUB_SUFFIX):
        return LITEPUB_FILE
    return BUNDLED.get(key)


@functools.cache
def _read_context(filename: str) -> dict[str, Any]:
    return json.loads((CONTEXTS_DIR / filename).read_text(encoding="utf-8"))


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld's documentLoader: a bundled copy, or an empty context for any unknown URL."""
    filename = bundled_file(url)
    if filename is None:
        log.debug("jsonld_unknown_context url=%s (treated as empty)", url)
        return {"contextUrl": None, "documentUrl": url, "document": {"@context": {}}}
    # "static" lets pyld keep the processed context for the life of the process.
    document = copy.deepcopy(_read_context(filename))
    return {"contextUrl": None, "documentUrl": url, "document": document, "tag": "static"}


def _options() -> dict[str, Any]:
    # base None keeps relative IRIs relative; pyld's default would resolve them against its
    # placeholder http://example.org/base/, inventing a host that origin checks could trust.
    return {"documentLoader": document_loader, "base": None}


def expand(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The expanded form of `doc` (full IRIs, every value in a list)."""
    from pyld import jsonld  # here, not at the top: pyld brings requests and lxml, 11 MiB a process

    try:
        return jsonld.expand(doc, _options())
    except (jsonld.JsonLdError, RecursionError) as exc:
        raise InvalidJsonLd(_describe(exc)) from exc


def compact_as2(doc: dict[str, Any]) -> dict[str, Any]:
    """`doc` compacted to `AS2_CONTEXT`: the plain AS2 terms whatever names the sender used.

    Full IRIs, `as:`-prefixed terms and types (`"type": "as:Note"`) become `content`, `Note` ...;
    the public collection is always spelled out as `PUBLIC` in addressing. Single-item arrays
    become plain values, as JSON-LD compaction does; read both forms.
    """
    from pyld import jsonld

    try:
        compacted = jsonld.compact(doc, AS2_CONTEXT, _options())
    except (jsonld.JsonLdError, RecursionError) as exc:
        raise InvalidJsonLd(_describe(exc)) from exc
    return _spell_out_public(compacted)


def _spell_out_public(node: Any) -> Any:
    """Replace `as:Public`/`Public` in addressing properties, at every level, with `PUBLIC`."""
    if isinstance(node, list):
        return [_spell_out_public(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {key: _spell_out_public(value) for key, value in node.items()}
    for key in ADDRESSING:
        value = result.get(key)
        if isinstance(value, list):
            result[key] = [_public(item) for item in value]
        elif value is not None:
            result[key] = _public(value)
    return result


def _public(value: Any) -> Any:
    return PUBLIC if isinstance(value, str) and value in PUBLIC_ALIASES else value


def _describe(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "document nested too deeply"
    code = getattr(exc, "code", None)
    return f"{exc.args[0] if exc.args else exc}" + (f" ({code})" if code else "")
