"""The one launcher of the reference comment service as a child process.

The demo, ``bench live`` and the tests all need a real service on loopback:
this starts ``python -m commentwatch.reference`` on a free port, learns the
URL from the ``listening on URL`` line it prints, and stops it. ``start``
and ``RunningService`` are synchronous (tests); ``ReferenceProcess`` wraps
them for asyncio code and adds an admin client.
"""

from __future__ import annotations

import asyncio
import secrets
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Self

import aiohttp

from commentwatch.errors import ReferenceServiceError

#: How the service is started: through the command line's one door.
SERVICE_COMMAND = (sys.executable, "-m", "commentwatch.reference")
STARTUP_TIMEOUT_S = 60.0


@dataclass
class RunningService:
    """A started service: where it listens, its token, its process and its log."""

    url: str
    token: str
    process: subprocess.Popen
    log_path: Path | None
    args: tuple[str, ...] = ()
    _log: IO[bytes] | None = field(default=None, repr=False)

    def log(self) -> str:
        """What the service wrote to stderr so far."""
        if self.log_path is not None:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if it has not gone within ``timeout``; safe to call twice."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        if self._log is not None:
            self._log.close()
            self._log = None


def start(*extra_args: str, token: str | None = None, host: str = "127.0.0.1", log_path: Path | None = None,
          timeout: float = STARTUP_TIMEOUT_S, command: tuple[str, ...] = SERVICE_COMMAND) -> RunningService:
    """Start the service on a free port of ``host`` and wait until it listens.

    Its stderr goes to ``log_path`` (a temporary file without one: a pipe
    nobody reads would fill and block it); when it fails to start, the error
    carries the tail of that log.
    """
    token = token or secrets.token_urlsafe(16)
    # "--token=…" in one word: a random token may begin with "-".
    args = ("--host", host, "--port", "0", f"--token={token}", *extra_args)
    log = open(log_path, "w+b") if log_path else tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop)
    process = subprocess.Popen(
        [*command, *args], stdout=subprocess.PIPE, stderr=log,
        # Its own session: Ctrl-C in a terminal reaches the whole process
        # group, and the service must outlive the worker's shutdown (the
        # demo reads its figures last); stop() ends it.
        start_new_session=True,
    )
    try:
        url = _listening_url(process, timeout)
    except (TimeoutError, ChildProcessError) as exc:
        _kill(process)
        log.seek(0)
        tail = log.read().decode("utf-8", "replace")[-2000:]
        log.close()
        raise ReferenceServiceError(
            f"the reference service did not start ({exc}; exit status {process.returncode}):\n{tail}") from None
    except BaseException:  # Ctrl-C while waiting: no orphan left behind
        _kill(process)
        log.close()
        raise
    if log_path:
        log.close()  # the child keeps its own descriptor; log() reads the file
        log = None
    running = RunningService(url=url, token=token, process=process, log_path=log_path, args=args, _log=log)
    # Keep reading its stdout so a chatty service never blocks on a full pipe.
    threading.Thread(target=_drain, args=(process.stdout,), daemon=True).start()
    return running


def _listening_url(process: subprocess.Popen, timeout: float) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"not listening after {timeout:g} s")
            if not selector.select(timeout=min(remaining, 0.2)):
                if process.poll() is not None:
                    raise ChildProcessError("exited before listening")
                continue
            line = process.stdout.readline().decode("utf-8", "replace")
            if not line and process.poll() is not None:
                raise ChildProcessError("exited before listening")
            if "listening on http" in line:
                return line.strip().rsplit(" ", 1)[-1].rstrip("/")


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()


def _drain(stream: IO[bytes]) -> None:
    try:
        while stream.read(65536):
            pass
    except (OSError, ValueError):  # closed while reading: the service is gone
        pass


class ReferenceProcess:
    """``async with ReferenceProcess(rate=50) as ref: ref.url, await ref.admin_get(...)``."""

    def __init__(self, *, rate: float = 0.0, seed: int = 0, host: str = "127.0.0.1", token: str | None = None,
                 extra_args: tuple[str, ...] = (), log_path: str | None = None) -> None:
        self._start_args = ("--seed", str(seed), "--rate", str(rate), *extra_args)
        self._host = host
        self._log_path = Path(log_path) if log_path else None
        self.token = token or secrets.token_urlsafe(16)
        self.url = ""
        self.running: RunningService | None = None
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        self.running = await asyncio.to_thread(start, *self._start_args, token=self.token, host=self._host,
                                               log_path=self._log_path)
        self.url = self.running.url
        self._session = aiohttp.ClientSession(headers={"Authorization": f"Bearer {self.token}"})
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
        if self.running is not None:
            await asyncio.to_thread(self.running.stop)

    async def admin_get(self, path: str, **params: Any) -> Any:
        assert self._session is not None
        async with self._session.get(self.url + path, params=params) as response:
            response.raise_for_status()
            return await response.json()

    async def admin_post(self, path: str, body: Any) -> Any:
        assert self._session is not None
        async with self._session.post(self.url + path, json=body) as response:
            response.raise_for_status()
            return await response.json()

    async def admin_delete(self, path: str) -> Any:
        assert self._session is not None
        async with self._session.delete(self.url + path) as response:
            response.raise_for_status()
            return await response.json()
