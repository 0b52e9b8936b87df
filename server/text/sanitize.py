"""The one HTML sanitiser (nh3/ammonia) every piece of user or remote HTML goes through.

nh3 loads with the first piece of HTML, not when Kith starts."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

# What Mastodon keeps of post HTML; everything else is stripped, and every link gets
# rel="nofollow noopener" so a post can neither lend rank nor reach window.opener.
_TAGS = {"p", "br", "a", "span", "del", "pre", "code", "em", "strong", "b", "i", "u", "ul", "ol", "li", "blockquote"}
_ATTRIBUTES = {"a": {"href", "class", "title"}, "span": {"class"}, "ol": {"start", "reversed"}, "li": {"value"}}
_SCHEMES = {"http", "https", "mailto"}


# nh3's output is normalised: double-quoted attributes and never an <a> inside another.
_ANCHOR = re.compile(r"<a\b((?:[^>\"]|\"[^\"]*\")*)>(.*?)</a>", re.DOTALL)
_HREF = re.compile(r'\bhref="([^"]*)"')
_TAG = re.compile(r"<[^>]*>")
# A host name written in link text, bare or as a URL; not the domain of a handle or an address (@…).
_WRITTEN_HOST = re.compile(r"(?<![\w@.-])(?:https?://)?((?:[\w-]+\.)+[^\W\d_]{2,63})(?![\w-])", re.IGNORECASE)


def sanitize_html(fragment: str) -> str:
    """Safe HTML: allowed tags only, http(s)/mailto links only, links marked nofollow noopener,
    and links whose text names another host than they lead to show where they really go."""
    import nh3

    cleaned = nh3.clean(
        fragment,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel="nofollow noopener",
        strip_comments=True,
    )
    return _ANCHOR.sub(_reveal_host, cleaned)


def _ascii_host(host: str) -> str:
    """A host as it is really reached: lower case, punycode for non-ASCII (so `bänk` cannot pass for `bank`)."""
    host = host.lower().rstrip(".")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _reveal_host(anchor: re.Match[str]) -> str:
    """`<a href="https://evil.example/x">https://bank.example</a>` -> `… https://bank.example (evil.example)</a>`.

    The real host goes inside the link, so sanitising twice adds it once; a label the sender wrote
    itself counts only when it names the real host. Subdomains of the written host (and `www.`) match.
    """
    attributes, inner = anchor.group(1), anchor.group(2)
    href = _HREF.search(attributes)
    real = urlsplit(html.unescape(href.group(1))).hostname if href else None
    if not real:
        return anchor.group(0)
    real = _ascii_host(real)
    real_key = real.removeprefix("www.")
    text = html.unescape(_TAG.sub("", inner)).strip()
    written = {_ascii_host(m.group(1)).removeprefix("www.") for m in _WRITTEN_HOST.finditer(text)}
    misleading = any(host != real_key and not real_key.endswith("." + host) for host in written)
    if not misleading or text.endswith(f"({real})"):
        return anchor.group(0)
    return f"<a{attributes}>{inner} ({html.escape(real)})</a>"


def strip_html(html: str) -> str:
    """Plain text of an HTML fragment, for names and summaries that must carry no markup."""
    import nh3

    return nh3.clean(html, tags=set(), attributes={})
