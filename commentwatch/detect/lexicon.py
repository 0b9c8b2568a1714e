"""Loading and linting the lexicon folder (format: ``lexicons/README.md``).

Parsing never stops at the first problem: every bad line is collected as a
``Problem`` with file and line, so ``commentwatch lexicon lint`` can show an
editor all of them at once, and a daemon reloading a broken edit can keep its
previous lexicon and log exactly what is wrong.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from commentwatch.errors import LexiconError
from commentwatch.text.normalize import NOISE, Normalizer
from commentwatch.values import ALL_CATEGORIES

MATCH_MODES = frozenset({"exact", "sep", "pinyin", "initials"})
DEFAULT_MODES = frozenset({"sep"})
#: Files in the lexicon folder that are not term files of a category.
SPECIAL_FILES = {"allow.txt", "substitutions.txt", "minor_video.txt"}
RULES_FILE = "rules.toml"


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Entry:
    term: str
    category: str
    severity: int
    modes: frozenset[str]
    cues: tuple[str, ...]
    note: str
    path: Path
    line: int

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line}"


@dataclass(frozen=True)
class Substitution:
    source: str
    target: str
    note: str
    path: Path
    line: int


@dataclass(frozen=True)
class Rule:
    name: str
    category: str
    severity: int
    all: tuple[str, ...]
    minors_video: bool = False
    note: str = ""
    line: int = 0


@dataclass(frozen=True)
class MinorVideoTerm:
    term: str
    weight: float
    note: str
    line: int


@dataclass(frozen=True)
class Lexicon:
    directory: Path
    entries: tuple[Entry, ...] = ()
    allow: tuple[str, ...] = ()
    substitutions: tuple[Substitution, ...] = ()
    rules: tuple[Rule, ...] = ()
    minor_video: tuple[MinorVideoTerm, ...] = ()
    #: Hash of every file's bytes; changes whenever an editor saves.
    version: str = ""
    problems: tuple[Problem, ...] = field(default=(), compare=False)

    @property
    def char_substitutions(self) -> dict[str, str]:
        return {s.source: s.target for s in self.substitutions if len(s.source) == 1}

    @property
    def phrase_substitutions(self) -> list[Substitution]:
        return [s for s in self.substitutions if len(s.source) > 1]

    def cues(self) -> set[str]:
        return {cue for entry in self.entries for cue in entry.cues}


def lexicon_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_file() and (p.suffix == ".txt" or p.name == RULES_FILE))


def fingerprint(directory: Path) -> str:
    """A hash over the names and contents of every lexicon file (exemplars included)."""
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.suffix in (".txt", ".toml"):
            digest.update(str(path.relative_to(directory)).encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()[:16]


def _rows(path: Path, problems: list[Problem]):
    """Yield ``(line_number, columns)`` for every content line of a file."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(path, 1, f"not valid UTF-8 (byte {exc.start})"))
        return
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        yield number, [column.strip() for column in line.split("|")]


def _parse_terms(path: Path, category: str, problems: list[Problem]) -> list[Entry]:
    entries = []
    for number, cols in _rows(path, problems):
        if len(cols) > 5:
            problems.append(Problem(path, number, f"malformed line: {len(cols)} columns, expected at most 5 (term | severity | match | cues | note)"))
            continue
        cols += [""] * (5 - len(cols))
        term, severity_text, modes_text, cues_text, note = cols
        if not term:
            problems.append(Problem(path, number, "empty term"))
            continue
        if not severity_text:
            problems.append(Problem(path, number, f"term {term!r}: missing severity (0-3)"))
            continue
        if severity_text not in ("0", "1", "2", "3"):
            problems.append(Problem(path, number, f"term {term!r}: severity must be 0, 1, 2 or 3, got {severity_text!r}"))
            continue
        modes = frozenset(m.strip() for m in modes_text.split(",") if m.strip()) or DEFAULT_MODES
        unknown = sorted(modes - MATCH_MODES)
        if unknown:
            problems.append(Problem(path, number, f"term {term!r}: unknown match mode {unknown[0]!r} (known: {', '.join(sorted(MATCH_MODES))})"))
            continue
        cues = tuple(c.strip() for c in cues_text.split(",") if c.strip())
        entries.append(Entry(term, category, int(severity_text), modes, cues, note, path, number))
    return entries


def _parse_allow(path: Path, problems: list[Problem]) -> list[str]:
    phrases = []
    for number, cols in _rows(path, problems):
        if not cols[0]:
            problems.append(Problem(path, number, "empty phrase"))
        elif len(cols) > 2:
            problems.append(Problem(path, number, "malformed line: expected 'phrase | note'"))
        else:
            phrases.append(cols[0])
    return phrases


def _parse_substitutions(path: Path, problems: list[Problem]) -> list[Substitution]:
    subs = []
    for number, cols in _rows(path, problems):
        if len(cols) < 2 or len(cols) > 3 or not cols[0] or not cols[1]:
            problems.append(Problem(path, number, "malformed line: expected 'from | to | note'"))
            continue
        source, target = cols[0], cols[1]
        if len(source) > 1 and target == NOISE:
            problems.append(Problem(path, number, f"{source!r}: only a single character can be noise ('-')"))
            continue
        subs.append(Substitution(source, target, cols[2] if len(cols) > 2 else "", path, number))
    return subs


def _parse_minor_video(path: Path, problems: list[Problem]) -> list[MinorVideoTerm]:
    terms = []
    for number, cols in _rows(path, problems):
        if len(cols) < 2 or len(cols) > 3 or not cols[0]:
            problems.append(Problem(path, number, "malformed line: expected 'term | weight | note'"))
            continue
        try:
            weight = float(cols[1])
        except ValueError:
            problems.append(Problem(path, number, f"term {cols[0]!r}: weight must be a number, got {cols[1]!r}"))
            continue
        terms.append(MinorVideoTerm(cols[0], weight, cols[2] if len(cols) > 2 else "", number))
    return terms


def _line_of(text: str, needle: str) -> int:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else 1


def _parse_rules(path: Path, problems: list[Problem]) -> list[Rule]:
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", 1) or 1
        problems.append(Problem(path, line, f"not valid TOML: {exc}"))
        return []
    unknown = sorted(set(data) - {"rule"})
    for key in unknown:
        problems.append(Problem(path, _line_of(text, key), f"unknown table {key!r} (only [[rule]] is allowed)"))
    rules = []
    for raw in data.get("rule", []):
        name = raw.get("name", "")
        line = _line_of(text, f'"{name}"') if name else 1
        where = f"rule {name!r}" if name else "rule without a name"
        extra = sorted(set(raw) - {"name", "category", "severity", "all", "minors_video", "note"})
        if extra:
            problems.append(Problem(path, line, f"{where}: unknown key {extra[0]!r}"))
            continue
        if not isinstance(name, str) or not name:
            problems.append(Problem(path, line, f"{where}: 'name' must be a non-empty string"))
            continue
        category = raw.get("category")
        if category not in ALL_CATEGORIES or category == "minor_reference":
            problems.append(Problem(path, line, f"{where}: unknown category {category!r}"))
            continue
        severity = raw.get("severity")
        if severity not in (1, 2, 3) or isinstance(severity, bool):
            problems.append(Problem(path, line, f"{where}: severity must be 1, 2 or 3, got {severity!r}"))
            continue
        names = raw.get("all")
        if not isinstance(names, list) or len(names) < 2 or not all(isinstance(n, str) and n for n in names):
            problems.append(Problem(path, line, f"{where}: 'all' must list at least two cue or category names"))
            continue
        minors_video = raw.get("minors_video", False)
        if not isinstance(minors_video, bool):
            problems.append(Problem(path, line, f"{where}: 'minors_video' must be true or false"))
            continue
        rules.append(Rule(name, category, severity, tuple(names), minors_video, str(raw.get("note", "")), line))
    return rules


def _check_entries(lexicon: Lexicon, problems: list[Problem]) -> None:
    """Problems that need the whole lexicon: duplicates, dead terms, unknown cues."""
    normalizer = Normalizer(lexicon.char_substitutions)
    seen: dict[tuple[str, str], Entry] = {}
    allowed = {normalizer.compact(p) for p in lexicon.allow}
    for entry in lexicon.entries:
        compact = normalizer.compact(entry.term)
        if not compact:
            problems.append(Problem(entry.path, entry.line, f"term {entry.term!r} can never match: nothing is left after normalisation"))
            continue
        if "exact" in entry.modes and not normalizer.plain(entry.term).strip():
            problems.append(Problem(entry.path, entry.line, f"term {entry.term!r} can never match exactly: nothing is left after normalisation"))
            continue
        if compact in allowed:
            problems.append(Problem(entry.path, entry.line, f"term {entry.term!r} can never match: allow.txt allows exactly this phrase"))
            continue
        if ("pinyin" in entry.modes or "initials" in entry.modes) and normalizer.spelled_pinyin(compact) is None:
            problems.append(Problem(entry.path, entry.line, f"term {entry.term!r}: pinyin/initials modes need a term of Chinese characters only"))
            continue
        key = (entry.category, compact)
        if key in seen:
            first = seen[key]
            problems.append(Problem(entry.path, entry.line, f"duplicate term {entry.term!r} (same as {first.term!r} at {first.where})"))
            continue
        seen[key] = entry
    known = lexicon.cues() | set(ALL_CATEGORIES)
    rules_path = lexicon.directory / RULES_FILE
    for rule in lexicon.rules:
        for name in rule.all:
            if name not in known:
                problems.append(Problem(rules_path, rule.line, f"rule {rule.name!r}: no entry gives cue {name!r}"))


def parse_lexicon(directory: str | Path) -> Lexicon:
    """Parse every file, collecting problems instead of raising."""
    directory = Path(directory)
    problems: list[Problem] = []
    if not directory.is_dir():
        raise LexiconError([Problem(directory, 0, "lexicon folder not found")])
    entries: list[Entry] = []
    allow: list[str] = []
    subs: list[Substitution] = []
    rules: list[Rule] = []
    minor_video: list[MinorVideoTerm] = []
    for path in lexicon_files(directory):
        if path.name == "allow.txt":
            allow = _parse_allow(path, problems)
        elif path.name == "substitutions.txt":
            subs = _parse_substitutions(path, problems)
        elif path.name == "minor_video.txt":
            minor_video = _parse_minor_video(path, problems)
        elif path.name == RULES_FILE:
            rules = _parse_rules(path, problems)
        elif path.stem in ALL_CATEGORIES:
            entries.extend(_parse_terms(path, path.stem, problems))
        else:
            problems.append(Problem(path, 1, f"unknown category {path.stem!r}: a term file must be named after one of {', '.join(ALL_CATEGORIES)}"))
    lexicon = Lexicon(
        directory=directory,
        entries=tuple(entries),
        allow=tuple(allow),
        substitutions=tuple(subs),
        rules=tuple(rules),
        minor_video=tuple(minor_video),
        version=fingerprint(directory),
    )
    _check_entries(lexicon, problems)
    return Lexicon(**{**lexicon.__dict__, "problems": tuple(problems)})


def load_lexicon(directory: str | Path) -> Lexicon:
    """Parse the folder; raise ``LexiconError`` naming every problem."""
    lexicon = parse_lexicon(directory)
    if lexicon.problems:
        raise LexiconError(list(lexicon.problems))
    return lexicon
