"""What tests share besides fixtures: the reference service's admin client, real helper servers
(Redis, a webhook receiver), the daemon's test config and polling helpers.

Fixtures live in ``conftest.py``; this module holds plain functions and
classes that tests import (``from tests.helpers import ...``).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiohttp import web

from commentwatch.reference.process import RunningService


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def redis_server(directory: Path):
    """A throwaway redis-server on a free loopback port; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError("redis-server")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(directory)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class WebhookReceiver:
    """An aiohttp server that keeps every JSON body posted to it."""

    def __init__(self, status: int = 200, answer: dict | None = None) -> None:
        self.received: list[dict] = []
        self.status = status
        self.answer = answer or {"errcode": 0}
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def _handle(self, request: web.Request) -> web.Response:
        self.received.append(await request.json())
        return web.json_response(self.answer, status=self.status)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/hook"
        return self.url

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


# -- the daemon against a reference service ---------------------------------
from commentwatch.config import (
    AlertsConfig,
    Config,
    DetectConfig,
    RecordConfig,
    ServiceConfig,
    WebhookSinkConfig,
    WorkerConfig,
)

TOKEN_ENV = "CW_TEST_SERVICE_TOKEN"
#: Hidden whatever the decision layer says: it carries a severity-3 lexicon
#: entry (福利群), which editors make decisive.
OFFENDING = "小妹妹加我QQ 2938475610 私聊 进福利群"
BENIGN = "妹妹跳得真好，加油！"


def daemon_config(record_path: Path, url: str, *, webhooks: tuple[WebhookSinkConfig, ...] = (),
                  **worker: object) -> Config:
    """Brisk polling and short retries, so tests see results in seconds."""
    worker_settings = dict(watch="all", minors_poll_interval_s=0.2, other_poll_interval_s=0.2,
                           discover_interval_s=0.5, lexicon_reload_interval_s=1.0)
    worker_settings.update(worker)
    return Config(
        detect=DetectConfig(semantic=False),
        service=ServiceConfig(base_url=url, token_env=TOKEN_ENV, timeout_s=1.0, max_retries=2, backoff_s=0.05,
                              max_backoff_s=0.3),
        worker=WorkerConfig(**worker_settings),
        alerts=AlertsConfig(window_s=60.0, summary_interval_s=0.5, webhooks=webhooks),
        record=RecordConfig(path=record_path),
    )


async def eventually(check, *, timeout: float = 15.0, interval: float = 0.1, what: str = "condition"):
    """Poll ``check`` (sync or async) until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(interval)


def query(db_path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Read the worker's record from outside, as an operator would."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()




CHILD_VIDEO = {"id": "kid1", "title": "小学生舞蹈比赛", "tags": ["舞蹈"], "description": "",
               "featuring_minors": True}


async def post(service, text: str, *, kind: str = "comments", author: str = "u1", video: str = "kid1") -> dict:
    return await service.admin_post(f"/admin/videos/{video}/{kind}", {"text": text, "author_id": author})


async def item(service, kind: str, item_id: str) -> dict:
    return await service.admin_get(f"/admin/items/{kind}/{item_id}")


async def hidden_item(service, kind, item_id):
    record = await item(service, kind, item_id)
    return record if record["hidden"] else None


# -- the reference service, spoken to as a test would ------------------------
REPO_ROOT = Path(__file__).resolve().parent.parent
#: A small lexicon of the tests' own, so expected verdicts follow from it.
FIXTURE_LEXICON = Path(__file__).resolve().parent / "fixtures" / "lexicon"


class AdminError(AssertionError):
    """An admin call answered with an error status."""

    def __init__(self, status: int, body: Any, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class ReferenceService:
    """A service started by the project's launcher, with synchronous helpers for its admin API."""

    def __init__(self, running: RunningService) -> None:
        self.running = running
        self.base_url = running.url
        self.token = running.token
        self.process = running.process
        self.args = running.args

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
        return self.running.log()

    def stop(self) -> None:
        self.running.stop()
