"""The daemon's memory, in one SQLite file (WAL), through sqlite-utils.

It is what makes the worker crash-safe: a page's comments, verdicts and hide
*intents* are written in one transaction before anything is done about them,
the result of each hide is written after, and the cursor moves last. After a
kill -9 the worker re-reads from the old cursor, finds the intents and
finishes them, and skips anything already done.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import sqlite_utils

from commentwatch.record.schema import migrate
from commentwatch.values import (
    Action,
    Comment,
    Evidence,
    HideIntent,
    Kind,
    Verdict,
    Video,
)


def comment_key(kind: Kind | str, item_id: str) -> str:
    """Comments and danmaku have separate id spaces; the key keeps them apart."""
    return f"{Kind(kind).value}:{item_id}"


class Record:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit at the driver level: transactions are explicit (atomic()).
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=30.0, check_same_thread=False)
        self.db = sqlite_utils.Database(conn)
        if str(path) != ":memory:":
            self.db.enable_wal()
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        try:
            self.schema_version = migrate(self.db)
        except Exception:  # e.g. a record from a newer commentwatch: do not leave the file open
            conn.close()
            raise

    def close(self) -> None:
        self.db.close()

    # -- videos and cursors -------------------------------------------------

    def upsert_video(self, video: Video, *, minors: bool, watched: bool, now: float | None = None) -> None:
        now = time.time() if now is None else now
        existing = self.db.execute("select first_seen from videos where id = ?", [video.id]).fetchone()
        self.db.table("videos").upsert(
            {
                "id": video.id,
                "title": video.title,
                "tags": json.dumps(list(video.tags), ensure_ascii=False),
                "description": video.description,
                "featuring_minors": None if video.featuring_minors is None else int(video.featuring_minors),
                "minors": int(minors),
                "watched": int(watched),
                "first_seen": existing[0] if existing else now,
                "last_seen": now,
            },
            pk="id",
        )

    def cursor(self, video_id: str, kind: Kind) -> str | None:
        row = self.db.execute(
            "select cursor from cursors where video_id = ? and kind = ?", [video_id, kind.value]
        ).fetchone()
        return row[0] if row else None

    def advance_cursor(self, video_id: str, kind: Kind, cursor: str, *, last_item_at: float | None = None) -> None:
        self.db.execute(
            "insert into cursors (video_id, kind, cursor, updated_at, last_item_at) values (?, ?, ?, ?, ?) "
            "on conflict(video_id, kind) do update set cursor = excluded.cursor, "
            "updated_at = excluded.updated_at, "
            "last_item_at = coalesce(excluded.last_item_at, cursors.last_item_at)",
            [video_id, kind.value, cursor, time.time(), last_item_at],
        )

    # -- a page of comments -------------------------------------------------

    def record_page(
        self,
        comments: Sequence[Comment],
        verdicts: Sequence[Verdict],
        *,
        lexicon_version: str,
        hide_keys: Iterable[str] = (),
        now: float | None = None,
    ) -> list[HideIntent]:
        """Write comments, verdicts and hide intents in one transaction.

        Returns the hide intents of this page that are not done yet, including
        ones left over from a run that was killed before finishing them.
        """
        now = time.time() if now is None else now
        by_key = {comment_key(c.kind, c.id): c for c in comments}
        hide_keys = [k for k in hide_keys if k in by_key]
        with self.db.atomic():
            self.db.table("comments").insert_all(
                (
                    {
                        "key": key, "id": c.id, "kind": c.kind.value, "video_id": c.video.id,
                        "author_id": c.author_id, "parent_id": c.parent_id, "text": c.text,
                        "created_at": c.created_at, "seen_at": now,
                    }
                    for key, c in by_key.items()
                ),
                pk="key",
                ignore=True,
            )
            self.db.table("verdicts").insert_all(
                (
                    {
                        "key": comment_key(c.kind, c.id),
                        "action": v.action.value,
                        "score": v.score,
                        "categories": json.dumps(list(v.categories)),
                        "evidence": json.dumps([asdict(e) for e in v.evidence], ensure_ascii=False),
                        "minors_policy": int(v.minors_policy),
                        "lexicon_version": lexicon_version,
                        "judged_at": now,
                    }
                    for c, v in zip(comments, verdicts, strict=True)
                ),
                pk="key",
                replace=True,
            )
            self.db.table("actions").insert_all(
                (
                    {
                        "key": key, "kind": by_key[key].kind.value, "item_id": by_key[key].id,
                        "video_id": by_key[key].video.id, "action": "hide", "state": "intent",
                        "ok": None, "already": None, "status": None, "detail": "",
                        "attempts": 0, "intent_at": now, "done_at": None,
                    }
                    for key in hide_keys
                ),
                pk="key",
                ignore=True,  # an earlier run's row (done or not) wins
            )
        if not hide_keys:
            return []
        marks = ",".join("?" * len(hide_keys))
        rows = self.db.query(f"select * from actions where state = 'intent' and key in ({marks})", hide_keys)
        return [_intent(row) for row in rows]

    def pending_intents(self) -> list[HideIntent]:
        """Hides decided but not confirmed: finished first thing after a restart."""
        return [_intent(row) for row in self.db.query("select * from actions where state = 'intent' order by intent_at")]

    def start_attempt(self, key: str) -> None:
        self.db.execute("update actions set attempts = attempts + 1 where key = ?", [key])

    def finish_action(self, key: str, *, ok: bool, already: bool, status: int, detail: str) -> None:
        self.db.execute(
            "update actions set state = ?, ok = ?, already = ?, status = ?, detail = ?, done_at = ? where key = ?",
            ["done" if ok else "failed", int(ok), int(already), status, detail[:2000], time.time(), key],
        )

    def judged(self, key: str) -> tuple[Comment, Verdict] | None:
        """A recorded comment and its verdict, for acting on it after the page is gone."""
        row = self.db.execute(
            "select c.id, c.kind, c.video_id, c.author_id, c.parent_id, c.text, c.created_at, "
            "v.action, v.score, v.categories, v.evidence, v.minors_policy "
            "from comments c join verdicts v on v.key = c.key where c.key = ?",
            [key],
        ).fetchone()
        if row is None:
            return None
        item_id, kind, video_id, author_id, parent_id, text, created_at, action, score, categories, evidence, \
            minors_policy = row
        comment = Comment(id=item_id, text=text, video=Video(id=video_id), kind=Kind(kind), author_id=author_id,
                          parent_id=parent_id, created_at=created_at)
        verdict = Verdict(
            comment_id=item_id, action=Action(action), score=score,
            categories=tuple(json.loads(categories or "[]")),
            evidence=tuple(Evidence(**e) for e in json.loads(evidence or "[]")),
            minors_policy=bool(minors_policy),
        )
        return comment, verdict

    def action_state(self, key: str) -> str | None:
        row = self.db.execute("select state from actions where key = ?", [key]).fetchone()
        return row[0] if row else None

    # -- alerts --------------------------------------------------------------

    def alerted_keys(self, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        marks = ",".join("?" * len(keys))
        rows = self.db.execute(
            f"select distinct key from alerts where type = 'alert' and key in ({marks})", list(keys)
        ).fetchall()
        return {r[0] for r in rows}

    def add_alert(
        self, *, type: str, title: str, body: str, key: str = "", video_id: str = "",
        author_id: str = "", status: str = "pending", sinks: Sequence[str] = (), payload: str = "",
    ) -> int:
        table = self.db.table("alerts").insert(
            {
                "key": key, "video_id": video_id, "author_id": author_id, "type": type,
                "title": title, "body": body, "sinks": json.dumps(list(sinks)), "status": status,
                "error": "", "created_at": time.time(), "payload": payload, "attempts": 1,
            }
        )
        return int(table.last_pk)

    def finish_alert(self, alert_id: int, *, status: str, error: str = "") -> None:
        self.db.execute("update alerts set status = ?, error = ? where id = ?", [status, error[:2000], alert_id])

    def undelivered_alerts(self, *, since: float, max_attempts: int) -> list[dict]:
        """Alerts no sink accepted, recent and not yet tried ``max_attempts`` times."""
        rows = self.db.execute(
            "select id, payload, attempts from alerts where status = 'failed' and payload != '' "
            "and created_at >= ? and attempts < ? order by id",
            [since, max_attempts],
        ).fetchall()
        return [{"id": r[0], "payload": r[1], "attempts": r[2]} for r in rows]

    def retried_alert(self, alert_id: int, *, status: str, error: str = "") -> None:
        self.db.execute(
            "update alerts set status = ?, error = ?, attempts = attempts + 1 where id = ?",
            [status, error[:2000], alert_id],
        )

    # -- dead letters --------------------------------------------------------

    def add_dead_letter(self, *, video_id: str, kind: str, location: str, reason: str, raw: str) -> bool:
        """File a payload that could not be parsed; False if this very one is already filed.

        A broken page keeps its cursor, so it is read again on every poll: filing
        it once keeps a service that stays broken from filling the disk.
        """
        row = {
            "video_id": video_id, "kind": kind, "location": location, "reason": reason,
            # Keep enough to debug; a hostile multi-megabyte payload is cut.
            "raw": raw[:100_000],
        }
        filed = self.db.execute(
            "select 1 from dead_letters where video_id = ? and kind = ? and location = ? and reason = ? "
            "and raw = ? limit 1",
            list(row.values()),
        ).fetchone()
        if filed:
            return False
        self.db.table("dead_letters").insert({**row, "at": time.time()})
        return True

    # -- housekeeping --------------------------------------------------------

    def prune(self, retention_days: int, *, now: float | None = None) -> dict[str, int]:
        """Delete what is older than the retention; cursors and videos stay."""
        cutoff = (time.time() if now is None else now) - retention_days * 86400.0
        removed: dict[str, int] = {}
        with self.db.atomic():
            old = "select key from comments where seen_at < ?"
            removed["verdicts"] = self.db.execute(f"delete from verdicts where key in ({old})", [cutoff]).rowcount
            removed["actions"] = self.db.execute(
                f"delete from actions where state != 'intent' and key in ({old})", [cutoff]
            ).rowcount
            removed["comments"] = self.db.execute(
                "delete from comments where seen_at < ? and key not in (select key from actions)", [cutoff]
            ).rowcount
            removed["alerts"] = self.db.execute("delete from alerts where created_at < ?", [cutoff]).rowcount
            removed["dead_letters"] = self.db.execute("delete from dead_letters where at < ?", [cutoff]).rowcount
            self.db.execute("delete from alert_windows where expires_at < ?", [cutoff])
        return removed

    def counts(self, since: float = 0.0) -> dict[str, Any]:
        """Numbers for ``status`` and the daily digest."""
        q = self.db.execute
        by_action = dict(
            q("select action, count(*) from verdicts where judged_at >= ? group by action", [since]).fetchall()
        )
        by_category: dict[str, int] = {}
        for (categories,) in q(
            "select categories from verdicts where action != 'allow' and judged_at >= ?", [since]
        ).fetchall():
            for category in json.loads(categories or "[]"):
                by_category[category] = by_category.get(category, 0) + 1
        return {
            "comments": q("select count(*) from comments where seen_at >= ?", [since]).fetchone()[0],
            "by_action": by_action,
            "by_category": dict(sorted(by_category.items(), key=lambda kv: -kv[1])),
            "hides": dict(
                q("select state, count(*) from actions where intent_at >= ? group by state", [since]).fetchall()
            ),
            "alerts": dict(
                q("select type, count(*) from alerts where created_at >= ? group by type", [since]).fetchall()
            ),
            "dead_letters": q("select count(*) from dead_letters where at >= ?", [since]).fetchone()[0],
            "videos_watched": q("select count(*) from videos where watched = 1").fetchone()[0],
        }

    def last_hides(self, limit: int = 10) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "select a.key, a.video_id, a.state, a.already, a.done_at, a.detail, c.text, c.author_id, "
                "v.score, v.categories, v.evidence from actions a "
                "left join comments c on c.key = a.key left join verdicts v on v.key = a.key "
                "order by a.intent_at desc limit ?",
                [limit],
            )
        )

    def last_dead_letters(self, limit: int = 10) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "select id, video_id, kind, location, reason, substr(raw, 1, 200) as raw, at "
                "from dead_letters order by id desc limit ?",
                [limit],
            )
        )

    def cursor_lag(self) -> list[dict[str, Any]]:
        """Per watched stream: when the cursor last moved, and the newest item it passed."""
        return list(
            self.db.query(
                "select video_id, kind, cursor, updated_at, last_item_at from cursors order by updated_at"
            )
        )


def _intent(row: dict[str, Any]) -> HideIntent:
    return HideIntent(key=row["key"], kind=Kind(row["kind"]), item_id=row["item_id"], video_id=row["video_id"],
                      intent_at=float(row["intent_at"]))
