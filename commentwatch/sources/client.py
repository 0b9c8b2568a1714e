"""The client a watcher uses to read and moderate the platform's comment service.

One ``aiohttp.ClientSession`` is passed in and reused for every call (its
connection pool is what makes a thousand calls a second cheap). Every call
has an explicit timeout and is retried on connection errors, timeouts and
5xx answers with exponential backoff and full jitter, so a crowd of watchers
recovering from an outage does not stampede the service. A 429 is waited
out exactly as long as its ``Retry-After`` says. Hide and restore are
idempotent on the service, which is what makes retrying them safe.

Pages come back parsed but never all-or-nothing: see ``sources.pages``.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

import aiohttp
from yarl import URL

from commentwatch.config import ServiceConfig
from commentwatch.errors import ServiceError
from commentwatch.sources.danmaku import parse_danmaku_json, parse_danmaku_xml
from commentwatch.sources.pages import Malformed, Page
from commentwatch.sources.payloads import (
    PayloadError,
    VideoList,
    decode_json,
    parse_comments,
    parse_videos,
)
from commentwatch.values import Kind, Video

__all__ = [
    "ActionResult",
    "ClientStats",
    "CommentServiceClient",
    "Malformed",
    "Page",
    "ServiceError",
]

log = logging.getLogger(__name__)

#: Path segment of each kind in the service's URLs.
KIND_SEGMENT = {Kind.COMMENT: "comments", Kind.DANMAKU: "danmaku"}


@dataclass(frozen=True)
class ActionResult:
    #: The item is now in the requested state (hidden, or restored).
    ok: bool
    #: It was already in that state before this call.
    already: bool
    status: int
    detail: str


@dataclass
class ClientStats:
    """Counters for metrics; one per client, never shared."""

    calls: int = 0
    attempts: int = 0
    retries: int = 0
    rate_limited: int = 0
    failures: int = 0


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes
    headers: Mapping[str, str]
    url: str


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class CommentServiceClient:
    """Calls of the comment-service contract in ``deploy/openapi.yaml``."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        session: aiohttp.ClientSession,
        timeout_s: float = 5.0,
        max_retries: int = 4,
        backoff_s: float = 0.2,
        max_backoff_s: float = 10.0,
        max_retry_after_s: float = 60.0,
        danmaku_format: str = "json",
        rng: random.Random | None = None,
    ) -> None:
        if not token:
            raise ValueError("the comment service needs a bearer token")
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries}")
        self._base = URL(base_url)
        self._headers = {"Authorization": f"Bearer {token}"}
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        #: A 429 asking to wait longer than this is reported, not waited out.
        self.max_retry_after_s = max_retry_after_s
        #: The danmaku format asked for when a call names none.
        self.danmaku_format = danmaku_format
        self._rng = rng or random.Random()
        self._videos: dict[str, Video] = {}
        self.stats = ClientStats()

    @classmethod
    def from_config(cls, settings: ServiceConfig, token: str, *, session: aiohttp.ClientSession) -> Self:
        """A client set up from the ``[service]`` section (the token comes from its environment variable)."""
        return cls(settings.base_url, token, session=session, timeout_s=settings.timeout_s,
                   max_retries=settings.max_retries, backoff_s=settings.backoff_s,
                   max_backoff_s=settings.max_backoff_s, danmaku_format=settings.danmaku_format)

    # ------------------------------------------------------------- plumbing
    def _url(self, *segments: str) -> URL:
        quoted = [urllib.parse.quote(s, safe="") for s in segments]
        return self._base.joinpath(*quoted, encoded=True)

    def _backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
        return self._rng.uniform(0.0, min(self.max_backoff_s, self.backoff_s * (2**attempt)))

    async def _call(
        self,
        method: str,
        url: URL,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> _Answer:
        """One logical call: retried until an answer worth returning, or ``ServiceError``."""
        if params:
            url = url.update_query(params)
        shown = str(url)
        self.stats.calls += 1
        last = "no attempt made"
        last_status: int | None = None
        attempts = self.max_retries + 1
        for attempt in range(attempts):
            self.stats.attempts += 1
            wait: float | None = None
            try:
                async with self._session.request(
                    method, url, json=json, headers=self._headers, timeout=self._timeout
                ) as response:
                    body = await response.read()
                    status = response.status
                    headers = response.headers
            except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, TimeoutError) as exc:
                last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                last_status = None
            else:
                if status == 429:
                    self.stats.rate_limited += 1
                    retry_after = parse_retry_after(headers.get("Retry-After"))
                    last, last_status = f"429 {_snippet(body)}", status
                    if retry_after is not None and retry_after > self.max_retry_after_s:
                        self.stats.failures += 1
                        raise ServiceError(
                            f"{method} {shown}: 429, Retry-After {retry_after:.0f}s exceeds {self.max_retry_after_s:.0f}s",
                            method=method,
                            url=shown,
                            status=429,
                            attempts=attempt + 1,
                        )
                    wait = retry_after
                elif status >= 500:
                    last, last_status = f"{status} {_snippet(body)}", status
                else:
                    return _Answer(status, body, headers, shown)
            if attempt + 1 == attempts:
                break
            if wait is None:
                wait = self._backoff(attempt)
            self.stats.retries += 1
            log.warning(
                "%s %s: %s; retry %d/%d in %.2fs", method, shown, last, attempt + 1, self.max_retries, wait
            )
            await asyncio.sleep(wait)
        self.stats.failures += 1
        raise ServiceError(
            f"{method} {shown}: gave up after {attempts} attempt(s); last: {last}",
            method=method,
            url=shown,
            status=last_status,
            attempts=attempts,
        )

    def _require_ok(self, method: str, answer: _Answer) -> None:
        if answer.status != 200:
            self.stats.failures += 1
            raise ServiceError(
                f"{method} {answer.url}: {answer.status} {_snippet(answer.body)}",
                method=method,
                url=answer.url,
                status=answer.status,
            )

    def _video(self, video_id: str) -> Video:
        return self._videos.get(video_id) or Video(id=video_id)

    # ---------------------------------------------------------------- reads
    async def videos(self) -> VideoList:
        """All videos, with any entry that could not be parsed set aside."""
        answer = await self._call("GET", self._url("api", "v1", "videos"))
        self._require_ok("GET", answer)
        try:
            listing = parse_videos(answer.body, f"GET {answer.url}")
        except PayloadError as exc:
            raise ServiceError(
                f"GET {answer.url}: unreadable video list: {exc}", method="GET", url=answer.url, status=200
            ) from None
        self._videos = {video.id: video for video in listing.videos}
        return listing

    async def list_videos(self) -> list[Video]:
        listing = await self.videos()
        for bad in listing.malformed:
            log.warning("skipping malformed video entry at %s: %s", bad.where, bad.reason)
        return listing.videos

    async def comments_after(self, video_id: str, cursor: str | None, limit: int = 200) -> Page:
        url = self._url("api", "v1", "videos", video_id, "comments")
        answer = await self._call("GET", url, params=_page_params(cursor, limit))
        self._require_ok("GET", answer)
        return parse_comments(answer.body, self._video(video_id), cursor, f"GET {answer.url}")

    async def danmaku_after(self, video_id: str, cursor: str | None, limit: int = 500,
                            fmt: str | None = None) -> Page:
        fmt = fmt or self.danmaku_format
        if fmt not in ("json", "xml"):
            raise ValueError(f"fmt must be 'json' or 'xml', got {fmt!r}")
        url = self._url("api", "v1", "videos", video_id, "danmaku")
        params = _page_params(cursor, limit)
        params["format"] = fmt
        answer = await self._call("GET", url, params=params)
        self._require_ok("GET", answer)
        parse = parse_danmaku_xml if fmt == "xml" else parse_danmaku_json
        return parse(answer.body, self._video(video_id), cursor, f"GET {answer.url}")

    # ----------------------------------------------------------- moderation
    async def hide(self, kind: Kind, item_id: str, reason: str) -> ActionResult:
        return await self._moderate(kind, item_id, "hide", reason)

    async def restore(self, kind: Kind, item_id: str, reason: str) -> ActionResult:
        return await self._moderate(kind, item_id, "restore", reason)

    async def _moderate(self, kind: Kind, item_id: str, action: str, reason: str) -> ActionResult:
        kind = Kind(kind)
        url = self._url("api", "v1", KIND_SEGMENT[kind], item_id, action)
        answer = await self._call("POST", url, json={"reason": reason})
        if answer.status in (401, 403):
            self._require_ok("POST", answer)
        if answer.status != 200:
            # 404, 400…: the item cannot be acted on; retrying will not change that.
            return ActionResult(False, False, answer.status, f"{action} {kind.value} {item_id}: {_snippet(answer.body)}")
        try:
            data = decode_json(answer.body)
            already = data["already"]
            if not isinstance(already, bool):
                raise TypeError(f"field 'already' is {type(already).__name__}, expected boolean")
        except (PayloadError, KeyError, TypeError) as exc:
            # The service said 200, so the action took; only the detail is lost.
            return ActionResult(True, False, 200, f"{action} {kind.value} {item_id}: done; answer unreadable ({exc})")
        state = "already " + ("hidden" if action == "hide" else "visible") if already else ("hidden" if action == "hide" else "restored")
        return ActionResult(True, already, 200, f"{action} {kind.value} {item_id}: {state}")


def _page_params(cursor: str | None, limit: int) -> dict[str, str]:
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    params = {"limit": str(limit)}
    if cursor:
        params["after"] = cursor
    return params


def _snippet(body: bytes, limit: int = 200) -> str:
    text = body.decode("utf-8", errors="replace").strip()
    return text if len(text) <= limit else text[:limit] + "…"
