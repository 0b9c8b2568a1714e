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

from commentwatch.errors import ConfigError
from commentwatch.paths import LEXICON_DIR


@dataclass(frozen=True)
class DetectConfig:
    lexicon_dir: Path = LEXICON_DIR
    #: Longer texts are judged in windows of this many characters so that
    #: cost stays linear and one huge comment cannot stall the worker.
    window_chars: int = 2000
    #: Only this many characters of a text are judged; a comment service that
    #: allows longer comments is rare, and the cap bounds the work per comment.
    max_chars: int = 2_000_000
    #: The semantic stage (embeddings, exemplars, classifier).
    semantic: bool = True
    #: A sentence-transformers model: hub id, local path, or "default" for
    #: the offline model the project builds itself.
    model: str = "default"
    #: "auto" picks CUDA when present, else CPU.
    device: str = "auto"
    classifier: str = "default"
    #: The character n-gram model the decision layer reads: "default" (shipped),
    #: a folder, or "none".
    ngram: str = "default"
    #: Similarity an exemplar needs, and probability a classifier head needs,
    #: to become evidence: -1 takes the thresholds tuned with the classifier
    #: (its model card lists them); 0-1 sets one value for every category.
    exemplar_min: float = -1.0
    classifier_min: float = -1.0
    #: Sum of minor_video.txt weights at which a video counts as featuring
    #: children when the platform does not say.
    minors_video_threshold: float = 2.0

    def __post_init__(self) -> None:
        if self.window_chars < 100:
            raise ConfigError(f"detect.window_chars: must be at least 100, got {self.window_chars}")
        if self.max_chars < 1:
            raise ConfigError(f"detect.max_chars: must be at least 1, got {self.max_chars}")
        for name in ("exemplar_min", "classifier_min"):
            value = getattr(self, name)
            if value != -1.0 and not 0.0 <= value <= 1.0:
                raise ConfigError(f"detect.{name}: expected -1 (as tuned) or a number from 0 to 1, got {value}")
        if self.minors_video_threshold <= 0:
            raise ConfigError(f"detect.minors_video_threshold: must be above 0, got {self.minors_video_threshold}")


@dataclass(frozen=True)
class PolicyConfig:
    #: "learned": the decision layer weighs all evidence (``decide/layer.py``);
    #: "noisy-or": the hand-set combination below, kept for comparison.
    decision: typing.Literal["learned", "noisy-or"] = "learned"
    #: The layer's folder, or "default" for the one shipped with the package.
    layer: str = "default"
    #: Thresholds on the layer's probability that a comment offends, on other
    #: videos and on videos featuring children; -1 takes the ones tuned with
    #: it (its model card gives each one's reason).
    learned_alert: float = -1.0
    learned_hide: float = -1.0
    learned_minors_alert: float = -1.0
    learned_minors_hide: float = -1.0
    #: Noisy-OR thresholds (and the cap on a semantic signal's evidence score).
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
        for name in ("learned_alert", "learned_hide", "learned_minors_alert", "learned_minors_hide"):
            value = getattr(self, name)
            if value != -1.0 and not 0.0 <= value <= 1.0:
                raise ConfigError(f"policy.{name}: expected -1 (as tuned) or a number from 0 to 1, got {value}")
        for alert, hide in (("learned_alert", "learned_hide"), ("learned_minors_alert", "learned_minors_hide")):
            a, h = getattr(self, alert), getattr(self, hide)
            if -1.0 not in (a, h) and a > h:
                raise ConfigError(f"policy.{alert}: must not be above policy.{hide}")
        if self.alert > self.hide:
            raise ConfigError("policy.alert: must not be above policy.hide")
        if self.minors_alert > self.minors_hide:
            raise ConfigError("policy.minors_alert: must not be above policy.minors_hide")


@dataclass(frozen=True)
class ServiceConfig:
    """Where the platform's comment service is and how patiently to call it."""

    base_url: str = "http://127.0.0.1:8765"
    #: Environment variable holding the bearer token (never the token itself).
    token_env: str = "COMMENTWATCH_SERVICE_TOKEN"
    timeout_s: float = 5.0
    max_retries: int = 4
    backoff_s: float = 0.2
    max_backoff_s: float = 10.0
    danmaku_format: typing.Literal["json", "xml"] = "json"

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(f"service.base_url: expected an http(s) URL, got {self.base_url!r}")
        if self.timeout_s <= 0:
            raise ConfigError(f"service.timeout_s: must be above 0, got {self.timeout_s}")
        if self.max_retries < 0:
            raise ConfigError(f"service.max_retries: must not be negative, got {self.max_retries}")


@dataclass(frozen=True)
class WorkerConfig:
    #: "minors" watches only videos featuring children; "all" watches every video.
    watch: typing.Literal["minors", "all"] = "minors"
    discover_interval_s: float = 60.0
    #: A watched video missing from the video list this long is no longer
    #: polled (it may still get comments while the list shows only recent
    #: uploads). A video whose streams answer 404 is dropped at once.
    unlisted_grace_s: float = 21600.0
    #: Videos featuring children are polled this often …
    minors_poll_interval_s: float = 1.0
    #: … and the others (when watched) this often.
    other_poll_interval_s: float = 15.0
    #: Polls (HTTP calls) in flight at once, across all videos.
    concurrency: int = 8
    page_size: int = 200
    danmaku: bool = True
    #: Alert instead of hiding: for trying a new lexicon or threshold safely.
    dry_run: bool = False
    hide_reason: str = "commentwatch: harmful to minors"
    lexicon_reload_interval_s: float = 10.0
    #: When the daily digest goes out, "HH:MM" in UTC.
    digest_at: str = "08:00"

    def __post_init__(self) -> None:
        for name in ("discover_interval_s", "minors_poll_interval_s", "other_poll_interval_s",
                     "lexicon_reload_interval_s"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"worker.{name}: must be above 0, got {getattr(self, name)}")
        if self.unlisted_grace_s < 0:
            raise ConfigError(f"worker.unlisted_grace_s: must be 0 or more, got {self.unlisted_grace_s}")
        if self.concurrency < 1:
            raise ConfigError(f"worker.concurrency: must be at least 1, got {self.concurrency}")
        if not 1 <= self.page_size <= 1000:
            raise ConfigError(f"worker.page_size: expected 1..1000, got {self.page_size}")
        hour, sep, minute = self.digest_at.partition(":")
        if not (sep and hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
            raise ConfigError(f"worker.digest_at: expected HH:MM, got {self.digest_at!r}")


@dataclass(frozen=True)
class WebhookSinkConfig:
    """A chat or HTTP webhook; the URL (it carries a token) comes from the environment."""

    url_env: str = ""
    format: typing.Literal["json", "dingtalk", "feishu", "wecom", "slack"] = "json"
    name: str = ""

    def __post_init__(self) -> None:
        if not self.url_env:
            raise ValueError("url_env: required (the environment variable holding the webhook URL)")


@dataclass(frozen=True)
class EmailSinkConfig:
    host: str = ""
    port: int = 25
    sender: str = ""
    to: tuple[str, ...] = ()
    username: str = ""
    #: Environment variable holding the SMTP password ("" = no login).
    password_env: str = ""
    #: "none", "starttls" after connecting, or "ssl" from the start.
    security: typing.Literal["none", "starttls", "ssl"] = "none"
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if not self.host:
            raise ValueError("host: required")
        if not self.sender:
            raise ValueError("sender: required")
        if not self.to:
            raise ValueError("to: at least one recipient required")


@dataclass(frozen=True)
class AlertsConfig:
    #: One alert per author and video in this window; the rest are aggregated.
    window_s: float = 600.0
    #: Share dedup/rate state between workers; "" keeps it in the SQLite record.
    redis_url: str = ""
    #: Or name an environment variable holding the Redis URL (with its password).
    redis_url_env: str = ""
    #: How often closed windows are checked for aggregated follow-up summaries.
    summary_interval_s: float = 30.0
    webhooks: tuple[WebhookSinkConfig, ...] = ()
    email: tuple[EmailSinkConfig, ...] = ()
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if self.window_s < 0:
            raise ConfigError(f"alerts.window_s: must not be negative, got {self.window_s}")
        if self.summary_interval_s <= 0:
            raise ConfigError(f"alerts.summary_interval_s: must be above 0, got {self.summary_interval_s}")
        if self.redis_url and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError(f"alerts.redis_url: expected a redis:// URL, got {self.redis_url!r}")


@dataclass(frozen=True)
class RecordConfig:
    #: The SQLite file; relative paths are relative to the config file.
    path: Path = Path("commentwatch.db")
    #: Comments, verdicts, alerts and dead letters older than this are pruned.
    retention_days: int = 90
    prune_interval_s: float = 3600.0

    def __post_init__(self) -> None:
        if self.retention_days < 1:
            raise ConfigError(f"record.retention_days: must be at least 1, got {self.retention_days}")
        if self.prune_interval_s <= 0:
            raise ConfigError(f"record.prune_interval_s: must be above 0, got {self.prune_interval_s}")


@dataclass(frozen=True)
class MetricsConfig:
    #: Serve Prometheus metrics on this port; 0 turns the endpoint off.
    port: int = 0
    host: str = "127.0.0.1"

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"metrics.port: expected 0..65535, got {self.port}")


@dataclass(frozen=True)
class Config:
    detect: DetectConfig = field(default_factory=DetectConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    service: ServiceConfig = field(default_factory=ServiceConfig)
    worker: WorkerConfig = field(default_factory=WorkerConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    record: RecordConfig = field(default_factory=RecordConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)


def load_config(path: str | Path | None = None, *, schema: type = Config) -> typing.Any:
    """Read and validate a TOML config; ``None`` gives the embedded defaults."""
    if path is None:
        return schema()
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as exc:  # a folder, no permission…
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return build(schema, raw, prefix="", base_dir=path.parent)
    except ConfigError as exc:
        exc.where = exc.where or str(path)
        raise


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
