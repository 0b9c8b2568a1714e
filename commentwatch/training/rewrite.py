"""Mechanical rewrites of a comment, one evasion kind at a time.

Evaders rewrite the same words over and over: 加丶微丶信, 加 wei 信, jwx,
家威信, ｖｘ, 加微微微信. This generator makes those rewrites from any text,
so that ``commentwatch eval --evasions`` can measure whether what the system
catches plainly it still catches rewritten (and whether benign comments stay
benign), and so training can learn from rewrites instead of hand-patched
lexicon entries.

Each rewrite is built from tables of its own (Unicode, OpenCC, pypinyin),
never from the lexicons' substitution list, so measuring with it does not
just replay what the normaliser was told. A kind that cannot apply to a text
(no ASCII letters to make full-width, no digits to spell out) gives ``None``.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import opencc
from pypinyin import Style, lazy_pinyin

from commentwatch.text.normalize import common_homophones, syllable

#: What evaders put between characters.
SEPARATORS = (" ", "丶", "·", "•", "｜", "/", ".", "_", "-", "、", "~", "|", "*")
#: Zero-width and bidirectional controls: invisible, but they split a word.
INVISIBLES = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200e", "\u200f", "\u202a", "\u202c")
EMOJI = ("😊", "🌸", "✨", "🔥", "👉", "💕", "🍭", "⭐", "🎁", "😘")
#: Latin letters and their look-alikes in other scripts (Cyrillic, Greek).
LOOKALIKES = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і", "v": "ν",
              "k": "κ", "q": "ԛ", "w": "ԝ", "b": "Ь", "h": "һ", "j": "ј", "s": "ѕ", "t": "τ"}
DIGIT_STYLES = ("一二三四五六七八九", "壹贰叁肆伍陆柒捌玖", "①②③④⑤⑥⑦⑧⑨", "幺二三四五六拐八九")
ZERO = {"一二三四五六七八九": "零", "壹贰叁肆伍陆柒捌玖": "零", "①②③④⑤⑥⑦⑧⑨": "⓪", "幺二三四五六拐八九": "洞"}

_s2t = opencc.OpenCC("s2t")


def _han_positions(text: str) -> list[int]:
    return [i for i, c in enumerate(text) if "\u4e00" <= c <= "\u9fff"]


def separator(text: str, rng: random.Random) -> str | None:
    han = _han_positions(text)
    if len(han) < 2:
        return None
    sep = rng.choice(SEPARATORS)
    cut = {i for i in han[1:] if i - 1 in han}
    return "".join(sep + c if i in cut else c for i, c in enumerate(text))


def zero_width(text: str, rng: random.Random) -> str | None:
    if len(text) < 2:
        return None
    return "".join(c + rng.choice(INVISIBLES) for c in text[:-1]) + text[-1]


def fullwidth(text: str, rng: random.Random) -> str | None:
    if not any("!" <= c <= "~" for c in text):
        return None
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in text)


def traditional(text: str, rng: random.Random) -> str | None:
    converted = _s2t.convert(text)
    return converted if converted != text else None


def pinyin(text: str, rng: random.Random) -> str | None:
    if not _han_positions(text):
        return None
    return "".join(syllable(c) if "\u4e00" <= c <= "\u9fff" else c for c in text)


def partial_pinyin(text: str, rng: random.Random) -> str | None:
    han = _han_positions(text)
    if len(han) < 2:
        return None
    chosen = set(rng.sample(han, k=min(len(han) - 1, rng.choice((1, 2)))))
    return "".join(syllable(c) if i in chosen else c for i, c in enumerate(text))


def initials(text: str, rng: random.Random) -> str | None:
    """A run of two to four Chinese characters written as pinyin initials (加微信 → jwx)."""
    han = _han_positions(text)
    runs, run = [], []
    for i in han:
        if run and i != run[-1] + 1:
            runs.append(run)
            run = []
        run.append(i)
    if run:
        runs.append(run)
    runs = [r for r in runs if len(r) >= 2]
    if not runs:
        return None
    chosen_run = rng.choice(runs)
    width = min(len(chosen_run), rng.choice((2, 3, 4)))
    start = rng.randrange(0, len(chosen_run) - width + 1)
    span = chosen_run[start:start + width]
    letters = "".join(lazy_pinyin(text[i], style=Style.FIRST_LETTER)[0] for i in span)
    return text[:span[0]] + letters + text[span[-1] + 1:]


def homophone(text: str, rng: random.Random) -> str | None:
    """One or two characters swapped for common characters of the same sound (加 → 家)."""
    candidates = []
    for i in _han_positions(text):
        others = sorted(common_homophones(syllable(text[i])) - {text[i]})
        if others:
            candidates.append((i, others))
    if not candidates:
        return None
    chars = list(text)
    for i, others in rng.sample(candidates, k=min(len(candidates), rng.choice((1, 2)))):
        chars[i] = rng.choice(others)
    return "".join(chars)


def homoglyph(text: str, rng: random.Random) -> str | None:
    letters = [i for i, c in enumerate(text) if c.lower() in LOOKALIKES]
    if not letters:
        return None
    return "".join(LOOKALIKES[c.lower()] if i in letters else c for i, c in enumerate(text))


def digits(text: str, rng: random.Random) -> str | None:
    if not any(c.isascii() and c.isdigit() for c in text):
        return None
    style = rng.choice(DIGIT_STYLES)
    return "".join((style[int(c) - 1] if c != "0" else ZERO[style]) if c.isascii() and c.isdigit() else c
                   for c in text)


def repeat(text: str, rng: random.Random) -> str | None:
    han = _han_positions(text)
    if not han:
        return None
    i = rng.choice(han)
    return text[:i] + text[i] * rng.choice((3, 4)) + text[i + 1:]


def emoji(text: str, rng: random.Random) -> str | None:
    if len(text) < 2:
        return None
    chars = list(text)
    for cut in sorted(rng.sample(range(1, len(text)), k=min(len(text) - 1, rng.choice((1, 2, 3)))), reverse=True):
        chars.insert(cut, rng.choice(EMOJI))
    return "".join(chars)


#: Every mechanical kind, by the name the data card gives it (``paraphrase`` is not mechanical).
REWRITES: dict[str, Callable[[str, random.Random], str | None]] = {
    "separator": separator,
    "zero_width": zero_width,
    "fullwidth": fullwidth,
    "traditional": traditional,
    "pinyin": pinyin,
    "partial_pinyin": partial_pinyin,
    "initials": initials,
    "homophone": homophone,
    "homoglyph": homoglyph,
    "digits": digits,
    "repeat": repeat,
    "emoji": emoji,
}


def rewrite(text: str, kind: str, *, seed: int | str = 0) -> str | None:
    """``text`` rewritten as ``kind``, the same every time for the same seed; ``None`` when it cannot apply."""
    return REWRITES[kind](text, random.Random(f"{kind}:{seed}:{text}"))
