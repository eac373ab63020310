"""Telegram's HTML parse mode: what a chat shows for the bot's formatted text."""

from __future__ import annotations

import pytest

from bot.localapi.entities import format_text, is_valid_url, parse_html, utf16_len
from bot.localapi.errors import ApiError


def test_tags_become_entities_with_utf16_offsets() -> None:
    text, entities = parse_html("👋 <b>Hi <i>there</i></b> &lt;3 &amp; &#8364;&#x20AC;")
    assert text == "👋 Hi there <3 & €€"
    # The emoji counts two UTF-16 units, as in Telegram's offsets.
    assert entities == [
        {"offset": 3, "length": 8, "type": "bold"},
        {"offset": 6, "length": 5, "type": "italic"},
    ]


def test_every_allowed_tag() -> None:
    source = (
        "<strong>a</strong><em>b</em><u>c</u><ins>d</ins><s>e</s><strike>f</strike><del>g</del>"
        '<span class="tg-spoiler">h</span><tg-spoiler>i</tg-spoiler><a href="https://x.org/">j</a>'
        "<code>k</code><blockquote>l</blockquote><blockquote expandable>m</blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">n</tg-emoji>'
    )
    text, entities = parse_html(source)
    assert text == "abcdefghijklmn"
    assert [e["type"] for e in entities] == [
        "bold",
        "italic",
        "underline",
        "underline",
        "strikethrough",
        "strikethrough",
        "strikethrough",
        "spoiler",
        "spoiler",
        "text_link",
        "code",
        "blockquote",
        "expandable_blockquote",
        "custom_emoji",
    ]
    assert entities[9]["url"] == "https://x.org/"


def test_pre_with_code_language_is_one_entity() -> None:
    text, entities = parse_html('<pre><code class="language-python">x = 1</code></pre>')
    assert text == "x = 1"
    assert entities == [{"offset": 0, "length": 5, "type": "pre", "language": "python"}]


def test_unknown_named_entity_stays_literal() -> None:
    assert parse_html("a&nbsp;b &copy") == ("a&nbsp;b &copy", [])


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("é<p>x</p>", 'Unsupported start tag "p" at byte offset 2'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ('<a href="x', "Unclosed start tag at byte offset 0"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
def test_bad_html_is_refused_with_telegrams_text(source: str, error: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_html(source)
    assert caught.value.status == 400
    assert caught.value.description == f"Bad Request: can't parse entities: {error}"


def test_text_is_trimmed_and_links_and_commands_found() -> None:
    text, entities = format_text(
        "  \n<b>Go</b> to https://shop.example/x or /help \n", "HTML", None
    )
    assert text == "Go to https://shop.example/x or /help"
    assert entities == [
        {"offset": 0, "length": 2, "type": "bold"},
        {"type": "url", "offset": 6, "length": 22},
        {"type": "bot_command", "offset": 32, "length": 5},
    ]


def test_link_with_invalid_href_keeps_only_its_text() -> None:
    assert parse_html('<a href="javascript:alert(1)">x</a>') == ("x", [])


@pytest.mark.parametrize(
    ("url", "valid"),
    [
        ("https://shop.example/p?utm_source=bot", True),
        ("http://127.0.0.1:8080/x", True),
        ("tg://resolve?domain=recoms_demo_bot", True),
        ("http://localhost:8080/", False),
        ("ftp://shop.example/", False),
        ("javascript:alert(1)", False),
        ("shop", False),
    ],
)
def test_url_validity(url: str, valid: bool) -> None:
    assert is_valid_url(url) is valid


def test_utf16_length() -> None:
    assert utf16_len("a€👋") == 4
