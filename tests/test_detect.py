"""Lexicon matching, contact/privacy detectors and context rules on a small fixture lexicon."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commentwatch.detect.contact import ContactDetector
from commentwatch.detect.lexicon import load_lexicon
from commentwatch.detect.matcher import LexiconMatcher
from commentwatch.text.normalize import Normalizer

FIXTURE = Path(__file__).parent / "fixtures" / "lexicon"


@pytest.fixture(scope="module")
def find():
    lexicon = load_lexicon(FIXTURE)
    normalizer = Normalizer(lexicon.char_substitutions)
    matcher = LexiconMatcher(lexicon, normalizer)
    contacts = ContactDetector()

    def find(text):
        normalized = normalizer.normalize(text)
        return [(h.term, text[h.start:h.end], h.evasion) for h in matcher.find(normalized) + contacts.find(normalized)]

    return find


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("加微信", ("加微信", "加微信", "")),
        ("加 微 信", ("加微信", "加 微 信", "separator")),
        ("加.微.信", ("加微信", "加.微.信", "separator")),
        ("加\u200b微\u200b信", ("加微信", "加\u200b微\u200b信", "zero_width")),
        ("加薇信", ("加微信", "加薇信", "homoglyph")),
        ("➕微信", ("加微信", "➕微信", "emoji")),
        ("加威信", ("加微信", "加威信", "slang")),
        ("jia wei xin", ("加微信", "jia wei xin", "pinyin+separator")),
        ("JiaWeiXin", ("加微信", "JiaWeiXin", "pinyin")),
        ("家威信", ("加微信", "家威信", "homophone")),
        ("ghs了", ("搞黄色", "ghs", "initials")),
        ("加微微微信", ("加微信", "加微微微信", "repeat")),
        ("約炮嗎", ("约炮", "約炮", "traditional")),
        ("加扣扣", ("加qq", "加扣扣", "slang")),
        ("ＹＰ吗", ("yp", "ＹＰ", "fullwidth")),
    ],
)
def test_every_evasion_is_undone_and_named(find, text, expected):
    assert expected in find(text)


def test_latin_terms_only_match_whole_words(find):
    assert find("typing fast") == []
    assert ("yp", "yp", "") in find("约吗 yp")


def test_exact_terms_do_not_match_across_separators(find):
    # 腿 is exact-only in the fixture; it still matches as a single char.
    assert [t for t, _, _ in find("腿")] == ["腿"]


def test_allow_list_drops_innocent_phrases(find):
    assert find("可以用微信支付吗") == []


@pytest.mark.parametrize(
    ("text", "term", "span"),
    [
        ("电话13812345678", "phone number", "13812345678"),
        ("138 1234 5678", "phone number", "138 1234 5678"),
        ("幺三八幺二三四五六七八", "phone number", "幺三八幺二三四五六七八"),
        ("①③⑧①②③④⑤⑥⑦⑧", "phone number", "①③⑧①②③④⑤⑥⑦⑧"),
        ("扣扣 123456789", "qq number", "扣扣 123456789"),
        ("vx: lolita_88", "wechat id", "vx: lolita_88"),
        ("加v abc12345", "wechat id", "v abc12345"),
        ("微 信 abcdef12", "wechat id", "微 信 abcdef12"),
        ("看这里 www.example.com/x", "url", "www.example.com/x"),
        ("110101200501011234", "id card number", "110101200501011234"),
        ("她在实验小学三年级二班", "school and class", "她在实验小学三年级二班"),
        ("住阳光小区3栋", "home address", "住阳光小区3栋"),
    ],
)
def test_contact_and_privacy_detectors(find, text, term, span):
    found = {(t, s) for t, s, _ in find(text)}
    assert (term, span) in found


@pytest.mark.parametrize("text", ["我今年13岁", "2023年8月", "第123456期", "这个视频好可爱"])
def test_numbers_that_are_not_contacts(find, text):
    assert find(text) == []


@pytest.fixture(scope="module")
def tokenizer():
    import spacy

    from commentwatch.detect.pipeline import JiebaTokenizer

    return JiebaTokenizer(spacy.blank("zh").vocab, ["加微信"])


def test_lexicon_terms_segment_as_units(tokenizer):
    assert "加微信" in [t.text for t in tokenizer("快加微信吧")]


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from(list("加微信 \t\n好的😀a1，。\u200b") + ["  "]), max_size=40).map("".join))
def test_the_doc_text_is_the_input_exactly(tokenizer, text):
    assert tokenizer(text).text == text
