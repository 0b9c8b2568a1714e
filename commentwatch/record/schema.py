"""The record's tables, versioned: each migration runs once, in order, at start.

A new column or table is a new function appended to ``MIGRATIONS``; never edit
one that has shipped, because records made by older versions rely on it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlite_utils


def _v1_initial(db: sqlite_utils.Database) -> None:
    db.table("videos").create(
        {
            "id": str, "title": str, "tags": str, "description": str,
            "featuring_minors": int,  # what the platform said (NULL: unknown)
            "minors": int,            # what we decided
            "watched": int, "first_seen": float, "last_seen": float,
        },
        pk="id",
    )
    db.table("comments").create(
        {
            "key": str, "id": str, "kind": str, "video_id": str, "author_id": str,
            "parent_id": str, "text": str, "created_at": float, "seen_at": float,
        },
        pk="key",
    )
    db.table("comments").create_index(["seen_at"])
    db.table("comments").create_index(["video_id", "author_id"])
    db.table("verdicts").create(
        {
            "key": str, "action": str, "score": float, "categories": str,
            "evidence": str, "minors_policy": int, "lexicon_version": str, "judged_at": float,
        },
        pk="key",
    )
    db.table("verdicts").create_index(["action", "judged_at"])
    db.table("actions").create(
        {
            "key": str, "kind": str, "item_id": str, "video_id": str, "action": str,
            # intent → done | failed; intent is written before the service is called.
            "state": str, "ok": int, "already": int, "status": int, "detail": str,
            "attempts": int, "intent_at": float, "done_at": float,
        },
        pk="key",
    )
    db.table("actions").create_index(["state"])
    db.table("alerts").create(
        {
            "id": int, "key": str, "video_id": str, "author_id": str, "type": str,
            "title": str, "body": str, "sinks": str, "status": str, "error": str, "created_at": float,
        },
        pk="id",
    )
    db.table("alerts").create_index(["created_at"])
    db.table("alerts").create_index(["key"])
    db.table("cursors").create(
        {"video_id": str, "kind": str, "cursor": str, "updated_at": float, "last_item_at": float},
        pk=("video_id", "kind"),
    )
    db.table("dead_letters").create(
        {
            "id": int, "video_id": str, "kind": str, "location": str, "reason": str,
            "raw": str, "at": float,
        },
        pk="id",
    )
    db.table("dead_letters").create_index(["at"])
    # Rate-limit windows and aggregated alerts when no Redis is configured.
    db.table("alert_windows").create({"key": str, "expires_at": float}, pk="key")
    db.table("alert_suppressed").create(
        {"id": int, "key": str, "payload": str, "at": float}, pk="id"
    )
    db.table("alert_suppressed").create_index(["key"])


def _v2_alert_retries(db: sqlite_utils.Database) -> None:
    """Keep each alert's message so a failed delivery can be sent again."""
    db.table("alerts").add_column("payload", str, not_null_default="")
    db.table("alerts").add_column("attempts", int, not_null_default=1)


MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (_v1_initial, _v2_alert_retries)


def current_version(db: sqlite_utils.Database) -> int:
    if "schema_version" not in db.table_names():
        return 0
    row = db.execute("select max(version) from schema_version").fetchone()
    return int(row[0] or 0)


def migrate(db: sqlite_utils.Database) -> int:
    """Apply pending migrations, each in its own transaction; return the version."""
    if "schema_version" not in db.table_names():
        db.table("schema_version").create({"version": int, "applied_at": float}, pk="version")
    version = current_version(db)
    if version > len(MIGRATIONS):
        raise RuntimeError(
            f"record schema version {version} is newer than this commentwatch "
            f"({len(MIGRATIONS)}); upgrade commentwatch or use another record.path"
        )
    for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
        with db.atomic():
            step(db)
            db.table("schema_version").insert({"version": number, "applied_at": time.time()})
    return len(MIGRATIONS)
