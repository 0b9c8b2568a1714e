"""The spaCy pipeline every comment runs through.

``spacy.blank("zh")`` with a jieba tokenizer of our own (a private
``rjieba.Jieba``, jieba's algorithm and dictionary compiled, with the lexicon
terms in its dictionary, so they segment as units and no global jieba state
is touched), followed by components:

- ``commentwatch_lexicon``: lexicon automata and contact/privacy detectors;
  writes ``doc._.cw_hits``, ``doc.spans["cw_hits"]`` and ``doc.cats``;
- ``commentwatch_rules``: context rules from ``rules.toml`` as spaCy
  ``Matcher`` patterns over the cues the hits put on tokens;
- ``commentwatch_ngram`` (optional): the character n-gram model's
  probability that the comment offends, on ``doc._.cw_ngram``;
- ``commentwatch_semantic`` (optional, ``detect/semantic.py``): embeddings.

The Doc is built over the normalised ``plain`` stream, so jieba and the
embeddings see simplified, de-obfuscated text; the stream's offset map
(``doc.user_data["cw_text"]``) leads evidence back to the original.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import permutations

import rjieba
import spacy
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Token
from spacy.util import minibatch

from commentwatch.detect.contact import ContactDetector
from commentwatch.detect.hits import Hit
from commentwatch.detect.lexicon import Lexicon, Rule
from commentwatch.detect.matcher import LexiconMatcher
from commentwatch.detect.ngram import NgramModel
from commentwatch.text.normalize import NormalizedText, Normalizer

HITS_KEY = "cw_hits"
TEXT_KEY = "cw_text"
MINORS_KEY = "cw_minors"
WORDS_KEY = "cw_words"


def register_extensions() -> None:
    """Custom attributes the components share (spaCy keeps these per class)."""
    if not Doc.has_extension("cw_hits"):
        Doc.set_extension("cw_hits", default=None)
    if not Doc.has_extension("cw_evidence"):
        Doc.set_extension("cw_evidence", default=None)
    if not Doc.has_extension("cw_ngram"):
        Doc.set_extension("cw_ngram", default=None)
    if not Doc.has_extension("cw_scores"):
        # (classifier probability, exemplar similarity) per category, every
        # category: the decision layer reads them whether or not they are evidence.
        Doc.set_extension("cw_scores", default=None)
    if not Token.has_extension("cw_tags"):
        Token.set_extension("cw_tags", default=None)


class JiebaTokenizer:
    """Segments with a private jieba dictionary that knows the lexicon terms.

    ``rjieba`` runs jieba's own dictionary and maximum-probability route
    (no HMM) about ten times faster than the pure-Python ``jieba``; the two
    agree on 99.8% of comments and differ only in how they break ties
    between equally probable routes (哈哈|哈哈哈 or 哈哈哈|哈哈).
    """

    def __init__(self, vocab, words: Iterable[str] = ()):
        self.vocab = vocab
        self._jieba = rjieba.Jieba()
        for word in words:
            if len(word) > 1:
                self._jieba.add_word(word, None, None)

    def __call__(self, text: str) -> Doc:
        # jieba's pieces cover the text exactly, so a single space after a
        # word becomes that word's trailing space and the Doc's text is the
        # input, character for character (checked in the tests).
        words: list[str] = []
        spaces: list[bool] = []
        for piece in self._jieba.cut(text, False):
            if piece == " " and words and not spaces[-1] and not words[-1].isspace():
                spaces[-1] = True
            elif piece:
                words.append(piece)
                spaces.append(False)
        doc = Doc(self.vocab, words=words, spaces=spaces)
        doc.user_data[WORDS_KEY] = words  # the token texts, without reading them back from the Doc
        return doc


class LexiconComponent:
    """Lexicon terms and contact/privacy patterns, as hits with cues."""

    def __init__(self) -> None:
        self.matcher: LexiconMatcher | None = None
        self.contacts = ContactDetector()

    def use(self, lexicon: Lexicon, normalizer: Normalizer) -> None:
        self.matcher = LexiconMatcher(lexicon, normalizer)

    def __call__(self, doc: Doc) -> Doc:
        text: NormalizedText = doc.user_data[TEXT_KEY]
        contacts = self.contacts.find(text)
        hits = self.matcher.find(text, others=contacts) + contacts
        doc._.cw_hits = hits
        if doc._.cw_evidence is None:
            doc._.cw_evidence = []
        spans = []
        for hit in hits:
            span = doc.char_span(hit.doc_start, hit.doc_end, label=hit.category, alignment_mode="expand")
            if span is not None:
                spans.append(span)
                for token in span:
                    tags = token._.cw_tags
                    token._.cw_tags = list(hit.cues) if tags is None else tags + list(hit.cues)
            doc.cats[hit.category] = max(doc.cats.get(hit.category, 0.0), hit.severity / 3)
        doc.spans[HITS_KEY] = spans
        return doc


#: Rules are matched within slices of this many tokens (overlapping by half).
#: Comments are shorter, so a slice is "the whole comment" in practice, and it
#: keeps the Matcher's cost linear on a hostile text full of cues.
RULE_SLICE_TOKENS = 200


def rule_patterns(rule: Rule) -> list[list[dict]]:
    """Every order of the rule's names, any tokens between them.

    A single token that carries all the names (one term with several cues)
    also satisfies the rule.
    """
    patterns = [[{"_": {"cw_tags": {"IS_SUPERSET": list(rule.all)}}}]]
    for order in permutations(rule.all):
        pattern: list[dict] = []
        for i, name in enumerate(order):
            if i:
                pattern.append({"OP": "*"})
            pattern.append({"_": {"cw_tags": {"INTERSECTS": [name]}}})
        patterns.append(pattern)
    return patterns


class RulesComponent:
    """Context rules: innocent words that are harmful together."""

    def __init__(self, nlp: Language) -> None:
        self.vocab = nlp.vocab
        self.rules: dict[str, Rule] = {}
        self.matchers: dict[str, Matcher] = {}

    def use(self, rules: Iterable[Rule]) -> None:
        """One Matcher per rule: a comment only pays for the rules its cues satisfy."""
        self.rules = {rule.name: rule for rule in rules}
        self.matchers = {}
        for rule in self.rules.values():
            matcher = Matcher(self.vocab)
            matcher.add(rule.name, rule_patterns(rule))
            self.matchers[rule.name] = matcher

    def __call__(self, doc: Doc) -> Doc:
        hits: list[Hit] = doc._.cw_hits or []
        present = {cue for hit in hits for cue in hit.cues}
        minors = bool(doc.user_data.get(MINORS_KEY))
        satisfied = {
            name for name, rule in self.rules.items()
            if present.issuperset(rule.all) and (minors or not rule.minors_video)
        }
        # Most comments satisfy no rule: they never reach a Matcher.
        if not satisfied:
            return doc
        text: NormalizedText = doc.user_data[TEXT_KEY]
        # The Matcher finds the tightest token span for each satisfied rule.
        fired: dict[str, tuple[int, int]] = {}
        for name, start, end in self._matches(doc, satisfied):
            span = doc[start:end]
            if name not in fired or span.end_char - span.start_char < fired[name][1] - fired[name][0]:
                fired[name] = (span.start_char, span.end_char)
        # Cues can share one token (胸 and 胸好大 inside one jieba token) or
        # lie further apart than a Matcher slice: the rule still holds, and
        # its evidence spans the hits that gave its cues.
        for name in satisfied - fired.keys():
            needed = set(self.rules[name].all)
            spans = [(h.doc_start, h.doc_end) for h in hits if needed.intersection(h.cues)]
            fired[name] = (min(a for a, _ in spans), max(b for _, b in spans))
        new_hits = []
        plain_to_original = text.plain_to_original
        for name, (start_char, end_char) in fired.items():
            rule = self.rules[name]
            orig_start = plain_to_original[start_char]
            orig_end = plain_to_original[end_char - 1] + 1
            involved = sorted({h.term for h in hits if h.doc_start < end_char and start_char < h.doc_end and set(rule.all).intersection(h.cues)})
            new_hits.append(Hit(
                category=rule.category,
                term=rule.name,
                start=orig_start,
                end=orig_end,
                severity=rule.severity,
                cues=(rule.category,),
                evasion="",
                source="rule",
                detail=" + ".join(involved),
                doc_start=start_char,
                doc_end=end_char,
            ))
            doc.cats[rule.category] = max(doc.cats.get(rule.category, 0.0), rule.severity / 3)
        doc._.cw_hits = hits + new_hits
        return doc

    def _matches(self, doc: Doc, names: set[str]) -> Iterator[tuple[str, int, int]]:
        """(rule name, start token, end token) of each match of the named rules."""
        tagged = [token.i for token in doc if token._.cw_tags]
        if not tagged or not names:
            return
        # Only the stretch between the first and last cue can match.
        first, last = tagged[0], tagged[-1] + 1
        step = RULE_SLICE_TOKENS // 2
        for offset in range(first, max(last - step, first + 1), step):
            piece = doc[offset : min(offset + RULE_SLICE_TOKENS, last)]
            for name in names:
                for _, start, end in self.matchers[name](piece):
                    yield name, offset + start, offset + end


class BatchedComponent:
    """A component whose work is done a batch of Docs at a time (``_score``);
    called on one Doc, it is a batch of one."""

    def __call__(self, doc: Doc) -> Doc:
        self._score([doc])
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 256) -> Iterator[Doc]:
        for batch in minibatch(docs, size=batch_size):
            self._score(batch)
            yield from batch

    def _score(self, docs: list[Doc]) -> None:
        raise NotImplementedError


class NgramComponent(BatchedComponent):
    """The character n-gram model over the normalised text, a batch at a time."""

    def __init__(self) -> None:
        self.model: NgramModel | None = None

    def use(self, model: NgramModel) -> None:
        self.model = model

    def _score(self, docs: list[Doc]) -> None:
        # The compact form of what the models read: no separators, punctuation or
        # repeats to take as a sign of harm, pinyin read back as characters.
        texts = [doc.user_data[TEXT_KEY].readable_compact if TEXT_KEY in doc.user_data else doc.text for doc in docs]
        for doc, p in zip(docs, self.model.probabilities(texts).tolist()):
            doc._.cw_ngram = p


@Language.factory("commentwatch_ngram")
def make_ngram_component(nlp: Language, name: str) -> NgramComponent:
    return NgramComponent()


@Language.factory("commentwatch_lexicon")
def make_lexicon_component(nlp: Language, name: str) -> LexiconComponent:
    return LexiconComponent()


@Language.factory("commentwatch_rules")
def make_rules_component(nlp: Language, name: str) -> RulesComponent:
    return RulesComponent(nlp)


def build_pipeline(lexicon: Lexicon, normalizer: Normalizer, *, semantic: dict | None = None,
                   ngram: NgramModel | None = None) -> Language:
    """Assemble the pipeline for one lexicon version.

    ``semantic`` is the config of the ``commentwatch_semantic`` component, or
    None to leave the semantic stage out; ``ngram`` the character n-gram
    model, or None to leave it out.
    """
    register_extensions()
    nlp = spacy.blank("zh")
    terms = {normalizer.plain(e.term).strip() for e in lexicon.entries}
    nlp.tokenizer = JiebaTokenizer(nlp.vocab, sorted(terms))
    nlp.add_pipe("commentwatch_lexicon").use(lexicon, normalizer)
    nlp.add_pipe("commentwatch_rules").use(lexicon.rules)
    if ngram is not None:
        nlp.add_pipe("commentwatch_ngram").use(ngram)
    if semantic is not None:
        nlp.add_pipe("commentwatch_semantic", config=semantic)
    return nlp


def make_docs(nlp: Language, texts: Iterable[tuple[NormalizedText, bool]]) -> Iterator[Doc]:
    """Tokenise each normalised text once, carrying what components need."""
    for text, minors in texts:
        doc = nlp.make_doc(text.plain)
        doc.user_data[TEXT_KEY] = text
        doc.user_data[MINORS_KEY] = minors
        yield doc
