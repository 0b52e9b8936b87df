"""The sanitiser's link check: text that names another host than the link shows the real one."""

import pytest

from server.text.sanitize import sanitize_html

PHISH = '<a href="https://evil.example/phish">https://bank.example</a>'


def test_a_link_dressed_as_another_host_shows_where_it_goes():
    assert sanitize_html(PHISH) == (
        '<a href="https://evil.example/phish" rel="nofollow noopener">https://bank.example (evil.example)</a>')


@pytest.mark.parametrize("fragment", [
    # Mastodon's shortened link: the text is the URL across three spans
    '<a href="https://example.com/very/long/path" rel="nofollow noopener noreferrer" target="_blank">'
    '<span class="invisible">https://</span><span class="ellipsis">example.com/very/long</span>'
    '<span class="invisible">path</span></a>',
    # Mastodon and GoToSocial mentions and hashtags
    '<span class="h-card"><a href="https://mastodon.example/@bob" class="u-url mention">@<span>bob</span></a></span>',
    '<a href="https://mastodon.example/tags/cats" class="mention hashtag" rel="tag">#<span>cats</span></a>',
    # Misskey names the handle's domain, which may differ from where the profile lives
    '<a href="https://social.misskey.example/@bob" class="u-url mention">@bob@misskey.example</a>',
    '<a href="https://www.bank.example/login">bank.example</a>',
    '<a href="https://login.bank.example/">https://bank.example</a>',
    '<a href="https://xn--bnk-qla.example/">bänk.example</a>',
    '<a href="https://evil.example/">read this</a>',
])
def test_honest_links_are_left_alone(fragment):
    assert " (" not in sanitize_html(fragment)


@pytest.mark.parametrize(("fragment", "shown"), [
    ('<a href="https://bänk.example/">bank.example</a>', "bank.example (xn--bnk-qla.example)"),
    ('<a href="https://EVIL.example/x">Log in at <b>bank.example</b></a>',
     "Log in at <b>bank.example</b> (evil.example)"),
    # a label the sender wrote counts only if it names the real host
    ('<a href="https://evil.example/">https://bank.example (bank.example)</a>',
     "https://bank.example (bank.example) (evil.example)"),
    ('<a href="https://evil.example/">www.bank.example</a>', "www.bank.example (evil.example)"),
    # a '>' in an attribute does not hide the link from the check
    ('<a href="https://evil.example/?x=>" title="a>b">https://bank.example</a>', "https://bank.example (evil.example)"),
])
def test_misleading_variants(fragment, shown):
    assert f">{shown}</a>" in sanitize_html(fragment)


def test_sanitising_twice_reveals_once():
    once = sanitize_html(PHISH)
    assert sanitize_html(once) == once
