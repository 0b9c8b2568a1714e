"""Hide a comment through the service, exactly once, with the result recorded.

The record holds an *intent* row before the service is called and the
outcome after. Replaying an intent after a crash is safe: the service answers
``already`` for an item that was hidden, and a done row is never replayed.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from commentwatch.errors import ServiceError
from commentwatch.record.store import Record
from commentwatch.sources.client import CommentServiceClient
from commentwatch.values import HideIntent, HideOutcome

log = logging.getLogger("commentwatch.hide")

#: An intent the service never confirmed is given up this long after it was
#: made. Counting tries instead would give every hide up after a few minutes'
#: outage, since the retry sweep runs every few seconds.
GIVE_UP_AFTER_S = 24 * 3600.0


class Hider:
    def __init__(self, client: CommentServiceClient, record: Record, *, reason: str, metrics: Any = None) -> None:
        self.client = client
        self.record = record
        self.reason = reason
        self.metrics = metrics
        #: Keys being hidden right now, so a retry sweep never races a page.
        self._in_flight: set[str] = set()

    async def execute(self, intent: HideIntent) -> HideOutcome:
        """Carry out one intent; PENDING means try again later."""
        key = intent.key
        if key in self._in_flight or self.record.action_state(key) != "intent":
            return HideOutcome.SKIPPED
        self._in_flight.add(key)
        started = time.perf_counter()
        try:
            self.record.start_attempt(key)
            try:
                result = await self.client.hide(intent.kind, intent.item_id, self.reason)
            except ServiceError as exc:
                if time.time() - intent.intent_at >= GIVE_UP_AFTER_S:
                    self.record.finish_action(key, ok=False, already=False, status=0, detail=f"gave up: {exc}")
                    log.error("hide %s given up, unconfirmed for %.0f h: %s", key, GIVE_UP_AFTER_S / 3600, exc)
                    return HideOutcome.FAILED
                log.warning("hide %s not confirmed, will retry: %s", key, exc)
                if self.metrics:
                    self.metrics.errors.labels(stage="hide").inc()
                return HideOutcome.PENDING
            if result.ok:
                self.record.finish_action(key, ok=True, already=result.already, status=result.status,
                                          detail=result.detail)
                if self.metrics:
                    self.metrics.hides.labels(outcome="already" if result.already else "hidden").inc()
                    self.metrics.hide_seconds.observe(time.perf_counter() - started)
                return HideOutcome.DONE
            # The service refused for good (item gone, not allowed): record why.
            self.record.finish_action(key, ok=False, already=False, status=result.status, detail=result.detail)
            log.error("hide %s refused: HTTP %s %s", key, result.status, result.detail)
            if self.metrics:
                self.metrics.hides.labels(outcome="refused").inc()
            return HideOutcome.FAILED
        finally:
            self._in_flight.discard(key)
