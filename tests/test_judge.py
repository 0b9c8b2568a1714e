"""The Judge end to end on the fixture lexicon: rules, policy, windows, hot reload."""

import shutil
import time
from dataclasses import replace
from pathlib import Path

import pytest

from commentwatch.config import Config, DetectConfig, PolicyConfig
from commentwatch.judge import Judge
from commentwatch.values import Action, Comment, Video
from tests.helpers import FIXTURE_LEXICON as FIXTURE


def config_for(directory: Path, **detect) -> Config:
    # The fixture lexicon's severities decide through the hand-set policy: the
    # shipped decision layer learned the shipped lexicons' evidence.
    return Config(detect=DetectConfig(lexicon_dir=directory, semantic=False, **detect),
                  policy=PolicyConfig(decision="noisy-or"))


@pytest.fixture(scope="module")
def judge():
    return Judge.from_config(config_for(FIXTURE))


def verdict(judge, text, **video):
    return judge.judge(Comment(id="c", text=text, video=Video(**video)))


def test_innocent_cues_alone_are_allowed(judge):
    for text in ("孩子多大了", "私聊我吧", "腿好长", "小妹妹真可爱"):
        assert verdict(judge, text).action == Action.ALLOW, text


def test_cues_together_fire_a_rule_with_evidence(judge):
    v = verdict(judge, "妹妹多大了 加个微信私聊")
    assert v.action == Action.HIDE
    assert v.categories == ("grooming",)
    rule = v.evidence[0]
    assert (rule.source, rule.term) == ("rule", "age_question_private_contact")
    assert "多大" in rule.detail and "私聊" in rule.detail
    # Either order.
    assert verdict(judge, "私聊吗 你几岁").action == Action.HIDE
    assert verdict(judge, "小妹妹的腿").categories == ("sexualize",)


def test_minors_video_is_judged_more_strictly(judge):
    assert verdict(judge, "萝莉").action == Action.ALLOW
    assert verdict(judge, "萝莉", featuring_minors=True).action == Action.ALERT
    # No platform flag: decided from the video's own words.
    assert verdict(judge, "萝莉", title="萌娃的一天").action == Action.ALERT
    assert verdict(judge, "萝莉", title="萌娃的一天", featuring_minors=False).action == Action.ALLOW


def test_features_minors(judge):
    assert judge.features_minors(Video(title="萌娃日常"))
    assert judge.features_minors(Video(title="亲子游", tags=("宝宝",)))
    assert not judge.features_minors(Video(title="亲子游"))
    assert not judge.features_minors(Video(title="游戏实况"))


def test_thresholds_come_from_config():
    strict = Judge.from_config(replace(config_for(FIXTURE), policy=PolicyConfig(decision="noisy-or", alert=0.4, hide=0.44)))
    assert verdict(strict, "萝莉").action == Action.HIDE


def test_batch_keeps_order_and_empty_text(judge):
    comments = [Comment(id=str(i), text=t) for i, t in enumerate(["", "加微信", "你好", "约炮"])]
    verdicts = judge.judge_many(comments)
    assert [v.comment_id for v in verdicts] == ["0", "1", "2", "3"]
    assert [v.action for v in verdicts] == [Action.ALLOW, Action.HIDE, Action.ALLOW, Action.HIDE]


def test_long_comments_are_judged_in_windows(judge):
    text = "好" * 5000 + "加 微 信" + "好" * 5000
    v = verdict(judge, text)
    assert v.action == Action.HIDE
    assert text[v.evidence[0].start:v.evidence[0].end] == "加 微 信"


def test_term_across_a_window_edge_is_found():
    judge = Judge.from_config(config_for(FIXTURE, window_chars=100))
    text = "好" * 99 + "加微信"
    v = verdict(judge, text)
    assert v.action == Action.HIDE and v.evidence[0].start == 99


def test_hostile_spam_is_settled_early(judge):
    started = time.perf_counter()
    v = verdict(judge, "多大加微信" * 200_000)
    assert v.action == Action.HIDE
    assert len(v.evidence) == 100
    assert time.perf_counter() - started < 30  # generous: the point is it does not take minutes


def test_hot_reload_picks_up_edits_and_refuses_broken_ones(tmp_path):
    directory = tmp_path / "lexicons"
    shutil.copytree(FIXTURE, directory)
    judge = Judge.from_config(config_for(directory))
    assert verdict(judge, "新黑话").action == Action.ALLOW
    assert judge.reload_if_changed() is False
    old_version = judge.lexicon_version
    with open(directory / "sexual_ad.txt", "a", encoding="utf-8") as handle:
        handle.write("新黑话 | 3 | sep | | added by an editor\n")
    assert judge.reload_if_changed() is True
    assert judge.lexicon_version != old_version
    assert verdict(judge, "新 黑 话").action == Action.HIDE
    with open(directory / "sexual_ad.txt", "a", encoding="utf-8") as handle:
        handle.write("broken | high\n")
    assert judge.reload_if_changed() is False
    # The last good lexicon stays in use.
    assert verdict(judge, "新黑话").action == Action.HIDE


def test_padding_does_not_lengthen_what_the_models_read_and_spelled_pinyin_reads_as_characters(judge):
    plain, padded, spelled = judge.observe_many([
        Comment(id="a", text="今天天气真好"),
        Comment(id="b", text="今\u200b天\u200b天～～～气 😊 真\u200b好"),
        Comment(id="c", text="jintiantianqizhenhao"),
    ])
    assert plain.signals.read_length == padded.signals.read_length == spelled.signals.read_length == 6
    # Whole-comment evidence still spans the comment as written.
    assert padded.signals.length == len("今\u200b天\u200b天～～～气 😊 真\u200b好")
    assert spelled.signals.ngram == pytest.approx(plain.signals.ngram, abs=0.05)
