"""The corpora training and measurement read: labelled child-safety comments and COLD.

One module for every reader, so ``train``, ``model build``, ``eval`` and
``bench`` read the same files the same way; a bad file raises ``DataError``
naming every bad line (``file:line``). The labelled format is described in
``commentwatch/data/labelled/README.md``. COLD is read where it lies
(``paths.COLD_DIR``), never copied in.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from commentwatch import paths
from commentwatch.errors import DataError
from commentwatch.sources.jsonl import parse_line
from commentwatch.values import HARM_CATEGORIES, Comment, Kind, Video

#: The category of a label-0 example.
NONE_CATEGORY = "none"
STYLES = ("comment", "danmaku")
#: How a text hides what it says (the data card defines each).
EVASIONS = ("none", "separator", "zero_width", "fullwidth", "traditional", "pinyin", "partial_pinyin", "initials",
            "homophone", "homoglyph", "digits", "repeat", "emoji", "paraphrase")
#: Who wrote a comment, where that decides its label; "" is a viewer.
AUTHOR_ROLES = ("", "viewer", "uploader", "parent", "teacher", "shop")


@dataclass(frozen=True)
class Example:
    """One labelled comment: offending (1) or not (0) under its video, with what kind of harm."""

    comment: Comment
    label: int
    category: str = NONE_CATEGORY
    evasion: str = "none"
    style: str = "comment"
    #: ``file:line`` it was read from.
    where: str = ""
    author_role: str = ""

    @property
    def text(self) -> str:
        return self.comment.text


def read_labelled(path: Path) -> list[Example]:
    """Labelled comments; every bad line is named (file:line) in one error."""
    try:
        raw_lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror}") from None
    examples, problems = [], []
    for number, raw in enumerate(raw_lines, start=1):
        if not raw.strip():
            continue
        where = f"{path}:{number}"
        try:
            examples.append(_example(where, number, raw))
        except DataError as exc:
            problems.append(str(exc))
    if problems:
        shown = "\n".join(problems[:20])
        more = f"\n… and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise DataError(f"{len(problems)} bad line(s):\n{shown}{more}")
    return examples


def _example(where: str, number: int, raw: bytes) -> Example:
    parsed = parse_line(number, raw)
    if parsed.comment is None:
        raise DataError(f"{where}: {parsed.error}")
    obj = json.loads(raw)
    label = obj.get("label")
    if label not in (0, 1) or isinstance(label, bool):
        raise DataError(f"{where}: label: expected 0 or 1, got {label!r}")
    category = obj.get("category", NONE_CATEGORY if label == 0 else None)
    if label == 1 and category not in HARM_CATEGORIES:
        raise DataError(f"{where}: category: expected one of {', '.join(HARM_CATEGORIES)} for label 1, got {category!r}")
    if label == 0 and category != NONE_CATEGORY:
        raise DataError(f"{where}: category: expected \"none\" for label 0, got {category!r}")
    evasion = obj.get("evasion", "none")
    if evasion not in EVASIONS:
        raise DataError(f"{where}: evasion: expected one of {', '.join(EVASIONS)}, got {evasion!r}")
    author_role = obj.get("author_role", "")
    if author_role not in AUTHOR_ROLES:
        raise DataError(f"{where}: author_role: expected one of {', '.join(AUTHOR_ROLES[1:])}, got {author_role!r}")
    style = obj.get("style", obj.get("kind", "comment"))
    if style not in STYLES:
        raise DataError(f"{where}: style: expected \"comment\" or \"danmaku\", got {style!r}")
    comment = replace(parsed.comment, kind=Kind(style))
    return Example(comment, label, category, evasion, style, where, author_role)


#: The lexicon-blind partition's folder inside a labelled folder: no lexicon
#: entry, rule or threshold is written from it; the decision layer learns on it.
BLIND = "blind"


def read_blind(labelled_dir: Path = paths.LABELLED_DIR) -> list[Example]:
    """Every file of the lexicon-blind partition, in name order."""
    examples: list[Example] = []
    for path in sorted((labelled_dir / BLIND).glob("*.jsonl")):
        examples += read_labelled(path)
    return examples


def read_training_set(labelled_dir: Path = paths.LABELLED_DIR) -> list[Example]:
    """What the learned models train on: ``train.jsonl`` and the lexicon-blind partition.

    ``dev.jsonl`` and ``test.jsonl`` stay out, so ``eval`` can still read them
    as sets the models never saw (the lexicons did: they were written from them).
    """
    return read_labelled(labelled_dir / "train.jsonl") + read_blind(labelled_dir)


def read_cold(path: Path, *, limit: int | None = None) -> list[Example]:
    """COLD rows (columns TEXT and label) as unlabelled-video comments."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror}") from None
    examples, problems = [], []
    with handle:
        try:
            reader = csv.DictReader(handle)
            missing = [c for c in ("TEXT", "label") if c not in (reader.fieldnames or [])]
            if missing:
                raise DataError(f"{path}: missing column(s) {', '.join(missing)} (found: {', '.join(reader.fieldnames or []) or 'none'})")
            for row in reader:
                if limit is not None and len(examples) >= limit:
                    break
                where = f"{path}:{reader.line_num}"
                label_text = (row.get("label") or "").strip()
                if label_text not in ("0", "1"):
                    problems.append(f"{where}: label: expected 0 or 1, got {label_text!r}")
                    continue
                text = row.get("TEXT") or ""
                comment = Comment(id=f"{path.name}:{reader.line_num}", text=text, video=Video())
                label = int(label_text)
                examples.append(Example(comment, label, "abuse" if label else NONE_CATEGORY, where=where))
        except UnicodeDecodeError as exc:
            raise DataError(f"{path}: not valid UTF-8 (byte {exc.start})") from None
        except csv.Error as exc:
            raise DataError(f"{path}: not valid CSV: {exc}") from None
    if problems:
        raise DataError(f"{len(problems)} bad row(s):\n" + "\n".join(problems[:20]))
    return examples


def read_examples(path: str | Path) -> tuple[str, list[Example]]:
    """``("labelled", …)`` for JSON Lines, ``("cold", …)`` for a ``.csv`` file."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return "cold", read_cold(path)
    return "labelled", read_labelled(path)


def texts_and_labels(examples: list[Example]) -> tuple[list[str], np.ndarray]:
    """The texts and 0/1 labels of ``examples``, as model fitting takes them."""
    return [e.text for e in examples], np.asarray([e.label for e in examples], dtype=int)


def generated_corpus(size: int, seed: int = 7) -> list[str]:
    """Comments recombined from the project's labelled data (no COLD needed)."""
    texts = []
    for path in sorted(paths.LABELLED_DIR.glob("*.jsonl")):
        texts += read_texts(path)
    if not texts:
        raise DataError("no corpus: neither the COLD data nor the labelled data is present", paths.LABELLED_DIR)
    rng = random.Random(seed)
    return [" ".join(rng.sample(texts, k=rng.randint(1, 3))) for _ in range(size)]


def read_texts(path: Path, *, limit: int | None = None) -> list[str]:
    """The ``text`` of each line of a JSON Lines file."""
    texts = []
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if limit is not None and len(texts) >= limit:
                    break
                if not line.strip():
                    continue
                try:
                    texts.append(str(json.loads(line)["text"]))
                except (ValueError, KeyError, TypeError):
                    raise DataError(f"{path}:{number}: expected a JSON object with a text") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 (byte {exc.start})") from None
    return texts


def load_corpus(path: str | None, size: int) -> tuple[str, list[str]]:
    """``(where from, texts)`` for benchmarks: the file given, else COLD train, else generated text."""
    if path:
        p = Path(path)
        if p.suffix == ".csv":
            return str(p), [e.text for e in read_cold(p, limit=size)]
        return str(p), read_texts(p, limit=size)
    cold = paths.COLD_DIR / "train.csv"
    if cold.exists():
        return str(cold), [e.text for e in read_cold(cold, limit=size)]
    return "generated from the labelled data", generated_corpus(size)
