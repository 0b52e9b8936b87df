"""The one HTML sanitiser (nh3/ammonia) every piece of user or remote HTML goes through."""

from __future__ import annotations

import nh3

# What Mastodon keeps of post HTML; everything else is stripped, and every link gets
# rel="nofollow noopener" so a post can neither lend rank nor reach window.opener.
_TAGS = {"p", "br", "a", "span", "del", "pre", "code", "em", "strong", "b", "i", "u", "ul", "ol", "li", "blockquote"}
_ATTRIBUTES = {"a": {"href", "class", "title"}, "span": {"class"}, "ol": {"start", "reversed"}, "li": {"value"}}
_SCHEMES = {"http", "https", "mailto"}


def sanitize_html(html: str) -> str:
    """Safe HTML: allowed tags only, http(s)/mailto links only, links marked nofollow noopener."""
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel="nofollow noopener",
        strip_comments=True,
    )


def strip_html(html: str) -> str:
    """Plain text of an HTML fragment, for names and summaries that must carry no markup."""
    return nh3.clean(html, tags=set(), attributes={})
