"""Does a video feature children? Decided from its own words when the platform has no flag.

Titles and tags of children's videos share a vocabulary (亲子, 萌娃, 小学生,
六一…). Each word in ``lexicons/minor_video.txt`` carries a weight; a video
whose title, tags and description add up to the threshold is treated as
featuring minors, which switches on the stricter policy.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import ahocorasick

from commentwatch.detect.lexicon import MinorVideoTerm, Problem, _parse_minor_video
from commentwatch.text.normalize import Normalizer
from commentwatch.values import Video


class MinorVideoDetector:
    def __init__(self, terms: Iterable[MinorVideoTerm], normalizer: Normalizer | None = None):
        self.normalizer = normalizer or Normalizer()
        self.terms = tuple(terms)
        self._automaton: ahocorasick.Automaton | None = None
        weights: dict[str, tuple[str, float]] = {}
        for term in self.terms:
            key = self.normalizer.compact(term.term)
            if key:
                weights[key] = (term.term, max(term.weight, weights.get(key, ("", 0.0))[1]))
        if weights:
            self._automaton = ahocorasick.Automaton()
            for key, value in weights.items():
                self._automaton.add_word(key, value)
            self._automaton.make_automaton()

    @classmethod
    def from_file(cls, path: str | Path, normalizer: Normalizer | None = None) -> MinorVideoDetector:
        problems: list[Problem] = []
        terms = _parse_minor_video(Path(path), problems)
        if problems:
            raise ValueError("; ".join(str(p) for p in problems))
        return cls(terms, normalizer)

    def score(self, video: Video) -> tuple[float, list[str]]:
        """Sum of the weights of distinct vocabulary words found, and the words."""
        if self._automaton is None:
            return 0.0, []
        # Each field on its own, so a word cannot straddle a title and a tag.
        fields = [video.title, *video.tags, video.description]
        found: dict[str, float] = {}
        for field in fields:
            if not field:
                continue
            for _, (term, weight) in self._automaton.iter(self.normalizer.compact(field)):
                found[term] = weight
        return sum(found.values()), sorted(found)

    def features_minors(self, video: Video, threshold: float) -> bool:
        if video.featuring_minors is not None:
            return video.featuring_minors
        return self.score(video)[0] >= threshold
