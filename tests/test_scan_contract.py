"""`commentwatch scan` as other tools see it: a real process, bytes in, JSON lines out."""

import json
import subprocess
import sys

import pytest

from tests.helpers import FIXTURE_LEXICON as FIXTURE


@pytest.fixture(scope="module")
def config_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cfg") / "commentwatch.toml"
    # The fixture lexicon's severities decide through the hand-set policy: the
    # shipped decision layer learned the shipped lexicons' evidence.
    path.write_text(f'[detect]\nlexicon_dir = "{FIXTURE}"\nsemantic = false\n[policy]\ndecision = "noisy-or"\n',
                    encoding="utf-8")
    return path


def scan(config_file, stdin: bytes, *args):
    done = subprocess.run(
        [sys.executable, "-m", "commentwatch", "scan", "--config", str(config_file), *args],
        input=stdin, capture_output=True, timeout=120,
    )
    return done


def test_one_line_out_per_line_in_and_in_order(config_file):
    lines = [
        {"id": "a", "text": "妹妹多大了 加个微信私聊"},
        {"id": "b", "text": "宝宝好可爱"},
        {"id": "c", "text": "萝莉", "video": {"featuring_minors": True, "title": "六一", "tags": ["亲子"]}},
        {"id": "d", "text": "萝莉"},
    ]
    done = scan(config_file, "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines).encode())
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [o["id"] for o in out] == ["a", "b", "c", "d"]
    assert set(out[0]) == {"id", "action", "score", "categories", "evidence"}
    assert out[0]["action"] == "hide" and out[0]["categories"] == ["grooming"]
    assert out[1]["action"] == "allow" and out[1]["evidence"] == []
    # The same word is treated more strictly on a video featuring children.
    assert out[2]["action"] == "alert" and out[3]["action"] == "allow"
    for item in out[0]["evidence"]:
        assert set(item) == {"category", "term", "start", "end", "evasion"}
        assert 0 <= item["start"] < item["end"] <= len(lines[0]["text"])


def test_evidence_offsets_index_the_original_text(config_file):
    text = "来 ➕ 薇\u200b❤ 信 吧"
    done = scan(config_file, (json.dumps({"id": "x", "text": text}) + "\n").encode())
    [out] = [json.loads(line) for line in done.stdout.decode().splitlines()]
    [evidence] = [e for e in out["evidence"] if e["term"] == "加微信"]
    assert text[evidence["start"]:evidence["end"]] == "➕ 薇\u200b❤ 信"
    assert "separator" in evidence["evasion"] and "zero_width" in evidence["evasion"]


def test_malformed_lines_yield_errors_and_scanning_continues(config_file):
    stdin = b"\n".join([
        b'{"id": "ok1", "text": "hello"}',
        b'{"id": "bad-json", "text": ',
        b'["not", "an", "object"]',
        b'{"text": "no id"}',
        b'{"id": "t", "text": 5}',
        b'{"id": "v", "text": "x", "video": {"featuring_minors": "yes"}}',
        b'{"id": "utf", "text": "\xff\xfe"}',
        b"",
        b'{"id": "ok2", "text": "\\u202e\\u0000 ctrl"}',
    ]) + b"\n"
    done = scan(config_file, stdin)
    assert done.returncode == 0
    out = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert len(out) == 9
    assert out[0]["id"] == "ok1" and out[0]["action"] == "allow"
    assert out[1] == {"id": None, "line": 2, "error": out[1]["error"]} and "not valid JSON" in out[1]["error"]
    assert "expected a JSON object" in out[2]["error"]
    assert out[3]["error"] == "id: missing"
    assert out[4] == {"id": "t", "line": 5, "error": "text: expected a string, got a number"}
    assert out[5]["error"].startswith("video.featuring_minors:")
    assert "not valid UTF-8" in out[6]["error"] and out[6]["line"] == 7
    assert out[7]["line"] == 8 and "empty line" in out[7]["error"]
    assert out[8]["id"] == "ok2" and out[8]["action"] == "allow"
    assert b"7 of 9 lines had errors" in done.stderr


def test_file_argument_and_unreadable_input(config_file, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "1", "text": "加微信"}\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "commentwatch", "scan", "--config", str(config_file), str(path)],
                          capture_output=True, timeout=120)
    assert json.loads(done.stdout)["action"] == "hide"
    missing = subprocess.run([sys.executable, "-m", "commentwatch", "scan", "--config", str(config_file), str(tmp_path / "nope")],
                             capture_output=True, timeout=120)
    assert missing.returncode == 2 and b"cannot read" in missing.stderr and missing.stdout == b""


def test_huge_comment(config_file):
    text = "好" * 1_000_000 + "加微信"
    done = scan(config_file, (json.dumps({"id": "big", "text": text}) + "\n").encode())
    out = json.loads(done.stdout)
    assert out["action"] == "hide"
    assert out["evidence"][0]["start"] == 1_000_000


def test_readable_verdict_highlights_evidence(config_file):
    done = subprocess.run([sys.executable, "-m", "commentwatch", "scan", "--config", str(config_file), "--text", "妹妹幾歲 加薇信"],
                          capture_output=True, timeout=120)
    out = done.stdout.decode()
    assert out.startswith("HIDE")
    assert "【" in out and "幾歲" in out
    assert "evasion: homoglyph" in out
