"""The SQLite record: migrations, page transactions, intents, pruning."""

from __future__ import annotations

import sqlite3
import time

import pytest

from commentwatch.record.schema import MIGRATIONS, current_version
from commentwatch.record.store import Record, comment_key
from commentwatch.values import Action, Comment, Evidence, Kind, Verdict, Video

VIDEO = Video(id="v1", title="小朋友跳舞", featuring_minors=True)


def page(n: int, *, kind: Kind = Kind.COMMENT, hide_every: int = 2):
    comments = [Comment(id=f"c{i}", text=f"text {i}", video=VIDEO, kind=kind, author_id=f"u{i % 3}",
                        created_at=time.time()) for i in range(n)]
    verdicts = [
        Verdict(comment_id=c.id, action=Action.HIDE if i % hide_every == 0 else Action.ALLOW, score=0.9,
                categories=("contact",),
                evidence=(Evidence(category="contact", term="加微信", start=0, end=3, evasion="sep"),))
        for i, c in enumerate(comments)
    ]
    return comments, verdicts


def test_a_record_of_an_older_version_is_upgraded_in_place(tmp_path):
    import sqlite_utils

    from commentwatch.record import schema

    db = sqlite_utils.Database(tmp_path / "r.db")
    db.table("schema_version").create({"version": int, "applied_at": float}, pk="version")
    schema.MIGRATIONS[0](db)
    db.table("schema_version").insert({"version": 1, "applied_at": 0.0})
    db.table("alerts").insert({"key": "k", "type": "alert", "title": "old", "body": "", "status": "sent",
                               "created_at": 1.0})
    db.close()
    record = Record(tmp_path / "r.db")
    assert record.schema_version == len(MIGRATIONS)
    assert record.db.execute("select title, payload, attempts from alerts").fetchone() == ("old", "", 1)
    record.close()


def test_fresh_record_is_migrated_to_latest_and_uses_wal(tmp_path):
    record = Record(tmp_path / "r.db")
    assert record.schema_version == len(MIGRATIONS) == current_version(record.db)
    assert record.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"videos", "comments", "verdicts", "actions", "alerts", "cursors", "dead_letters"} <= set(
        record.db.table_names()
    )
    record.close()
    # Reopening applies nothing twice.
    again = Record(tmp_path / "r.db")
    assert again.db.execute("select count(*) from schema_version").fetchone()[0] == len(MIGRATIONS)


def test_a_record_from_a_newer_version_is_refused(tmp_path):
    Record(tmp_path / "r.db").close()
    conn = sqlite3.connect(tmp_path / "r.db")
    conn.execute("insert into schema_version values (?, ?)", (len(MIGRATIONS) + 1, 0.0))
    conn.commit()
    conn.close()
    with pytest.raises(RuntimeError, match="newer than this commentwatch"):
        Record(tmp_path / "r.db")


def test_page_records_verdict_evidence_and_one_intent_per_hide(tmp_path):
    record = Record(tmp_path / "r.db")
    comments, verdicts = page(4)
    hide_keys = [comment_key(c.kind, c.id) for c, v in zip(comments, verdicts, strict=True) if v.action is Action.HIDE]
    intents = record.record_page(comments, verdicts, lexicon_version="L1", hide_keys=hide_keys)
    assert sorted(i.key for i in intents) == sorted(hide_keys) == ["comment:c0", "comment:c2"]
    row = record.db.execute("select evidence, lexicon_version from verdicts where key = 'comment:c0'").fetchone()
    assert '"term": "加微信"' in row[0] and '"evasion": "sep"' in row[0]
    assert row[1] == "L1"

    record.finish_action("comment:c0", ok=True, already=False, status=200, detail="hidden")
    # The same page again (a restart re-reads it): the done hide is not offered again.
    intents = record.record_page(comments, verdicts, lexicon_version="L1", hide_keys=hide_keys)
    assert [i.key for i in intents] == ["comment:c2"]
    assert [i.key for i in record.pending_intents()] == ["comment:c2"]
    assert record.db.execute("select count(*) from comments").fetchone()[0] == 4


def test_a_recorded_comment_and_verdict_read_back_whole(tmp_path):
    record = Record(tmp_path / "r.db")
    comments, verdicts = page(2, kind=Kind.DANMAKU)
    record.record_page(comments, verdicts, lexicon_version="L1")
    comment, verdict = record.judged("danmaku:c1")
    assert comment == Comment(id="c1", text="text 1", video=Video(id="v1"), kind=Kind.DANMAKU, author_id="u1",
                              created_at=comments[1].created_at)
    assert verdict == verdicts[1]
    assert record.judged("comment:c1") is None


def test_comment_and_danmaku_ids_do_not_collide(tmp_path):
    record = Record(tmp_path / "r.db")
    c, v = page(1)
    d, w = page(1, kind=Kind.DANMAKU)
    record.record_page(c + d, v + w, lexicon_version="L", hide_keys=[])
    assert record.db.execute("select count(*) from comments").fetchone()[0] == 2


def test_cursor_advances_and_keeps_newest_item_time(tmp_path):
    record = Record(tmp_path / "r.db")
    assert record.cursor("v1", Kind.COMMENT) is None
    record.advance_cursor("v1", Kind.COMMENT, "5", last_item_at=100.0)
    record.advance_cursor("v1", Kind.COMMENT, "9")
    assert record.cursor("v1", Kind.COMMENT) == "9"
    assert record.cursor("v1", Kind.DANMAKU) is None
    assert record.cursor_lag()[0]["last_item_at"] == 100.0


def test_prune_removes_old_rows_but_keeps_unfinished_intents(tmp_path):
    record = Record(tmp_path / "r.db")
    comments, verdicts = page(4)
    old = time.time() - 40 * 86400
    record.record_page(comments, verdicts, lexicon_version="L", hide_keys=["comment:c0", "comment:c2"], now=old)
    record.finish_action("comment:c0", ok=True, already=False, status=200, detail="")
    record.add_dead_letter(video_id="v1", kind="comment", location="items[3]", reason="bad", raw="{")
    record.db.execute("update dead_letters set at = ?", [old])
    removed = record.prune(30)
    assert removed["comments"] == 3 and removed["dead_letters"] == 1
    # c2's hide never finished: it and its comment survive so it can still be done.
    assert [i.key for i in record.pending_intents()] == ["comment:c2"]
    assert record.db.execute("select key from comments").fetchall() == [("comment:c2",)]
    assert record.prune(30)["comments"] == 0


def test_counts_summarise_by_action_and_category(tmp_path):
    record = Record(tmp_path / "r.db")
    comments, verdicts = page(4)
    record.record_page(comments, verdicts, lexicon_version="L", hide_keys=["comment:c0"])
    counts = record.counts()
    assert counts["comments"] == 4
    assert counts["by_action"] == {"hide": 2, "allow": 2}
    assert counts["by_category"] == {"contact": 2}
    assert counts["hides"] == {"intent": 1}


def test_dead_letter_keeps_reason_location_and_truncated_raw(tmp_path):
    record = Record(tmp_path / "r.db")
    record.add_dead_letter(video_id="v1", kind="danmaku", location="xml line 3", reason="not well-formed",
                           raw="<d" * 100_000)
    (row,) = record.last_dead_letters()
    assert row["location"] == "xml line 3" and row["reason"] == "not well-formed"
    assert len(record.db.execute("select raw from dead_letters").fetchone()[0]) == 100_000


def test_the_same_dead_letter_is_filed_once(tmp_path):
    record = Record(tmp_path / "r.db")
    letter = dict(video_id="v1", kind="comment", location="GET /c?after=5", reason="invalid JSON", raw="{")
    assert record.add_dead_letter(**letter) is True
    assert record.add_dead_letter(**letter) is False  # the same broken page, polled again
    assert record.add_dead_letter(**{**letter, "location": "GET /c?after=6"}) is True
    assert [row["location"] for row in record.last_dead_letters()] == ["GET /c?after=6", "GET /c?after=5"]

