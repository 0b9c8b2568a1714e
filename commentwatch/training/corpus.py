"""The corpora training and measurement read: labelled child-safety comments and COLD.

One module for every reader, so ``train``, ``model build`` and ``bench``
read the same files the same way; a bad file raises ``DataError`` naming
the file and line. COLD is read where it lies (``paths.COLD_DIR``), never
copied in.
"""

from __future__ import annotations

import csv
import itertools
import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from commentwatch import paths
from commentwatch.errors import DataError
from commentwatch.values import HARM_CATEGORIES, Comment, Video


@dataclass(frozen=True)
class Example:
    text: str
    label: int
    category: str
    comment: Comment


def read_labelled(path: Path) -> list[Example]:
    """JSON lines of ``{"id","text","video":{...},"label":0|1,"category":...}``."""
    if not path.is_file():
        raise DataError(f"{path}: labelled file not found")
    examples = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                text, label = row["text"], int(row["label"])
                category = row.get("category") or "none"
                video = row.get("video") or {}
                comment = Comment(
                    id=str(row.get("id", number)), text=text,
                    video=Video(id=str(video.get("id", "")), title=video.get("title", ""),
                                tags=tuple(video.get("tags", ())), description=video.get("description", ""),
                                featuring_minors=video.get("featuring_minors")),
                )
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise DataError(f"{path}:{number}: not a labelled example ({exc})") from None
            if label not in (0, 1) or not isinstance(text, str):
                raise DataError(f"{path}:{number}: label must be 0 or 1 and text a string")
            if label and category not in HARM_CATEGORIES:
                raise DataError(f"{path}:{number}: category {category!r} is not a harm category")
            examples.append(Example(text, label, category, comment))
    return examples


def read_cold(path: Path, *, limit: int | None = None) -> tuple[list[str], np.ndarray]:
    """COLD's CSV (``TEXT`` and ``label`` columns, UTF-8 with BOM); the first ``limit`` rows if given."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(itertools.islice(csv.DictReader(handle), limit))
    except FileNotFoundError:
        raise DataError(f"{path}: COLD file not found") from None
    texts, labels = [], []
    for number, row in enumerate(rows, start=2):
        try:
            label = int(row["label"])
            if label not in (0, 1) or row["TEXT"] is None:
                raise ValueError(label)
            texts.append(row["TEXT"])
            labels.append(label)
        except (KeyError, TypeError, ValueError):
            raise DataError(f"{path}:{number}: expected TEXT and a 0/1 label") from None
    return texts, np.asarray(labels)


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
            return str(p), read_cold(p, limit=size)[0]
        return str(p), read_texts(p, limit=size)
    cold = paths.COLD_DIR / "train.csv"
    if cold.exists():
        return str(cold), read_cold(cold, limit=size)[0]
    return "generated from the labelled data", generated_corpus(size)
