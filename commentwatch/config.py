"""One TOML file configures everything; this module turns it into typed values.

Each section is a frozen dataclass. ``load_config`` checks every key against
the dataclass fields and their types, so a typo or a wrong type fails at start
with an error that names the key (``policy.hide: expected a number…``) rather
than surfacing as odd behaviour hours later. Secrets never live in the file:
a key ending in ``_env`` names the environment variable that holds them.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
#: The lexicons shipped beside the package in the source tree.
DEFAULT_LEXICON_DIR = PACKAGE_DIR.parent / "lexicons"
#: Models and other artefacts built or trained by the project.
DEFAULT_DATA_DIR = PACKAGE_DIR / "data"


class ConfigError(ValueError):
    """A config value is missing, unknown or of the wrong type; names the key."""


@dataclass(frozen=True)
class DetectConfig:
    lexicon_dir: Path = DEFAULT_LEXICON_DIR
    #: Longer texts are judged in windows of this many characters so that
    #: cost stays linear and one huge comment cannot stall the worker.
    window_chars: int = 2000
    #: Texts longer than this are truncated (the rest is recorded as such).
    max_chars: int = 1_000_000
    #: The semantic stage (embeddings, exemplars, classifier).
    semantic: bool = True
    #: A sentence-transformers model: hub id, local path, or "default" for
    #: the offline model the project builds itself.
    model: str = "default"
    #: "auto" picks CUDA when present, else CPU.
    device: str = "auto"
    classifier: str = "default"
    #: Sum of minor_video.txt weights at which a video counts as featuring
    #: children when the platform does not say.
    minors_video_threshold: float = 2.0


@dataclass(frozen=True)
class PolicyConfig:
    alert: float = 0.5
    hide: float = 0.85
    #: Stricter thresholds on videos featuring children.
    minors_alert: float = 0.35
    minors_hide: float = 0.7

    def __post_init__(self) -> None:
        for name in ("alert", "hide", "minors_alert", "minors_hide"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"policy.{name}: expected a number between 0 and 1, got {value}")
        if self.alert > self.hide:
            raise ConfigError("policy.alert: must not be above policy.hide")
        if self.minors_alert > self.minors_hide:
            raise ConfigError("policy.minors_alert: must not be above policy.minors_hide")


@dataclass(frozen=True)
class Config:
    detect: DetectConfig = field(default_factory=DetectConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)


def load_config(path: str | Path | None = None, *, schema: type = Config) -> typing.Any:
    """Read and validate a TOML config; ``None`` gives the embedded defaults."""
    if path is None:
        return schema()
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return build(schema, raw, prefix="", base_dir=path.parent)


def build(schema: type, raw: typing.Any, *, prefix: str = "", base_dir: Path = Path(".")) -> typing.Any:
    """Build dataclass ``schema`` from a mapping, naming the key on any error."""
    where = prefix.rstrip(".") or "config"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a table, got {type(raw).__name__}")
    fields = {f.name: f for f in dataclasses.fields(schema)}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise ConfigError(f"{prefix}{unknown[0]}: unknown key (known: {', '.join(sorted(fields))})")
    hints = typing.get_type_hints(schema)
    values = {}
    for name, value in raw.items():
        values[name] = _coerce(hints[name], value, f"{prefix}{name}", base_dir)
    try:
        return schema(**values)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _coerce(hint: typing.Any, value: typing.Any, key: str, base_dir: Path) -> typing.Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return build(hint, value, prefix=key + ".", base_dir=base_dir)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None and len(options) < len(typing.get_args(hint)):
            return None
        errors = []
        for option in options:
            try:
                return _coerce(option, value, key, base_dir)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(errors[0])
    if origin in (tuple, list):
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list, got {type(value).__name__}")
        (item_hint, *_rest) = typing.get_args(hint) or (typing.Any,)
        return tuple(_coerce(item_hint, v, f"{key}[{i}]", base_dir) for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a table, got {type(value).__name__}")
        _, value_hint = typing.get_args(hint)
        return {k: _coerce(value_hint, v, f"{key}.{k}", base_dir) for k, v in value.items()}
    if origin is typing.Literal:
        allowed = typing.get_args(hint)
        if value not in allowed:
            raise ConfigError(f"{key}: expected one of {', '.join(map(repr, allowed))}, got {value!r}")
        return value
    if hint is typing.Any:
        return value
    if hint is Path:
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{key}: expected a path string, got {value!r}")
        p = Path(value).expanduser()
        return p if p.is_absolute() else (base_dir / p)
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string, got {value!r}")
        return value
    raise ConfigError(f"{key}: unsupported config type {hint!r}")
