"""Synthetic traffic: a seeded stream of comments and danmaku, and a pump that posts it.

The stream is deterministic for a seed (same seed, same texts in the same
order), so a benchmark run can be repeated; each item carries whether it was
generated as offending, which is the ground truth the benchmark scores hides
against.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import random
import time
import zlib
from dataclasses import dataclass

from commentwatch.reference import phrases
from commentwatch.reference.store import ItemRecord, Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GeneratedItem:
    kind: str
    video_id: str
    text: str
    author_id: str
    offending: bool
    category: str
    #: Whether it should answer a recent comment of the same video.
    reply: bool
    time_s: float
    mode: int
    color: int


def user_hash(author_id: str) -> str:
    """Bilibili shows a CRC32 of the user id instead of the id itself."""
    return f"{zlib.crc32(author_id.encode()):08x}"


def seed_catalogue(store: Store, count: int) -> list[str]:
    """Create ``count`` videos cycling through the catalogue; returns their ids."""
    ids = []
    for n in range(count):
        template = phrases.VIDEO_CATALOGUE[n % len(phrases.VIDEO_CATALOGUE)]
        round_ = n // len(phrases.VIDEO_CATALOGUE)
        title = template.title if round_ == 0 else f"{template.title}（{round_ + 1}）"
        video_id = f"v{n + 1}"
        store.upsert_video(
            video_id,
            title=title,
            tags=template.tags,
            description=template.description,
            featuring_minors=template.featuring_minors,
            truly_features_minors=template.truly_features_minors,
            genre=template.genre,
        )
        ids.append(video_id)
    return ids


class TrafficGenerator:
    """Draws the next comment or danmaku; deterministic for a seed."""

    def __init__(
        self,
        store: Store,
        *,
        seed: int = 0,
        offending_share: float = 0.05,
        danmaku_share: float = 0.5,
        authors: int = 5000,
        offenders: int = 60,
    ) -> None:
        if not 0.0 <= offending_share <= 1.0:
            raise ValueError(f"offending_share must be between 0 and 1, got {offending_share}")
        if not 0.0 <= danmaku_share <= 1.0:
            raise ValueError(f"danmaku_share must be between 0 and 1, got {danmaku_share}")
        self._rng = random.Random(seed)
        self._store = store
        self.offending_share = offending_share
        self.danmaku_share = danmaku_share
        self._authors = authors
        self._offenders = offenders
        self._families = list(phrases.OFFENDING_WEIGHTS)
        self._family_weights = [phrases.OFFENDING_WEIGHTS[f] for f in self._families]

    def _videos(self) -> tuple[list[str], list[str]]:
        kids, adults = [], []
        for video in self._store.videos.values():
            (kids if video.truly_features_minors else adults).append(video.id)
        return kids, adults

    def next(self) -> GeneratedItem:
        rng = self._rng
        kids, adults = self._videos()
        everything = kids + adults
        if not everything:
            raise RuntimeError("traffic needs at least one video in the store")
        offending = rng.random() < self.offending_share
        kind = "danmaku" if rng.random() < self.danmaku_share else "comment"
        if offending:
            # Offenders go where the children are.
            pool = kids if kids and rng.random() < 0.85 else everything
            video_id = rng.choice(pool)
            family = rng.choices(self._families, self._family_weights)[0]
            if kind == "danmaku" and family in phrases.OFFENDING_DANMAKU:
                template = rng.choice(phrases.OFFENDING_DANMAKU[family])
            else:
                kind = "comment"
                template = rng.choice(phrases.OFFENDING[family])
            author = f"u9{rng.randrange(self._offenders):04d}"
            reply = kind == "comment" and rng.random() < 0.3
        else:
            video_id = rng.choice(everything)
            family = ""
            if kind == "danmaku":
                template = rng.choice(phrases.BENIGN_DANMAKU)
            else:
                genre = self._store.videos[video_id].genre
                if genre not in phrases.BENIGN_COMMENTS or rng.random() < 0.3:
                    genre = "general"
                template = rng.choice(phrases.BENIGN_COMMENTS[genre])
            author = f"u{rng.randrange(self._authors)}"
            reply = kind == "comment" and rng.random() < 0.15
        text = phrases.fill(template, rng).strip() or "哈哈哈"
        return GeneratedItem(
            kind=kind,
            video_id=video_id,
            text=text,
            author_id=author,
            offending=offending,
            category=family,
            reply=reply,
            time_s=round(rng.uniform(0, 600), 3),
            mode=rng.choice((1, 1, 1, 1, 4, 5)),
            color=rng.choice((0xFFFFFF, 0xFFFFFF, 0xFE0302, 0x00CD00, 0xFFFF00)),
        )


class TrafficPump:
    """Posts generated items into the store at a steady, adjustable rate."""

    #: How often the pump wakes; at 1,000/s it posts about ten items a tick.
    TICK_S = 0.01

    def __init__(self, store: Store, generator: TrafficGenerator, rate: float = 0.0) -> None:
        self._store = store
        self._generator = generator
        self._recent: dict[str, collections.deque[str]] = collections.defaultdict(
            lambda: collections.deque(maxlen=50)
        )
        self._task: asyncio.Task | None = None
        self.posted = 0
        self.rate = 0.0
        self._started_at = 0.0
        self._posted_at_start = 0
        self.set_rate(rate)

    def set_rate(self, rate: float) -> None:
        if rate < 0:
            raise ValueError(f"rate must not be negative, got {rate}")
        self.rate = float(rate)
        self._started_at = time.monotonic()
        self._posted_at_start = self.posted

    def post_one(self) -> ItemRecord:
        item = self._generator.next()
        parent = None
        recent = self._recent[item.video_id]
        if item.reply and recent:
            parent = recent[-1 - self._generator._rng.randrange(len(recent))]
        author = item.author_id if item.kind == "comment" else user_hash(item.author_id)
        record = self._store.post(
            item.kind,
            item.video_id,
            item.text,
            author,
            parent_id=parent,
            offending=item.offending,
            category=item.category,
            time_s=item.time_s,
            mode=item.mode,
            color=item.color,
        )
        if item.kind == "comment":
            recent.append(record.id)
        self.posted += 1
        return record

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="traffic-pump")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.TICK_S)
            if self.rate <= 0 or not self._store.videos:
                continue
            due = int(self.rate * (time.monotonic() - self._started_at)) - (self.posted - self._posted_at_start)
            if due > max(1.0, self.rate):
                # Stalled for over a second: start afresh rather than flood.
                log.warning("traffic pump fell %d items behind; resetting its clock", due)
                self.set_rate(self.rate)
                continue
            for _ in range(due):
                self.post_one()

    def status(self) -> dict:
        return {
            "rate": self.rate,
            "posted": self.posted,
            "offending_share": self._generator.offending_share,
            "danmaku_share": self._generator.danmaku_share,
        }
