"""Plain text as members type it -> safe HTML with links, #hashtags and @mentions."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from server.text.sanitize import sanitize_html

# One pattern, tried left to right, so a URL's "#fragment" is never taken for a hashtag.
_TOKEN = re.compile(
    r"(?P<url>https?://[^\s<>\"']+)"
    r"|(?<![\w/@#])@(?P<user>[A-Za-z0-9_]{1,30})(?:@(?P<domain>[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?))?"
    r"|(?<![\w/&#])#(?P<tag>\w*[^\W\d]\w*)"
)
_TRAILING = ".,;:!?)]}'\""
MAX_TAG_LENGTH = 100


@dataclass(frozen=True)
class Mention:
    username: str
    domain: str | None  # None: written without a domain

    def key(self) -> tuple[str, str | None]:
        return self.username.lower(), self.domain.lower() if self.domain else None


@dataclass(frozen=True)
class Parsed:
    mentions: list[Mention]
    tags: list[str]


def _trim_url(url: str) -> tuple[str, str]:
    """Split trailing punctuation off a URL, keeping balanced closing parentheses."""
    end = len(url)
    while end and url[end - 1] in _TRAILING:
        if url[end - 1] == ")" and url[:end].count("(") >= url[:end].count(")"):
            break
        end -= 1
    return url[:end], url[end:]


def parse(text: str) -> Parsed:
    """The mentions and hashtags a text contains, each once, in order of appearance."""
    mentions: dict[tuple[str, str | None], Mention] = {}
    tags: dict[str, str] = {}
    for m in _TOKEN.finditer(text):
        if m.group("user"):
            mention = Mention(m.group("user"), m.group("domain"))
            mentions.setdefault(mention.key(), mention)
        elif m.group("tag") and len(m.group("tag")) <= MAX_TAG_LENGTH:
            tags.setdefault(m.group("tag").lower(), m.group("tag"))
    return Parsed(list(mentions.values()), list(tags.values()))


def to_html(
    text: str,
    *,
    mention_url: Callable[[Mention], str | None],
    tag_url: Callable[[str], str],
) -> str:
    """Paragraphs on blank lines, <br> on single line breaks, links for URLs, known mentions and tags."""

    def link(match: re.Match[str]) -> str:
        if match.group("url"):
            url, rest = _trim_url(match.group("url"))
            shown = html.escape(url.split("://", 1)[1])
            return f'<a href="{html.escape(url)}">{shown}</a>{html.escape(rest)}'
        if match.group("user"):
            mention = Mention(match.group("user"), match.group("domain"))
            url = mention_url(mention)
            if url is None:
                return html.escape(match.group(0))
            return (
                f'<span class="h-card"><a href="{html.escape(url)}" class="u-url mention">'
                f"@<span>{html.escape(mention.username)}</span></a></span>"
            )
        tag = match.group("tag")
        if len(tag) > MAX_TAG_LENGTH:
            return html.escape(match.group(0))
        return f'<a href="{html.escape(tag_url(tag))}" class="mention hashtag">#<span>{html.escape(tag)}</span></a>'

    def inline(line: str) -> str:
        out, pos = [], 0
        for m in _TOKEN.finditer(line):
            out.append(html.escape(line[pos : m.start()]))
            out.append(link(m))
            pos = m.end()
        out.append(html.escape(line[pos:]))
        return "".join(out)

    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    body = "".join("<p>" + "<br>".join(inline(line) for line in p.split("\n")) + "</p>" for p in paragraphs)
    return sanitize_html(body)
