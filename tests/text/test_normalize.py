"""Normalisation: each step, each evasion, and offsets that always land in the original."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commentwatch.text import fold
from commentwatch.text.normalize import Normalizer


@pytest.fixture(scope="module")
def normalizer():
    return Normalizer({"薇": "微", "➕": "加", "❤": "-"})


@pytest.mark.parametrize(
    ("step", "given_text", "expected"),
    [
        (fold.compat_fold, "ＡＢＣ１２３", "ABC123"),
        (fold.case_fold, "QQ", "qq"),
        (fold.to_simplified, "幾歲國家", "几岁国家"),
        (fold.drop_invisible, "加\u200b微\u202e信\u0301", "加微信"),
        (lambda t: fold.substitute(t, {"薇": "微"}), "薇信", "微信"),
    ],
)
def test_each_fold_step(step, given_text, expected):
    assert step(given_text) == expected


@pytest.mark.parametrize(("char", "digit"), [("３", "3"), ("③", "3"), ("叁", "3"), ("三", "3"), ("幺", "1"), ("两", "2"), ("٣", "3"), ("a", "a")])
def test_digits_in_any_form(char, digit):
    assert fold.to_ascii_digit(char) == digit


def test_noise_characters_become_spaces_and_a_literal_hyphen_stays(normalizer):
    assert normalizer.plain("a❤b") == "a b"
    assert normalizer.plain("xx-yy.top") == "xx-yy.top"


def test_separators_are_spaces_punctuation_symbols_and_emoji():
    assert all(fold.is_separator(c) for c in " .,，。!~★❤😀+")
    assert not any(fold.is_separator(c) for c in "加a1")


@pytest.mark.parametrize(
    ("text", "plain", "compact"),
    [
        ("加 微.信", "加 微.信", "加微信"),
        ("加ｖ", "加v", "加v"),
        ("幾歲", "几岁", "几岁"),
        ("➕薇❤信", "加微 信", "加微信"),
        ("加\u200b微\u202d信", "加微信", "加微信"),
        ("哈哈哈哈哈哈", "哈哈哈哈哈哈", "哈"),
        ("加微微微信 妹妹", "加微微微信 妹妹", "加微信妹妹"),
        ("13888888888", "13888888888", "13888888888"),
        ("", "", ""),
    ],
)
def test_streams(normalizer, text, plain, compact):
    normalized = normalizer.normalize(text)
    assert normalized.plain == plain
    assert normalized.compact == compact


def test_digit_stream_reads_every_numeral(normalizer):
    assert normalizer.normalize("幺三八 ①②③ 4５6").digits == "138123456"


def test_pinyin_stream_makes_homophones_equal(normalizer):
    assert normalizer.normalize("家威信").pinyin == normalizer.normalize("加微信").pinyin
    assert normalizer.normalize("家威信").pinyin != normalizer.normalize("加油站").pinyin


def test_spelled_pinyin_and_initials():
    assert Normalizer.spelled_pinyin("加微信") == "jiaweixin"
    assert Normalizer.initials("搞黄色") == "ghs"
    assert Normalizer.spelled_pinyin("加v") is None


def test_span_maps_back_to_what_the_user_wrote(normalizer):
    text = "来 ➕ 薇\u200b❤ 信 吧"
    normalized = normalizer.normalize(text)
    start = normalized.compact.index("加微信")
    a, b = normalized.original_span("compact", start, start + 3)
    assert text[a:b] == "➕ 薇\u200b❤ 信"


def test_evasions_are_named(normalizer):
    assert normalizer.evasions("加 薇 信") == ["homoglyph", "separator"]
    assert normalizer.evasions("幾歲") == ["traditional"]
    assert normalizer.evasions("ＱＱ") == ["fullwidth"]
    assert normalizer.evasions("加\u200b微") == ["zero_width"]
    assert normalizer.evasions("加微信") == []


hostile = st.text(
    alphabet=st.characters(codec=None, exclude_categories=()),
    max_size=60,
) | st.lists(st.sampled_from(["加", " ", "\u200b", "\u202e", "\u0301", "薇", "❤", "ｖ", "幾", "哈", "1", "😀", "\ud800", "ß", "㎏"]), max_size=40).map("".join)


@settings(max_examples=400, deadline=None)
@given(text=hostile)
def test_offsets_always_land_inside_the_original(normalizer, text):
    normalized = normalizer.normalize(text)
    plain_map = normalized.plain_to_original
    compact_map = normalized.compact_to_plain
    assert len(plain_map) == len(normalized.plain)
    assert len(compact_map) == len(normalized.compact)
    assert len(normalized.pinyin) == len(normalized.compact)
    assert len(normalized.digits) == len(normalized.compact)
    assert all(0 <= i < len(text) for i in plain_map)
    assert list(plain_map) == sorted(plain_map)
    assert all(0 <= i < len(normalized.plain) for i in compact_map)
    # The offset maps are built by a separate slow path: it must agree with
    # the fast streams character for character.
    assert "".join(normalized.plain[i] for i in compact_map) == normalized.compact
    assert list(plain_map) == list(normalizer.plain_offsets(text))
    assert list(compact_map) == list(normalizer.compact_offsets(normalized.plain))
    for start in range(len(normalized.compact)):
        a, b = normalized.original_span("compact", start, start + 1)
        assert 0 <= a < b <= len(text)


@settings(max_examples=300, deadline=None)
@given(text=hostile)
def test_the_list_table_and_the_per_character_fold_agree(normalizer, text):
    # plain() reads BMP text through a precomputed list: it must fold every
    # character exactly as the lazily filled per-character table does.
    assert normalizer.plain(text) == "".join(normalizer._fold_plain(c) for c in text)


def test_huge_text_is_linear(normalizer):
    normalized = normalizer.normalize("加 微" * 500_000)
    assert len(normalized.compact) == 1_000_000
