"""Lexicon matching: one Aho-Corasick automaton per stream, built once per lexicon.

Every entry is compiled into the *forms* its match modes allow (the plain
term, its compact form, slang variants from substitutions.txt, its pinyin
chunks, its spelled pinyin, its initials) and each form goes into the
automaton of the stream it can appear in. A comment is then one pass per
stream, whatever the size of the lexicon.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import ahocorasick

from commentwatch.detect.hits import Hit, drop_overlapping_repeats
from commentwatch.detect.lexicon import Entry, Lexicon
from commentwatch.text.normalize import NormalizedText, Normalizer


@dataclass(frozen=True)
class _Form:
    entry: Entry
    #: The evasion a match of this form implies by itself ("" for the term).
    via: str
    #: Latin forms (yp, jiaweixin) must stand as whole words.
    latin: bool


def _is_latin_word(form: str) -> bool:
    return form.isascii() and form.isalnum() and any(c.isalpha() for c in form)


def _automaton(forms: dict[str, list[_Form]], *, as_bytes: bool = False) -> ahocorasick.Automaton | None:
    if not forms:
        return None
    automaton = ahocorasick.Automaton()
    for key, payload in forms.items():
        automaton.add_word(_as_bytes(key) if as_bytes else key, (len(key), tuple(payload)))
    automaton.make_automaton()
    return automaton


def _as_bytes(text: str) -> str:
    """UTF-8 bytes spelled as a str of code points 0-255 (see ``BYTE_STREAMS``)."""
    return text.encode("utf-8", "surrogatepass").decode("latin-1")


#: Hits kept per text: past this the verdict is certain and more evidence
#: only costs time (a comment of 100,000 repeats of one term).
MAX_HITS = 256


class LexiconMatcher:
    """Finds lexicon entries in a ``NormalizedText`` (at most ``MAX_HITS``)."""

    #: Streams in the order their hits are preferred (most literal first).
    STREAMS = ("plain", "compact", "pinyin")
    #: Streams matched as UTF-8 bytes. pyahocorasick looks a character up
    #: among a node's children one by one, and the root of a large lexicon has
    #: hundreds of Chinese first characters; in bytes no node has more than
    #: 256 children and the root only a handful of lead bytes, which makes
    #: the big ``compact`` automaton over twice as fast. UTF-8 is
    #: self-synchronising, so a byte match is always a character match.
    BYTE_STREAMS = frozenset({"compact"})

    def __init__(self, lexicon: Lexicon, normalizer: Normalizer):
        self.normalizer = normalizer
        forms: dict[str, dict[str, list[_Form]]] = {s: defaultdict(list) for s in self.STREAMS}
        phrase_subs = [
            (normalizer.compact(s.source), normalizer.compact(s.target)) for s in lexicon.phrase_substitutions
        ]
        for entry in lexicon.entries:
            compact = normalizer.compact(entry.term)
            if not compact:
                continue
            if "exact" in entry.modes:
                plain = normalizer.plain(entry.term).strip()
                forms["plain"][plain].append(_Form(entry, "", _is_latin_word(plain)))
            if "sep" in entry.modes:
                forms["compact"][compact].append(_Form(entry, "", _is_latin_word(compact)))
                for source, target in phrase_subs:
                    if source and target and target in compact:
                        variant = compact.replace(target, source)
                        forms["compact"][variant].append(_Form(entry, "slang", _is_latin_word(variant)))
            if "pinyin" in entry.modes:
                forms["pinyin"][normalizer.pinyin_form(compact)].append(_Form(entry, "homophone", False))
                spelled = normalizer.spelled_pinyin(compact)
                if spelled:
                    forms["compact"][spelled].append(_Form(entry, "pinyin", True))
            if "initials" in entry.modes:
                initials = normalizer.initials(compact)
                if initials:
                    forms["compact"][initials].append(_Form(entry, "initials", True))
        self._automata = {s: _automaton(f, as_bytes=s in self.BYTE_STREAMS) for s, f in forms.items()}
        self._allow = _automaton({phrase: [] for phrase in map(normalizer.compact, lexicon.allow) if phrase})

    def find(self, text: NormalizedText) -> list[Hit]:
        hits: list[Hit] = []
        for stream in self.STREAMS:
            automaton = self._automata[stream]
            if automaton is None:
                continue
            haystack = getattr(text, stream)
            as_bytes = stream in self.BYTE_STREAMS
            if as_bytes:
                haystack = _as_bytes(haystack)
            for end, (length, forms) in automaton.iter(haystack):
                if as_bytes:  # byte index → character index
                    end = len(haystack[: end + 1].encode("latin-1").decode("utf-8", "surrogatepass")) - 1
                start = end + 1 - length
                for form in forms:
                    hit = self._hit(text, stream, start, end + 1, form)
                    if hit is not None:
                        hits.append(hit)
                if len(hits) >= MAX_HITS:
                    break
        if not hits:
            return hits
        hits = drop_overlapping_repeats(hits)
        return self._drop_allowed(text, hits)

    def _hit(self, text: NormalizedText, stream: str, start: int, end: int, form: _Form) -> Hit | None:
        if form.latin and not self._stands_alone(text, stream, start, end):
            return None
        doc_start, doc_end = text.plain_span(stream, start, end)
        orig_start, orig_end = text.original_span(stream, start, end)
        segment = text.original[orig_start:orig_end]
        # Cues (severity 0) never become evidence on their own: only rules
        # read them, so naming their evasions would be wasted work.
        evasions = self.normalizer.evasions(segment) if form.entry.severity else []
        if form.via == "homophone":
            # The pinyin stream also sees the literal term; only a spelling
            # with other characters is a homophone evasion.
            if self.normalizer.compact(segment) == self.normalizer.compact(form.entry.term):
                form = _Form(form.entry, "", False)
        if form.via:
            evasions.insert(0, form.via)
        entry = form.entry
        return Hit(
            category=entry.category,
            term=entry.term,
            start=orig_start,
            end=orig_end,
            severity=entry.severity,
            cues=(entry.category, *entry.cues),
            evasion="+".join(evasions),
            source="lexicon",
            detail=entry.where,
            doc_start=doc_start,
            doc_end=doc_end,
        )

    @staticmethod
    def _stands_alone(text: NormalizedText, stream: str, start: int, end: int) -> bool:
        """A latin form must not touch other latin letters in the plain text."""
        plain_start, plain_end = text.plain_span(stream, start, end)
        plain = text.plain
        before = plain[plain_start - 1] if plain_start > 0 else ""
        after = plain[plain_end] if plain_end < len(plain) else ""
        return not (before.isascii() and before.isalpha()) and not (after.isascii() and after.isalpha())

    def _drop_allowed(self, text: NormalizedText, hits: list[Hit]) -> list[Hit]:
        if self._allow is None:
            return hits
        allowed = [
            text.original_span("compact", end + 1 - length, end + 1)
            for end, (length, _) in self._allow.iter(text.compact)
        ]
        if not allowed:
            return hits
        return [h for h in hits if not any(a <= h.start and h.end <= b for a, b in allowed)]
