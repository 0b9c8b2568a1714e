"""``Judge``: comments in, verdicts out — the one entry point to detect + decide.

The scan command, the eval command, the benchmark and the daemon all call
``Judge.judge_many``, so what is measured is what runs in production.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from spacy.language import Language

from commentwatch import paths
from commentwatch.config import Config, DetectConfig, PolicyConfig
from commentwatch.decide.fusion import severity_score
from commentwatch.decide.policy import Policy, load_layer
from commentwatch.detect.hits import Hit
from commentwatch.detect.lexicon import Lexicon, LexiconError, fingerprint, load_lexicon
from commentwatch.detect.minors import MinorVideoDetector
from commentwatch.detect.ngram import NgramModel
from commentwatch.detect.pipeline import TEXT_KEY, build_pipeline, make_docs
from commentwatch.text.normalize import Normalizer
from commentwatch.values import (
    Comment,
    Evidence,
    Kind,
    Observation,
    Signals,
    Verdict,
    Video,
)

log = logging.getLogger(__name__)

#: Windows overlap so that a term cut by a window edge is still seen whole.
WINDOW_OVERLAP = 32
#: A verdict keeps at most this many pieces of evidence (strongest first).
MAX_EVIDENCE = 100


class _Findings:
    """What the windows of one comment found so far (strongest of each kept)."""

    __slots__ = ("classifier", "cues", "evidence", "exemplar", "length", "ngram")

    def __init__(self) -> None:
        self.evidence: dict[tuple, Evidence] = {}
        self.cues: set[str] = set()
        self.classifier: dict[str, float] = {}
        self.exemplar: dict[str, float] = {}
        self.ngram = 0.0
        #: Characters read (``readable_compact``), first window to last.
        self.length = 0


@dataclass(frozen=True)
class _Loaded:
    """Everything built from one lexicon version; swapped atomically on reload."""

    lexicon: Lexicon
    normalizer: Normalizer
    nlp: Language
    minors: MinorVideoDetector


class Judge:
    """Detect and decide together: it is handed the ``[detect]`` and ``[policy]`` sections."""

    def __init__(self, detect: DetectConfig, policy: PolicyConfig, ngram: NgramModel | None = None):
        self.detect = detect
        self.policy = Policy(policy, load_layer(policy), semantic=detect.semantic)
        self._policy_config = policy
        # The models do not change with the lexicon: loaded once, kept across reloads.
        self._ngram = ngram
        self._loaded = self._load(detect, policy, detect.lexicon_dir, ngram)
        self._reload_lock = threading.Lock()

    @classmethod
    def from_config(cls, config: Config) -> Judge:
        """The judge of a whole config: its ``[detect]`` and ``[policy]`` sections."""
        return cls.from_sections(config.detect, config.policy)

    @classmethod
    def from_sections(cls, detect: DetectConfig, policy: PolicyConfig) -> Judge:
        return cls(detect, policy, load_ngram(detect))

    @staticmethod
    def _load(detect: DetectConfig, policy: PolicyConfig, directory: Path, ngram: NgramModel | None) -> _Loaded:
        lexicon = load_lexicon(directory)
        normalizer = Normalizer(lexicon.char_substitutions)
        semantic = None
        if detect.semantic:
            # Deferred: the semantic stage imports torch and sentence-transformers
            # (seconds), which --no-semantic runs and lexicon-only judges never need.
            from commentwatch.detect.semantic import component_config

            semantic = component_config(detect, policy, lexicon, normalizer)
        nlp = build_pipeline(lexicon, normalizer, semantic=semantic, ngram=ngram)
        minors = MinorVideoDetector(lexicon.minor_video, normalizer)
        return _Loaded(lexicon, normalizer, nlp, minors)

    # -- lexicon lifecycle ---------------------------------------------------
    @property
    def lexicon(self) -> Lexicon:
        return self._loaded.lexicon

    @property
    def normalizer(self) -> Normalizer:
        return self._loaded.normalizer

    @property
    def lexicon_version(self) -> str:
        return self._loaded.lexicon.version

    def reload_if_changed(self) -> bool:
        """Rebuild from the lexicon folder if a file changed since loading.

        A broken edit is logged with every problem and the previous lexicon
        stays in use, so an editor's typo never blinds the daemon.
        """
        directory = self.detect.lexicon_dir
        with self._reload_lock:
            if fingerprint(directory) == self.lexicon_version:
                return False
            try:
                loaded = self._load(self.detect, self._policy_config, directory, self._ngram)
            except LexiconError as exc:
                log.error("lexicon reload refused, keeping version %s: %s", self.lexicon_version, exc)
                return False
            self._loaded = loaded
            log.info("lexicon reloaded: version %s", loaded.lexicon.version)
            return True

    # -- judging ---------------------------------------------------------------
    def features_minors(self, video: Video) -> bool:
        """The platform's flag when it has one, else the video's own words."""
        if video.featuring_minors is not None:
            return video.featuring_minors
        return self._loaded.minors.features_minors(video, self.detect.minors_video_threshold)

    def judge(self, comment: Comment) -> Verdict:
        return self.judge_many([comment])[0]

    def judge_many(self, comments: Sequence[Comment]) -> list[Verdict]:
        return self.policy.decide_many(self.observe_many(comments))

    def observe_many(self, comments: Sequence[Comment]) -> list[Observation]:
        """Detection alone: each comment's evidence and signals, before any threshold."""
        loaded = self._loaded  # one version for the whole batch
        window = self.detect.window_chars
        minors_of = [self.features_minors(c.video) for c in comments]
        texts = [c.text[: self.detect.max_chars] for c in comments]
        found = [_Findings() for _ in comments]
        # Every comment's first window goes through the pipeline in one batch.
        self._run(loaded, [(i, 0, texts[i][: window + WINDOW_OVERLAP], minors_of[i]) for i in range(len(comments))], found)
        # Long comments continue window by window, and stop early once the
        # evidence is full and certain: a megabyte of spam costs a few windows.
        for i, text in enumerate(texts):
            offsets = range(window, len(text), window)
            for start in range(0, len(offsets), 8):
                if self._settled(found[i]):
                    break
                jobs = [(i, o, text[o : o + window + WINDOW_OVERLAP], minors_of[i]) for o in offsets[start : start + 8]]
                self._run(loaded, jobs, found)
        observations = []
        for comment, findings, minors, text in zip(comments, found, minors_of, texts, strict=True):
            ordered = sorted(findings.evidence.values(), key=lambda e: (-e.score, e.start))[:MAX_EVIDENCE]
            signals = Signals(
                minors=minors, danmaku=comment.kind == Kind.DANMAKU, cues=frozenset(findings.cues),
                classifier=tuple(sorted(findings.classifier.items())), exemplar=tuple(sorted(findings.exemplar.items())),
                ngram=findings.ngram, length=len(text), read_length=findings.length,
            )
            observations.append(Observation(comment.id, tuple(ordered), signals))
        return observations

    @staticmethod
    def _settled(found: _Findings) -> bool:
        strong = sum(1 for e in found.evidence.values() if e.score >= 0.95)
        return strong >= MAX_EVIDENCE

    @staticmethod
    def _run(loaded: _Loaded, jobs: list[tuple[int, int, str, bool]], found: list[_Findings]) -> None:
        """Judge windows ``(comment index, offset, text, minors)`` into ``found``."""
        texts = ((loaded.normalizer.normalize(text), minors) for _, _, text, minors in jobs)
        docs = loaded.nlp.pipe(make_docs(loaded.nlp, texts), batch_size=256)
        for (index, offset, _, _), doc in zip(jobs, docs, strict=True):
            hits: list[Hit] = doc._.cw_hits or []
            findings = found[index]
            findings.length = max(findings.length, offset + len(doc.user_data[TEXT_KEY].readable_compact))
            for hit in hits:
                findings.cues.update(hit.cues)
            if doc._.cw_ngram is not None:
                findings.ngram = max(findings.ngram, doc._.cw_ngram)
            scores = doc._.cw_scores
            if scores:
                for table, values in ((findings.classifier, scores[0]), (findings.exemplar, scores[1])):
                    for category, value in values.items():
                        if value > table.get(category, -1.0):
                            table[category] = value
            # Cues count only through the rules they fire; the rule's
            # evidence names them.
            items = [h.evidence(severity_score(h.severity)) for h in hits if h.severity]
            items += doc._.cw_evidence or []
            for item in items:
                if offset:
                    item = _shift(item, offset)
                key = (item.category, item.term, item.start, item.end, item.source)
                if key not in findings.evidence or findings.evidence[key].score < item.score:
                    findings.evidence[key] = item


def load_ngram(detect: DetectConfig) -> NgramModel | None:
    """The configured character n-gram model, or None when it is switched off."""
    if detect.ngram == "none":
        return None
    return NgramModel.load(paths.NGRAM_DIR if detect.ngram == "default" else Path(detect.ngram))


def _shift(item: Evidence, offset: int) -> Evidence:
    return replace(item, start=item.start + offset, end=item.end + offset)
