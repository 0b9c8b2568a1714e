"""Shared fixtures: the reference comment service as a real process on loopback."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
#: ``python -m commentwatch.reference`` takes the same options as
#: ``commentwatch reference-service`` without importing every other command,
#: which keeps a fresh service per test cheap. test_reference_cli.py checks
#: the ``commentwatch reference-service`` spelling itself.
SERVICE_COMMAND = (sys.executable, "-m", "commentwatch.reference")
STARTUP_TIMEOUT_S = 20.0


class AdminError(AssertionError):
    """An admin call answered with an error status."""

    def __init__(self, status: int, body: Any, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


@dataclass
class ReferenceService:
    """A running reference service: where it is, and helpers for its admin API."""

    base_url: str
    token: str
    process: subprocess.Popen
    log_path: Path
    args: tuple[str, ...] = ()
    _closed: bool = field(default=False, repr=False)

    # --------------------------------------------------------------- admin
    def admin(self, method: str, path: str, body: Any = None, *, token: str | None = None) -> Any:
        """Call an admin (or any) endpoint; returns the decoded JSON, raises ``AdminError`` on >= 400."""
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token if token is None else token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                decoded = json.loads(raw)
            except ValueError:
                decoded = raw.decode("utf-8", "replace")
            raise AdminError(exc.code, decoded, f"{method} {path}: {exc.code} {decoded}") from None
        return json.loads(raw) if raw else None

    def post_comment(self, video_id: str, text: str, **fields: Any) -> dict:
        return self.admin("POST", f"/admin/videos/{video_id}/comments", {"text": text, **fields})

    def post_danmaku(self, video_id: str, text: str, **fields: Any) -> dict:
        return self.admin("POST", f"/admin/videos/{video_id}/danmaku", {"text": text, **fields})

    def add_video(self, video_id: str, **fields: Any) -> dict:
        return self.admin("POST", "/admin/videos", {"id": video_id, **fields})

    def fault(self, mode: str, **spec: Any) -> dict:
        """Switch a fault on (see ``commentwatch/reference/faults.py``)."""
        return self.admin("POST", "/admin/faults", {"mode": mode, **spec})["faults"][0]

    def clear_faults(self) -> int:
        return self.admin("DELETE", "/admin/faults")["cleared"]

    def item(self, kind: str, item_id: str) -> dict:
        return self.admin("GET", f"/admin/items/{kind}/{item_id}")

    def hidden(self) -> list[dict]:
        return self.admin("GET", "/admin/hidden")["items"]

    def stats(self) -> dict:
        return self.admin("GET", "/admin/stats")

    def traffic(self, **body: Any) -> dict:
        """``rate=R`` to change the generator's rate, ``post=N`` to post N items now."""
        return self.admin("POST", "/admin/traffic", body)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    # ----------------------------------------------------------- lifecycle
    def stop(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process.stdout:
            self.process.stdout.close()


def start_reference_service(
    *extra_args: str, token: str = "test-token", log_dir: Path | None = None, command: tuple[str, ...] = SERVICE_COMMAND
) -> ReferenceService:
    """Start the service on a free loopback port and wait until it answers."""
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="cw-reference-"))
    log_path = log_dir / f"reference-{time.monotonic_ns()}.log"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    args = ("--host", "127.0.0.1", "--port", "0", "--token", token, *extra_args)
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            [*command, *args],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log_file,
        )
    assert process.stdout is not None
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    line = b""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while b"listening on " not in line:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or process.poll() is not None:
                process.kill()
                process.wait()
                raise RuntimeError(
                    f"reference service did not start (exit {process.returncode}):\n"
                    + log_path.read_text(errors="replace")
                )
            if selector.select(timeout=min(remaining, 0.2)):
                chunk = process.stdout.readline()
                if not chunk and process.poll() is not None:
                    continue
                line = chunk
    base_url = line.decode().rsplit("listening on ", 1)[1].strip()
    service = ReferenceService(base_url=base_url, token=token, process=process, log_path=log_path, args=args)
    with urllib.request.urlopen(base_url + "/healthz", timeout=10) as response:
        assert response.status == 200
    return service


@pytest.fixture
def reference_service_factory(tmp_path: Path) -> Iterator[Callable[..., ReferenceService]]:
    """Start reference services with extra arguments (``--rate 50``, ``--seed 3``…); all stopped after the test."""
    started: list[ReferenceService] = []

    def start(*extra_args: str, token: str = "test-token") -> ReferenceService:
        service = start_reference_service(*extra_args, token=token, log_dir=tmp_path)
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()


@pytest.fixture
def reference_service(reference_service_factory: Callable[..., ReferenceService]) -> ReferenceService:
    """A fresh reference service (12 catalogue videos, no traffic, no faults)."""
    return reference_service_factory()
