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
    #: The regex only runs when one of these substrings is in the stream: a
    #: cheap search spares most comments the costlier scan.
    gate: tuple[str, ...] = ()

    @property
    def gate_regex(self) -> re.Pattern[str] | None:
        return re.compile("|".join(map(re.escape, self.gate))) if self.gate else None


PATTERNS: tuple[_Pattern, ...] = (
    _Pattern("phone number", "contact", 3, "digits",
             re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])"), cues=("phone", "private_contact")),
    _Pattern("id card number", "privacy", 3, "digits",
             re.compile(r"(?<![0-9])[1-9][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9x](?![0-9])"),
             cues=("id_card",)),
    _Pattern("qq number", "contact", 3, "digits",
             re.compile(r"(?:qq|q号|企鹅|扣扣|球球|群号|群|裙号|裙|q)[^0-9]{0,3}([1-9][0-9]{4,10})(?![0-9])"),
             group=0, cues=("qq", "private_contact"), gate=("q", "企鹅", "扣扣", "球球", "群", "裙")),
    _Pattern("wechat id", "contact", 3, "plain",
             re.compile(r"(?:微信号?|威信|v信|vx|wx|weixin|wechat|绿泡泡)[\s:：=＝]*([a-z][-_a-z0-9]{5,19})(?![-_a-z0-9])"),
             cues=("wechat", "private_contact"), gate=("信", "vx", "wx", "weixin", "wechat", "泡泡")),
    _Pattern("wechat id", "contact", 3, "plain",
             re.compile(r"(?:(?<![a-z])v|加|微)[\s:：=＝]*([a-z](?=[-_a-z]*[0-9])[-_a-z0-9]{5,19})(?![-_a-z0-9])"),
             cues=("wechat", "private_contact"), gate=("v", "加", "微")),
    # The same lead words when separators split them (微 信 abc123).
    _Pattern("wechat id", "contact", 3, "compact",
             re.compile(r"(?:微信号?|威信|v信|vx|wx|weixin|wechat|绿泡泡)([a-z][a-z0-9]{5,19})(?![a-z0-9])"),
             cues=("wechat", "private_contact"), gate=("信", "vx", "wx", "weixin", "wechat", "泡泡")),
    _Pattern("url", "contact", 2, "plain",
             re.compile(r"(?:https?://|www\.)[^\s<>\"'，。]+|(?<![a-z0-9.])[a-z0-9-]{2,63}\.(?:com|cn|net|org|top|xyz|vip|cc|me|app|club|site|icu|io)(?![a-z0-9])(?:/[^\s<>\"'，。]*)?"),
             cues=("url",), gate=(".", "://")),
    _Pattern("school and class", "privacy", 2, "compact",
             re.compile(f"[{_HAN}]{{2,10}}?(?:小学|中学|初中|高中|幼儿园|实验学校|附小|附中)[{_HAN}{_CN_DIGIT}]{{0,4}}?[初高]?[{_CN_DIGIT}]{{1,2}}年级?[{_CN_DIGIT}]{{1,3}}班"),
             cues=("school", "class"), gate=("班",)),
    # Read on ``plain`` so a name cannot reach across punctuation, and made of
    # characters that are not pronouns or particles (我们小学, 就初中了 are
    # ordinary sentences, not a named school).
    _Pattern("school name", "privacy", 1, "plain",
             re.compile(f"(?:(?![{_FUNCTION_CHARS}])[{_HAN}]){{2,8}}?(?:小学|中学|初中|幼儿园|实验学校|附小|附中)"),
             cues=("school",),
             gate=("小学", "中学", "初中", "幼儿园", "学校", "附小", "附中")),
    _Pattern("class", "privacy", 1, "compact",
             re.compile(f"(?:[初高][{_CN_DIGIT}]|[{_CN_DIGIT}]{{1,2}}年级)[{_CN_DIGIT}]{{1,3}}班"), cues=("class",),
             gate=("班",)),
    _Pattern("home address", "privacy", 2, "compact",
             re.compile(f"[{_HAN}]{{2,10}}?(?:小区|花园|公寓|家园|新村|大院)[{_CN_DIGIT}a-z]{{1,4}}(?:栋|幢|号楼|单元|号院)(?:[{_CN_DIGIT}]{{1,5}}(?:室|号|楼)?)?"),
             cues=("address",), gate=("栋", "幢", "楼", "单元", "号院")),
)


class ContactDetector:
    """Runs every pattern over the stream it was written for."""

    def __init__(self, patterns: tuple[_Pattern, ...] = PATTERNS):
        self.patterns = patterns
        self._gates = [p.gate_regex for p in patterns]
        # One search per stream decides whether any gated pattern may match.
        self._stream_gates = {}
        for stream in {p.stream for p in patterns}:
            mine = [p for p in patterns if p.stream == stream]
            if all(p.gate for p in mine):
                gates = sorted({g for p in mine for g in p.gate})
                self._stream_gates[stream] = re.compile("|".join(map(re.escape, gates)))

    def find(self, text: NormalizedText) -> list[Hit]:
        hits: list[Hit] = []
        open_streams = {"digits": _NUMERAL_RUN.search(text.compact) is not None}
        for stream, gate in self._stream_gates.items():
            open_streams[stream] = gate.search(getattr(text, stream)) is not None
        if not any(open_streams.values()):
            return hits
        taken: list[tuple[str, int, int]] = []
        for pattern, gate in zip(self.patterns, self._gates):
            if not open_streams.get(pattern.stream, True):
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
