"""Lexicon matching: one Aho-Corasick automaton, built once per lexicon.

Every entry is compiled into the *forms* its match modes allow (the term,
its compact form, slang variants from substitutions.txt, its spelled
pinyin, its initials, common homophones of three of its characters) and the
forms go into one automaton over the ``compact`` stream, so a comment is a
single pass whatever the size of the lexicon. (Exact-mode terms written
with separators, such as +v, need the separators ``compact`` drops: a small
second automaton reads ``plain``, and only when their first character is
there.) Forms that the compact stream over-approximates carry a check that
runs only when they fire:

- an exact-mode form must read as written in ``plain`` (no separator, no
  collapsed run inside it);
- a homophone form is keyed on common homophones of three of its
  characters and must sound like the whole term;
- a latin form (yp, jiaweixin) must stand as a whole word.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import chain, product
from math import prod

import ahocorasick

from commentwatch.detect.hits import Hit, drop_overlapping_repeats
from commentwatch.detect.lexicon import Entry, Lexicon
from commentwatch.text.normalize import (
    NormalizedText,
    Normalizer,
    common_homophones,
    gb2312_chars,
    syllable,
)


@dataclass(frozen=True, eq=False)  # identity: forms key per-text counters
class _Form:
    entry: Entry
    #: The evasion a match of this form implies by itself ("" for the term).
    via: str
    #: Latin forms (yp, jiaweixin) must stand as whole words.
    latin: bool = False
    #: Exact-mode forms: the text the match must read as in ``plain``.
    plain: str = ""
    #: Homophone forms: the whole term as syllable codes; the key holds only
    #: two of its characters, ``key_offset`` characters into the term.
    sounds: str = ""
    key_offset: int = 0
    #: The entry's category and cues: built once here, not for every hit.
    cues: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cues", (self.entry.category, *self.entry.cues))


def _is_latin_word(form: str) -> bool:
    return form.isascii() and form.isalnum() and any(c.isalpha() for c in form)


def _as_bytes(text: str) -> str:
    """UTF-8 bytes spelled as a str of code points 0-255 (see ``LexiconMatcher``)."""
    return text.encode("utf-8", "surrogatepass").decode("latin-1")


def _spans(automaton: ahocorasick.Automaton | None, text: str) -> Iterator[tuple[int, int, tuple]] | None:
    """(start, end, payload) in character indices of each key in ``text``;
    None when there is none, which is most comments.

    The automaton holds its keys as UTF-8 bytes (see ``LexiconMatcher``);
    byte ends are turned into character ends incrementally (they only
    grow), so a long text is decoded once however many keys it holds.
    """
    if automaton is None:
        return None
    haystack = _as_bytes(text)
    events = automaton.iter(haystack)
    for first in events:
        return _char_spans(haystack, chain((first,), events))
    return None


def _char_spans(haystack: str, events: Iterable[tuple[int, tuple]]) -> Iterator[tuple[int, int, tuple]]:
    if haystack.isascii():  # bytes are characters
        for end, payload in events:
            yield end + 1 - payload[0], end + 1, payload
        return
    byte_end = char_end = 0
    for end, payload in events:
        char_end += len(haystack[byte_end : end + 1].encode("latin-1").decode("utf-8", "surrogatepass"))
        byte_end = end + 1
        yield char_end - payload[0], char_end, payload


def _common_homophones(char: str) -> frozenset[str]:
    """``char`` and the common characters that sound like it."""
    return common_homophones(syllable(char)) | {char}


@cache
def _byte_commonness() -> dict[str, int]:
    """How often each UTF-8 byte occurs in the everyday characters."""
    return Counter(_as_bytes(gb2312_chars()))


def _automaton(forms: dict[str, list[_Form]], allow: set[str]) -> ahocorasick.Automaton | None:
    """Keys → (length, forms, allowed): allow-list phrases share the pass."""
    if not forms and not allow:
        return None
    automaton = ahocorasick.Automaton()
    # pyahocorasick scans a node's children in the order they were added, so
    # keys whose bytes are common in Chinese text go in first.
    rank = _byte_commonness()
    for key in sorted(forms.keys() | allow, key=lambda k: ([-rank.get(b, 0) for b in _as_bytes(k)], k)):
        # Literal forms first: when a key fires for several forms of one
        # entry, the first hit wins and should name the fewest evasions.
        ordered = sorted(forms.get(key, ()), key=lambda form: bool(form.sounds))
        automaton.add_word(_as_bytes(key), (len(key), tuple(ordered), key in allow))
    automaton.make_automaton()
    return automaton


#: Homophone forms are keyed on this many of the term's characters; the
#: rest of the term is checked by sound when the key fires.
HOMOPHONE_KEY_CHARS = 3
#: … unless that takes more keys than this; then two characters.
HOMOPHONE_MAX_KEYS = 1500

#: Hits kept per text: past this the verdict is certain and more evidence
#: only costs time (a comment of 100,000 repeats of one term).
MAX_HITS = 256
#: Matches kept per cue form: rules need a cue once, and a few more give
#: them the choice of the tightest span.
CUE_REPEATS = 8


class LexiconMatcher:
    """Finds lexicon entries in a ``NormalizedText`` (at most ``MAX_HITS`` of
    severity 1-3, and ``CUE_REPEATS`` of each cue).

    The automaton runs over the UTF-8 bytes of ``compact``. pyahocorasick
    looks a character up among a node's children one by one, and the root
    of a large lexicon has hundreds of Chinese first characters; in bytes no
    node has more than 256 children and the root only a handful of lead
    bytes, which makes the pass over twice as fast. UTF-8 is
    self-synchronising, so a byte match is always a character match.
    """

    def __init__(self, lexicon: Lexicon, normalizer: Normalizer):
        self.normalizer = normalizer
        forms: dict[str, list[_Form]] = defaultdict(list)
        plain_forms: dict[str, list[_Form]] = defaultdict(list)
        phrase_subs = [
            (normalizer.compact(s.source), normalizer.compact(s.target)) for s in lexicon.phrase_substitutions
        ]
        read_by_rules = {cue for rule in lexicon.rules for cue in rule.all}
        for entry in lexicon.entries:
            compact = normalizer.compact(entry.term)
            if not compact:
                continue
            if not entry.severity and read_by_rules.isdisjoint((entry.category, *entry.cues)):
                continue  # a cue no rule reads (bystander words: the semantic stage reads those)
            if "sep" in entry.modes:
                forms[compact].append(_Form(entry, "", _is_latin_word(compact)))
                for source, target in phrase_subs:
                    if source and target and target in compact:
                        variant = compact.replace(target, source)
                        forms[variant].append(_Form(entry, "slang", _is_latin_word(variant)))
            elif "exact" in entry.modes:
                plain = normalizer.plain(entry.term).strip()
                if plain == compact:
                    forms[compact].append(_Form(entry, "", _is_latin_word(plain), plain=plain))
                else:  # written with separators (+v): only ``plain`` has them
                    plain_forms[plain].append(_Form(entry, "", _is_latin_word(plain)))
            if "pinyin" in entry.modes:
                self._add_homophones(forms, entry, compact)
                spelled = normalizer.spelled_pinyin(compact)
                if spelled:
                    forms[spelled].append(_Form(entry, "pinyin", True))
            if "initials" in entry.modes:
                initials = normalizer.initials(compact)
                if initials:
                    forms[initials].append(_Form(entry, "initials", True))
        #: cue → the cue sets of the context rules that need it.
        self._rules_needing: dict[str, list[frozenset[str]]] = defaultdict(list)
        for rule in lexicon.rules:
            for cue in rule.all:
                self._rules_needing[cue].append(frozenset(rule.all))
        self._automaton = _automaton(forms, {phrase for phrase in map(normalizer.compact, lexicon.allow) if phrase})
        self._plain_automaton = _automaton(plain_forms, set())
        self._plain_gate = re.compile("|".join(sorted({re.escape(form[0]) for form in plain_forms})) or "(?!)")

    def _add_homophones(self, forms: dict[str, list[_Form]], entry: Entry, compact: str) -> None:
        """Key the term on every common spelling of three of its characters.

        Keying whole terms would need millions of keys (福利姬 alone has
        650,000 everyday spellings); three characters, spelled with the
        3,755 common characters of GB 2312's first level, need a few
        thousand, and the rest is checked by sound where they occur. Fewer
        characters would fire on everyday words: 不要告诉爸妈 keyed on 不要
        would fire on every 不要.
        """
        sounds = self.normalizer.pinyin_form(compact)
        spellings = [_common_homophones(char) for char in compact]

        def keys(size: int) -> tuple[int, int]:
            """(key count, offset) of the cheapest window of ``size`` characters."""
            return min((prod(len(s) for s in spellings[i : i + size]), i) for i in range(len(compact) - size + 1))

        size = min(HOMOPHONE_KEY_CHARS, len(compact))
        count, offset = keys(size)
        while count > HOMOPHONE_MAX_KEYS and size > 2:
            size -= 1
            count, offset = keys(size)
        form = _Form(entry, "homophone", sounds=sounds, key_offset=offset)
        for chars in product(*spellings[offset : offset + size]):
            forms["".join(chars)].append(form)

    def find(self, text: NormalizedText, others: Sequence[Hit] | None = None) -> list[Hit]:
        """The entries in ``text``.

        Given ``others`` (what other detectors found in the same text), cues
        are returned only when they, the hits and the others' cues may
        complete a context rule: a cue counts for nothing else, and most
        comments that hold one (孩子, 看到) complete no rule, so they skip
        mapping it back.
        """
        compact = _spans(self._automaton, text.compact)
        # Forms written with separators are rare (+v); their first
        # characters gate the pass over ``plain``.
        plain = None
        if self._plain_automaton is not None and self._plain_gate.search(text.plain):
            plain = _spans(self._plain_automaton, text.plain)
        if compact is None and plain is None:
            return []  # most comments: nothing found, nothing to map back
        defer = others is not None
        hits: list[Hit] = []
        cues: list[tuple[str, int, int, _Form]] = []  # cue matches: mapped back last, if at all
        repeats: dict[_Form, int] = {}
        allowed: list[tuple[int, int]] = []  # allow-list phrases, as compact spans
        for stream, spans in (("plain", plain), ("compact", compact)):
            for start, end, (_, forms, allow) in spans or ():
                if allow:
                    allowed.append((start, end))
                for form in forms:
                    if not form.entry.severity:
                        # Cues are capped apart from hits and per form: a wall of
                        # 孩子 must hide neither the terms nor the cues after it.
                        seen = repeats.get(form, 0)
                        if seen < CUE_REPEATS:
                            repeats[form] = seen + 1
                            cues.append((stream, start, end, form))
                        continue
                    hit = self._hit(text, stream, start, end, form)
                    if hit is not None:
                        hits.append(hit)
                if len(hits) >= MAX_HITS:
                    break  # an allow phrase ending past here no longer drops hits
            if len(hits) >= MAX_HITS:
                break
        if cues and defer:
            present = {cue for *_, form in cues for cue in form.cues}
            present.update(cue for hit in hits for cue in hit.cues)
            present.update(cue for hit in others for cue in hit.cues)
            if not self._may_complete_a_rule(present):
                cues = []
        hits += filter(None, (self._hit(text, *cue) for cue in cues))
        if len(hits) > 1:
            # A homophone key fires before the longer literal or slang form
            # of the same term ends; the literal reading wins the tie.
            if any(hit.evasion.startswith("homophone") for hit in hits):
                hits.sort(key=lambda hit: hit.evasion.startswith("homophone"))
            hits = drop_overlapping_repeats(hits)
        if not hits or not allowed:
            return hits
        spans = [text.original_span("compact", start, end) for start, end in allowed]
        return [h for h in hits if not any(a <= h.start and h.end <= b for a, b in spans)]

    def _may_complete_a_rule(self, present: set[str]) -> bool:
        """Whether the cues present include all of some rule's (minors' video or not)."""
        return any(needed <= present for cue in present for needed in self._rules_needing.get(cue, ()))

    def _hit(self, text: NormalizedText, stream: str, start: int, end: int, form: _Form) -> Hit | None:
        """The hit of ``form`` at ``[start, end)`` of ``stream``, if its checks pass."""
        entry = form.entry
        via = form.via
        if form.sounds:
            start -= form.key_offset
            end = start + len(form.sounds)
            if start < 0 or end > len(text.compact):
                return None
            spelled = text.compact[start:end]
            if self.normalizer.pinyin_of_compact(spelled) != form.sounds:
                return None
            if spelled == self.normalizer.compact(entry.term):
                via = ""  # the literal term, which its own form also finds
        if stream == "plain":
            doc_start, doc_end = start, end
        else:
            to_plain = text.compact_to_plain
            doc_start, doc_end = to_plain[start], to_plain[end - 1] + 1
        if form.plain and text.plain[doc_start:doc_end] != form.plain:
            return None
        if form.latin and not self._stands_alone(text.plain, doc_start, doc_end):
            return None
        to_original = text.plain_to_original
        orig_start, orig_end = to_original[doc_start], to_original[doc_end - 1] + 1
        segment = text.original[orig_start:orig_end]
        # Cues (severity 0) never become evidence on their own: only rules
        # read them, so naming their evasions would be wasted work.
        evasions = self.normalizer.evasions(segment) if entry.severity and segment != entry.term else []
        if via:
            evasions.insert(0, via)
        return Hit(
            category=entry.category,
            term=entry.term,
            start=orig_start,
            end=orig_end,
            severity=entry.severity,
            cues=form.cues,
            evasion="+".join(evasions),
            source="lexicon",
            detail=entry.where,
            doc_start=doc_start,
            doc_end=doc_end,
        )

    @staticmethod
    def _stands_alone(plain: str, plain_start: int, plain_end: int) -> bool:
        """A latin form must not touch other latin letters in the plain text."""
        before = plain[plain_start - 1] if plain_start > 0 else ""
        after = plain[plain_end] if plain_end < len(plain) else ""
        return not (before.isascii() and before.isalpha()) and not (after.isascii() and after.isalpha())
