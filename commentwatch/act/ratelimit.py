"""One alert per author and video per window; the rest are held for a summary.

Moderators drown if a single spammer produces fifty alerts, so the first
comment in a window alerts at once and later ones are held and sent as one
follow-up summary when the window closes. The state lives in Redis when
several workers share the load (so they agree), else in the SQLite record.
"""

from __future__ import annotations

import json
import time
from typing import Any, Protocol

import redis.asyncio as aioredis

from commentwatch.record.store import Record


class AlertGate(Protocol):
    async def admit(self, key: str, window_s: float) -> bool:
        """True for the first alert of ``key`` in its window (and opens the window)."""

    async def hold(self, key: str, item: dict[str, Any]) -> None:
        """Keep an item that was not admitted, for the follow-up summary."""

    async def due(self) -> dict[str, list[dict[str, Any]]]:
        """Take the held items of every window that has closed (each only once)."""

    async def close(self) -> None: ...


class SqliteAlertGate:
    """Single-worker gate kept in the record's own tables."""

    def __init__(self, record: Record) -> None:
        self.db = record.db

    async def admit(self, key: str, window_s: float) -> bool:
        now = time.time()
        with self.db.atomic():
            row = self.db.execute("select expires_at from alert_windows where key = ?", [key]).fetchone()
            if row is not None and row[0] > now:
                return False
            self.db.table("alert_windows").upsert({"key": key, "expires_at": now + window_s}, pk="key")
        return True

    async def hold(self, key: str, item: dict[str, Any]) -> None:
        self.db.table("alert_suppressed").insert(
            {"key": key, "payload": json.dumps(item, ensure_ascii=False), "at": time.time()}
        )

    async def due(self) -> dict[str, list[dict[str, Any]]]:
        now = time.time()
        taken: dict[str, list[dict[str, Any]]] = {}
        with self.db.atomic():
            rows = self.db.execute(
                "select s.id, s.key, s.payload from alert_suppressed s "
                "left join alert_windows w on w.key = s.key "
                "where w.expires_at is null or w.expires_at <= ? order by s.id",
                [now],
            ).fetchall()
            for _row_id, key, payload in rows:
                taken.setdefault(key, []).append(json.loads(payload))
            if rows:
                marks = ",".join("?" * len(rows))
                self.db.execute(f"delete from alert_suppressed where id in ({marks})", [r[0] for r in rows])
        return taken

    async def close(self) -> None:
        return None


class RedisAlertGate:
    """Gate shared by every worker that points at the same Redis."""

    def __init__(self, url: str, *, prefix: str = "commentwatch:alerts:") -> None:
        self.redis = aioredis.Redis.from_url(url, decode_responses=True)
        self.prefix = prefix

    def _window(self, key: str) -> str:
        return f"{self.prefix}window:{key}"

    def _held(self, key: str) -> str:
        return f"{self.prefix}held:{key}"

    async def admit(self, key: str, window_s: float) -> bool:
        if window_s <= 0:
            return True
        # SET NX PX is atomic: of several workers racing, exactly one wins.
        return bool(await self.redis.set(self._window(key), "1", nx=True, px=max(1, int(window_s * 1000))))

    async def hold(self, key: str, item: dict[str, Any]) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(self._held(key), json.dumps(item, ensure_ascii=False))
            pipe.sadd(f"{self.prefix}held_keys", key)
            await pipe.execute()

    async def due(self) -> dict[str, list[dict[str, Any]]]:
        taken: dict[str, list[dict[str, Any]]] = {}
        for key in await self.redis.smembers(f"{self.prefix}held_keys"):
            if await self.redis.exists(self._window(key)):
                continue
            # LRANGE+DEL+SREM in one MULTI: a racing worker finds the list empty.
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.lrange(self._held(key), 0, -1)
                pipe.delete(self._held(key))
                pipe.srem(f"{self.prefix}held_keys", key)
                items, _, _ = await pipe.execute()
            if items:
                taken[key] = [json.loads(item) for item in items]
        return taken

    async def close(self) -> None:
        await self.redis.aclose()
