from server.text.plaintext import Mention, parse, to_html


def render(text: str) -> str:
    return to_html(
        text,
        mention_url=lambda m: f"https://kith.test/@{m.username}" if m.domain is None else None,
        tag_url=lambda t: f"https://kith.test/tags/{t.lower()}",
    )


def test_parse_finds_each_mention_and_tag_once():
    parsed = parse("@bob hi @Bob and @carol@Remote.example #Tag #tag #123 https://x.example/#frag a@b.c")
    assert parsed.mentions == [Mention("bob", None), Mention("carol", "Remote.example")]
    assert parsed.tags == ["Tag"]


def test_links_keep_balanced_parentheses_and_drop_trailing_punctuation():
    html = render("see https://en.wikipedia.org/wiki/Foo_(bar). and (https://x.example/a)")
    assert 'href="https://en.wikipedia.org/wiki/Foo_(bar)"' in html
    assert 'href="https://x.example/a"' in html
    assert 'rel="nofollow noopener"' in html


def test_paragraphs_and_line_breaks():
    assert render("one\ntwo\n\n\nthree") == "<p>one<br>two</p><p>three</p>"


def test_known_mentions_link_unknown_stay_text():
    html = render("hi @alice and @ghost@elsewhere.example")
    assert ('<a href="https://kith.test/@alice" class="u-url mention" rel="nofollow noopener">@<span>alice</span></a>'
            in html)
    assert "@ghost@elsewhere.example" in html and "ghost</span>" not in html


def test_everything_else_is_escaped():
    html = render('<a href="javascript:alert(1)">x</a> & <b>bold</b> javascript:alert(1)')
    assert "<a href=\"javascript" not in html and "<b>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
