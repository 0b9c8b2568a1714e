"""`commentwatch eval`: figures computed through the scan path on small labelled files.

Each test builds a tiny lexicon and config of its own, so the expected
figures follow from the files written here and not from the shipped lexicons.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from commentwatch.cli import main

CHILD = {"id": "v1", "title": "六一", "featuring_minors": True}
ADULT = {"id": "v2", "title": "夜景", "featuring_minors": False}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    lex = tmp_path / "lex"
    lex.mkdir()
    (lex / "contact.txt").write_text("加微信 | 3 | sep | private_contact | contact request\n", encoding="utf-8")
    (lex / "abuse.txt").write_text("傻逼 | 2 | sep |  | insult\n", encoding="utf-8")
    (lex / "grooming.txt").write_text("多大 | 0 | sep | age_question | parents ask it\n", encoding="utf-8")
    (lex / "allow.txt").write_text("微信支付 | payment\n", encoding="utf-8")
    path = tmp_path / "eval.toml"
    # This little lexicon's severities decide through the hand-set policy: the
    # shipped decision layer learned the shipped lexicons' evidence.
    path.write_text('[detect]\nlexicon_dir = "lex"\nsemantic = false\n[policy]\ndecision = "noisy-or"\n',
                    encoding="utf-8")
    return path


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def row(id, text, label, category="none", evasion="none", video=CHILD, style="comment"):
    return {"id": id, "text": text, "video": video, "label": label, "category": category,
            "evasion": evasion, "style": style}


LABELLED = [
    row("p1", "加微信聊聊", 1, "contact"),
    row("p2", "加 微 信", 1, "contact", "separator", style="danmaku"),
    row("p3", "傻逼孩子", 1, "abuse"),
    row("p4", "傻逼", 1, "abuse", video=ADULT),          # alert, not hide: adult video
    row("p5", "你长得好奇怪", 1, "abuse", "paraphrase"),   # no listed word: missed
    row("n1", "孩子多大了", 0),
    row("n2", "我也加微信了", 0),                         # a hard negative that is hidden
    row("n3", "用微信支付", 0),                           # allow-listed
]


def run_json(capsys, *argv) -> dict:
    assert main(["eval", *map(str, argv), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_figures_overall_hide_only_and_hard_negatives(tmp_path, config, capsys):
    data = write_jsonl(tmp_path / "set.jsonl", LABELLED)
    report = run_json(capsys, data, "--config", config, "--no-semantic")
    assert report["semantic"] is False
    [result] = report["files"]
    assert (result["positives"], result["negatives"]) == (5, 3)
    overall = result["overall"]
    assert (overall["tp"], overall["fp"], overall["fn"], overall["tn"]) == (4, 1, 1, 2)
    assert overall["precision"] == pytest.approx(0.8)
    assert overall["recall"] == pytest.approx(0.8)
    assert overall["f1"] == pytest.approx(0.8)
    hide = result["hide_only"]
    assert (hide["tp"], hide["fp"], hide["fn"]) == (3, 1, 2)
    assert result["hard_negatives"] == {"total": 3, "alerted": 0, "hidden": 1}


def test_figures_per_category_evasion_and_style(tmp_path, config, capsys):
    data = write_jsonl(tmp_path / "set.jsonl", LABELLED)
    [result] = run_json(capsys, data, "--config", config)["files"]
    abuse = result["categories"]["abuse"]
    assert abuse["support"] == 3
    assert abuse["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert abuse["hidden"] == 1
    assert abuse["precision"] == pytest.approx(1.0)
    contact = result["categories"]["contact"]
    # Flagged with contact as the strongest category: p1, p2 and the hidden n2.
    assert contact["predicted"] == 3
    assert contact["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert result["categories"]["sexualize"]["support"] == 0
    assert result["evasions"]["separator"] == {"support": 1, "flagged": 1, "recall": 1.0}
    assert result["evasions"]["paraphrase"]["recall"] == 0.0
    assert result["styles"]["danmaku"]["tp"] == 1


def test_false_positives_and_negatives_carry_evidence(tmp_path, config, capsys):
    data = write_jsonl(tmp_path / "set.jsonl", LABELLED)
    [result] = run_json(capsys, data, "--config", config)["files"]
    [fp] = result["false_positives"]
    assert fp["id"] == "n2" and fp["action"] == "hide"
    assert any("加微信" in e and "lexicon" in e for e in fp["evidence"])
    assert fp["where"].endswith("set.jsonl:7")
    [fn] = result["false_negatives"]
    assert fn["id"] == "p5" and fn["evasion"] == "paraphrase" and fn["action"] == "allow"


def test_text_report_lists_errors_with_evidence(tmp_path, config, capsys):
    data = write_jsonl(tmp_path / "set.jsonl", LABELLED)
    assert main(["eval", str(data), "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "precision  0.800 recall  0.800" in out
    assert "hard negatives: 3, alerted 0, hidden 1" in out
    assert "-- false positives (1)" in out and "n2 [none/none] hide" in out
    assert "contact:加微信@2-5 lexicon" in out
    assert "-- false negatives (1)" in out and "p5 [abuse/paraphrase] allow" in out


def test_cold_csv_gives_accuracy_and_macro_f1(tmp_path, config, capsys):
    csv_path = tmp_path / "cold_dev.csv"
    csv_path.write_text(
        "\ufeff,split,topic,label,TEXT\n"
        "1,dev,race,1,傻逼\n"
        "2,dev,race,1,\"你真是个人才, 呵呵\"\n"
        "3,dev,gender,0,今天天气好\n"
        "4,dev,region,0,我也是新疆人\n",
        encoding="utf-8",
    )
    [result] = run_json(capsys, csv_path, "--config", config, "--no-baseline")["files"]
    assert result["format"] == "cold"
    assert result["examples"] == 4
    assert result["accuracy"] == pytest.approx(0.75)
    # offensive F1 = 2/3, inoffensive F1 = 0.8
    assert result["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2, abs=1e-4)
    assert result["offensive"]["tp"] == 1 and result["offensive"]["fn"] == 1


def test_several_files_are_reported_one_by_one(tmp_path, config, capsys):
    first = write_jsonl(tmp_path / "a.jsonl", LABELLED[:2])
    second = write_jsonl(tmp_path / "b.jsonl", LABELLED[5:])
    files = run_json(capsys, first, second, "--config", config)["files"]
    assert [Path(f["file"]).name for f in files] == ["a.jsonl", "b.jsonl"]
    assert files[0]["overall"]["tp"] == 2 and files[1]["overall"]["tp"] == 0


@pytest.mark.parametrize("bad_line, message", [
    ('{"id": "x", "text": "hi", "label": 2, "category": "abuse"}', "label: expected 0 or 1"),
    ('{"id": "x", "text": "hi", "label": 1, "category": "rude"}', "category: expected one of"),
    ('{"id": "x", "text": "hi", "label": 0, "category": "abuse"}', 'expected "none" for label 0'),
    ('{"id": "x", "label": 1, "category": "abuse"}', "text: missing"),
    ('{"id": "x", "text": "hi", "label": 0, "category": "none", "style": "tweet"}', "style:"),
    ("not json", "not valid JSON"),
])
def test_bad_lines_are_named_by_file_and_line(tmp_path, config, capsys, bad_line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(row("ok", "你好", 0)) + "\n" + bad_line + "\n", encoding="utf-8")
    assert main(["eval", str(path), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:2" in err and message in err


def test_csv_without_the_columns_is_refused(tmp_path, config, capsys):
    path = tmp_path / "other.csv"
    path.write_text("text,score\n你好,1\n", encoding="utf-8")
    assert main(["eval", str(path), "--config", str(config)]) == 2
    assert "missing column(s) TEXT, label" in capsys.readouterr().err


def test_missing_file_is_refused(tmp_path, config, capsys):
    assert main(["eval", str(tmp_path / "nope.jsonl"), "--config", str(config)]) == 2
    assert "nope.jsonl: cannot read" in capsys.readouterr().err


def test_the_baseline_is_reported_beside_the_system_on_every_labelled_set(tmp_path, config, capsys):
    train = write_jsonl(tmp_path / "train.jsonl", LABELLED * 3)
    data = write_jsonl(tmp_path / "set.jsonl", LABELLED)
    files = run_json(capsys, data, train, "--config", config, "--baseline-train", train)["files"]
    for report in files:
        baseline = report["baseline"]
        assert baseline["model"].startswith("char 1-3-gram TF-IDF")
        assert baseline["trained_on"] == str(train.resolve()) and baseline["train_examples"] == 24
        o = baseline["overall"]
        assert (o["tp"] + o["fn"], o["fp"] + o["tn"]) == (report["positives"], report["negatives"])
        assert set(baseline["category_recall"]) == {"contact", "abuse"}
    assert [f["baseline"]["trained_on_this_set"] for f in files] == [False, True]
    assert main(["eval", str(train), "--config", str(config), "--baseline-train", str(train)]) == 0
    assert "THIS SET: its figures are training fit" in capsys.readouterr().out


def test_cold_sets_get_a_baseline_from_the_train_csv_beside_them(tmp_path, config, capsys):
    rows = ["傻逼", "你真是个人才", "滚蛋吧你", "今天天气好", "我也是新疆人", "谢谢分享"]
    (tmp_path / "train.csv").write_text(
        "TEXT,label\n" + "".join(f"{t},{int(i < 3)}\n" for i, t in enumerate(rows * 2)), encoding="utf-8")
    dev = tmp_path / "dev.csv"
    dev.write_text("TEXT,label\n傻逼,1\n今天天气好,0\n", encoding="utf-8")
    [result] = run_json(capsys, dev, "--config", config)["files"]
    assert result["baseline"]["trained_on"] == str((tmp_path / "train.csv").resolve())
    assert 0.0 <= result["baseline"]["accuracy"] <= 1.0 and result["baseline"]["macro_f1"] is not None


def test_no_baseline_when_asked(tmp_path, config, capsys):
    data = write_jsonl(tmp_path / "set.jsonl", LABELLED)
    [result] = run_json(capsys, data, "--config", config, "--no-baseline")["files"]
    assert "baseline" not in result


def test_evasions_report_what_each_rewrite_keeps_and_what_it_newly_flags(tmp_path, config, capsys):
    data = write_jsonl(tmp_path / "set.jsonl", LABELLED)
    [result] = run_json(capsys, data, "--config", config, "--no-baseline", "--evasions")["files"]
    invariance = result["evasion_invariance"]
    assert (invariance["caught"], invariance["benign"]) == (4, 2)  # tp 4; tn 2 (see the figures test)
    separator = invariance["kinds"]["separator"]
    assert separator["positives"] == 4 and separator["still_caught_share"] == 1.0
    assert separator["benign"] == 2 and separator["newly_flagged"] == 0
    assert invariance["kinds"]["digits"]["positives"] == 0  # nothing to spell out
    assert main(["eval", str(data), "--config", str(config), "--no-baseline", "--evasions"]) == 0
    assert "evasion invariance: 4 caught positives" in capsys.readouterr().out


def test_a_labelled_folder_trains_the_baseline_on_train_and_the_blind_partition(tmp_path, config, capsys):
    folder = tmp_path / "labelled"
    (folder / "blind").mkdir(parents=True)
    train = write_jsonl(folder / "train.jsonl", LABELLED)
    blind = write_jsonl(folder / "blind" / "part.jsonl", [dict(r, id=r["id"] + "b") for r in LABELLED])
    other = write_jsonl(tmp_path / "other.jsonl", LABELLED)
    files = run_json(capsys, other, blind, train, "--config", config, "--baseline-train", folder)["files"]
    for report in files:
        assert report["baseline"]["trained_on"] == str(folder.resolve())
        assert report["baseline"]["train_examples"] == 2 * len(LABELLED)
    assert [f["baseline"]["trained_on_this_set"] for f in files] == [False, True, True]
