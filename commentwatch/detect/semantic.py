"""The semantic stage as a spaCy component: exemplar similarity and the classifier.

It reads the Doc the pipeline already built (jieba tokens of the normalised
text), so a comment is segmented once. For the default static model the
sentence vector is the mean of the tokens' embedding rows, done in numpy for
a whole batch at a time; other models are batched through ``model.encode``.
Each comment then gets, per harm category, the similarity to the nearest
exemplar and the classifier's probability; those above their thresholds
become ``Evidence`` (source ``exemplar`` or ``classifier``) on
``doc._.cw_evidence`` and raise ``doc.cats``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import ahocorasick
import numpy as np
from spacy.attrs import ORTH
from spacy.language import Language
from spacy.tokens import Doc

from commentwatch import paths
from commentwatch.config import DetectConfig, PolicyConfig
from commentwatch.detect.classifier import Classifier
from commentwatch.detect.exemplars import ExemplarIndex
from commentwatch.detect.pipeline import WORDS_KEY, BatchedComponent
from commentwatch.embed.embedder import StaticEmbedder, load_embedder
from commentwatch.text.normalize import Normalizer
from commentwatch.values import Evidence

#: Cue of the lexicon entries that show a commenter reporting or warning
#: about others (已举报, 都是骗子, 别信). Such comments are on the children's
#: side, but their angry words read as abuse to the classifier, so they get
#: no semantic abuse evidence; lexicon terms in them still count.
BYSTANDER_CUE = "bystander"
#: The category the bystander words silence.
SILENCED_BY_BYSTANDER = "abuse"

FACTORY = "commentwatch_semantic"
#: Where ``doc.user_data`` keeps the pipeline's NormalizedText (set by make_docs).
TEXT_KEY = "cw_text"
#: Used when neither the config nor the classifier's training sets thresholds.
FALLBACK_EXEMPLAR_MIN = 0.9
FALLBACK_CLASSIFIER_MIN = 0.5


def component_config(detect: DetectConfig, policy: PolicyConfig, lexicon=None, normalizer=None) -> dict:
    """The component's spaCy config from the ``[detect]`` and ``[policy]`` sections (JSON-safe values only)."""
    return {
        "model": detect.model,
        "device": detect.device,
        "classifier": detect.classifier,
        "exemplar_dir": str(Path(detect.lexicon_dir) / "exemplars"),
        "score_cap": semantic_score_cap(policy),
        "exemplar_min": detect.exemplar_min,
        "classifier_min": detect.classifier_min,
        "bystander_terms": bystander_terms(lexicon, normalizer) if lexicon is not None else [],
    }


def bystander_terms(lexicon, normalizer=None) -> list[str]:
    """The lexicon's bystander words, in the ``compact`` form a comment is read in.

    Pass the pipeline's normalizer when there is one: a new one would build
    its fold tables again.
    """
    if normalizer is None:
        normalizer = Normalizer(lexicon.char_substitutions)
    return sorted({normalizer.compact(e.term) for e in lexicon.entries if BYSTANDER_CUE in e.cues} - {""})


class BystanderWords:
    """Finds a bystander word in a comment's ``compact`` stream."""

    def __init__(self, terms: Iterable[str]) -> None:
        self._automaton = None
        terms = [t for t in terms if t]
        if terms:
            self._automaton = ahocorasick.Automaton()
            for term in terms:
                self._automaton.add_word(term, term)
            self._automaton.make_automaton()

    def in_text(self, compact: str) -> bool:
        if self._automaton is None:
            return False
        return next(self._automaton.iter(compact), None) is not None


def semantic_score_cap(policy) -> float:
    """Just under the lowest hide threshold: a semantic signal alone asks a
    moderator (alert); it hides only together with another signal."""
    return round(min(policy.hide, policy.minors_hide) - 0.01, 4)


def resolve_classifier_dir(name: str) -> Path | None:
    if name == "none":
        return None
    return paths.CLASSIFIER_DIR if name == "default" else Path(name)


class SemanticComponent(BatchedComponent):
    def __init__(self, nlp: Language, *, model: str, device: str, classifier: str, exemplar_dir: str,
                 cache_dir: str, exemplar_min: float, classifier_min: float, score_cap: float = 1.0,
                 bystander_terms: Iterable[str] = ()) -> None:
        if not Doc.has_extension("cw_evidence"):
            Doc.set_extension("cw_evidence", default=None)
        if not Doc.has_extension("cw_scores"):
            Doc.set_extension("cw_scores", default=None)
        self.embedder = load_embedder(model, device)
        self.score_cap = score_cap
        self.bystander = BystanderWords(bystander_terms)
        self._make_doc = nlp.make_doc
        classifier_dir = resolve_classifier_dir(classifier)
        self.classifier = (Classifier.load(classifier_dir, model_fingerprint=self.embedder.fingerprint)
                           if classifier_dir is not None else None)
        tuned = self.classifier.info.get("thresholds", {}) if self.classifier else {}
        categories = self.classifier.categories if self.classifier else ()
        tuned_min = tuned.get("classifier_min", {})
        #: Per head: a probability below this is not evidence.
        self.classifier_min = np.array([
            classifier_min if classifier_min >= 0 else float(tuned_min.get(c, FALLBACK_CLASSIFIER_MIN))
            for c in categories
        ], dtype=np.float32)
        self.exemplars = ExemplarIndex.load(
            Path(exemplar_dir) if exemplar_dir else paths.EXEMPLAR_DIR, encode=self.encode_texts, model_fingerprint=self.embedder.fingerprint,
            cache_dir=Path(cache_dir) if cache_dir else paths.cache_dir(),
        )

        tuned_exemplar = tuned.get("exemplar_min", {})
        #: Per exemplar category: a similarity below this is not evidence.
        self.exemplar_min = np.array([
            exemplar_min if exemplar_min >= 0 else float(tuned_exemplar.get(c, FALLBACK_EXEMPLAR_MIN))
            for c in self.exemplars.category_names
        ], dtype=np.float32)

    # -- vectors -----------------------------------------------------------------
    def encode_texts(self, texts: list[str]) -> np.ndarray:
        """Embed free text exactly as a comment would be: same tokenizer, same path."""
        return self.encode_docs([self._make_doc(t) for t in texts])

    def encode_docs(self, docs: list[Doc], tokens: list[list[str]] | None = None) -> np.ndarray:
        if isinstance(self.embedder, StaticEmbedder):
            return self.embedder.encode_tokens(tokens if tokens is not None else token_texts(docs))
        return self.embedder.encode([doc_text(doc) for doc in docs])

    # -- spaCy protocol: BatchedComponent calls this a batch at a time -------------
    def _score(self, docs: list[Doc]) -> None:
        if not docs:
            return
        tokens = token_texts(docs)
        for row, doc in enumerate(docs):
            text = doc.user_data.get(TEXT_KEY)
            if text is not None and text.readable != text.plain:
                # Pinyin read back or spaced-out characters joined: the models read
                # the words the Doc's tokens (over ``plain``) do not show.
                tokens[row] = token_texts([self._make_doc(text.readable)])[0]
        vectors = self.encode_docs(docs, tokens)
        new: list[list[Evidence]] = [[] for _ in docs]
        # A text with no word the model knows (blanks, punctuation, emoji) has a
        # zero vector; a score for it would be the classifier's bias, not evidence.
        readable = np.linalg.norm(vectors, axis=1) > 0
        bystander = [self.bystander.in_text(_compact(doc)) for doc in docs]
        exemplar_scores: list[dict[str, float]] = [{} for _ in docs]
        classifier_scores: list[dict[str, float]] = [{} for _ in docs]
        if len(self.exemplars):
            best, which = self.exemplars.best_per_category(vectors)
            for row in np.flatnonzero(readable):
                exemplar_scores[row] = dict(zip(self.exemplars.category_names, best[row].tolist()))
            for row, column in zip(*np.nonzero((best >= self.exemplar_min) & readable[:, None])):
                similarity = float(best[row, column])
                phrase = self.exemplars.phrases[which[row, column]]
                category = self.exemplars.category_names[column]
                if bystander[row] and category == SILENCED_BY_BYSTANDER:
                    continue
                new[row].append(_evidence(docs[row], "exemplar", category, phrase, min(similarity, self.score_cap),
                                          f"close to: {phrase}, {similarity:.2f}"))
        if self.classifier is not None:
            probabilities = self.classifier.probabilities([doc_text(doc) for doc in docs], tokens, vectors)
            for row in np.flatnonzero(readable):
                classifier_scores[row] = dict(zip(self.classifier.categories, probabilities[row].tolist()))
            for row, column in zip(*np.nonzero((probabilities >= self.classifier_min) & readable[:, None])):
                p = float(probabilities[row, column])
                category = self.classifier.categories[column]
                if bystander[row] and category == SILENCED_BY_BYSTANDER:
                    continue
                new[row].append(_evidence(docs[row], "classifier", category, "classifier", min(p, self.score_cap),
                                          f"classifier: {category} {p:.2f}"))
        for doc, items, c_scores, e_scores in zip(docs, new, classifier_scores, exemplar_scores):
            doc._.cw_scores = (c_scores, e_scores)
            if doc._.cw_evidence is None:
                doc._.cw_evidence = []
            doc._.cw_evidence.extend(items)
            for item in items:
                doc.cats[item.category] = max(doc.cats.get(item.category, 0.0), item.score)


def _compact(doc: Doc) -> str:
    text = doc.user_data.get(TEXT_KEY)
    return text.compact if text is not None else "".join(doc.text.split())


def doc_text(doc: Doc) -> str:
    """The text the models read: the comment's ``readable`` stream, or the
    Doc's own text for a Doc made from free text."""
    text = doc.user_data.get(TEXT_KEY)
    return text.readable if text is not None else doc.text


def token_texts(docs: list[Doc]) -> list[list[str]]:
    """Each Doc's token strings, read from the token array (no Token objects)."""
    return [doc.user_data[WORDS_KEY] if WORDS_KEY in doc.user_data
            else [doc.vocab.strings[orth] for orth in doc.to_array(ORTH).tolist()] for doc in docs]


def _evidence(doc: Doc, source: str, category: str, term: str, score: float, detail: str) -> Evidence:
    text = doc.user_data.get(TEXT_KEY)
    end = len(text.original) if text is not None else len(doc.text)
    return Evidence(category=category, term=term, start=0, end=end, source=source,
                    detail=detail, score=round(min(max(score, 0.0), 1.0), 4))


@Language.factory(
    FACTORY,
    default_config={"model": "default", "device": "auto", "classifier": "default", "exemplar_dir": "",
                    "cache_dir": "", "exemplar_min": -1.0, "classifier_min": -1.0, "score_cap": 1.0,
                    "bystander_terms": []},
)
def make_semantic_component(nlp: Language, name: str, model: str, device: str, classifier: str,
                            exemplar_dir: str, cache_dir: str, exemplar_min: float,
                            classifier_min: float, score_cap: float, bystander_terms: list[str]) -> SemanticComponent:
    return SemanticComponent(nlp, model=model, device=device, classifier=classifier, exemplar_dir=exemplar_dir,
                             cache_dir=cache_dir, exemplar_min=exemplar_min, classifier_min=classifier_min,
                             score_cap=score_cap, bystander_terms=bystander_terms)
