"""The rewrite generator: each kind does what its name says, the same way every time."""

from __future__ import annotations

import unicodedata

import pytest

from commentwatch.text import fold
from commentwatch.text.normalize import Normalizer, syllable
from commentwatch.training.rewrite import EMOJI, REWRITES, SEPARATORS, rewrite

TEXT = "妹妹几年级了 加我vx 123"


@pytest.mark.parametrize("kind", sorted(REWRITES))
def test_every_kind_changes_the_text_and_is_reproducible(kind):
    once = rewrite(TEXT, kind, seed="a")
    assert once is not None and once != TEXT
    assert rewrite(TEXT, kind, seed="a") == once


def test_kinds_that_cannot_apply_say_so():
    assert rewrite("哈哈", "digits") is None
    assert rewrite("哈哈", "fullwidth") is None
    assert rewrite("哈哈", "homoglyph") is None
    assert rewrite("abc", "pinyin") is None
    assert rewrite("好", "separator") is None


def test_separator_goes_between_chinese_characters_only():
    out = rewrite("加微信ok", "separator", seed=1)
    sep = out[1]
    assert sep in SEPARATORS and out == f"加{sep}微{sep}信ok"


def test_invisible_full_width_and_traditional_rewrites_fold_back():
    assert "".join(c for c in rewrite(TEXT, "zero_width") if not fold.is_invisible(c)) == TEXT
    assert unicodedata.normalize("NFKC", rewrite(TEXT, "fullwidth")) == TEXT
    assert fold.to_simplified(rewrite("这个妹妹跳舞", "traditional")) == "这个妹妹跳舞"


def test_pinyin_kinds_spell_characters_by_sound():
    assert rewrite("加微信", "pinyin") == "jiaweixin"
    partial = rewrite("加微信聊", "partial_pinyin", seed=3)
    assert sum(c.isascii() for c in partial) > 0 and sum("\u4e00" <= c <= "\u9fff" for c in partial) in (2, 3)
    assert {rewrite("加微信", "initials", seed=n) for n in range(20)} <= {"jwx", "jw信", "加wx"}


def test_homophones_keep_the_sound():
    out = rewrite("加微信聊聊", "homophone", seed=2)
    assert out != "加微信聊聊" and [syllable(c) for c in out] == [syllable(c) for c in "加微信聊聊"]


def test_digits_repeats_and_emoji():
    assert not any(c.isascii() and c.isdigit() for c in rewrite("qq 2938", "digits"))
    assert any(run * 3 in rewrite("加微信", "repeat") for run in "加微信")
    assert any(e in rewrite("加微信", "emoji") for e in EMOJI)


def test_the_normaliser_reads_stroke_separators_and_look_alike_letters():
    normalizer = Normalizer()
    assert normalizer.compact("加丶微丨信") == "加微信"
    assert normalizer.plain("ԛԛ ν х") == "qq v x"
    # The editors' substitutions win over the built-in look-alikes.
    assert Normalizer({"ι": "l"}).plain("ι") == "l" and Normalizer().plain("ι") == "i"
