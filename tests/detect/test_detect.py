"""Lexicon matching, contact/privacy detectors and context rules on a small fixture lexicon."""


import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commentwatch.detect.contact import ContactDetector
from commentwatch.detect.lexicon import load_lexicon
from commentwatch.detect.matcher import CUE_REPEATS, MAX_HITS, LexiconMatcher
from commentwatch.text.normalize import Normalizer
from tests.helpers import FIXTURE_LEXICON as FIXTURE


@pytest.fixture(scope="module")
def matcher():
    lexicon = load_lexicon(FIXTURE)
    return LexiconMatcher(lexicon, Normalizer(lexicon.char_substitutions))


@pytest.fixture(scope="module")
def find(matcher):
    normalizer = matcher.normalizer
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


def test_exact_terms_written_with_separators_match_in_plain(find):
    # The compact stream drops the plus sign, so +v is matched where it is kept.
    assert ("+v", "+v", "") in find("私聊+v")
    assert [t for t, _, _ in find("v")] == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("别告诉八妈哦", True),  # 爸 and 八 sound alike
        ("鳖告诉爸妈哦", True),  # the first characters too
        ("别告诉八马哦", True),  # every character may be replaced
        ("别告诉你哦", False),  # the first two sound right, the rest does not
        ("别告", False),  # the text ends inside the term
    ],
)
def test_homophones_are_checked_by_sound_past_the_key(find, text, found):
    assert any(term == "别告诉爸妈" for term, _, _ in find(text)) is found


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
        ("微信号：abc_123", "wechat id", "微信号：abc_123"),
        ("绿泡泡 abcdefg", "wechat id", "绿泡泡 abcdefg"),
        ("https://t.cn/abc", "url", "https://t.cn/abc"),
        ("xx-yy.top", "url", "xx-yy.top"),
        ("住幸福家园二号楼", "home address", "住幸福家园二号楼"),
        ("家住阳光城5栋", "home address", "家住阳光城5栋"),
        ("她姓刘住滨河路18号", "street address", "住滨河路18号"),
        ("在新华小学五(2)班", "school and class", "在新华小学五(2)班"),
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


@pytest.mark.parametrize(
    "text",
    ["我今年13岁", "2023年8月", "第123456期", "这个视频好可爱", "楼主好人", "微信支付 ok", "好的...然后呢", "v我50"],
)
def test_numbers_that_are_not_contacts(find, text):
    assert find(text) == []


def _pipeline_find(matcher, text):
    """Contacts first, then the lexicon with their cues, as the pipeline runs them."""
    normalized = matcher.normalizer.normalize(text)
    contacts = ContactDetector().find(normalized)
    return [(h.term, text[h.start:h.end]) for h in matcher.find(normalized, others=contacts) + contacts]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A cue alone completes no rule: nothing to return.
        ("孩子多大了", []),
        ("腿", []),
        # Two cues that complete age_question + private_contact.
        ("多大了 私聊", [("多大", "多大"), ("私聊", "私聊")]),
        # The second cue comes from the contact detector.
        ("几岁啦 扣扣 123456789", [("几岁", "几岁"), ("qq number", "扣扣 123456789")]),
        # A hit of severity 1-3 is returned whether or not a rule completes.
        ("约炮吗", [("约炮", "约炮")]),
    ],
)
def test_cues_are_returned_only_when_a_rule_may_need_them(matcher, text, expected):
    assert sorted(_pipeline_find(matcher, text)) == sorted(expected)


def test_a_wall_of_cues_hides_neither_terms_nor_other_cues(matcher):
    text = "小妹妹" * 2000 + "腿" + "约炮"
    found = _pipeline_find(matcher, text)
    assert ("约炮", "约炮") in found
    assert ("腿", "腿") in found  # minor_reference + body completes minor_body
    assert sum(1 for term, _ in found if term == "小妹妹") <= CUE_REPEATS


def test_hits_are_capped_per_text(matcher):
    text = "约炮 " * 1000
    assert 0 < len(matcher.find(matcher.normalizer.normalize(text))) <= MAX_HITS


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
