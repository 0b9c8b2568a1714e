"""Pinyin read back as characters, and the ``readable`` stream the models read."""

import pytest

from commentwatch.text.normalize import Normalizer
from commentwatch.text.pinyin import MAX_LETTERS, PinyinReader, syllable
from commentwatch.training.rewrite import rewrite


@pytest.fixture(scope="module")
def reader():
    return PinyinReader()


@pytest.mark.parametrize(("written", "read"), [
    ("今天tianqi真好", "今天天气真好"),          # a word spelled out, context on both sides
    ("才这么点大就会摆这种zi势", "才这么点大就会摆这种姿势"),  # one syllable, its word completed by a neighbour
    ("我de妈妈", "我的妈妈"),
])
def test_pinyin_beside_characters_reads_back(reader, written, read):
    assert reader.read(written) == read


def test_a_whole_comment_in_pinyin_becomes_characters(reader):
    read = reader.read("jintiantianqizhenhao")
    assert read.isascii() is False
    assert "天气" in read


@pytest.mark.parametrize("text", [
    "hello you", "wx abc123", "awsl yyds", "vx:qq12345", "ok", "love you", "SEX直播",
])
def test_english_handles_and_slang_stay_as_written(reader, text):
    assert reader.read(text) == text


def test_a_run_that_is_not_all_syllables_stays(reader):
    assert reader.read("sexzhibo免费") == "sexzhibo免费"


def test_hostile_length_is_bounded(reader):
    text = "a" * 100_000 + "的"
    assert len(reader.read(text)) <= len(text)
    spaced = "ma " * 50_000
    assert reader.read(spaced).count("ma") >= 50_000 - MAX_LETTERS


def test_generator_pinyin_of_a_common_sentence_reads_back_in_the_readable_stream():
    normalizer = Normalizer()
    sentence = "今天天气真好我们去公园玩"
    spelled = rewrite(sentence, "pinyin", seed=1)
    assert spelled == "".join(syllable(c) for c in sentence)
    read = normalizer.normalize(spelled).readable
    # A word-frequency reading, not a language model: most characters, not all (公园 may read 公元).
    assert len(read) == len(sentence)
    assert sum(a == b for a, b in zip(read, sentence)) >= 0.8 * len(sentence)
    assert read.startswith("今天天气真好")


@pytest.mark.parametrize(("text", "readable"), [
    ("加/微/信/号/码", "加微信号码"),            # spaced out one character at a time: joined
    ("今 天 天 气 很 好", "今天天气很好"),
    ("你好，我是小明", "你好,我是小明"),           # ordinary punctuation stays
    ("今天😊天气✨很好", "今天天气很好"),           # decoration dropped
])
def test_readable_stream(text, readable):
    assert Normalizer().normalize(text).readable == readable


def test_readable_compact_is_compact_when_nothing_was_read_back():
    text = Normalizer().normalize("加 微.信")
    assert text.readable == text.plain
    assert text.readable_compact == text.compact
