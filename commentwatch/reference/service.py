"""Running the reference service as its own process.

``serve`` wires store, traffic and faults into the app, listens, prints one
``listening on URL`` line (so a parent process that asked for port 0 learns
the port) and runs until SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from commentwatch.reference.app import make_app
from commentwatch.reference.faults import FaultPlan
from commentwatch.reference.store import Store
from commentwatch.reference.traffic import TrafficGenerator, TrafficPump, seed_catalogue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceOptions:
    host: str = "127.0.0.1"
    port: int = 8765
    token: str = "reference-token"
    seed: int = 0
    #: Generated comments and danmaku per second (0: none until asked).
    rate: float = 0.0
    videos: int = 12
    #: Generated items posted before the service starts answering.
    prefill: int = 0
    offending_share: float = 0.05
    danmaku_share: float = 0.5
    #: Standing faults, as ``POST /admin/faults`` bodies.
    faults: tuple[dict[str, Any], ...] = field(default_factory=tuple)


def build(options: ServiceOptions) -> web.Application:
    store = Store()
    seed_catalogue(store, options.videos)
    generator = TrafficGenerator(
        store,
        seed=options.seed,
        offending_share=options.offending_share,
        danmaku_share=options.danmaku_share,
    )
    pump = TrafficPump(store, generator, rate=options.rate)
    for _ in range(options.prefill):
        pump.post_one()
    faults = FaultPlan(seed=options.seed)
    for spec in options.faults:
        faults.add(spec)
    return make_app(store, options.token, faults, pump)


async def serve(options: ServiceOptions) -> None:
    app = build(options)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, options.host, options.port, backlog=1024)
    await site.start()
    host, port = runner.addresses[0][:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"commentwatch reference service listening on http://{shown}:{port}", flush=True)
    log.info("reference service: %d videos, traffic %.1f/s, seed %d", options.videos, options.rate, options.seed)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        sys.stdout.flush()
