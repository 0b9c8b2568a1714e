"""What a lexicon edit would change: the draft and the lexicon in use judge the same comments.

An editor sees every verdict that moves before saving, and on labelled
comments whether each move fixes or breaks one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from commentwatch.config import Config
from commentwatch.judge import Judge
from commentwatch.values import Action, Comment


@dataclass(frozen=True)
class Change:
    comment: Comment
    before: Action
    after: Action
    #: "fixed", "broken", or "" when the comment has no label.
    effect: str
    #: Terms the draft finds that the lexicon in use did not.
    new_terms: tuple[str, ...]


@dataclass(frozen=True)
class Impact:
    compared: int
    changes: tuple[Change, ...]
    fixed: int
    broken: int
    before_version: str
    after_version: str


def lexicon_impact(config: Config, draft: Path, comments: list[Comment], labels: dict[str, Any]) -> Impact:
    """Judge ``comments`` with the configured lexicon and with ``draft``.

    Raises ``LexiconError`` when the draft has problems, before judging anything.
    """
    before = Judge.from_config(config)
    after = Judge.from_config(replace(config, detect=replace(config.detect, lexicon_dir=draft)))
    changes = []
    for comment, old, new in zip(comments, before.judge_many(comments), after.judge_many(comments), strict=True):
        if old.action == new.action:
            continue
        effect = ""
        label = labels.get(comment.id)
        if label in (0, 1):
            was_right = (old.action != Action.ALLOW) == bool(label)
            is_right = (new.action != Action.ALLOW) == bool(label)
            effect = "fixed" if is_right and not was_right else "broken" if was_right and not is_right else ""
        new_terms = tuple(sorted({e.term for e in new.evidence} - {e.term for e in old.evidence}))
        changes.append(Change(comment, old.action, new.action, effect, new_terms))
    return Impact(
        compared=len(comments),
        changes=tuple(changes),
        fixed=sum(c.effect == "fixed" for c in changes),
        broken=sum(c.effect == "broken" for c in changes),
        before_version=before.lexicon_version,
        after_version=after.lexicon_version,
    )
