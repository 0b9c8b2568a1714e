"""Start the reference comment service as a child process and talk to its admin API.

``demo`` and ``bench live`` need a real service on loopback; this starts one
on a free port (it prints the URL it listens on) and stops it on exit.
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import tempfile
from typing import Any, Self

import aiohttp


class ReferenceProcess:
    """``async with ReferenceProcess(rate=50) as ref: ref.url, await ref.admin_get(...)``."""

    def __init__(self, *, rate: float = 0.0, seed: int = 0, host: str = "127.0.0.1", token: str | None = None,
                 extra_args: tuple[str, ...] = (), log_path: str | None = None) -> None:
        self.rate = rate
        self.seed = seed
        self.host = host
        self.token = token or secrets.token_urlsafe(16)
        self.extra_args = extra_args
        self.log_path = log_path
        self.url = ""
        self.proc: asyncio.subprocess.Process | None = None
        self._session: aiohttp.ClientSession | None = None
        self._log = None
        self._drain: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        # Its log goes to a file (a pipe nobody reads would fill and block it);
        # when it fails to start, the tail of that file says why.
        self._log = open(self.log_path, "w+b") if self.log_path else tempfile.TemporaryFile()  # noqa: SIM115, ASYNC230 (opened once, at start-up)
        # "--token=…" in one word: a random token may begin with "-".
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "commentwatch.reference", "--host", self.host, "--port", "0",
            f"--token={self.token}", "--seed", str(self.seed), "--rate", str(self.rate), *self.extra_args,
            stdout=asyncio.subprocess.PIPE,
            stderr=self._log,
            # Its own session: Ctrl-C in a terminal reaches the whole process
            # group, and the service must outlive the worker's shutdown (the
            # demo reads its figures last); __aexit__ stops it.
            start_new_session=True,
        )
        try:
            line = await asyncio.wait_for(self._listening_line(), timeout=60)
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        self.url = line.rsplit(" ", 1)[-1].rstrip("/")
        self._drain = asyncio.create_task(self._drain_stdout())
        self._session = aiohttp.ClientSession(headers={"Authorization": f"Bearer {self.token}"})
        return self

    async def _listening_line(self) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        while True:
            raw = await self.proc.stdout.readline()
            if not raw:
                code = await self.proc.wait()
                self._log.seek(0)
                tail = self._log.read().decode("utf-8", "replace")[-2000:]
                raise RuntimeError(f"the reference service exited with status {code} before listening:\n{tail}")
            line = raw.decode("utf-8", "replace").strip()
            if "listening on http" in line:
                return line

    async def _drain_stdout(self) -> None:
        """Keep reading its stdout so a chatty service never blocks on a full pipe."""
        assert self.proc is not None and self.proc.stdout is not None
        while await self.proc.stdout.read(65536):
            pass

    async def __aexit__(self, *exc: object) -> None:
        if self._drain is not None:
            self._drain.cancel()
        if self._session is not None:
            await self._session.close()
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), timeout=10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self._log is not None:
            self._log.close()

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
