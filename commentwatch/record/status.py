"""What the daemon has done, read from its record: counts, last hides, dead letters, cursor lag.

``commentwatch status`` prints it for operators and moderators, and the demo
ends with it.
"""

from __future__ import annotations

import json
import time
from typing import Any

from commentwatch.record.store import Record


def status_data(record: Record, *, limit: int = 10) -> dict[str, Any]:
    now = time.time()
    return {
        "record": str(record.path),
        "schema_version": record.schema_version,
        "totals": record.counts(),
        "last_24h": record.counts(since=now - 86400),
        "last_hides": record.last_hides(limit),
        "dead_letters": record.last_dead_letters(limit),
        "cursors": [
            {**c, "idle_s": round(now - c["updated_at"], 1) if c["updated_at"] else None}
            for c in record.cursor_lag()
        ],
        "pending_hides": len(record.pending_intents()),
    }


def _pairs(mapping: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in mapping.items()) or "none"


def format_status(data: dict[str, Any]) -> str:
    t, d = data["totals"], data["last_24h"]
    lines = [
        f"record {data['record']} (schema v{data['schema_version']})",
        f"comments seen: {t['comments']} (last 24 h: {d['comments']}); videos watched: {t['videos_watched']}",
        f"verdicts: {_pairs(t['by_action'])}",
        f"categories: {_pairs(t['by_category'])}",
        f"hides: {_pairs(t['hides'])}; pending: {data['pending_hides']}",
        f"alerts: {_pairs(t['alerts'])}",
        f"dead letters: {t['dead_letters']}",
    ]
    if data["last_hides"]:
        lines.append("last hides:")
        for h in data["last_hides"]:
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(h["done_at"])) if h["done_at"] else "pending"
            terms = ", ".join(f"{e['category']}:{e['term']}" for e in json.loads(h["evidence"] or "[]")[:4])
            text = (h["text"] or "").replace("\n", " ")
            lines.append(f"  {when} {h['key']} on {h['video_id']} [{h['state']}"
                         f"{', already hidden' if h['already'] else ''}] {text[:60]} ({terms})")
    if data["dead_letters"]:
        lines.append("dead letters:")
        for dl in data["dead_letters"]:
            lines.append(f"  {dl['kind']} of {dl['video_id']} at {dl['location']}: {dl['reason']}")
    if data["cursors"]:
        lines.append("cursors (stream: cursor, seconds since it last moved):")
        for c in data["cursors"]:
            lines.append(f"  {c['video_id']}/{c['kind']}: {c['cursor']}, {c['idle_s']} s")
    return "\n".join(lines)
