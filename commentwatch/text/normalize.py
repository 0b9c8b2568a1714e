"""Normalisation: read a comment the way a moderator would, keep the way back.

A ``Normalizer`` turns a comment into several *streams*, each a string the
lexicon automata run over:

- ``plain``: every character folded (full-width, case, traditional,
  invisible characters dropped, homoglyph substitutions) — separators kept;
- ``compact``: ``plain`` without separators (spaces, punctuation, symbols,
  emoji) and with long repeats collapsed — catches 加 微.信;
- ``pinyin``: ``compact`` with each Chinese character replaced by a code
  for its toneless syllable, so characters that sound alike become equal —
  catches homophones (家威信 reads as 加微信). One code character per
  character, so its offsets are ``compact``'s;
- ``digits``: ``compact`` with every numeral form as an ASCII digit — for
  phone and QQ numbers written as 幺三八 or ①③⑧.

The streams are built with ``str.translate`` over per-character tables, so a
comment costs a few C-level passes. Offsets back into the original text are
computed only when something matched (``NormalizedText.original_span``),
because most comments match nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from functools import cached_property

from pypinyin import Style, lazy_pinyin
from pypinyin.pinyin_dict import pinyin_dict

from commentwatch.text import fold

#: Runs of three or more of the same character (numerals excepted: phone
#: numbers legitimately repeat) collapse to two.
_REPEAT = re.compile("([^" + "".join(sorted(fold.NUMERAL_CHARS)) + r"])\1{2,}")
#: Substitution target meaning "noise: treat as a separator".
NOISE = "-"


class _CharTable(dict):
    """codepoint → replacement, computed the first time a character is seen.

    ``str.translate`` consults ``__missing__``, so only characters that occur
    in real comments are ever folded, and each only once per normalizer.
    """

    def __init__(self, fold_char: Callable[[str], str | None]):
        super().__init__()
        self._fold_char = fold_char

    def __missing__(self, codepoint: int) -> str | None:
        value = self._fold_char(chr(codepoint))
        self[codepoint] = value
        return value


def _is_han(char: str) -> bool:
    return ord(char) in pinyin_dict


#: Syllable codes live in a private-use block; private-use characters in a
#: comment are dropped as invisible, so a code never collides with text.
_SYLLABLE_BASE = 0xF0000


class _SyllableCodes(dict):
    """syllable → one private-use character, assigned on first sight."""

    def __missing__(self, syllable: str) -> str:
        code = chr(_SYLLABLE_BASE + len(self))
        self[syllable] = code
        return code


def syllable(char: str) -> str:
    """The most common toneless pinyin reading of a Chinese character."""
    return lazy_pinyin(char, style=Style.NORMAL, errors="default")[0]


def initial(char: str) -> str:
    return lazy_pinyin(char, style=Style.FIRST_LETTER, errors="default")[0]


class Normalizer:
    """Builds the streams of a text; one per lexicon version.

    ``substitutions`` maps single characters to what they stand for
    (``薇`` → ``微``); a target of ``-`` marks the character as noise.
    """

    def __init__(self, substitutions: Mapping[str, str] | None = None):
        self._substitutions = {
            self._fold_key(k): v for k, v in (substitutions or {}).items() if len(k) == 1
        }
        self._plain_table = _CharTable(self._fold_plain)
        self._separator_table = _CharTable(lambda c: None if fold.is_separator(c) else c)
        self._syllable_codes = _SyllableCodes()
        self._pinyin_table = _CharTable(lambda c: self._syllable_codes[syllable(c)] if _is_han(c) else c)
        self._digit_table = _CharTable(fold.to_ascii_digit)

    @staticmethod
    def _fold_key(char: str) -> str:
        folded = fold.to_simplified(fold.case_fold(fold.compat_fold(char)))
        return folded if len(folded) == 1 else char

    def _fold_plain(self, char: str) -> str:
        if fold.is_invisible(char):
            return ""
        text = fold.to_simplified(fold.drop_invisible(fold.case_fold(fold.compat_fold(char))))
        out = []
        for c in text:
            target = self._substitutions.get(c, c)
            out.append(" " if target == NOISE else target)
        return "".join(out)

    # -- streams -------------------------------------------------------------
    def plain(self, text: str) -> str:
        return text.translate(self._plain_table)

    def compact_of_plain(self, plain: str) -> str:
        compact = plain.translate(self._separator_table)
        if _REPEAT.search(compact):
            compact = _REPEAT.sub(r"\1\1", compact)
        return compact

    def compact(self, text: str) -> str:
        return self.compact_of_plain(self.plain(text))

    def pinyin_of_compact(self, compact: str) -> str:
        return compact.translate(self._pinyin_table)

    def digits_of_compact(self, compact: str) -> str:
        return compact.translate(self._digit_table)

    def normalize(self, text: str) -> NormalizedText:
        plain = self.plain(text)
        return NormalizedText(self, text, plain, self.compact_of_plain(plain))

    # -- term forms (lexicon entries go through the same folding) ------------
    def pinyin_form(self, compact_term: str) -> str:
        """The term as syllable codes: matches any spelling that sounds the same."""
        return self.pinyin_of_compact(compact_term)

    @staticmethod
    def spelled_pinyin(compact_term: str) -> str | None:
        """``jiaweixin`` for a term of Chinese characters, else None."""
        if not compact_term or not all(_is_han(c) for c in compact_term):
            return None
        return "".join(syllable(c) for c in compact_term)

    @staticmethod
    def initials(compact_term: str) -> str | None:
        """``ghs`` for 搞黄色; None unless every character is Chinese."""
        if len(compact_term) < 2 or not all(_is_han(c) for c in compact_term):
            return None
        return "".join(initial(c) for c in compact_term)

    def evasions(self, segment: str) -> list[str]:
        """Name the tricks that normalisation undid inside ``segment``."""
        found: set[str] = set()
        for char in segment:
            if fold.is_invisible(char):
                found.add("zero_width")
                continue
            compat = fold.compat_fold(char)
            if compat != char:
                found.add("fullwidth" if 0xFF00 <= ord(char) <= 0xFFEF else "compat")
            folded = fold.case_fold(compat)
            simplified = fold.to_simplified(folded)
            if simplified != folded:
                found.add("traditional")
            if any(c in self._substitutions for c in simplified):
                found.add("emoji" if unicodedata.category(char) == "So" else "homoglyph")
            elif simplified and all(fold.is_separator(c) for c in simplified):
                found.add("separator")
        if _REPEAT.search(segment):
            found.add("repeat")
        return sorted(found)

    # -- offset maps (slow path, only after a match) -------------------------
    def plain_offsets(self, text: str) -> list[int]:
        """For each character of ``plain(text)``, its index in ``text``."""
        offsets: list[int] = []
        table = self._plain_table
        for index, char in enumerate(text):
            out = table[ord(char)]
            if out:
                offsets.extend([index] * len(out))
        return offsets

    def compact_offsets(self, plain: str) -> list[int]:
        """For each character of ``compact_of_plain(plain)``, its index in ``plain``."""
        kept: list[int] = []
        chars: list[str] = []
        table = self._separator_table
        for index, char in enumerate(plain):
            if table[ord(char)] is not None:
                kept.append(index)
                chars.append(char)
        # Collapse runs exactly as _REPEAT.sub does: keep the first two.
        offsets: list[int] = []
        for i, char in enumerate(chars):
            if i >= 2 and char not in fold.NUMERAL_CHARS and chars[i - 1] == char and chars[i - 2] == char:
                continue
            offsets.append(kept[i])
        return offsets


class NormalizedText:
    """The streams of one comment, with lazily built maps back to the original."""

    def __init__(self, normalizer: Normalizer, original: str, plain: str, compact: str):
        self._normalizer = normalizer
        self.original = original
        self.plain = plain
        self.compact = compact

    @cached_property
    def pinyin(self) -> str:
        return self._normalizer.pinyin_of_compact(self.compact)

    @cached_property
    def digits(self) -> str:
        return self._normalizer.digits_of_compact(self.compact)

    @cached_property
    def plain_to_original(self) -> list[int]:
        return self._normalizer.plain_offsets(self.original)

    @cached_property
    def compact_to_plain(self) -> list[int]:
        return self._normalizer.compact_offsets(self.plain)

    def plain_span(self, stream: str, start: int, end: int) -> tuple[int, int]:
        """Map ``[start, end)`` of a named stream to ``plain`` indices."""
        if end <= start:
            raise ValueError(f"empty span {start}:{end} in stream {stream!r}")
        if stream == "plain":
            return start, end
        if stream not in ("compact", "pinyin", "digits"):
            raise ValueError(f"unknown stream {stream!r}")
        mapping = self.compact_to_plain
        return mapping[start], mapping[end - 1] + 1

    def original_span(self, stream: str, start: int, end: int) -> tuple[int, int]:
        """Map ``[start, end)`` of a named stream to indices of the original."""
        plain_start, plain_end = self.plain_span(stream, start, end)
        mapping = self.plain_to_original
        return mapping[plain_start], mapping[plain_end - 1] + 1
