"""Tell moderators: per-comment alerts, aggregated follow-ups, the daily digest.

Every alert is written to the record before it is sent and updated after, so
a restarted worker does not alert twice for the same comment and moderators
can see in ``status`` which alerts failed to reach them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict

from commentwatch.act.ratelimit import AlertGate
from commentwatch.act.sinks import AlertMessage, Sink
from commentwatch.record.store import Record, comment_key
from commentwatch.values import Comment, Verdict

log = logging.getLogger("commentwatch.alerts")

MAX_TEXT = 500


def describe_evidence(verdict: Verdict) -> list[str]:
    lines = []
    for e in verdict.evidence:
        how = f" via {e.evasion}" if e.evasion else ""
        detail = f" — {e.detail}" if e.detail else ""
        where = f"[{e.start}:{e.end}]"
        lines.append(f"{e.category}: “{e.term}” {where} ({e.source}{how}, severity {e.severity}){detail}")
    return lines


def comment_message(comment: Comment, verdict: Verdict, *, why: str) -> AlertMessage:
    categories = ", ".join(verdict.categories) or "unclear"
    text = comment.text if len(comment.text) <= MAX_TEXT else comment.text[:MAX_TEXT] + "…"
    video = comment.video.title or comment.video.id
    return AlertMessage(
        type="alert",
        title=f"{why}: {categories} on “{video}”",
        lines=(
            f"{comment.kind.value} {comment.id} by {comment.author_id or '?'} on video {comment.video.id}",
            f"text: {text}",
            f"score {verdict.score:.2f}, verdict {verdict.action.value}"
            + (", minors policy" if verdict.minors_policy else ""),
            *describe_evidence(verdict),
        ),
        data={
            "reason": why,
            "comment": {
                "id": comment.id, "kind": comment.kind.value, "video_id": comment.video.id,
                "video_title": comment.video.title, "author_id": comment.author_id,
                "text": text, "created_at": comment.created_at,
            },
            "verdict": {
                "action": verdict.action.value, "score": verdict.score,
                "categories": list(verdict.categories), "minors_policy": verdict.minors_policy,
                "evidence": [asdict(e) for e in verdict.evidence],
            },
        },
    )


class Alerter:
    def __init__(self, *, sinks: Sequence[Sink], gate: AlertGate, record: Record, window_s: float) -> None:
        """``window_s`` is ``[alerts] window_s``: one alert per author and video in that window."""
        self.sinks = list(sinks)
        self.gate = gate
        self.record = record
        self.window_s = window_s

    async def alert(self, comment: Comment, verdict: Verdict, *, why: str = "alert") -> str:
        """Alert on one comment, or hold it for the summary; returns what happened."""
        key = comment_key(comment.kind, comment.id)
        if self.record.alerted_keys([key]):
            return "already"
        message = comment_message(comment, verdict, why=why)
        gate_key = f"{comment.video.id}:{comment.author_id}"
        if not await self.gate.admit(gate_key, self.window_s):
            await self.gate.hold(gate_key, {"key": key, **message.data["comment"],
                                            "categories": list(verdict.categories), "score": verdict.score})
            self.record.add_alert(
                type="alert", title=message.title, body=message.text(), key=key,
                video_id=comment.video.id, author_id=comment.author_id, status="held",
            )
            log.info("held for summary: %s", message.title)
            return "held"
        return await self._deliver(message, key=key, video_id=comment.video.id, author_id=comment.author_id)

    async def flush_summaries(self) -> int:
        """Send one follow-up per closed window that held alerts; returns how many."""
        sent = 0
        for items in (await self.gate.due()).values():
            # From the held items, not the gate key: ids may contain ":".
            video_id, author_id = items[0].get("video_id", ""), items[0].get("author_id") or ""
            lines = [f"{len(items)} more flagged comment(s) by {author_id or '?'} on video {video_id}:"]
            for item in items[:20]:
                lines.append(f"- {item.get('kind', '')} {item.get('id', '')} "
                             f"({', '.join(item.get('categories', [])) or 'unclear'}, "
                             f"{item.get('score', 0):.2f}): {item.get('text', '')[:120]}")
            if len(items) > 20:
                lines.append(f"… and {len(items) - 20} more")
            message = AlertMessage(
                type="summary",
                title=f"Follow-up: {len(items)} more from {author_id or '?'} on video {video_id}",
                lines=tuple(lines),
                data={"video_id": video_id, "author_id": author_id, "count": len(items), "items": items},
            )
            await self._deliver(message, video_id=video_id, author_id=author_id)
            sent += 1
        return sent

    async def digest(self, *, hours: float = 24.0) -> AlertMessage:
        """Summarise the last ``hours`` for moderators and send it."""
        since = time.time() - hours * 3600
        counts = self.record.counts(since=since)
        lines = [
            f"comments seen: {counts['comments']}",
            "verdicts: " + (", ".join(f"{k} {v}" for k, v in sorted(counts["by_action"].items())) or "none"),
            "categories: " + (", ".join(f"{k} {v}" for k, v in counts["by_category"].items()) or "none"),
            "hides: " + (", ".join(f"{k} {v}" for k, v in sorted(counts["hides"].items())) or "none"),
            "alerts: " + (", ".join(f"{k} {v}" for k, v in sorted(counts["alerts"].items())) or "none"),
            f"dead letters: {counts['dead_letters']}",
            f"videos watched: {counts['videos_watched']}",
        ]
        message = AlertMessage(type="digest", title=f"Daily digest, last {hours:g} h", lines=tuple(lines),
                               data={"since": since, "counts": counts})
        await self._deliver(message)
        return message

    async def retry_failed(self, *, max_age_s: float = 86_400.0, max_attempts: int = 20) -> int:
        """Send again the alerts no sink accepted (a webhook that was down); returns how many got through.

        A moderator must not miss an alert because a chat service had an
        outage, so failed alerts are retried for a day; each try is counted
        in the record.
        """
        sent = 0
        for row in self.record.undelivered_alerts(since=time.time() - max_age_s, max_attempts=max_attempts):
            stored = json.loads(row["payload"])
            message = AlertMessage(type=stored["type"], title=stored["title"], lines=tuple(stored["lines"]),
                                   data=stored["data"])
            status, errors = await self._send(message)
            self.record.retried_alert(row["id"], status=status, error="; ".join(errors))
            if status != "failed":
                sent += 1
                log.info("alert %d delivered on try %d: %s", row["id"], row["attempts"] + 1, message.title)
        return sent

    async def _deliver(self, message: AlertMessage, *, key: str = "", video_id: str = "", author_id: str = "") -> str:
        payload = json.dumps({"type": message.type, "title": message.title, "lines": list(message.lines),
                              "data": message.data}, ensure_ascii=False, default=str)
        alert_id = self.record.add_alert(
            type=message.type, title=message.title, body=message.text(), key=key,
            video_id=video_id, author_id=author_id, sinks=[s.name for s in self.sinks], payload=payload,
        )
        log.warning("%s %s\n    %s", message.type.upper(), message.title, "\n    ".join(message.lines))
        status, errors = await self._send(message)
        self.record.finish_alert(alert_id, status=status, error="; ".join(errors))
        return status

    async def _send(self, message: AlertMessage) -> tuple[str, list[str]]:
        """Send to every sink at once: "sent", "partial", "failed" or "logged" (no sinks)."""
        results = await asyncio.gather(*(sink.send(message) for sink in self.sinks), return_exceptions=True)
        errors = [str(r) for r in results if isinstance(r, BaseException)]
        for error in errors:
            log.error("alert not delivered: %s", error)
        if not self.sinks:
            return "logged", errors
        return ("failed" if len(errors) == len(self.sinks) else ("partial" if errors else "sent")), errors
