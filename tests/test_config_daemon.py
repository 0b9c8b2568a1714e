"""The daemon's config sections: the example loads; mistakes fail naming the key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from commentwatch.config import ConfigError, load_config
from commentwatch.daemon.secrets import read_secrets

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "deploy" / "commentwatch.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_config_loads_with_its_values():
    config = load_config(EXAMPLE)
    assert config.worker.watch == "minors"
    assert config.alerts.webhooks[0].format == "dingtalk"
    assert config.record.path == Path("/var/lib/commentwatch/commentwatch.db")


def test_record_path_is_relative_to_the_config_file(tmp_path):
    config = load_config(write(tmp_path, '[record]\npath = "data/cw.db"\n'))
    assert config.record.path == tmp_path / "data" / "cw.db"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[worker]\nconcurrency = "eight"\n', "worker.concurrency: expected an integer"),
        ("[worker]\npoll_every = 3\n", "worker.poll_every: unknown key"),
        ('[worker]\nwatch = "kids"\n', "worker.watch: expected one of 'minors', 'all'"),
        ("[worker]\nconcurrency = 0\n", "worker.concurrency: must be at least 1"),
        ("[worker]\nunlisted_grace_s = -1\n", "worker.unlisted_grace_s: must be 0 or more"),
        ('[worker]\ndigest_at = "25:00"\n', "worker.digest_at: expected HH:MM"),
        ('[service]\nbase_url = "ftp://x"\n', "service.base_url: expected an http(s) URL"),
        ("[service]\ntimeout_s = -1\n", "service.timeout_s: must be above 0"),
        ("[[alerts.webhooks]]\nformat = \"slack\"\n", "alerts.webhooks[0]: url_env: required"),
        ('[[alerts.webhooks]]\nurl_env = "X"\nformat = "telegram"\n', "alerts.webhooks[0].format: expected one of"),
        ('[[alerts.email]]\nhost = "h"\nsender = "a@b"\n', "alerts.email[0]: to: at least one recipient"),
        ('[alerts]\nredis_url = "localhost:6379"\n', "alerts.redis_url: expected a redis:// URL"),
        ("[record]\nretention_days = 0\n", "record.retention_days: must be at least 1"),
        ("[metrics]\nport = 70000\n", "metrics.port: expected 0..65535"),
    ],
)
def test_mistakes_name_the_key(tmp_path, toml, message):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, toml))
    assert message in str(info.value)


def test_secrets_come_from_the_environment_and_a_missing_one_names_its_key(tmp_path, monkeypatch):
    path = write(tmp_path, '[service]\ntoken_env = "CW_T"\n[[alerts.webhooks]]\nurl_env = "CW_HOOK"\n')
    monkeypatch.delenv("CW_T", raising=False)
    with pytest.raises(ConfigError, match="service.token_env: environment variable CW_T is not set"):
        read_secrets(load_config(path))
    monkeypatch.setenv("CW_T", "s3cret")
    with pytest.raises(ConfigError, match=r"alerts.webhooks\[0\].url_env: environment variable CW_HOOK"):
        read_secrets(load_config(path))
    monkeypatch.setenv("CW_HOOK", "not a url")
    with pytest.raises(ConfigError, match="does not hold an http"):
        read_secrets(load_config(path))
    monkeypatch.setenv("CW_HOOK", "https://oapi.example.org/robot/send?access_token=abc")
    secrets = read_secrets(load_config(path))
    assert secrets.service_token == "s3cret" and secrets.webhook_urls[0].endswith("access_token=abc")


def _run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "commentwatch", *args], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env={**os.environ, **(env or {})})


def test_run_with_a_bad_config_fails_fast_naming_the_key(tmp_path):
    path = write(tmp_path, "[worker]\nconcurrency = 2.5\n")
    result = _run("run", "--config", str(path))
    assert result.returncode == 2
    assert f"commentwatch: worker.concurrency: expected an integer, got 2.5 ({path})" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_without_the_token_fails_fast_naming_the_key(tmp_path):
    path = write(tmp_path, '[service]\ntoken_env = "CW_UNSET_TOKEN_FOR_TEST"\n')
    result = _run("run", "--config", str(path))
    assert result.returncode == 2
    assert "service.token_env: environment variable CW_UNSET_TOKEN_FOR_TEST is not set" in result.stderr


def test_run_with_a_missing_config_file_says_so(tmp_path):
    result = _run("run", "--config", str(tmp_path / "nope.toml"))
    assert result.returncode == 2 and "config file not found" in result.stderr


def test_the_compose_config_loads_and_shares_redis():
    config = load_config(ROOT / "deploy" / "commentwatch.compose.toml")
    assert config.alerts.redis_url == "redis://redis:6379/0"
    assert config.service.base_url == "http://reference:8765"
    assert config.metrics.port == 9108
