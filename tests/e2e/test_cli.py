"""``commentwatch demo`` and ``commentwatch status`` as an operator runs them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.helpers import REPO_ROOT

pytestmark = pytest.mark.slow

ROOT = REPO_ROOT


def commentwatch(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "commentwatch", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def test_demo_shows_hides_with_evidence_and_status_summarises_the_record(tmp_path):
    record = tmp_path / "demo.db"
    demo = commentwatch("demo", "--duration", "10", "--rate", "30", "--seed", "3", "--record", str(record))
    assert demo.returncode == 0, demo.stderr[-3000:]
    log = demo.stderr
    assert "worker started" in log and "worker stopped" in log
    assert "HIDE done" in log, log[-3000:]
    # Each hide shows its evidence: category, the term and where it is in the text.
    hide_block = log[log.index("HIDE done"):].splitlines()[1]
    assert hide_block.startswith("    ") and "[" in hide_block and ":" in hide_block
    assert "the service posted" in demo.stdout and "hides: done" in demo.stdout

    status = commentwatch("status", "--record", str(record), "--json")
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    assert data["totals"]["comments"] > 0
    assert data["totals"]["hides"].get("done", 0) >= 1
    assert data["last_hides"] and data["last_hides"][0]["state"] == "done"
    assert {c["kind"] for c in data["cursors"]} == {"comment", "danmaku"}

    text = commentwatch("status", "--record", str(record))
    assert "verdicts:" in text.stdout and "last hides:" in text.stdout and "cursors" in text.stdout


def test_status_without_a_record_says_where_it_looked(tmp_path):
    result = commentwatch("status", "--record", str(tmp_path / "none.db"))
    assert result.returncode == 1 and "no record at" in result.stdout
    assert not (tmp_path / "none.db").exists()


def test_demo_stops_cleanly_on_ctrl_c(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "commentwatch", "demo", "--rate", "5"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 120
        started = False
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if "worker started" in line:
                started = True
                break
            if not line and proc.poll() is not None:
                break
        assert started, "the demo never started its worker"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err[-2000:]
    assert "worker stopped" in err and "comments seen:" in out
