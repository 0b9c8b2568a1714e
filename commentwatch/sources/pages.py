"""What one fetch from the comment service yields.

A page is never all-or-nothing: the items that parse are returned, and each
one that does not becomes a ``Malformed`` record carrying the raw text and a
reason, so the worker can file it in its dead-letter table instead of losing
it or stalling on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from commentwatch.values import Comment


@dataclass(frozen=True)
class Malformed:
    """One item or payload that could not be parsed."""

    #: Which request and which part of its answer, e.g. ``GET URL item 3``.
    where: str
    #: The raw text as received (the whole payload, or the one item).
    raw: str
    #: What was wrong, naming the field or line.
    reason: str


@dataclass(frozen=True)
class Page:
    items: list[Comment]
    #: Where to continue from; equals the cursor asked with when the payload
    #: could not be read, so nothing past it is skipped.
    next_cursor: str | None
    malformed: list[Malformed]
