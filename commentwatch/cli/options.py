"""Arguments several commands share, and the one way a command loads its config."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from commentwatch.config import Config, load_config


def add_judge_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="TOML config (default: the embedded defaults)")
    parser.add_argument("--no-semantic", action="store_true", help="lexicons and context rules only")


def config_from_args(args: argparse.Namespace) -> Config:
    """``--config`` loaded (the embedded defaults without it), ``--no-semantic`` applied."""
    path = getattr(args, "config", None)
    config = load_config(Path(path)) if path else Config()
    if getattr(args, "no_semantic", False):
        config = replace(config, detect=replace(config.detect, semantic=False))
    return config
