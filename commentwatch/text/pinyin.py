"""Pinyin written in place of characters, read back as characters.

Evaders write a whole comment, or a word of it, in toneless pinyin
(``jiaweixin``, ``这种zi势``). The lexicon matcher already spells its terms
in pinyin; the learned models, which read characters, would otherwise see a
string of Latin letters they never learned from. ``PinyinReader`` does what
a pinyin input method does: it splits a Latin run into syllables and picks
the most probable words for them, using the neighbouring characters as
context, from jieba's dictionary and word frequencies.

Only runs that parse completely as syllables are read back, and a lone
syllable only when it touches a Chinese character, so English words,
handles (``wx``, ``qq123``) and slang (``awsl``, ``yyds``) stay as written.
A word's key is the most common reading of each of its characters
(``syllable``), the same reading ``training/rewrite.py`` writes; a
polyphonic word spelled by its other reading is not found and stays.
"""

from __future__ import annotations

import math
import re
from functools import cache

import jieba
from pypinyin import Style, lazy_pinyin
from pypinyin.pinyin_dict import pinyin_dict

#: Dictionary words longer than this are not candidates (a window's DP tries
#: every word start, so the cost grows with it).
MAX_WORD = 4
#: Dictionary words rarer than this are left out: they are mostly names and
#: terms an evader would not be spelling, and they cost memory.
MIN_FREQ = 3
#: Candidates kept per syllable key, most frequent first.
CANDIDATES_PER_KEY = 3
#: Longest syllable in letters (``zhuang``, ``shuang``).
MAX_SYLLABLE = 6
#: A hostile text of endless letters: only this many are read back.
MAX_LETTERS = 400
#: Chinese characters on each side of a Latin run that give it context.
CONTEXT = 3

_HAN = "\u4e00-\u9fff"
#: A Latin run (spaced syllables included) with its Chinese neighbours.
_WINDOW = re.compile(f"([{_HAN}]{{0,{CONTEXT}}})([a-z]+(?: [a-z]+)*)([{_HAN}]{{0,{CONTEXT}}})")


def is_han(char: str) -> bool:
    return ord(char) in pinyin_dict


@cache
def syllable(char: str) -> str:
    """The most common toneless pinyin reading of a Chinese character."""
    return lazy_pinyin(char, style=Style.NORMAL, errors="default")[0]


class _Dictionary:
    """Syllable key (``"zi shi"``) → the most frequent words read that way."""

    def __init__(self) -> None:
        words: dict[str, list[tuple[int, str]]] = {}
        total = 0
        with jieba.get_dict_file() as lines:
            for raw in lines:
                word, freq = _entry(raw)
                if not word:
                    continue
                total += freq
                if len(word) > MAX_WORD or freq < MIN_FREQ or not all(map(is_han, word)):
                    continue
                key = " ".join(map(syllable, word))
                kept = words.setdefault(key, [])
                if len(kept) < CANDIDATES_PER_KEY or freq > kept[-1][0]:
                    kept.append((freq, word))
                    kept.sort(reverse=True)
                    del kept[CANDIDATES_PER_KEY:]
        log_total = math.log(total)
        self.words = {key: tuple((math.log(f) - log_total, w) for f, w in kept) for key, kept in words.items()}
        self.syllables = frozenset(s for key in self.words for s in key.split(" "))
        #: What a character no dictionary word explains costs.
        self.unknown = math.log(1) - log_total


def _entry(raw: bytes) -> tuple[str, int]:
    parts = raw.decode("utf-8").split(" ")
    if len(parts) < 2 or not parts[1].strip().isdigit():
        return "", 0
    return parts[0], int(parts[1])


@cache
def _dictionary() -> _Dictionary:
    """Built once per process, on the first Latin run worth reading: a pure
    function of jieba's and pypinyin's tables (about 2 s, 70 MB)."""
    return _Dictionary()


class PinyinReader:
    """Reads pinyin runs in a ``plain`` stream back as Chinese characters."""

    def read(self, plain: str) -> str:
        """``plain`` with each readable pinyin run replaced by characters."""
        if not _has_latin(plain):
            return plain
        letters = 0
        out: list[str] = []
        position = 0
        for window in _WINDOW.finditer(plain):
            left, run, right = window.groups()
            letters += len(run)
            if letters > MAX_LETTERS:
                break
            syllable_count = run.count(" ") + 1
            if not (left or right) and len(run.replace(" ", "")) < 4 and syllable_count < 2:
                continue  # a lone short word with no Chinese beside it: English as likely as pinyin
            read = self._read_window(left, run.replace(" ", ""), right)
            if read is None:
                continue
            out.append(plain[position:window.start()])
            out.append(read)
            position = window.end()
        if not out:
            return plain
        out.append(plain[position:])
        return "".join(out)

    @staticmethod
    def _read_window(left: str, run: str, right: str) -> str | None:
        """The most probable characters for ``left + run + right``; None if
        ``run`` does not parse as syllables."""
        dictionary = _dictionary()
        text = left + run + right
        latin_start, latin_end = len(left), len(left) + len(run)
        n = len(text)
        # best[i]: (log probability, characters) of the best reading of text[:i].
        best: list[tuple[float, str] | None] = [None] * (n + 1)
        best[0] = (0.0, "")
        for i in range(n):
            if best[i] is None:
                continue
            score, chars = best[i]
            for end, key, fixed in _spans(text, i, latin_start, latin_end, dictionary.syllables):
                word_score, word = _best_word(dictionary, key, fixed)
                if word is None:
                    continue
                candidate = (score + word_score, chars + word)
                if best[end] is None or candidate[0] > best[end][0]:
                    best[end] = candidate
        if best[n] is None:
            return None
        return best[n][1]


def _has_latin(text: str) -> bool:
    return re.search("[a-z]", text) is not None


def _spans(text: str, start: int, latin_start: int, latin_end: int,
           syllables: frozenset[str]) -> list[tuple[int, str, str]]:
    """Every way to read 1..MAX_WORD units from ``start``: (end, syllable key,
    fixed characters with ``?`` where a unit was spelled in Latin)."""
    found: list[tuple[int, str, str]] = []
    stack: list[tuple[int, tuple[str, ...], str]] = [(start, (), "")]
    while stack:
        position, units, fixed = stack.pop()
        if units:
            found.append((position, " ".join(units), fixed))
        if len(units) == MAX_WORD or position >= len(text):
            continue
        if latin_start <= position < latin_end:
            for length in range(1, min(MAX_SYLLABLE, latin_end - position) + 1):
                piece = text[position:position + length]
                if piece in syllables:
                    stack.append((position + length, units + (piece,), fixed + "?"))
        else:
            char = text[position]
            stack.append((position + 1, units + (syllable(char),), fixed + char))
    return found


def _best_word(dictionary: _Dictionary, key: str, fixed: str) -> tuple[float, str | None]:
    """The most frequent word read as ``key`` that keeps the fixed characters."""
    for score, word in dictionary.words.get(key, ()):
        if all(f == "?" or f == w for f, w in zip(fixed, word)):
            return score, word
    if len(fixed) == 1 and fixed != "?":
        return dictionary.unknown, fixed  # a character the dictionary lacks still reads as itself
    return 0.0, None
