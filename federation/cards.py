"""Link preview cards: the first link of a post (not a mention or a hashtag) is fetched through the
egress gate, bounded in size and time; its OpenGraph or Twitter meta tags (or its <title>) give a
title and a description, kept as plain text, and the URL of an image that is shown only through
the media cache. No iframe, script or rich HTML is ever kept."""

from __future__ import annotations

import dataclasses
import logging
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from federation import queue
from federation.egress import EgressError, fetch
from federation.runtime import Federation
from server.store import cards as cards_store

log = logging.getLogger(__name__)
MAX_PAGE = 1024 * 1024
TIMEOUT = 5.0
MAX_TITLE = 200
MAX_DESCRIPTION = 400
MAX_ATTEMPTS = 3


class _Links(HTMLParser):
    """The hrefs of a post's links that are neither mentions nor hashtags, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            return
        found = dict(attrs)
        classes = (found.get("class") or "").split()
        href = (found.get("href") or "").strip()
        if "mention" not in classes and "hashtag" not in classes and href.startswith(("https://", "http://")):
            self.found.append(href)


def first_link(content_html: str) -> str | None:
    parser = _Links()
    parser.feed(content_html)
    return parser.found[0][:2000] if parser.found else None


async def want_card(conn: Any, status_id: int, content_html: str) -> None:
    """Queue the card of a new post's first link (in the post's transaction), if it has one."""
    link = first_link(content_html)
    if link is not None:
        await cards_store.want(conn, status_id, link)
        await queue.notify(conn, "card_fetches")


class _Meta(HTMLParser):
    """A page's <title> and the content of its meta tags, by property or name (lower-cased)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "meta":
            key = (found.get("property") or found.get("name") or "").lower()
            if key and found.get("content") and key not in self.meta:
                self.meta[key] = found["content"]
        self._in_title = tag == "title" and not self.title

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def _plain(text: str, limit: int) -> str:
    return " ".join(text.split())[:limit]


@dataclasses.dataclass(frozen=True)
class Found:
    title: str
    description: str
    provider: str
    image_url: str | None


def read_card(html_text: str, final_url: str) -> Found | None:
    """What a card shows, from a page's HTML; None when the page names no title at all."""
    parser = _Meta()
    parser.feed(html_text)
    meta = parser.meta
    title = _plain(meta.get("og:title") or meta.get("twitter:title") or parser.title, MAX_TITLE)
    if not title:
        return None
    description = _plain(meta.get("og:description") or meta.get("twitter:description") or meta.get("description", ""),
                         MAX_DESCRIPTION)
    image = meta.get("og:image") or meta.get("twitter:image")
    image = urljoin(final_url, image.strip()) if image else None
    if image and not image.startswith(("https://", "http://")):
        image = None
    provider = _plain(meta.get("og:site_name") or urlsplit(final_url).hostname or "", 100)
    return Found(title, description, provider, image[:2000] if image else None)


async def fetch_card(fed: Federation, url: str) -> Found | None:
    policy = dataclasses.replace(fed.policy, max_bytes=MAX_PAGE, total_timeout=TIMEOUT, read_timeout=TIMEOUT)
    response = await fetch(fed.session, policy, "GET", url, headers={"Accept": "text/html"})
    kind = response.headers.get("Content-Type", "").lower()
    if response.status != 200 or "html" not in kind:
        return None
    return read_card(response.body.decode("utf-8", errors="replace"), response.url)


class CardRunner:
    """Fetches the cards posts are waiting for (each URL once: a known card is shared)."""

    def __init__(self, fed: Federation) -> None:
        self.fed = fed

    async def run_once(self, limit: int = 10) -> int:
        pool = self.fed.pool
        jobs = await queue.claim(pool, "card_fetches", "status_id, url, created_at", limit)
        for job in jobs:
            url = job.row["url"]
            try:
                card_id = await cards_store.known(pool, url)
                if card_id is None:
                    found = await fetch_card(self.fed, url)
                    if found is None:
                        await queue.dead(pool, "card_fetches", job.id, "no card: not an HTML page with a title")
                        continue
                    card_id = await cards_store.save(pool, url, found.title, found.description, found.provider,
                                                     found.image_url)
                await cards_store.attach(pool, job.row["status_id"], card_id)
            except EgressError as exc:
                if job.attempts >= MAX_ATTEMPTS:
                    await queue.dead(pool, "card_fetches", job.id, str(exc))
                else:
                    await queue.retry(pool, "card_fetches", job.id, str(exc), queue.backoff(job.attempts),
                                      created_column="created_at")
            else:
                await queue.done(pool, "card_fetches", job.id)
        return len(jobs)
