"""The shipped lexicons: lint-clean, broad, and right on the cases that matter most.

These run the real Judge (lexicons and context rules, no semantic stage, the
shipped decision layer's lexical variant) on the lexicon folder that ships,
so an edit that starts flagging a parent's question or lets the classic
grooming opening through fails here. The full default judge must hide the
classic openings.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from commentwatch.config import load_config
from commentwatch.detect.lexicon import parse_lexicon
from commentwatch.judge import Judge
from commentwatch.paths import LEXICON_DIR
from commentwatch.values import HARM_CATEGORIES, Action, Comment, Video

CHILD_VIDEO = Video(id="v1", title="女儿六一儿童节舞蹈表演", tags=("六一", "萌娃"), featuring_minors=True)
ADULT_VIDEO = Video(id="v2", title="城市夜景延时摄影", featuring_minors=False)


@pytest.fixture(scope="module")
def judge() -> Judge:
    config = load_config(None)
    return Judge.from_config(replace(config, detect=replace(config.detect, semantic=False)))


@pytest.fixture(scope="module")
def full_judge() -> Judge:
    return Judge.from_config(load_config(None))


def verdict(judge: Judge, text: str, video: Video = CHILD_VIDEO):
    return judge.judge(Comment(id="c", text=text, video=video))


def test_lint_cli_passes_on_shipped_lexicons():
    done = subprocess.run([sys.executable, "-m", "commentwatch", "lexicon", "lint", str(LEXICON_DIR)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok" in done.stdout


def test_shipped_lexicons_have_no_problems_and_are_broad():
    lexicon = parse_lexicon(LEXICON_DIR)
    assert lexicon.problems == ()
    assert len(lexicon.entries) >= 400
    by_category = {c: [e for e in lexicon.entries if e.category == c] for c in (*HARM_CATEGORIES, "minor_reference")}
    for category, entries in by_category.items():
        assert len(entries) >= 30, f"{category} has only {len(entries)} entries"
        if category != "minor_reference":
            assert any(e.severity >= 2 for e in entries), f"{category} cannot act on its own"
    assert len(lexicon.rules) >= 30
    assert len(lexicon.allow) >= 50
    assert len(lexicon.minor_video) >= 30


@pytest.mark.parametrize("term", ["多大", "几岁", "腿", "私聊", "酒店", "发育", "红包", "礼物", "皮肤", "一个人在家"])
def test_innocent_alone_terms_never_act_alone(term):
    lexicon = parse_lexicon(LEXICON_DIR)
    listed = [e for e in lexicon.entries if e.term == term]
    assert all(e.severity == 0 for e in listed), f"{term} must be a cue (severity 0): {listed}"


@pytest.mark.parametrize("text", [
    "宝贝几岁啦？笑起来真甜",
    "孩子多大了呀，个子真高",
    "你家宝贝多大了，想私信问问在哪学的舞蹈",
    "孩子几岁了？方便私聊一下培训班地址吗",
    "宝宝腿上有块胎记，正常吗",
    "女儿说胸口疼，是不是发育了",
    "孩子学游泳怕水怎么办",
    "亲子酒店推荐",
    "过年了，给孩子包红包",
    "孩子一个人在家写作业，很自觉",
    "用微信转账给老师",
    "awsl 绝绝子 yyds 哈哈哈哈",
    "我家熊孩子又把墙画了",
    "黄油放多少克",
])
def test_parents_and_fans_are_allowed_on_a_childs_video(judge, text):
    result = verdict(judge, text)
    assert result.action is Action.ALLOW, (text, result.evidence)


@pytest.mark.parametrize("text", [
    "小朋友几岁了？加我微信一起玩",
    "你今年多大了 私聊我 发红包给你",
    "小妹妹一个人在家吗？哥哥过来陪你",
    "想要王者皮肤吗？私我，叔叔送你",
    "不要告诉你爸妈，我们偷偷聊天",
])
def test_grooming_combinations_are_caught(judge, full_judge, text):
    for each in (judge, full_judge):
        result = verdict(each, text)
        assert result.action is not Action.ALLOW, (text, result.evidence)
        assert result.categories[0] == "grooming"


@pytest.mark.parametrize("text", ["妹妹多大了 加个微信私聊", "小妹妹几年级了？私聊我送你皮肤", "不要告诉你爸妈，我们偷偷聊天"])
def test_the_classic_openings_are_near_certain_for_the_default_judge(full_judge, text):
    # Hidden or alerted depends on where the layer's hide threshold was tuned
    # (precision >= 0.99 on the blind partition); the probability does not.
    result = verdict(full_judge, text)
    assert result.action is not Action.ALLOW and result.score >= 0.9, (text, result.score, result.evidence)
    assert result.categories[0] == "grooming"


@pytest.mark.parametrize("text, category", [
    ("几 岁 了 加 个 v", "grooming"),        # separators
    ("幾歲啦 私信哥哥", "grooming"),          # traditional
    ("妹妹几岁啦 ➕个V", "grooming"),         # emoji for 加
    ("加威信领福利", "contact"),              # homophone
    ("ｙｐ 同城", "sexual_ad"),               # full-width initials
    ("约{zw}炮".format(zw="\u200b"), "sexual_ad"),  # zero-width
    ("luo liao 私我", "sexual_ad"),          # pinyin
    ("小女孩的🍑好翘", "sexualize"),          # emoji for 屁股
])
def test_evasions_are_seen_through(judge, text, category):
    result = verdict(judge, text)
    assert result.action is not Action.ALLOW, (text, result.evidence)
    assert category in result.categories
    assert any(e.category == category and e.source in ("lexicon", "rule") for e in result.evidence), result.evidence


def test_context_rule_needs_the_childs_video(judge):
    # A body word next to a lewd one is only a sexualising remark about a
    # child when the video features children.
    text = "这双腿我能冲"
    assert verdict(judge, text, CHILD_VIDEO).action is not Action.ALLOW
    assert verdict(judge, text, ADULT_VIDEO).action is Action.ALLOW


def test_evidence_points_at_what_was_written(judge):
    text = "小妹妹几岁了？加 薇 信"
    result = verdict(judge, text)
    spans = {text[e.start:e.end] for e in result.evidence if e.source == "lexicon"}
    assert "加 薇 信" in spans
