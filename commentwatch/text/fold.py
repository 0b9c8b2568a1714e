"""Per-character folding steps.

Evaders change how a character *looks* without changing what a reader sees:
full-width letters, traditional characters, zero-width joiners, homoglyphs.
Each step below undoes one such trick for a single character. They are
composed once per distinct character into a translation table (see
``normalize.py``), so the per-comment cost is one ``str.translate`` call.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

import opencc

#: Unicode categories that are never visible content: format characters
#: (zero-width, bidi overrides), controls, unassigned, surrogates, private use,
#: and combining marks (Chinese uses none; floods of them are a known attack).
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Cn", "Cs", "Co", "Mn", "Me"})
#: Categories that only separate content: spaces, punctuation, symbols, emoji.
_SEPARATOR_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So"})
#: Single-stroke ideographs that no modern word uses but evaders put between
#: characters as dots and bars (加丶微丶信, 加丨微丨信): separators, like punctuation.
SEPARATOR_STROKES = frozenset("丶丨丿乀乁亅乛")

#: Letters of other scripts that pass for Latin ones (after case folding):
#: 'ԛԛ' for qq, 'ν х' for vx. The lexicons' substitutions.txt may map any of
#: these otherwise; its entries win (see ``Normalizer``).
LATIN_LOOKALIKES: Mapping[str, str] = {
    # Cyrillic
    "а": "a", "е": "e", "ё": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ї": "i",
    "ј": "j", "ѕ": "s", "һ": "h", "ԛ": "q", "ԝ": "w", "ь": "b", "ԁ": "d", "к": "k", "м": "m", "т": "t",
    "п": "n", "г": "r",
    # Greek
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
    "χ": "x", "γ": "y", "ω": "w",
    # Latin letters of other alphabets
    "ɑ": "a", "ɡ": "g", "ı": "i", "ȷ": "j",
}


def compat_fold(text: str) -> str:
    """Full-width and other compatibility forms → their plain form (NFKC)."""
    return unicodedata.normalize("NFKC", text)


def case_fold(text: str) -> str:
    return text.casefold()


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified, character by character (OpenCC t2s)."""
    if text.isascii():
        return text
    converted = _t2s().convert(text)
    # Phrase conversions may change length; per character they must not.
    return converted if len(converted) == len(text) else text


def is_invisible(char: str) -> bool:
    return unicodedata.category(char) in _INVISIBLE_CATEGORIES


def is_separator(char: str) -> bool:
    """Characters an evader can insert between the characters of a word.

    Characters beyond the Basic Multilingual Plane that survive folding are
    emoji and rare historic ideographs; both count as separators, which keeps
    the separator test a constant-time lookup (see ``separator_class``).
    """
    return ord(char) > 0xFFFF or unicodedata.category(char) in _SEPARATOR_CATEGORIES or char in SEPARATOR_STROKES


@lru_cache(maxsize=1)
def separator_class() -> str:
    """``is_separator`` as a regex character class.

    Python's ``re`` compiles a class of BMP characters into a constant-time
    bitmap, so removing separators with one ``re.sub`` is several times
    faster than a per-character table lookup.
    """
    return _char_class(is_separator)


def is_decoration(char: str) -> bool:
    """Emoji and pictographic symbols: decoration a comment reads the same without."""
    return ord(char) > 0xFFFF or unicodedata.category(char) in ("So", "Sk")


@lru_cache(maxsize=1)
def decoration_class() -> str:
    """``is_decoration`` as a regex character class (see ``separator_class``)."""
    return _char_class(is_decoration)


def _char_class(predicate) -> str:
    """A regex class of the BMP characters ``predicate`` accepts, and every astral one."""
    ranges: list[tuple[int, int]] = []
    for codepoint in range(0x10000):
        if predicate(chr(codepoint)):
            if ranges and ranges[-1][1] == codepoint - 1:
                ranges[-1] = (ranges[-1][0], codepoint)
            else:
                ranges.append((codepoint, codepoint))
    ranges.append((0x10000, 0x10FFFF))
    parts = (
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges
    )
    return "[" + "".join(parts) + "]"


def drop_invisible(text: str) -> str:
    return "".join(c for c in text if not is_invisible(c))


def substitute(text: str, table: Mapping[str, str]) -> str:
    """Homoglyph, emoji and slang characters → what they stand for."""
    if not table:
        return text
    return "".join(table.get(c, c) for c in text)


#: Every form of a digit an evader uses for a phone or QQ number.
_NUMERALS = {
    **{c: "0" for c in "零〇洞"},
    **{c: "1" for c in "一壹幺"},
    **{c: "2" for c in "二贰两"},
    **{c: "3" for c in "三叁"},
    **{c: "4" for c in "四肆"},
    **{c: "5" for c in "五伍"},
    **{c: "6" for c in "六陆"},
    **{c: "7" for c in "七柒拐"},
    **{c: "8" for c in "八捌"},
    **{c: "9" for c in "九玖勾"},
}


#: Characters that may stand for a digit in a number; repeats of these are
#: never collapsed (13888888888 is a phone number, not an evasion).
NUMERAL_CHARS = frozenset("0123456789") | frozenset(_NUMERALS)


def to_ascii_digit(char: str) -> str:
    """Chinese, circled, full-width or other decimal digits → ASCII digit.

    Returns the character unchanged when it is not a digit of any form.
    """
    if char in _NUMERALS:
        return _NUMERALS[char]
    if char.isascii():
        return char
    value = unicodedata.digit(char, None)
    if value is not None:
        return str(value)
    value = unicodedata.numeric(char, None)
    if value is not None and float(value).is_integer() and 0 <= value <= 9:
        return str(int(value))
    return char
