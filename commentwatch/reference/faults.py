"""Faults the reference service can be told to inject, so clients meet real failure.

A fault is switched on at run time through ``POST /admin/faults`` (or from
the command line as a standing probability) and applies to the public API
only, never to the admin endpoints that tests use to observe. Each fault
lasts for a number of matching calls, for a number of seconds, or until
cleared, whichever is given; several may be active and the oldest that
matches a call wins.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from commentwatch.errors import FaultSpecError

#: Faults applied before the handler runs: they replace or delay the answer.
BEFORE_MODES = ("error", "delay", "rate_limit")
#: Faults applied to the handler's answer: they break its body.
AFTER_MODES = ("malformed_json", "malformed_xml")
#: A standing fault: the named items are served with broken fields.
ITEM_MODES = ("malformed_items",)
MODES = BEFORE_MODES + AFTER_MODES + ITEM_MODES


@dataclass
class Fault:
    id: int
    mode: str
    #: Matching calls left; ``None`` for no limit.
    count: int | None = None
    #: ``time.monotonic()`` after which the fault is over; ``None`` for never.
    until: float | None = None
    #: Only calls whose path contains this (e.g. "/danmaku", "/hide").
    path: str = ""
    #: Only calls with this HTTP method ("" for any).
    method: str = ""
    probability: float = 1.0
    status: int = 500
    delay_s: float = 0.0
    retry_after: int = 1
    item_ids: frozenset[str] = field(default_factory=frozenset)
    served: int = 0

    def live(self, now: float) -> bool:
        return (self.count is None or self.count > 0) and (self.until is None or now < self.until)

    def matches(self, method: str, path: str) -> bool:
        return (not self.method or self.method == method) and self.path in path

    def describe(self, now: float) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "mode": self.mode,
            "count_left": self.count,
            "seconds_left": None if self.until is None else max(0.0, round(self.until - now, 3)),
            "path": self.path,
            "method": self.method,
            "probability": self.probability,
            "served": self.served,
            "live": self.live(now),
        }
        if self.mode == "error":
            out["status"] = self.status
        elif self.mode == "delay":
            out["delay_s"] = self.delay_s
        elif self.mode == "rate_limit":
            out["retry_after"] = self.retry_after
        elif self.mode == "malformed_items":
            out["item_ids"] = sorted(self.item_ids)
        return out


def _number(spec: dict, key: str, default: float | None, *, minimum: float, maximum: float | None = None) -> float | None:
    value = spec.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FaultSpecError(f"{key}: expected a number, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise FaultSpecError(f"{key}: expected a number {bound}, got {value!r}")
    return value


class FaultPlan:
    """The faults currently switched on; one per service process."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(seed)
        self._faults: list[Fault] = []
        self._next_id = 1
        self.served = 0

    def add(self, spec: Any) -> Fault:
        """Validate a fault request (the JSON body of ``POST /admin/faults``)."""
        if not isinstance(spec, dict):
            raise FaultSpecError(f"expected a JSON object, got {type(spec).__name__}")
        known = {"mode", "count", "seconds", "path", "method", "probability", "status", "delay_s", "retry_after", "item_ids"}
        unknown = sorted(set(spec) - known)
        if unknown:
            raise FaultSpecError(f"{unknown[0]}: unknown field (known: {', '.join(sorted(known))})")
        mode = spec.get("mode")
        if mode not in MODES:
            raise FaultSpecError(f"mode: expected one of {', '.join(MODES)}, got {mode!r}")
        count = spec.get("count")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
            raise FaultSpecError(f"count: expected a positive integer, got {count!r}")
        seconds = _number(spec, "seconds", None, minimum=0.0)
        path = spec.get("path", "")
        if not isinstance(path, str):
            raise FaultSpecError(f"path: expected a string, got {path!r}")
        method = spec.get("method", "")
        if not isinstance(method, str):
            raise FaultSpecError(f"method: expected a string, got {method!r}")
        fault = Fault(
            id=self._next_id,
            mode=mode,
            count=count,
            until=None if seconds is None else time.monotonic() + seconds,
            path=path,
            method=method.upper(),
            probability=_number(spec, "probability", 1.0, minimum=0.0, maximum=1.0),
        )
        if mode == "error":
            status = spec.get("status", 500)
            if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
                raise FaultSpecError(f"status: expected an HTTP error status 400..599, got {status!r}")
            fault.status = status
        elif mode == "delay":
            fault.delay_s = _number(spec, "delay_s", 10.0, minimum=0.0, maximum=3600.0)
        elif mode == "rate_limit":
            retry_after = spec.get("retry_after", 1)
            if isinstance(retry_after, bool) or not isinstance(retry_after, int) or retry_after < 0:
                raise FaultSpecError(f"retry_after: expected a whole number of seconds, got {retry_after!r}")
            fault.retry_after = retry_after
        elif mode == "malformed_items":
            ids = spec.get("item_ids")
            if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
                raise FaultSpecError(f"item_ids: expected a non-empty list of item ids, got {ids!r}")
            fault.item_ids = frozenset(ids)
        self._next_id += 1
        self._faults.append(fault)
        return fault

    def clear(self) -> int:
        cleared = len(self._faults)
        self._faults.clear()
        return cleared

    def take(self, modes: tuple[str, ...], method: str, path: str) -> Fault | None:
        """The fault to apply to this call, if any; uses up one of its count."""
        now = time.monotonic()
        for fault in self._faults:
            if fault.mode not in modes or not fault.live(now) or not fault.matches(method, path):
                continue
            if fault.probability < 1.0 and self._rng.random() >= fault.probability:
                continue
            if fault.count is not None:
                fault.count -= 1
            fault.served += 1
            self.served += 1
            return fault
        return None

    def broken_items(self, method: str, path: str) -> frozenset[str]:
        """Ids of items to serve with broken fields on this call."""
        now = time.monotonic()
        ids: set[str] = set()
        for fault in self._faults:
            if fault.mode == "malformed_items" and fault.live(now) and fault.matches(method, path):
                ids |= fault.item_ids
        return frozenset(ids)

    def note_item_served(self, ids: frozenset[str], served: int) -> None:
        if not served:
            return
        self.served += served
        for fault in self._faults:
            if fault.mode == "malformed_items" and fault.item_ids & ids:
                fault.served += served
                if fault.count is not None:
                    fault.count = max(0, fault.count - 1)

    def describe(self) -> list[dict[str, Any]]:
        now = time.monotonic()
        return [fault.describe(now) for fault in self._faults]
