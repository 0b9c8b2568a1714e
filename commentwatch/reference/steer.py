"""Steering a running reference service's traffic generator over its admin API."""

from __future__ import annotations

import aiohttp

from commentwatch.errors import ServiceError


async def steer_traffic(url: str, token: str, change: dict) -> dict:
    """POST ``change`` (``rate``, ``post``) to ``/admin/traffic`` when given; returns ``/admin/stats``."""
    base = url.rstrip("/")
    timeout = aiohttp.ClientTimeout(total=30)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:
            if change:
                async with session.post(f"{base}/admin/traffic", json=change) as response:
                    data = await response.json(content_type=None)
                    if response.status != 200:
                        raise ServiceError(f"POST {base}/admin/traffic: {response.status} {data}",
                                           method="POST", url=f"{base}/admin/traffic", status=response.status)
            async with session.get(f"{base}/admin/stats") as response:
                if response.status != 200:
                    raise ServiceError(f"GET {base}/admin/stats: {response.status}",
                                       method="GET", url=f"{base}/admin/stats", status=response.status)
                return await response.json()
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise ServiceError(f"{base}: {type(exc).__name__}: {exc}", method="GET", url=base) from None
