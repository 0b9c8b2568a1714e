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
    #: C-speed ``in`` test spares most comments the costlier scan.
    gate: tuple[str, ...] = ()


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
    _Pattern("school name", "privacy", 1, "compact",
             re.compile(f"[{_HAN}]{{2,8}}?(?:小学|中学|初中|幼儿园|实验学校|附小|附中)"), cues=("school",),
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

    def find(self, text: NormalizedText) -> list[Hit]:
        hits: list[Hit] = []
        has_numerals = _NUMERAL_RUN.search(text.compact) is not None
        taken: list[tuple[str, int, int]] = []
        for pattern in self.patterns:
            if pattern.stream == "digits" and not has_numerals:
                continue
            haystack = getattr(text, pattern.stream)
            if pattern.gate and not any(g in haystack for g in pattern.gate):
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
                hits.append(Hit(
                    category=pattern.category,
                    term=pattern.name,
                    start=orig_start,
                    end=orig_end,
                    severity=pattern.severity,
                    cues=(pattern.category, *pattern.cues),
                    evasion="+".join(_number_evasions(text.original[orig_start:orig_end]) if pattern.stream == "digits" else ()),
                    source="contact",
                    detail=text.original[orig_start:orig_end][:80],
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
