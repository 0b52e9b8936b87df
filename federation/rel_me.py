"""Profile links verified as Mastodon verifies them: the linked page, fetched through the egress
gate, links back to the member's profile with rel="me" (an <a> or a <link>)."""

from __future__ import annotations

import dataclasses
import logging
from html.parser import HTMLParser

from federation.egress import EgressError, fetch
from federation.runtime import Federation

log = logging.getLogger(__name__)
MAX_PAGE = 1024 * 1024
TIMEOUT = 5.0  # seconds per linked page: a member waits for this when saving their profile


class _RelMe(HTMLParser):
    """The hrefs of every <a> and <link> whose rel includes "me"."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("a", "link"):
            return
        found = dict(attrs)
        if "me" in (found.get("rel") or "").lower().split() and found.get("href"):
            self.hrefs.append(found["href"].strip())


def _same(a: str, b: str) -> bool:
    return a.rstrip("/").lower() == b.rstrip("/").lower()


async def links_back(fed: Federation, page_url: str, profile_urls: list[str]) -> bool:
    """Whether the page at `page_url` has a rel="me" link to one of `profile_urls`."""
    policy = dataclasses.replace(fed.policy, max_bytes=MAX_PAGE, total_timeout=TIMEOUT, read_timeout=TIMEOUT)
    try:
        response = await fetch(fed.session, policy, "GET", page_url, headers={"Accept": "text/html"})
    except EgressError as exc:
        log.info("profile link %s not verified: %s", page_url, exc)
        return False
    if response.status != 200 or "html" not in response.headers.get("Content-Type", "text/html").lower():
        return False
    parser = _RelMe()
    parser.feed(response.body.decode("utf-8", errors="replace"))
    return any(_same(href, target) for href in parser.hrefs for target in profile_urls)
