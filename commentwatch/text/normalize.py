"""Normalisation: read a comment the way a moderator would, keep the way back.

A ``Normalizer`` turns a comment into several *streams*, each a string the
detectors read:

- ``plain``: every character folded (full-width, case, traditional,
  invisible characters dropped, homoglyph substitutions) — separators kept;
- ``compact``: ``plain`` without separators (spaces, punctuation, symbols,
  emoji) and with runs of three or more collapsed — catches 加 微.信 and
  加微微微信;
- ``pinyin``: ``compact`` with each Chinese character replaced by a code
  for its toneless syllable, so characters that sound alike become equal —
  家威信 reads as 加微信. One code character per character, so its offsets
  are ``compact``'s. The matcher spells only the stretch where a homophone
  key fired this way (``pinyin_of_compact``);
- ``digits``: ``compact`` with every numeral form as an ASCII digit — for
  phone and QQ numbers written as 幺三八 or ①③⑧;
- ``readable``: what the learned models read — ``plain`` without emoji
  and pictographs, with characters spaced out one by one (加/微/信) joined
  again and pinyin runs read back as characters (``text/pinyin.py``). Its offsets are not kept: the models
  judge the whole comment, never a span of it.

The streams are built with ``str.translate`` over per-character tables, so a
comment costs a few C-level passes. Offsets back into the original text are
computed only when something matched (``NormalizedText.original_span``),
because most comments match nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from functools import cache, cached_property

from pypinyin import Style, lazy_pinyin

from commentwatch.text import fold
from commentwatch.text.pinyin import PinyinReader, syllable
from commentwatch.text.pinyin import is_han as _is_han

#: Runs of three or more of the same character collapse to one: 加微微微信
#: reads as 加微信, while doubled words (妹妹, 宝宝) stay as they are.
#: Numerals are exempt: phone numbers legitimately repeat.
_REPEAT = re.compile("([^" + "".join(sorted(fold.NUMERAL_CHARS)) + r"])\1{2,}")
#: Any character three times in a row: a cheap test before ``_REPEAT``.
_ANY_REPEAT = re.compile(r"(.)\1\1", re.DOTALL)
#: Chinese characters written one at a time between separators (加/微/信):
#: this many in a row read as one word in the ``readable`` stream.
SPACED_OUT_MIN = 4
_HAN = "\u4e00-\u9fff"
#: Substitution target meaning "noise: treat as a separator".
NOISE = "-"


#: Characters outside the Basic Multilingual Plane (emoji, rare CJK).
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _base_fold(char: str) -> str:
    """Full-width, case, invisible characters and traditional forms folded."""
    if fold.is_invisible(char):
        return ""
    return fold.to_simplified(fold.drop_invisible(fold.case_fold(fold.compat_fold(char))))


@cache
def _base_folds() -> tuple[str, ...]:
    """``_base_fold`` of every BMP character; computed once per process."""
    return tuple(_base_fold(chr(codepoint)) for codepoint in range(0x10000))


class CharTable(dict):
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


#: Syllable codes live in a private-use block; private-use characters in a
#: comment are dropped as invisible, so a code never collides with text.
_SYLLABLE_BASE = 0xF0000


class _SyllableCodes(dict):
    """syllable → one private-use character, assigned on first sight."""

    def __missing__(self, syllable: str) -> str:
        code = chr(_SYLLABLE_BASE + len(self))
        self[syllable] = code
        return code


def common_homophones(reading: str) -> frozenset[str]:
    """The common characters (GB 2312's first level, 3,755) read as ``reading``.

    Evaders spell a word with other common characters of the same sound
    (家威信 for 加微信); rare characters are not worth keying every term on.
    """
    return _common_by_syllable().get(reading, frozenset())


#: GB 2312 rows 0xB0-0xD7 are its first level, 0xD8-0xF7 its second.
_GB2312_ROWS = {"common": range(0xB0, 0xD8), "everyday": range(0xB0, 0xF8)}


@cache
def gb2312_chars(level: str = "everyday") -> str:
    """GB 2312's characters: ``common`` (3,755) or ``everyday`` (both levels, 6,763)."""
    chars = []
    for high in _GB2312_ROWS[level]:
        for low in range(0xA1, 0xFF):
            try:
                chars.append(bytes((high, low)).decode("gb2312"))
            except UnicodeDecodeError:
                continue  # unassigned code points at the end of some rows
    return "".join(chars)


@cache
def _common_by_syllable() -> dict[str, frozenset[str]]:
    """Computed once per process: a pure function of pypinyin's tables."""
    readings: dict[str, set[str]] = {}
    for char in gb2312_chars("common"):
        readings.setdefault(syllable(char), set()).add(char)
    return {reading: frozenset(chars) for reading, chars in readings.items()}


def initial(char: str) -> str:
    return lazy_pinyin(char, style=Style.FIRST_LETTER, errors="default")[0]


class Normalizer:
    """Builds the streams of a text; one per lexicon version.

    ``substitutions`` maps single characters to what they stand for
    (``薇`` → ``微``); a target of ``-`` marks the character as noise.
    """

    def __init__(self, substitutions: Mapping[str, str] | None = None):
        editors = {self._fold_key(k): v for k, v in (substitutions or {}).items() if len(k) == 1}
        # Look-alike letters of other scripts fold to Latin unless the editors mapped them otherwise.
        self._substitutions = {**fold.LATIN_LOOKALIKES, **editors}
        self._plain_table = CharTable(self._fold_plain)
        self._separators = re.compile(fold.separator_class() + "+")
        self._syllable_codes = _SyllableCodes()
        self._pinyin_table = CharTable(lambda c: self._syllable_codes[syllable(c)] if _is_han(c) else c)
        self._digit_table = CharTable(fold.to_ascii_digit)
        separator = fold.separator_class()
        self._spaced_out = re.compile(f"[{_HAN}](?:{separator}{{1,3}}[{_HAN}]){{{SPACED_OUT_MIN - 1},}}")
        self._decoration = re.compile(fold.decoration_class() + "+")
        self._pinyin_reader = PinyinReader()

    @staticmethod
    def _fold_key(char: str) -> str:
        folded = fold.to_simplified(fold.case_fold(fold.compat_fold(char)))
        return folded if len(folded) == 1 else char

    @cached_property
    def _resizing(self) -> re.Pattern[str]:
        """Built on first use: a lint run, which never maps offsets, skips it."""
        return re.compile(self._resizing_class())

    def _resizing_class(self) -> str:
        """A regex class of the characters ``plain`` drops or expands.

        A text without any of them has the identity offset map, which spares
        the per-character walk for most comments that matched something.
        Folding is one character to one elsewhere: OpenCC is applied per
        character and kept only when it does not change the length.
        """
        chars = [chr(c) for c, out in enumerate(self._bmp_table)
                 if not isinstance(out, int) and not 0xD800 <= c <= 0xDFFF]
        return "[" + "".join(re.escape(c) for c in chars) + "\ud800-\udfff\U00010000-\U0010ffff]"

    @cached_property
    def _bmp_table(self) -> list[int | str]:
        """``plain``'s fold of every BMP character, as a list ``str.translate`` indexes.

        A list lookup costs a third less than a dict lookup, and almost every
        comment is BMP only. Built on first use from the fold every
        normalizer shares; only characters touched by a substitution differ.
        """
        subs = self._substitutions.keys()
        table: list[int | str] = []
        for base in _base_folds():
            out = base if subs.isdisjoint(base) else self._substitute(base)
            table.append(ord(out) if len(out) == 1 else out)
        return table

    def _fold_plain(self, char: str) -> str:
        return self._substitute(_base_fold(char))

    def _substitute(self, folded: str) -> str:
        out = []
        for c in folded:
            target = self._substitutions.get(c)
            if target is None:
                out.append(c)  # a literal "-" is itself, not the noise marker
            else:
                out.append(" " if target == NOISE else target)
        return "".join(out)

    # -- streams -------------------------------------------------------------
    def plain(self, text: str) -> str:
        # Astral characters (emoji) are past the list's end: the dict table has them.
        return text.translate(self._plain_table if _ASTRAL.search(text) else self._bmp_table)

    def compact_of_plain(self, plain: str) -> str:
        compact = self._separators.sub("", plain)
        if _ANY_REPEAT.search(compact):
            compact = _REPEAT.sub(r"\1", compact)
        return compact

    def compact(self, text: str) -> str:
        return self.compact_of_plain(self.plain(text))

    def pinyin_of_compact(self, compact: str) -> str:
        return compact.translate(self._pinyin_table)

    def digits_of_compact(self, compact: str) -> str:
        return compact.translate(self._digit_table)

    def readable_of_plain(self, plain: str) -> str:
        """``plain`` as the learned models should read it (see the module docstring)."""
        if self._decoration.search(plain):
            plain = self._decoration.sub("", plain)
        if self._spaced_out.search(plain):
            plain = self._spaced_out.sub(lambda run: self._separators.sub("", run.group()), plain)
        return self._pinyin_reader.read(plain)

    def normalize(self, text: str) -> NormalizedText:
        # ``compact_of_plain`` inlined: this runs for every comment.
        plain = text.translate(self._plain_table if _ASTRAL.search(text) else self._bmp_table)
        compact = self._separators.sub("", plain)
        if _ANY_REPEAT.search(compact):
            compact = _REPEAT.sub(r"\1", compact)
        return NormalizedText(self, text, plain, compact)

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
        if (
            self.plain(segment) == segment
            and not self._separators.search(segment)
            and not _ANY_REPEAT.search(segment)
        ):
            return []
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
    def plain_offsets(self, text: str, plain: str | None = None) -> Sequence[int]:
        """For each character of ``plain(text)``, its index in ``text``."""
        if (plain is not None and plain == text) or not self._resizing.search(text):
            return range(len(text))  # every character folded to exactly one
        # Only the characters that drop or expand break the identity map.
        offsets: list[int] = []
        position = 0
        table = self._plain_table
        for match in self._resizing.finditer(text):
            index = match.start()
            offsets.extend(range(position, index))
            offsets.extend([index] * len(table[ord(match.group())]))
            position = index + 1
        offsets.extend(range(position, len(text)))
        return offsets

    def compact_offsets(self, plain: str, compact: str | None = None) -> Sequence[int]:
        """For each character of ``compact_of_plain(plain)``, its index in ``plain``."""
        if compact is not None and compact == plain:
            return range(len(plain))
        kept: list[int] = []
        position = 0
        # The same regexes as the fast path decide what is a separator and
        # what is a run.
        for match in self._separators.finditer(plain):
            kept.extend(range(position, match.start()))
            position = match.end()
        kept.extend(range(position, len(plain)))
        if compact is not None and len(kept) == len(compact):
            return kept  # no run was collapsed
        joined = self._separators.sub("", plain)
        offsets: list[int] = []
        position = 0
        for run in _REPEAT.finditer(joined):  # a run keeps its first character
            offsets.extend(kept[position : run.start() + 1])
            position = run.end()
        offsets.extend(kept[position:])
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
    def readable(self) -> str:
        return self._normalizer.readable_of_plain(self.plain)

    @cached_property
    def readable_compact(self) -> str:
        """``readable`` without separators or repeats, as ``compact`` is ``plain``."""
        readable = self.readable
        return self.compact if readable == self.plain else self._normalizer.compact_of_plain(readable)

    @cached_property
    def plain_to_original(self) -> Sequence[int]:
        return self._normalizer.plain_offsets(self.original, self.plain)

    @cached_property
    def compact_to_plain(self) -> Sequence[int]:
        return self._normalizer.compact_offsets(self.plain, self.compact)

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
