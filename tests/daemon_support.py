"""Real helper servers for the daemon tests: Redis, a webhook receiver, SMTP."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

from aiohttp import web


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

import asyncio
import sqlite3

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
OFFENDING = "小妹妹加我QQ 2938475610 私聊"
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


# -- fixtures (import them into a test module to use them) -------------------

import pytest_asyncio

from commentwatch.daemon.reference_process import ReferenceProcess
from commentwatch.daemon.run import run_worker, wait_until_ready

CHILD_VIDEO = {"id": "kid1", "title": "小学生舞蹈比赛", "tags": ["舞蹈"], "description": "",
               "featuring_minors": True}


@pytest_asyncio.fixture
async def service():
    async with ReferenceProcess(extra_args=("--videos", "1")) as ref:
        await ref.admin_post("/admin/videos", CHILD_VIDEO)
        yield ref


@pytest_asyncio.fixture
async def worker(monkeypatch, service):
    """Start a worker in this loop: ``await worker(config)``; stopped at teardown."""
    monkeypatch.setenv(TOKEN_ENV, service.token)
    started: list[tuple[asyncio.Event, asyncio.Task]] = []

    async def start(config):
        stop = asyncio.Event()
        ready = asyncio.Event()
        task = asyncio.create_task(run_worker(config, stop=stop, on_ready=lambda _w: ready.set()))
        started.append((stop, task))
        await wait_until_ready(ready, task, timeout=60)
        return task

    yield start
    for stop, _task in started:
        stop.set()
    for _stop, task in started:
        await asyncio.wait_for(task, 30)  # a clean stop, or the error that ended the worker


async def post(service, text: str, *, kind: str = "comments", author: str = "u1", video: str = "kid1") -> dict:
    return await service.admin_post(f"/admin/videos/{video}/{kind}", {"text": text, "author_id": author})


async def item(service, kind: str, item_id: str) -> dict:
    return await service.admin_get(f"/admin/items/{kind}/{item_id}")


async def hidden_item(service, kind, item_id):
    record = await item(service, kind, item_id)
    return record if record["hidden"] else None
