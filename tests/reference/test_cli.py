"""``commentwatch reference-service`` and ``commentwatch traffic`` from the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.helpers import REPO_ROOT

CLI = (sys.executable, "-m", "commentwatch")


def run_cli(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([*CLI, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_reference_service_command_serves_and_traffic_command_steers_it(reference_service_factory):
    service = reference_service_factory("--seed", "2", "--videos", "3", token="cli-token",
                                        command=(*CLI, "reference-service"))
    try:
        assert [v["id"] for v in service.admin("GET", "/api/v1/videos")["items"]] == ["v1", "v2", "v3"]
        done = run_cli("traffic", "--url", service.base_url, "--post", "25", env_extra={"COMMENTWATCH_REFERENCE_TOKEN": "cli-token"})
        assert done.returncode == 0, done.stderr
        stats = json.loads(done.stdout)
        assert stats["traffic"]["posted"] == 25 and stats["comments"] + stats["danmaku"] == 25
        wrong = run_cli("traffic", "--url", service.base_url, "--token", "nope", "--rate", "5")
        assert wrong.returncode != 0 and "401" in wrong.stderr
    finally:
        service.stop()
    assert service.process.returncode == 0  # SIGTERM is a clean stop


def test_reference_service_needs_a_token():
    env = {k: v for k, v in os.environ.items() if k != "COMMENTWATCH_REFERENCE_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "commentwatch.reference", "--port", "0"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0 and "COMMENTWATCH_REFERENCE_TOKEN" in result.stderr


def test_bad_option_values_are_named():
    result = subprocess.run(
        [sys.executable, "-m", "commentwatch.reference", "--token", "t", "--offending-share", "1.5"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2 and "--offending-share" in result.stderr and "between 0 and 1" in result.stderr
