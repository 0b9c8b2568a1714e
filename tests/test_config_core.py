"""The config loader names the key on every kind of mistake."""

import subprocess
import sys

import pytest

from commentwatch.config import Config, ConfigError, load_config


def write(tmp_path, text):
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file():
    config = load_config(None)
    assert isinstance(config, Config)
    assert config.policy.hide == 0.85


def test_relative_paths_resolve_against_the_config_file(tmp_path):
    config = load_config(write(tmp_path, '[detect]\nlexicon_dir = "lex"\n'))
    assert config.detect.lexicon_dir == tmp_path / "lex"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[policy]\nhide = \"high\"\n", "policy.hide: expected a number"),
        ("[policy]\nhide = 1.5\n", "policy.hide: expected a number between 0 and 1"),
        ("[policy]\nalert = 0.9\nhide = 0.8\n", "policy.alert: must not be above policy.hide"),
        ("[detect]\nsemantic = \"yes\"\n", "detect.semantic: expected true or false"),
        ("[detect]\nwindow_chars = 1.5\n", "detect.window_chars: expected an integer"),
        ("[detect]\nwindow_chars = 0\n", "detect.window_chars: must be at least 100"),
        ("[detect]\nlexicon_dirr = \"x\"\n", "detect.lexicon_dirr: unknown key"),
        ("[detekt]\n", "detekt: unknown key"),
        ("detect = 3\n", "detect: expected a table"),
        ("[policy\n", "not valid TOML"),
    ],
)
def test_errors_name_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert message in str(caught.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "absent.toml")


def test_cli_fails_fast_naming_the_key(tmp_path):
    path = write(tmp_path, "[policy]\nhide = \"high\"\n")
    done = subprocess.run([sys.executable, "-m", "commentwatch", "scan", "--config", str(path), "--text", "x"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    # One line, what then where, and no traceback.
    assert done.stderr.strip() == f"commentwatch: policy.hide: expected a number, got 'high' ({path})"


def test_a_config_path_that_is_a_folder_is_named(tmp_path):
    with pytest.raises(ConfigError, match=f"{tmp_path}: cannot read the config file"):
        load_config(tmp_path)
