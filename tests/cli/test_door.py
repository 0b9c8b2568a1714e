"""The command line's one door: lazy command modules, one error format, no tracebacks."""

from __future__ import annotations

import subprocess
import sys

import pytest

from commentwatch.cli import COMMANDS, build_parser, main


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "commentwatch", *args], capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.mark.parametrize("argv", [["--help"], ["scan", "--help"], ["eval", "--help"], ["train", "--help"],
                                  ["bench", "embed", "--help"]])
def test_help_imports_no_model_library(argv):
    probe = (
        "import sys\n"
        "from commentwatch.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted(m for m in ('spacy', 'torch', 'sentence_transformers', 'sklearn', 'jieba') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False)
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr


def test_the_parser_lists_every_command_and_builds_only_the_one_named():
    parser = build_parser(["status"])
    listed = parser._subparsers._group_actions[0].choices
    assert list(listed) == [c.name for c in COMMANDS]
    assert listed["status"]._actions[-1].dest == "json"
    assert [a.dest for a in listed["scan"]._actions] == ["help"]


def test_a_user_error_is_one_line_what_and_where_with_exit_2(tmp_path):
    missing = tmp_path / "absent.jsonl"
    done = _run("eval", str(missing))
    assert done.returncode == 2
    assert done.stderr.startswith("commentwatch: ")
    assert str(missing) in done.stderr and "Traceback" not in done.stderr


def test_a_missing_scan_file_is_named(tmp_path):
    done = _run("scan", str(tmp_path / "nope.jsonl"), "--no-semantic")
    assert done.returncode == 2
    assert done.stderr.strip() == f"commentwatch: cannot read {tmp_path / 'nope.jsonl'}: No such file or directory"


def test_traffic_without_a_token_says_which_variable(monkeypatch):
    monkeypatch.delenv("COMMENTWATCH_REFERENCE_TOKEN", raising=False)
    assert main(["traffic", "--url", "http://127.0.0.1:9"]) == 2


def test_traffic_against_a_service_that_is_not_there_is_an_error_not_a_traceback():
    done = _run("traffic", "--url", "http://127.0.0.1:9", "--token", "t")
    assert done.returncode == 2
    assert done.stderr.startswith("commentwatch: http://127.0.0.1:9: ") and "Traceback" not in done.stderr
