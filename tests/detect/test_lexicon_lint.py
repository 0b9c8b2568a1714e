"""`commentwatch lexicon lint`: every bad entry reported as file:line: problem."""

import shutil
import subprocess
import sys

import pytest

from commentwatch.detect.lexicon import LexiconError, load_lexicon, parse_lexicon
from tests.helpers import FIXTURE_LEXICON as FIXTURE


@pytest.fixture
def lexicon_dir(tmp_path):
    target = tmp_path / "lexicons"
    shutil.copytree(FIXTURE, target)
    return target


def lint(directory):
    return subprocess.run([sys.executable, "-m", "commentwatch", "lexicon", "lint", str(directory)],
                          capture_output=True, text=True, timeout=120)


def test_fixture_is_clean(lexicon_dir):
    done = lint(lexicon_dir)
    assert done.returncode == 0, done.stdout
    assert "ok" in done.stdout


def test_every_problem_is_reported_with_file_and_line(lexicon_dir):
    (lexicon_dir / "grooming.txt").write_text(
        "# comment\n"
        "加微信 | 3 | sep\n"
        " | 2 | sep\n"                      # 3: empty term
        "加 微 信 | 2 | sep\n"               # 4: duplicate after normalisation
        "私聊 | high | sep\n"                # 5: bad severity
        "约 | 2 | fuzzy\n"                   # 6: unknown match mode
        "a | 1 | sep | | note | extra\n"     # 7: malformed line
        "❤❤ | 2 | sep\n"                     # 8: nothing left after normalisation
        "ab | 2 | pinyin\n",                 # 9: pinyin mode without Chinese
        encoding="utf-8",
    )
    (lexicon_dir / "spam.txt").write_text("x | 1\n", encoding="utf-8")
    done = lint(lexicon_dir)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    g = str(lexicon_dir / "grooming.txt")
    expected_prefixes = [f"{g}:3: empty term", f"{g}:4: duplicate term", f"{g}:5: term '私聊': severity",
                         f"{g}:6: term '约': unknown match mode 'fuzzy'", f"{g}:7: malformed line",
                         f"{g}:8: term '❤❤' can never match", f"{g}:9: term 'ab': pinyin",
                         f"{lexicon_dir / 'spam.txt'}:1: unknown category 'spam'"]
    for prefix in expected_prefixes:
        assert any(line.startswith(prefix) for line in lines), (prefix, lines)


def test_rules_are_checked(lexicon_dir):
    (lexicon_dir / "rules.toml").write_text(
        '[[rule]]\nname = "r1"\ncategory = "grooming"\nseverity = 3\nall = ["age_question", "no_such_cue"]\n\n'
        '[[rule]]\nname = "r2"\ncategory = "nonsense"\nseverity = 3\nall = ["a", "b"]\n',
        encoding="utf-8",
    )
    problems = [str(p) for p in parse_lexicon(lexicon_dir).problems]
    assert any(p.endswith("rules.toml:2: rule 'r1': no entry gives cue 'no_such_cue'") for p in problems)
    assert any("rules.toml:8: rule 'r2': unknown category 'nonsense'" in p for p in problems)


def test_broken_toml_and_bad_utf8(lexicon_dir):
    (lexicon_dir / "rules.toml").write_text("[[rule]\nname=", encoding="utf-8")
    (lexicon_dir / "abuse.txt").write_bytes(b"\xff\xfe bad")
    with pytest.raises(LexiconError) as caught:
        load_lexicon(lexicon_dir)
    text = str(caught.value)
    assert "rules.toml:1: not valid TOML" in text
    assert "abuse.txt:1: not valid UTF-8" in text
