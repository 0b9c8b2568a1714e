"""Deciding from a video's own words whether it features children."""

from __future__ import annotations

from dataclasses import replace

import pytest

from commentwatch.config import load_config
from commentwatch.detect.minors import MinorVideoDetector
from commentwatch.judge import Judge
from commentwatch.paths import LEXICON_DIR
from commentwatch.values import Video

THRESHOLD = load_config(None).detect.minors_video_threshold


@pytest.fixture(scope="module")
def detector() -> MinorVideoDetector:
    return MinorVideoDetector.from_file(LEXICON_DIR / "minor_video.txt")


@pytest.mark.parametrize("video", [
    Video(title="带宝宝第一次上游泳课", tags=("亲子", "游泳")),
    Video(title="小学生的一天vlog", tags=("日常",)),
    Video(title="六一儿童节舞蹈表演"),
    Video(title="8个月辅食 南瓜泥"),
    Video(title="周末vlog", tags=("萌娃",)),
    Video(title="我的周末", description="带闺女去公园"),
    Video(title="親子遊戲合集"),            # traditional characters
    Video(title="ＯＫ", tags=("幼儿园",)),   # full-width title, word in a tag
])
def test_childrens_videos_are_recognised(detector, video):
    score, words = detector.score(video)
    assert detector.features_minors(video, THRESHOLD), (score, words)
    assert words


@pytest.mark.parametrize("video", [
    Video(title="城市夜景延时摄影", tags=("摄影", "夜景")),
    Video(title="王者荣耀上分教学 打野篇", tags=("王者荣耀",)),
    Video(title="黄油曲奇的做法", tags=("烘焙",)),
    Video(title="爸爸的钓鱼日记"),          # one weak word is not enough
    Video(),
])
def test_other_videos_are_not(detector, video):
    assert not detector.features_minors(video, THRESHOLD), detector.score(video)


def test_score_sums_distinct_words_once(detector):
    once = detector.score(Video(title="萌娃"))[0]
    twice = detector.score(Video(title="萌娃萌娃", tags=("萌娃",)))[0]
    assert once == twice > 0
    score, words = detector.score(Video(title="萌娃", tags=("亲子",)))
    assert score == pytest.approx(once + detector.score(Video(title="亲子"))[0])
    assert words == sorted(words) and {"萌娃", "亲子"} <= set(words)


def test_the_platform_flag_wins(detector):
    assert not detector.features_minors(Video(title="萌娃亲子六一", featuring_minors=False), THRESHOLD)
    assert detector.features_minors(Video(title="城市夜景", featuring_minors=True), THRESHOLD)


def test_threshold_comes_from_the_caller(detector):
    video = Video(title="萌娃")
    score, _ = detector.score(video)
    assert detector.features_minors(video, score)
    assert not detector.features_minors(video, score + 0.5)


def test_judge_uses_the_configured_threshold():
    config = load_config(None)
    video = Video(title="带宝宝上游泳课", tags=("亲子",))
    lenient = Judge.from_config(replace(config, detect=replace(config.detect, semantic=False)))
    strict = Judge.from_config(replace(config, detect=replace(config.detect, semantic=False,
                                                              minors_video_threshold=1000.0)))
    assert lenient.features_minors(video)
    assert not strict.features_minors(video)


def test_broken_vocabulary_file_names_the_line(tmp_path):
    path = tmp_path / "minor_video.txt"
    path.write_text("# ok\n萌娃 | 2 | fine\n亲子 | heavy | not a number\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"minor_video.txt:3: .*'heavy'"):
        MinorVideoDetector.from_file(path)
