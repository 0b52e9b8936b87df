"""What software each peer runs, from its NodeInfo (https://nodeinfo.diaspora.software/), for the
admins' federation page: `/.well-known/nodeinfo` names the document, which names the software.
Fetched through the egress gate like everything remote, a few hosts at a time, once a week each."""

from __future__ import annotations

import logging
import re

from federation.egress import EgressError, fetch_json
from federation.runtime import Federation
from server.store import hosts as hosts_store

log = logging.getLogger(__name__)
SCHEMA = re.compile(r"^https?://nodeinfo\.diaspora\.software/ns/schema/2\.[0-9]+$")
JSON_TYPES = ("application/json", "application/jrd+json")  # a `profile` parameter is ignored
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,49}$")
PER_RUN = 5


async def software_of(fed: Federation, host: str) -> tuple[str | None, str | None]:
    """(name, version) the host's NodeInfo gives, or (None, None) when it has none we can read."""
    scheme = "http" if fed.policy.allow_http and fed.policy.allows_private(host.split(":")[0]) else "https"
    try:
        links = (await fetch_json(fed.session, fed.policy, f"{scheme}://{host}/.well-known/nodeinfo",
                                  accept=JSON_TYPES, max_depth=8)).data
        hrefs = sorted((link.get("rel", ""), link.get("href")) for link in links.get("links", [])
                       if isinstance(link, dict) and SCHEMA.match(str(link.get("rel", "")))
                       and isinstance(link.get("href"), str))
        if not hrefs:
            return None, None
        doc = (await fetch_json(fed.session, fed.policy, hrefs[-1][1], accept=JSON_TYPES, max_depth=16)).data
    except (EgressError, AttributeError) as exc:
        log.info("nodeinfo of %s not read: %s", host, exc)
        return None, None
    software = doc.get("software") if isinstance(doc, dict) else None
    name = str(software.get("name", "")).lower() if isinstance(software, dict) else ""
    version = str(software.get("version", ""))[:100].strip() if isinstance(software, dict) else ""
    return (name, version or None) if NAME.match(name) else (None, None)


async def refresh_some(fed: Federation) -> int:
    """Ask a few hosts not asked for a week; how many were asked."""
    hosts = await hosts_store.needing_nodeinfo(fed.pool, PER_RUN)
    for host in hosts:
        await hosts_store.set_software(fed.pool, host, *await software_of(fed, host))
    return len(hosts)
