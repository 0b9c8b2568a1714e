"""Fixtures: the reference comment service and the worker as real processes and tasks on loopback.

Helpers that are not fixtures are in ``tests/helpers.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from commentwatch.daemon.run import run_worker, wait_until_ready
from commentwatch.reference import process
from commentwatch.reference.process import ReferenceProcess
from tests.helpers import CHILD_VIDEO, TOKEN_ENV, ReferenceService


@pytest.fixture
def reference_service_factory(tmp_path: Path) -> Iterator[Callable[..., ReferenceService]]:
    """Start reference services with extra arguments (``--rate 50``, ``--seed 3``…); all stopped after the test."""
    started: list[ReferenceService] = []

    def start(*extra_args: str, token: str = "test-token",
              command: tuple[str, ...] = process.SERVICE_COMMAND) -> ReferenceService:
        log_path = tmp_path / f"reference-{len(started)}.log"
        service = ReferenceService(process.start(*extra_args, token=token, log_path=log_path, command=command))
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()


@pytest.fixture
def reference_service(reference_service_factory: Callable[..., ReferenceService]) -> ReferenceService:
    """A fresh reference service (12 catalogue videos, no traffic, no faults)."""
    return reference_service_factory()


@pytest_asyncio.fixture
async def service():
    """A reference service with one video featuring children, for the daemon's tests."""
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
