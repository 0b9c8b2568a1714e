"""The reference service's in-memory store: cursors, moderation history, counters."""

from __future__ import annotations

import pytest

from commentwatch.reference.store import Store, StoreError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


@pytest.fixture
def store() -> Store:
    store = Store(clock=Clock())
    store.upsert_video("v", title="萌娃", featuring_minors=None, truly_features_minors=True)
    return store


def test_pages_after_a_sequence(store):
    items = [store.post("comment" if n % 3 else "danmaku", "v", f"t{n}", "u") for n in range(10)]
    comments = [i for i in items if i.kind == "comment"]
    page, next_seq = store.after("comment", "v", 0, 3)
    assert page == comments[:3] and next_seq == comments[2].seq
    page, next_seq = store.after("comment", "v", next_seq, 100)
    assert page == comments[3:] and next_seq == comments[-1].seq
    assert store.after("comment", "v", next_seq, 100) == ([], next_seq)
    # A cursor between two comments (a danmaku's seq) still finds the next comment.
    danmaku_seq = items[3].seq
    assert store.after("comment", "v", danmaku_seq, 1)[0][0].seq == danmaku_seq + 1


def test_moderation_history_and_counters(store):
    bad = store.post("comment", "v", "加vx", "u", offending=True)
    dm = store.post("danmaku", "v", "awsl", "u2")
    first = store.hide("comment", bad.id, "contact")
    assert not first.already and bad.hidden_at == 1004.0 and bad.created_at == 1002.0
    assert store.hide("comment", bad.id, "contact").already
    assert not store.restore("comment", bad.id, "appeal").already and bad.restored_at == 1005.0
    assert store.restore("comment", bad.id, "appeal").already
    store.hide("comment", bad.id, "again")
    store.hide("danmaku", dm.id, "test")
    assert store.stats() == {
        "videos": 1,
        "comments": 1,
        "danmaku": 1,
        "offending": 1,
        "hidden": 2,
        "ever_hidden": 2,
        "hidden_offending": 1,
        "hide_calls": 4,
        "hide_already": 1,
        "restore_calls": 2,
        "restore_already": 1,
    }
    assert bad.hide_reason == "again" and bad.hide_calls == 3 and bad.restore_calls == 2


def test_unknown_things_are_named(store):
    with pytest.raises(StoreError, match="no video with id 'x'"):
        store.post("comment", "x", "t", "u")
    with pytest.raises(StoreError, match="no danmaku with id '1'"):
        store.hide("danmaku", "1", "r")
    with pytest.raises(ValueError, match="kind must be 'comment' or 'danmaku'"):
        store.post("review", "v", "t", "u")


def test_ids_are_unique_per_kind_and_videos_get_a_genre(store):
    store.upsert_video("w", title="红烧肉", truly_features_minors=False)
    ids = {store.post("comment", vid, "t", "u").id for vid in ("v", "w") for _ in range(5)}
    assert len(ids) == 10
    assert store.videos["v"].genre == "kids" and store.videos["w"].genre == "general"
