"""The plain values that flow between stages.

sources produce ``Video`` and ``Comment``; detect produces ``Evidence``;
decide turns evidence into a ``Verdict``; record turns a hide verdict into a
``HideIntent`` and act carries it out, with a ``HideOutcome``.
Nothing here knows about HTTP, SQLite or spaCy, so every stage can be tested
with values built by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, StrEnum

#: The harm categories a lexicon entry, rule or exemplar may carry.
HARM_CATEGORIES: tuple[str, ...] = (
    "sexualize",
    "grooming",
    "contact",
    "sexual_ad",
    "abuse",
    "privacy",
)
#: Vocabulary that is not harmful by itself but marks a child as the subject.
MINOR_REFERENCE = "minor_reference"
ALL_CATEGORIES: tuple[str, ...] = HARM_CATEGORIES + (MINOR_REFERENCE,)


class Action(str, Enum):
    ALLOW = "allow"
    ALERT = "alert"
    HIDE = "hide"


class Kind(str, Enum):
    """Where a piece of text came from on the platform."""

    COMMENT = "comment"
    DANMAKU = "danmaku"


@dataclass(frozen=True)
class Video:
    id: str = ""
    title: str = ""
    tags: tuple[str, ...] = ()
    description: str = ""
    #: What the platform says; ``None`` when it does not know.
    featuring_minors: bool | None = None


@dataclass(frozen=True)
class Comment:
    id: str
    text: str
    video: Video = field(default_factory=Video)
    kind: Kind = Kind.COMMENT
    author_id: str = ""
    parent_id: str | None = None
    created_at: float | None = None


#: Sources whose evidence is about the whole text, not a span of it.
WHOLE_TEXT_SOURCES = ("classifier", "exemplar", "layer")


@dataclass(frozen=True)
class Evidence:
    """One reason behind a verdict, pointing into the text the user wrote.

    ``start``/``end`` index the original comment text (Python string
    indices), so a moderator sees exactly what was written, evasions and all.
    """

    category: str
    term: str
    start: int
    end: int
    #: Which evasion had to be undone to see the term ("" when none).
    evasion: str = ""
    #: Which signal produced it: lexicon, contact, rule, exemplar, classifier,
    #: layer (the decision layer's own reading; see ``WHOLE_TEXT_SOURCES``).
    source: str = "lexicon"
    severity: int = 0
    #: Free text for humans, e.g. the rule name or the nearest exemplar.
    detail: str = ""
    #: Score contribution in 0..1.
    score: float = 0.0


@dataclass(frozen=True)
class Signals:
    """What detection saw besides evidence: the learned decision layer's other inputs.

    ``classifier`` and ``exemplar`` hold every category's raw probability or
    similarity, not only those above an evidence threshold, and are empty when
    the semantic stage is off.
    """

    minors: bool = False
    danmaku: bool = False
    #: Every cue any hit carried, severity-0 cues included (``bystander``, ``minor_reference``…).
    cues: frozenset[str] = frozenset()
    classifier: tuple[tuple[str, float], ...] = ()
    exemplar: tuple[tuple[str, float], ...] = ()
    #: The character n-gram model's probability that the comment offends (0 without it).
    ngram: float = 0.0
    #: Characters of the comment judged (what whole-comment evidence spans).
    length: int = 0
    #: Characters read after normalisation (``readable_compact``): padding with
    #: invisible characters, separators or repeats does not lengthen a comment.
    read_length: int = 0


@dataclass(frozen=True)
class Observation:
    """Everything detect found in one comment, handed to decide."""

    comment_id: str
    evidence: tuple[Evidence, ...]
    signals: Signals


@dataclass(frozen=True)
class Verdict:
    comment_id: str
    action: Action
    score: float
    categories: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    #: Whether the stricter minors policy applied.
    minors_policy: bool = False
    #: The learned layer's calibrated probability per category (empty without it).
    probabilities: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class HideIntent:
    """A hide decided and written to the record, not yet confirmed by the service.

    Written before the service is called, so a crash between the two loses
    nothing: the intent is found and carried out on restart.
    """

    #: ``"<kind>:<item id>"``, the record's key of the comment.
    key: str
    kind: Kind
    item_id: str
    video_id: str
    #: When the hide was decided (Unix time); unconfirmed for a day, it is given up.
    intent_at: float


class HideOutcome(StrEnum):
    """What carrying out a ``HideIntent`` came to."""

    #: The service confirmed it (or said it was hidden already).
    DONE = "done"
    #: Refused for good, or given up: a moderator must look.
    FAILED = "failed"
    #: Not confirmed yet (the service is unreachable): tried again later.
    PENDING = "intent"
    #: Carried out elsewhere already, or in flight now.
    SKIPPED = "skipped"
