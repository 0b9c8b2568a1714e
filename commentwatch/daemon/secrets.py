"""Secrets named by ``*_env`` config keys, read from the environment.

They never live in the config file (it is checked into deploy repositories
and shown in bug reports); a missing one fails with the key that names it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from commentwatch.config import Config, ConfigError


@dataclass(frozen=True)
class Secrets:
    service_token: str
    webhook_urls: tuple[str, ...]
    email_passwords: tuple[str, ...]
    redis_url: str


def _env(key: str, name: str, *, required: bool) -> str:
    if not name:
        return ""
    value = os.environ.get(name, "")
    if required and not value:
        raise ConfigError(f"{key}: environment variable {name} is not set")
    return value


def read_secrets(config: Config) -> Secrets:
    """Every secret the config names, from the environment; ConfigError names the key."""
    token = _env("service.token_env", config.service.token_env, required=True)
    urls = tuple(
        _env(f"alerts.webhooks[{i}].url_env", hook.url_env, required=True)
        for i, hook in enumerate(config.alerts.webhooks)
    )
    for i, url in enumerate(urls):
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"alerts.webhooks[{i}].url_env: {config.alerts.webhooks[i].url_env} "
                              "does not hold an http(s) URL")
    passwords = tuple(
        _env(f"alerts.email[{i}].password_env", mail.password_env, required=True)
        for i, mail in enumerate(config.alerts.email)
    )
    redis_url = config.alerts.redis_url or _env("alerts.redis_url_env", config.alerts.redis_url_env, required=True)
    return Secrets(token, urls, passwords, redis_url)
