"""The reference service's memory: videos, comments, danmaku and what was hidden.

Every item gets the next number of its video's sequence; that number is the
cursor clients page with, so "after cursor N" is a bisect, and an item posted
while a client pages is never skipped. The store also keeps what a real
platform would not expose — when each item was posted, whether it was
generated as offending, when it was hidden — so tests and the load benchmark
can score a watcher against ground truth.
"""

from __future__ import annotations

import bisect
import itertools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from commentwatch.errors import StoreError


@dataclass
class VideoRecord:
    id: str
    title: str
    tags: list[str]
    description: str
    #: What the platform says; ``None`` when it does not know.
    featuring_minors: bool | None
    updated_at: float
    #: Ground truth for scoring: whether children really appear.
    truly_features_minors: bool | None = None
    #: Which synthetic chatter fits the video (see ``phrases.BENIGN_COMMENTS``).
    genre: str = "general"
    #: Whether the video list shows it; an unlisted video still has its streams.
    listed: bool = True

    def public(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "tags": list(self.tags),
            "description": self.description,
            "featuring_minors": self.featuring_minors,
            "updated_at": self.updated_at,
        }


@dataclass
class ItemRecord:
    """One comment or danmaku with its life on the platform."""

    kind: str  # "comment" or "danmaku"
    id: str
    video_id: str
    seq: int
    text: str
    author_id: str
    created_at: float
    parent_id: str | None = None
    # danmaku display fields (Bilibili ``p`` attribute)
    time_s: float = 0.0
    mode: int = 1
    size: int = 25
    color: int = 0xFFFFFF
    pool: int = 0
    # ground truth, for scoring
    offending: bool | None = None
    category: str = ""
    # moderation history
    hidden: bool = False
    hidden_at: float | None = None
    hide_reason: str = ""
    restored_at: float | None = None
    restore_reason: str = ""
    hide_calls: int = 0
    restore_calls: int = 0

    def public(self) -> dict:
        """The item as the public API shows it."""
        if self.kind == "comment":
            return {
                "id": self.id,
                "author_id": self.author_id,
                "text": self.text,
                "created_at": self.created_at,
                "parent_id": self.parent_id,
                "hidden": self.hidden,
            }
        return {
            "dmid": self.id,
            "time": self.time_s,
            "mode": self.mode,
            "size": self.size,
            "color": self.color,
            "timestamp": int(self.created_at),
            "pool": self.pool,
            "user_hash": self.author_id,
            "text": self.text,
            "hidden": self.hidden,
        }

    def p_attribute(self) -> str:
        """Bilibili's ``time,mode,size,color,timestamp,pool,user_hash,dmid``."""
        return (
            f"{self.time_s:.5f},{self.mode},{self.size},{self.color},"
            f"{int(self.created_at)},{self.pool},{self.author_id},{self.id}"
        )

    def record(self, with_text: bool = True) -> dict:
        """Everything known about the item, for the admin endpoints."""
        out = {
            "kind": self.kind,
            "id": self.id,
            "video_id": self.video_id,
            "seq": self.seq,
            "author_id": self.author_id,
            "parent_id": self.parent_id,
            "posted_at": self.created_at,
            "offending": self.offending,
            "category": self.category,
            "hidden": self.hidden,
            "hidden_at": self.hidden_at,
            "hide_reason": self.hide_reason,
            "restored_at": self.restored_at,
            "restore_reason": self.restore_reason,
            "hide_calls": self.hide_calls,
            "restore_calls": self.restore_calls,
        }
        if with_text:
            out["text"] = self.text
        return out


@dataclass
class _VideoItems:
    comments: list[ItemRecord] = field(default_factory=list)
    comment_seqs: list[int] = field(default_factory=list)
    danmaku: list[ItemRecord] = field(default_factory=list)
    danmaku_seqs: list[int] = field(default_factory=list)
    next_seq: int = 1


@dataclass
class ModerationOutcome:
    item: ItemRecord
    #: True when the item was already in the requested state.
    already: bool


class Store:
    """In-memory platform state; one instance per service process."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self.videos: dict[str, VideoRecord] = {}
        self._items: dict[str, _VideoItems] = {}
        self._by_key: dict[tuple[str, str], ItemRecord] = {}
        self._comment_ids = itertools.count(1)
        self._dmids = itertools.count(40_000_000_001)
        self.hide_calls = 0
        self.hide_already = 0
        self.restore_calls = 0
        self.restore_already = 0
        # Kept as items change, so /admin/stats stays cheap at any size.
        self._counts = dict.fromkeys(("comments", "danmaku", "offending", "hidden", "ever_hidden", "hidden_offending"), 0)

    # videos -----------------------------------------------------------------
    def upsert_video(
        self,
        id: str,
        title: str = "",
        tags: Iterable[str] = (),
        description: str = "",
        featuring_minors: bool | None = None,
        truly_features_minors: bool | None = None,
        genre: str | None = None,
        listed: bool = True,
    ) -> VideoRecord:
        record = VideoRecord(
            id=id,
            title=title,
            tags=list(tags),
            description=description,
            featuring_minors=featuring_minors,
            updated_at=self._clock(),
            truly_features_minors=truly_features_minors,
            genre=genre or ("kids" if truly_features_minors or featuring_minors else "general"),
            listed=listed,
        )
        self.videos[id] = record
        self._items.setdefault(id, _VideoItems())
        return record

    def remove_video(self, video_id: str) -> None:
        """The uploader deleted it: gone from the list, and its streams answer 404."""
        self.video(video_id)
        del self.videos[video_id]

    def video(self, video_id: str) -> VideoRecord:
        try:
            return self.videos[video_id]
        except KeyError:
            raise StoreError(f"no video with id {video_id!r}") from None

    # posting ----------------------------------------------------------------
    def post(
        self,
        kind: str,
        video_id: str,
        text: str,
        author_id: str,
        *,
        parent_id: str | None = None,
        offending: bool | None = None,
        category: str = "",
        time_s: float = 0.0,
        mode: int = 1,
        size: int = 25,
        color: int = 0xFFFFFF,
        pool: int = 0,
    ) -> ItemRecord:
        self.video(video_id)
        items = self._items[video_id]
        seq = items.next_seq
        items.next_seq += 1
        if kind == "comment":
            item_id = f"c{next(self._comment_ids)}"
        elif kind == "danmaku":
            item_id = str(next(self._dmids))
        else:
            raise ValueError(f"kind must be 'comment' or 'danmaku', got {kind!r}")
        item = ItemRecord(
            kind=kind,
            id=item_id,
            video_id=video_id,
            seq=seq,
            text=text,
            author_id=author_id,
            created_at=self._clock(),
            parent_id=parent_id,
            time_s=time_s,
            mode=mode,
            size=size,
            color=color,
            pool=pool,
            offending=offending,
            category=category,
        )
        if kind == "comment":
            items.comments.append(item)
            items.comment_seqs.append(seq)
        else:
            items.danmaku.append(item)
            items.danmaku_seqs.append(seq)
        self._by_key[(kind, item_id)] = item
        self._counts["comments" if kind == "comment" else "danmaku"] += 1
        self._counts["offending"] += bool(offending)
        return item

    # reading ----------------------------------------------------------------
    def after(self, kind: str, video_id: str, after_seq: int, limit: int) -> tuple[list[ItemRecord], int]:
        """Items of ``kind`` on the video with seq > ``after_seq``, and the next cursor."""
        self.video(video_id)
        items = self._items[video_id]
        seqs, records = (
            (items.comment_seqs, items.comments) if kind == "comment" else (items.danmaku_seqs, items.danmaku)
        )
        start = bisect.bisect_right(seqs, after_seq)
        page = records[start : start + limit]
        next_seq = page[-1].seq if page else after_seq
        return page, next_seq

    def item(self, kind: str, item_id: str) -> ItemRecord:
        try:
            return self._by_key[(kind, item_id)]
        except KeyError:
            raise StoreError(f"no {kind} with id {item_id!r}") from None

    def all_items(self) -> Iterable[ItemRecord]:
        return self._by_key.values()

    # moderation -------------------------------------------------------------
    def hide(self, kind: str, item_id: str, reason: str) -> ModerationOutcome:
        item = self.item(kind, item_id)
        item.hide_calls += 1
        self.hide_calls += 1
        if item.hidden:
            self.hide_already += 1
            return ModerationOutcome(item, already=True)
        if item.hidden_at is None:
            self._counts["ever_hidden"] += 1
        self._count_hidden(item, +1)
        item.hidden = True
        item.hidden_at = self._clock()
        item.hide_reason = reason
        return ModerationOutcome(item, already=False)

    def restore(self, kind: str, item_id: str, reason: str) -> ModerationOutcome:
        item = self.item(kind, item_id)
        item.restore_calls += 1
        self.restore_calls += 1
        if not item.hidden:
            self.restore_already += 1
            return ModerationOutcome(item, already=True)
        self._count_hidden(item, -1)
        item.hidden = False
        item.restored_at = self._clock()
        item.restore_reason = reason
        return ModerationOutcome(item, already=False)

    def stats(self) -> dict:
        return {
            "videos": len(self.videos),
            **self._counts,
            "hide_calls": self.hide_calls,
            "hide_already": self.hide_already,
            "restore_calls": self.restore_calls,
            "restore_already": self.restore_already,
        }

    def _count_hidden(self, item: ItemRecord, delta: int) -> None:
        self._counts["hidden"] += delta
        if item.offending:
            self._counts["hidden_offending"] += delta
