"""The synthetic traffic: seeded, varied, with ground truth that means something."""

from __future__ import annotations

import collections
import random
import re

import pytest

from commentwatch.reference import phrases
from commentwatch.reference.store import Store
from commentwatch.reference.traffic import (
    TrafficGenerator,
    TrafficPump,
    seed_catalogue,
    user_hash,
)


@pytest.fixture
def store() -> Store:
    store = Store()
    seed_catalogue(store, 12)
    return store


def draw(store: Store, n: int, **options) -> list:
    generator = TrafficGenerator(store, **options)
    return [generator.next() for _ in range(n)]


def test_catalogue_mixes_flagged_recognisable_and_adult_videos(store):
    videos = list(store.videos.values())
    flagged = [v for v in videos if v.featuring_minors is True]
    unflagged_kids = [v for v in videos if v.featuring_minors is None and v.truly_features_minors]
    adult = [v for v in videos if not v.truly_features_minors]
    assert flagged and unflagged_kids and adult
    kid_words = ("萌娃", "亲子", "小学生", "六一", "带娃")
    for video in unflagged_kids:
        assert any(w in video.title + "".join(video.tags) for w in kid_words), video.title


def test_same_seed_same_stream_other_seed_other_stream(store):
    assert draw(store, 500, seed=3) == draw(store, 500, seed=3)
    assert [i.text for i in draw(store, 50, seed=3)] != [i.text for i in draw(store, 50, seed=4)]


def test_offending_share_and_every_family_appear(store):
    items = draw(store, 4000, seed=1, offending_share=0.2)
    offending = [i for i in items if i.offending]
    assert 0.17 < len(offending) / len(items) < 0.23
    assert {i.category for i in offending} == set(phrases.OFFENDING)
    assert all(i.category == "" for i in items if not i.offending)
    on_kids = sum(store.videos[i.video_id].truly_features_minors for i in offending)
    assert on_kids / len(offending) > 0.8  # offenders go where the children are
    # Benign chatter is varied, not a few repeated strings.
    benign_texts = {i.text for i in items if not i.offending}
    assert len(benign_texts) > 400


def test_templates_fill_completely():
    rng = random.Random(0)
    families = [*phrases.BENIGN_COMMENTS.values(), phrases.BENIGN_DANMAKU, *phrases.OFFENDING.values(), *phrases.OFFENDING_DANMAKU.values()]
    for family in families:
        for template in family:
            for _ in range(20):
                text = phrases.fill(template, rng)
                assert "{" not in text and "}" not in text, template
                assert text.strip(), template


def test_contact_spam_is_obfuscated_in_many_ways():
    rng = random.Random(2)
    phones = [phrases.phone(rng) for _ in range(300)]
    assert any(re.fullmatch(r"1\d{10}", p) for p in phones)  # plain
    assert any(set(p) & set("①②③④⑤⑥⑦⑧⑨") for p in phones)  # circled digits
    assert any(set(p) & set("一二三四五六七八九壹贰叁") for p in phones)  # Chinese numerals
    assert any(set(p) & set("０１２３４５６７８９") for p in phones)  # full width
    assert len(set(phones)) == len(phones)
    assert {phrases.wechat(rng)[:2] for _ in range(200)} >= {"vx", "V信"[:2], "薇信"}


def test_danmaku_offences_fit_a_danmaku(store):
    items = draw(store, 3000, seed=9, offending_share=0.5, danmaku_share=1.0)
    bad_danmaku = [i for i in items if i.offending and i.kind == "danmaku"]
    assert bad_danmaku and {i.category for i in bad_danmaku} <= set(phrases.OFFENDING_DANMAKU)
    # Families without a danmaku form arrive as comments instead.
    assert any(i.kind == "comment" and i.category == "abuse" for i in items)


def test_pump_posts_into_the_store_with_replies_and_user_hashes(store):
    pump = TrafficPump(store, TrafficGenerator(store, seed=4, offending_share=0.1), rate=0)
    records = [pump.post_one() for _ in range(600)]
    assert pump.posted == 600 and store.stats()["comments"] + store.stats()["danmaku"] == 600
    comments = {r.id: r for r in records if r.kind == "comment"}
    replies = [r for r in comments.values() if r.parent_id]
    assert replies and all(comments[r.parent_id].video_id == r.video_id for r in replies)
    danmaku = [r for r in records if r.kind == "danmaku"]
    assert all(re.fullmatch(r"[0-9a-f]{8}", r.author_id) for r in danmaku)
    assert user_hash("u1") == user_hash("u1") != user_hash("u2")
    per_video = collections.Counter(r.video_id for r in records)
    assert len(per_video) == 12


def test_generator_checks_its_shares(store):
    with pytest.raises(ValueError, match="offending_share"):
        TrafficGenerator(store, offending_share=1.5)
    with pytest.raises(ValueError, match="rate must not be negative"):
        TrafficPump(store, TrafficGenerator(store), rate=-1)
