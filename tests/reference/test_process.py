"""The one launcher of the reference service, as the demo, bench live and the tests use it."""

from __future__ import annotations

import urllib.request

import pytest

from commentwatch.errors import ReferenceServiceError
from commentwatch.reference import process


def test_a_service_that_cannot_start_is_reported_with_its_own_words(tmp_path):
    with pytest.raises(ReferenceServiceError, match="did not start") as caught:
        process.start("--videos", "-3", token="t", log_path=tmp_path / "service.log")
    assert "--videos" in str(caught.value)


def test_started_service_answers_then_stops_cleanly():
    running = process.start("--seed", "4", token="t")
    try:
        with urllib.request.urlopen(running.url + "/healthz", timeout=10) as response:
            assert response.status == 200
    finally:
        running.stop()
    assert running.process.returncode == 0
    running.stop()  # twice is harmless


async def test_the_async_wrapper_serves_the_admin_api():
    async with process.ReferenceProcess(extra_args=("--videos", "2")) as ref:
        videos = await ref.admin_get("/api/v1/videos")
        assert [v["id"] for v in videos["items"]] == ["v1", "v2"]
    assert ref.running.process.returncode == 0
