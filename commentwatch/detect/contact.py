"""Contact and privacy detectors: numbers, ids and places a lexicon cannot list.

Phone, QQ and ID-card numbers are read from the ``digits`` stream, where
幺三八, ①③⑧ and 1 3 8 all read as 138; WeChat ids and URLs from ``plain``,
where their punctuation survives; schools, classes and addresses from
``compact``. Each detector is a compiled regular expression, so the cost per
comment is a few C-level scans.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from commentwatch.detect.hits import Hit, drop_overlapping_repeats
from commentwatch.text.normalize import NormalizedText

_NUMERAL = "0-9零〇洞一壹幺二贰两三叁四肆五伍六陆七柒拐八捌九玖勾"
#: A cheap gate: digit streams are only built for texts with a numeral run.
_NUMERAL_RUN = re.compile(f"[{_NUMERAL}]{{5,}}")
_CN_DIGIT = "0-9一二三四五六七八九十两"
_HAN = "\u4e00-\u9fff"
#: Pronouns, particles and verbs that do not occur in a school's name.
_FUNCTION_CHARS = "我你他她它们的了就也在是上读到去个这那和与都还要会说想看有没不很"


#: A gate for a stream no pattern reads.
_NEVER = re.compile(r"(?!)")


@dataclass(frozen=True)
class _Pattern:
    name: str
    category: str
    severity: int
    stream: str
    regex: re.Pattern[str]
    #: Regex group holding the sensitive part (0: the whole match).
    group: int = 0
    cues: tuple[str, ...] = ()
    #: Substrings one of which every match contains. One search for the
    #: words of all a stream's patterns is the first gate; most comments
    #: fail it.
    words: tuple[str, ...] = ()
    #: A regex every match contains, searched only when the words were
    #: found: narrower and dearer than the words, cheaper than the pattern.
    gate: str = ""

    @property
    def gate_regex(self) -> re.Pattern[str] | None:
        """The pattern's own gate: its regex if it has one, else its words."""
        if self.gate:
            return re.compile(self.gate)
        return re.compile("|".join(map(re.escape, self.words))) if self.words else None


PATTERNS: tuple[_Pattern, ...] = (
    _Pattern("phone number", "contact", 3, "digits",
             re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])"), cues=("phone", "private_contact")),
    _Pattern("id card number", "privacy", 3, "digits",
             re.compile(r"(?<![0-9])[1-9][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9x](?![0-9])"),
             cues=("id_card",)),
    _Pattern("qq number", "contact", 3, "digits",
             re.compile(r"(?:qq|q号|企鹅|扣扣|球球|群号|群|裙号|裙|q)[^0-9]{0,3}([1-9][0-9]{4,10})(?![0-9])"),
             group=0, cues=("qq", "private_contact"), words=("q", "企鹅", "扣扣", "球球", "群", "裙")),
    _Pattern("wechat id", "contact", 3, "plain",
             re.compile(r"(?:微信号?|威信|v信|vx|wx|weixin|wechat|绿泡泡)[\s:：=＝]*([a-z][-_a-z0-9]{5,19})(?![-_a-z0-9])"),
             cues=("wechat", "private_contact"), words=("信", "vx", "wx", "weixin", "wechat", "泡泡"),
             gate=r"(?:信号?|vx|wx|weixin|wechat|泡泡)[\s:：=＝]*[a-z]"),
    _Pattern("wechat id", "contact", 3, "plain",
             re.compile(r"(?:(?<![a-z])v|加|微|威)[\s:：=＝]*([a-z](?=[-_a-z]*[0-9])[-_a-z0-9]{5,19})(?![-_a-z0-9])"),
             cues=("wechat", "private_contact"), words=("v", "加", "微", "威"), gate=r"(?:v|加|微|威)[\s:：=＝]*[a-z]"),
    # The same lead words when separators split them (微 信 abc123).
    _Pattern("wechat id", "contact", 3, "compact",
             re.compile(r"(?:微信号?|威信|v信|vx|wx|weixin|wechat|绿泡泡)([a-z][a-z0-9]{5,19})(?![a-z0-9])"),
             cues=("wechat", "private_contact"), words=("信", "vx", "wx", "weixin", "wechat", "泡泡"),
             gate="(?:信号?|vx|wx|weixin|wechat|泡泡)[a-z]"),
    _Pattern("url", "contact", 2, "plain",
             re.compile(r"(?:https?://|www\.)[^\s<>\"'，。]+|(?<![a-z0-9.])[a-z0-9-]{1,63}\.(?:com|cn|net|org|top|xyz|vip|cc|me|app|club|site|icu|io)(?![a-z0-9])(?:/[^\s<>\"'，。]*)?"),
             cues=("url",), words=(".", "://"),
             gate=r"://|www\.|\.(?:com|cn|net|org|top|xyz|vip|cc|me|app|club|site|icu|io)(?![a-z0-9])"),
    _Pattern("school and class", "privacy", 2, "compact",
             re.compile(f"[{_HAN}]{{2,10}}?(?:小学|中学|初中|高中|幼儿园|实验学校|附小|附中)[{_HAN}{_CN_DIGIT}]{{0,4}}?[初高]?[{_CN_DIGIT}]{{1,2}}(?:年级?)?[{_CN_DIGIT}]{{1,3}}班"),
             cues=("school", "class"), words=("班",)),
    # Read on ``plain`` so a name cannot reach across punctuation, and made of
    # characters that are not pronouns or particles (我们小学, 就初中了 are
    # ordinary sentences, not a named school).
    _Pattern("school name", "privacy", 1, "plain",
             re.compile(f"(?:(?![{_FUNCTION_CHARS}])[{_HAN}]){{2,8}}?(?:小学|中学|初中|幼儿园|实验学校|附小|附中)"),
             cues=("school",),
             words=("小学", "中学", "初中", "幼儿园", "学校", "附小", "附中")),
    # A class alone is cheered for as often as it is leaked (三年级二班加油):
    # a cue that rules combine with a disclosure.
    _Pattern("class", "privacy", 0, "compact",
             re.compile(f"(?:[初高][{_CN_DIGIT}]|[{_CN_DIGIT}]{{1,2}}年级)[{_CN_DIGIT}]{{1,3}}班"), cues=("class",),
             words=("班",)),
    _Pattern("street address", "privacy", 2, "compact",
             re.compile(f"(?:住|家在)在?[{_HAN}]{{2,8}}?(?:路|街|大道|巷|弄|胡同)[{_CN_DIGIT}]{{1,5}}号"),
             cues=("address",), words=("号",), gate=f"(?:路|街|道|巷|弄|同)[{_CN_DIGIT}]{{1,5}}号"),
    _Pattern("home address", "privacy", 2, "compact",
             re.compile(f"[{_HAN}]{{2,10}}?(?:小区|花园|公寓|家园|新村|大院|城|苑|府|庭|湾|公馆|社区|家属院|里)[{_CN_DIGIT}a-z]{{1,4}}(?:栋|幢|号楼|单元|号院)(?:[{_CN_DIGIT}]{{1,5}}(?:室|号|楼)?)?"),
             cues=("address",), words=("栋", "幢", "楼", "单元", "号院"),
             gate=f"[{_CN_DIGIT}a-z](?:栋|幢|号楼|单元|号院)"),
)


class ContactDetector:
    """Runs every pattern over the stream it was written for."""

    def __init__(self, patterns: tuple[_Pattern, ...] = PATTERNS):
        self.patterns = patterns
        self._gated = [(p, p.gate_regex) for p in patterns]
        # The digits stream opens on a run of numerals in ``compact``; the
        # other streams on one of their patterns' gate words. Most comments
        # open none and cost three searches.
        for pattern in patterns:
            if pattern.stream not in ("plain", "compact", "digits"):
                raise ValueError(f"pattern {pattern.name!r}: unknown stream {pattern.stream!r}")
            if pattern.stream != "digits" and not pattern.words:
                raise ValueError(f"pattern {pattern.name!r}: a {pattern.stream} pattern needs gate words")
        self._compact_gate = self._stream_gate("compact")
        self._plain_gate = self._stream_gate("plain")

    def _stream_gate(self, stream: str) -> re.Pattern[str]:
        words = sorted({word for p in self.patterns if p.stream == stream for word in p.words})
        return re.compile("|".join(map(re.escape, words))) if words else _NEVER

    def find(self, text: NormalizedText) -> list[Hit]:
        compact = text.compact
        digits = _NUMERAL_RUN.search(compact) is not None
        in_compact = self._compact_gate.search(compact) is not None
        in_plain = self._plain_gate.search(text.plain) is not None
        if not (digits or in_compact or in_plain):
            return []
        opened = {"digits": digits, "compact": in_compact, "plain": in_plain}
        hits: list[Hit] = []
        taken: list[tuple[str, int, int]] = []
        for pattern, gate in self._gated:
            if not opened[pattern.stream]:
                continue
            haystack = getattr(text, pattern.stream)
            if gate is not None and gate.search(haystack) is None:
                continue
            for match in pattern.regex.finditer(haystack):
                start, end = match.span(pattern.group)
                if end <= start:
                    continue
                # A broader pattern already covered this span (school and
                # class before school name).
                if any(s == pattern.stream and s_start <= start and end <= s_end
                       for s, s_start, s_end in taken):
                    continue
                taken.append((pattern.stream, start, end))
                doc_start, doc_end = text.plain_span(pattern.stream, start, end)
                orig_start, orig_end = text.original_span(pattern.stream, start, end)
                segment = text.original[orig_start:orig_end]
                hits.append(Hit(
                    category=pattern.category,
                    term=pattern.name,
                    start=orig_start,
                    end=orig_end,
                    severity=pattern.severity,
                    cues=(pattern.category, *pattern.cues),
                    evasion="+".join(_number_evasions(segment)) if pattern.stream == "digits" else "",
                    source="contact",
                    detail=segment[:80],
                    doc_start=doc_start,
                    doc_end=doc_end,
                ))
        return drop_overlapping_repeats(hits)


def _number_evasions(segment: str) -> list[str]:
    found = []
    if any(not c.isascii() and c not in "，。" for c in segment if not c.isspace()):
        found.append("digits")
    if any(c.isspace() or (not c.isalnum()) for c in segment):
        found.append("separator")
    return found
