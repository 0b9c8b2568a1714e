"""The project's labelled comments: well-formed, balanced and kept apart by split."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from commentwatch.paths import DATA_DIR
from commentwatch.training.corpus import read_labelled
from commentwatch.values import HARM_CATEGORIES

LABELLED = DATA_DIR / "labelled"
SPLITS = ("train", "dev", "test")
#: Every trick the normaliser undoes must be represented.
EVASIONS = {"separator", "pinyin", "homophone", "initials", "traditional", "fullwidth",
            "homoglyph", "emoji", "digits", "repeat", "zero_width"}


@pytest.fixture(scope="module")
def splits():
    return {name: read_labelled(LABELLED / f"{name}.jsonl") for name in SPLITS}


def test_enough_comments_and_more_hard_negatives_than_positives(splits):
    every = [e for examples in splits.values() for e in examples]
    assert len(every) >= 400
    positives = sum(e.label for e in every)
    assert len(every) - positives >= positives


def test_split_sizes(splits):
    # Each test split, once its results had been read, went into train (2/3)
    # and dev (1/3); the test split now is the latest one, written blind and
    # never scored while it was written.
    total = sum(len(v) for v in splits.values())
    shares = {name: len(v) / total for name, v in splits.items()}
    assert 0.45 <= shares["train"] <= 0.65
    assert 0.15 <= shares["dev"] <= 0.3
    assert 0.15 <= shares["test"] <= 0.35
    assert len(splits["test"]) >= 300


@pytest.mark.parametrize("name", SPLITS)
def test_every_split_covers_every_category_and_both_styles(splits, name):
    examples = splits[name]
    categories = Counter(e.category for e in examples if e.label)
    assert set(categories) == set(HARM_CATEGORIES), categories
    assert {e.style for e in examples} == {"comment", "danmaku"}


def test_every_evasion_kind_is_in_train_and_test(splits):
    for name in ("train", "test"):
        kinds = {e.evasion for e in splits[name] if e.label}
        assert EVASIONS <= kinds, f"{name} lacks {sorted(EVASIONS - kinds)}"


def test_test_split_has_paraphrases_for_the_semantic_stage(splits):
    paraphrases = [e for e in splits["test"] if e.evasion == "paraphrase"]
    assert len(paraphrases) >= 5
    assert all(e.label == 1 for e in paraphrases)


def test_ids_unique_and_texts_never_shared_between_splits(splits):
    ids = Counter(e.comment.id for v in splits.values() for e in v)
    assert max(ids.values()) == 1
    texts = {name: {e.comment.text for e in v} for name, v in splits.items()}
    assert not texts["test"] & (texts["train"] | texts["dev"])
    assert not texts["train"] & texts["dev"]


def test_lines_are_in_the_scan_input_format(splits):
    with open(LABELLED / "test.jsonl", encoding="utf-8") as handle:
        first = json.loads(handle.readline())
    assert {"id", "text", "video", "label", "category"} <= set(first)
    assert {"title", "tags", "featuring_minors"} <= set(first["video"])


def test_the_data_card_counts_match_the_files(splits):
    card = (LABELLED / "README.md").read_text(encoding="utf-8")
    table = card[card.index("## Counts"):]
    header = [c.strip() for c in table.splitlines()[2].strip("|").split("|")]
    rows = {}
    for line in table.splitlines()[4:7]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = dict(zip(header[1:], map(int, cells[1:]), strict=True))
    for name, examples in splits.items():
        counted = Counter(e.category for e in examples)
        expected = {"examples": len(examples), "offending": sum(e.label for e in examples),
                    **{c: counted.get(c, 0) for c in ("none", *HARM_CATEGORIES)},
                    "danmaku": sum(e.style == "danmaku" for e in examples),
                    "with an evasion": sum(e.evasion != "none" for e in examples)}
        assert rows[name] == expected, name


def _grams(text: str) -> frozenset[str]:
    text = "".join(text.split())
    return frozenset(text[i:i + 3] for i in range(max(1, len(text) - 2)))


def test_the_lexicon_blind_partition_reads_matches_its_card_and_shares_nothing_with_the_splits(splits):
    card = (LABELLED / "README.md").read_text(encoding="utf-8")
    table = card[card.index("## The lexicon-blind partition"):card.index("## Counts")]
    blind = {}
    for path in sorted((LABELLED / "blind").glob("*.jsonl")):
        examples = read_labelled(path)
        blind[path.name] = examples
        row = next(line for line in table.splitlines() if line.startswith(f"| `{path.name}`"))
        counts = [int(c) for c in row.strip("|").split("|")[-4:]]
        assert counts == [len(examples), sum(e.label for e in examples),
                          sum(e.style == "danmaku" for e in examples),
                          sum(e.evasion != "none" for e in examples)], path.name
        assert not any(e.category == "sexualize" for e in examples)
    assert sum(map(len, blind.values())) >= 1500
    # No near-duplicate (char 3-gram Jaccard >= 0.5) of a train, dev or test line: an inverted index
    # finds the candidates that share any 3-gram.
    index: dict[str, list[frozenset[str]]] = {}
    for examples in splits.values():
        for e in examples:
            grams = _grams(e.text)
            for g in grams:
                index.setdefault(g, []).append(grams)
    for name, examples in blind.items():
        for e in examples:
            grams = _grams(e.text)
            seen: set[int] = set()
            for g in grams:
                for other in index.get(g, ()):
                    if id(other) in seen:
                        continue
                    seen.add(id(other))
                    assert len(grams & other) / len(grams | other) < 0.5, (name, e.comment.id)
