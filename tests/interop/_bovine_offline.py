"""Keep bovine's JSON-LD processing off the network (runs inside the bovine venv).

bovine resolves JSON-LD contexts through pyld with its own document loader: the bovine and
ActivityStreams contexts are built in, anything else is fetched with `requests` (and, when that
fails, replaced by an empty context and remembered in `bovine_jsonld_cache.sqlite` in the working
directory). Offline that fetch would still send DNS queries off the machine, so this loader answers
from bovine's cache (which the harness may pre-seed with real contexts, e.g. Kith's bundled
copies of https://w3id.org/security/v1) or bovine's built-ins, and otherwise gives the same
empty context bovine itself falls back to -- without touching the network.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("kith_interop.jsonld")


def install_offline_jsonld() -> None:
    import bovine.jsonld as bj
    from pyld import jsonld

    builtin = {bj.bovine_context_name, "https://www.w3.org/ns/activitystreams"}

    def loader(url, options=None, **kwargs):
        context = bj.jsonld_cache.retrieve(url)
        if context is None and (url in builtin or url.startswith("http://joinmastodon.org/ns")):
            return bj.wrapper(url, options, **kwargs)
        if context is None:
            logger.info("JSON-LD context %s not available offline; using an empty context", url)
            context = []
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": {"@context": context},
        }

    bj.wrapper_with_context = loader
    jsonld.set_document_loader(loader)
