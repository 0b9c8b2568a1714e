"""The reference comment service as an aiohttp application.

It implements ``deploy/openapi.yaml``: the public API a watcher uses
(``/api/v1/...``), plus admin endpoints (``/admin/...``) through which tests
and benchmarks post exact texts, read ground truth and hide times, steer the
traffic generator and switch faults on. Both need the bearer token; only
``/healthz`` does not, so a supervisor can probe readiness.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any
from xml.sax.saxutils import escape

from aiohttp import web

from commentwatch.errors import BadRequest
from commentwatch.reference.faults import (
    AFTER_MODES,
    BEFORE_MODES,
    FaultPlan,
    FaultSpecError,
)
from commentwatch.reference.store import ItemRecord, Store, StoreError
from commentwatch.reference.traffic import TrafficPump

log = logging.getLogger(__name__)

COMMENTS_LIMIT = (200, 1000)  # default, maximum
DANMAKU_LIMIT = (500, 5000)
MAX_REASON_CHARS = 10_000
#: Room for a 1 M-character comment in UTF-8 plus JSON escaping.
MAX_BODY_BYTES = 16 * 1024 * 1024
#: Characters XML 1.0 cannot carry even escaped; the XML form shows U+FFFD
#: in their place (the JSON form carries the exact text).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

STORE = web.AppKey("store", Store)
FAULTS = web.AppKey("faults", FaultPlan)
PUMP = web.AppKey("pump", TrafficPump)
TOKEN = web.AppKey("token", str)
REQUESTS = web.AppKey("requests", dict)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        text=json.dumps(data, ensure_ascii=False),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return _json({"error": message}, status=status, headers=headers)


# ---------------------------------------------------------------- middleware
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path == "/healthz":
        return await handler(request)
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    expected = request.app[TOKEN]
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        why = "missing bearer token" if not header else "invalid bearer token"
        return _error(401, why, headers={"WWW-Authenticate": 'Bearer realm="commentwatch-reference"'})
    return await handler(request)


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except BadRequest as exc:
        return _error(400, str(exc))
    except StoreError as exc:
        return _error(404, str(exc))


@web.middleware
async def count_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Calls per route, for ``/admin/stats`` (what a watcher's polling costs)."""
    counts = request.app[REQUESTS]
    route = request.match_info.route.resource
    key = f"{request.method} {route.canonical if route is not None else '(no route)'}"
    counts[key] = counts.get(key, 0) + 1
    return await handler(request)


@web.middleware
async def faults_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith("/api/"):
        return await handler(request)
    faults = request.app[FAULTS]
    fault = faults.take(BEFORE_MODES, request.method, request.path)
    if fault is not None:
        if fault.mode == "error":
            return _error(fault.status, f"injected fault {fault.id}: error {fault.status}")
        if fault.mode == "rate_limit":
            return _error(
                429,
                f"injected fault {fault.id}: rate limited",
                headers={"Retry-After": str(fault.retry_after)},
            )
        if fault.mode == "delay":
            await asyncio.sleep(fault.delay_s)
    response = await handler(request)
    if response.status == 200 and isinstance(response, web.Response) and response.body:
        content_type = response.content_type
        fmt = "json" if content_type == "application/json" else "xml" if content_type.endswith("xml") else ""
        if fmt:
            fault = faults.take(tuple(m for m in AFTER_MODES if m.endswith(fmt)), request.method, request.path)
            if fault is not None:
                body = bytes(response.body)
                # A body cut in half is what a proxy dropping the connection serves.
                response.body = body[: max(1, len(body) // 2)]
    return response


# ------------------------------------------------------------------- helpers
def _cursor(request: web.Request) -> int:
    raw = request.query.get("after", "")
    if raw in ("", "0"):
        return 0
    if not raw.isascii() or not raw.isdigit():
        raise BadRequest(f"after: expected a cursor from next_cursor (a whole number), got {raw!r}")
    return int(raw)


def _limit(request: web.Request, bounds: tuple[int, int]) -> int:
    default, maximum = bounds
    raw = request.query.get("limit")
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise BadRequest(f"limit: expected a whole number between 1 and {maximum}, got {raw!r}")
    return int(raw)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json(loads=json.loads)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(f"body: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise BadRequest(f"body: expected a JSON object, got {type(data).__name__}")
    return data


def _text_field(data: dict, key: str, *, required: bool = True, default: str = "") -> str:
    if key not in data or data[key] is None:
        if required:
            raise BadRequest(f"{key}: required")
        return default
    value = data[key]
    if not isinstance(value, str):
        raise BadRequest(f"{key}: expected a string, got {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadRequest(f"{key}: lone surrogate at index {exc.start} cannot be stored") from None
    return value


def _broken_comment(item: ItemRecord) -> dict:
    # Wrong types and a missing field: what a buggy serializer upstream emits.
    return {"id": item.id, "author_id": 404, "text": None, "parent_id": item.parent_id}


def _broken_danmaku(item: ItemRecord) -> dict:
    return {"dmid": item.id, "time": "soon", "mode": 1, "text": 42}


def _xml_text(text: str) -> str:
    return escape(_XML_ILLEGAL.sub("\ufffd", text))


def render_danmaku_xml(video_id: str, items: list[ItemRecord], next_cursor: str, broken: frozenset[str]) -> str:
    """Bilibili's danmaku document, one ``<d>`` per line, plus the paging cursor."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<i>",
        "<chatserver>reference</chatserver>",
        f"<chatid>{_xml_text(video_id)}</chatid>",
        f"<next_cursor>{next_cursor}</next_cursor>",
    ]
    for item in items:
        p = item.p_attribute()
        if item.id in broken:
            p = ",".join(p.split(",")[:5])
        lines.append(f'<d p="{escape(p, {chr(34): "&quot;"})}">{_xml_text(item.text)}</d>')
    lines.append("</i>")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- public API
async def healthz(request: web.Request) -> web.Response:
    return _json({"ok": True})


async def list_videos(request: web.Request) -> web.Response:
    store = request.app[STORE]
    return _json({"items": [video.public() for video in store.videos.values() if video.listed]})


async def list_comments(request: web.Request) -> web.Response:
    store = request.app[STORE]
    video_id = request.match_info["video_id"]
    page, next_seq = store.after("comment", video_id, _cursor(request), _limit(request, COMMENTS_LIMIT))
    faults = request.app[FAULTS]
    broken = faults.broken_items(request.method, request.path)
    items = [_broken_comment(i) if i.id in broken else i.public() for i in page]
    faults.note_item_served(broken, sum(i.id in broken for i in page) if broken else 0)
    return _json({"items": items, "next_cursor": str(next_seq)})


async def list_danmaku(request: web.Request) -> web.Response:
    store = request.app[STORE]
    video_id = request.match_info["video_id"]
    fmt = request.query.get("format", "json")
    if fmt not in ("json", "xml"):
        raise BadRequest(f"format: expected 'json' or 'xml', got {fmt!r}")
    page, next_seq = store.after("danmaku", video_id, _cursor(request), _limit(request, DANMAKU_LIMIT))
    faults = request.app[FAULTS]
    broken = faults.broken_items(request.method, request.path)
    faults.note_item_served(broken, sum(i.id in broken for i in page) if broken else 0)
    if fmt == "xml":
        return web.Response(
            text=render_danmaku_xml(video_id, page, str(next_seq), broken),
            content_type="text/xml",
        )
    items = [_broken_danmaku(i) if i.id in broken else i.public() for i in page]
    return _json({"items": items, "next_cursor": str(next_seq)})


def _moderate(kind: str, action: str) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        data = await _body(request)
        reason = _text_field(data, "reason")
        if not reason.strip():
            raise BadRequest("reason: must not be empty")
        if len(reason) > MAX_REASON_CHARS:
            raise BadRequest(f"reason: at most {MAX_REASON_CHARS} characters, got {len(reason)}")
        store = request.app[STORE]
        item_id = request.match_info["item_id"]
        outcome = store.hide(kind, item_id, reason) if action == "hide" else store.restore(kind, item_id, reason)
        item = outcome.item
        return _json(
            {
                "id": item.id,
                "kind": kind,
                "hidden": item.hidden,
                "already": outcome.already,
                "hidden_at": item.hidden_at,
                "restored_at": item.restored_at,
            }
        )

    handler.__name__ = f"{action}_{kind}"
    return handler


# ------------------------------------------------------------------ admin API
async def admin_remove_video(request: web.Request) -> web.Response:
    video_id = request.match_info["video_id"]
    request.app[STORE].remove_video(video_id)
    return _json({"removed": video_id})


async def admin_upsert_video(request: web.Request) -> web.Response:
    data = await _body(request)
    video_id = _text_field(data, "id")
    if not video_id:
        raise BadRequest("id: must not be empty")
    tags = data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise BadRequest("tags: expected a list of strings")
    flags = {}
    for key in ("featuring_minors", "truly_features_minors"):
        value = data.get(key)
        if value is not None and not isinstance(value, bool):
            raise BadRequest(f"{key}: expected true, false or null, got {value!r}")
        flags[key] = value
    listed = data.get("listed", True)
    if not isinstance(listed, bool):
        raise BadRequest(f"listed: expected true or false, got {listed!r}")
    record = request.app[STORE].upsert_video(
        video_id,
        title=_text_field(data, "title", required=False),
        tags=tags,
        description=_text_field(data, "description", required=False),
        listed=listed,
        **flags,
    )
    return _json(record.public(), status=201)


def _admin_post(kind: str) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        data = await _body(request)
        text = _text_field(data, "text")
        author = _text_field(data, "author_id", required=False, default="admin")
        offending = data.get("offending")
        if offending is not None and not isinstance(offending, bool):
            raise BadRequest(f"offending: expected true, false or null, got {offending!r}")
        extra: dict[str, Any] = {}
        if kind == "comment":
            parent = data.get("parent_id")
            if parent is not None and not isinstance(parent, str):
                raise BadRequest(f"parent_id: expected a string or null, got {parent!r}")
            extra["parent_id"] = parent
        else:
            for key, typ in (("time", (int, float)), ("mode", int), ("size", int), ("color", int), ("pool", int)):
                if key in data:
                    if isinstance(data[key], bool) or not isinstance(data[key], typ):
                        raise BadRequest(f"{key}: expected a number, got {data[key]!r}")
                    extra["time_s" if key == "time" else key] = data[key]
        item = request.app[STORE].post(
            kind,
            request.match_info["video_id"],
            text,
            author,
            offending=offending,
            category=_text_field(data, "category", required=False),
            **extra,
        )
        return _json(item.record(with_text=False), status=201)

    handler.__name__ = f"admin_post_{kind}"
    return handler


def _flag(request: web.Request, key: str, default: bool) -> bool:
    raw = request.query.get(key)
    if raw is None:
        return default
    if raw.lower() in ("1", "true", "yes"):
        return True
    if raw.lower() in ("0", "false", "no"):
        return False
    raise BadRequest(f"{key}: expected true or false, got {raw!r}")


async def admin_hidden(request: web.Request) -> web.Response:
    """Every item ever hidden, with when it was posted and hidden."""
    with_text = _flag(request, "text", False)
    items = [i.record(with_text) for i in request.app[STORE].all_items() if i.hidden_at is not None]
    return _json({"items": items})


async def admin_items(request: web.Request) -> web.Response:
    """Ground truth for every item, filtered by video, kind or sequence."""
    video_id = request.query.get("video_id")
    kind = request.query.get("kind")
    if kind not in (None, "comment", "danmaku"):
        raise BadRequest(f"kind: expected 'comment' or 'danmaku', got {kind!r}")
    after_seq = _cursor(request)
    with_text = _flag(request, "text", True)
    items = [
        i.record(with_text)
        for i in request.app[STORE].all_items()
        if (video_id is None or i.video_id == video_id) and (kind is None or i.kind == kind) and i.seq > after_seq
    ]
    return _json({"items": items})


async def admin_item(request: web.Request) -> web.Response:
    kind = request.match_info["kind"]
    if kind not in ("comment", "danmaku"):
        raise BadRequest(f"kind: expected 'comment' or 'danmaku', got {kind!r}")
    return _json(request.app[STORE].item(kind, request.match_info["item_id"]).record())


async def admin_stats(request: web.Request) -> web.Response:
    stats = request.app[STORE].stats()
    stats["traffic"] = request.app[PUMP].status()
    stats["faults_served"] = request.app[FAULTS].served
    stats["requests"] = dict(request.app[REQUESTS])
    return _json(stats)


async def admin_faults_get(request: web.Request) -> web.Response:
    return _json({"faults": request.app[FAULTS].describe()})


async def admin_faults_post(request: web.Request) -> web.Response:
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(f"body: not valid JSON ({exc})") from None
    faults = request.app[FAULTS]
    specs = data if isinstance(data, list) else [data]
    try:
        added = [faults.add(spec) for spec in specs]
    except FaultSpecError as exc:
        raise BadRequest(str(exc)) from None
    described = {f["id"]: f for f in faults.describe()}
    return _json({"faults": [described[f.id] for f in added]}, status=201)


async def admin_faults_delete(request: web.Request) -> web.Response:
    return _json({"cleared": request.app[FAULTS].clear()})


async def admin_traffic_get(request: web.Request) -> web.Response:
    return _json(request.app[PUMP].status())


async def admin_traffic_post(request: web.Request) -> web.Response:
    """Change the rate, or post ``post`` generated items right now."""
    data = await _body(request)
    pump = request.app[PUMP]
    posted = []
    if "rate" in data:
        rate = data["rate"]
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate < 0:
            raise BadRequest(f"rate: expected a non-negative number, got {rate!r}")
        pump.set_rate(rate)
    if "post" in data:
        count = data["post"]
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 1_000_000:
            raise BadRequest(f"post: expected a whole number 0..1000000, got {count!r}")
        if count and not request.app[STORE].videos:
            raise BadRequest("post: there are no videos to post on; add one through POST /admin/videos")
        posted = [pump.post_one().record(with_text=False) for _ in range(count)]
    status = pump.status()
    status["items"] = posted
    return _json(status)


# ---------------------------------------------------------------------- app
def make_app(store: Store, token: str, faults: FaultPlan, pump: TrafficPump) -> web.Application:
    if not token:
        raise ValueError("the service needs a non-empty bearer token")
    app = web.Application(
        middlewares=[count_middleware, auth_middleware, errors_middleware, faults_middleware],
        client_max_size=MAX_BODY_BYTES,
    )
    app[STORE] = store
    app[FAULTS] = faults
    app[PUMP] = pump
    app[TOKEN] = token
    app[REQUESTS] = {}
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/api/v1/videos", list_videos)
    app.router.add_get("/api/v1/videos/{video_id}/comments", list_comments)
    app.router.add_get("/api/v1/videos/{video_id}/danmaku", list_danmaku)
    for kind, segment in (("comment", "comments"), ("danmaku", "danmaku")):
        app.router.add_post(f"/api/v1/{segment}/{{item_id}}/hide", _moderate(kind, "hide"))
        app.router.add_post(f"/api/v1/{segment}/{{item_id}}/restore", _moderate(kind, "restore"))
        app.router.add_post(f"/admin/videos/{{video_id}}/{segment}", _admin_post(kind))
    app.router.add_post("/admin/videos", admin_upsert_video)
    app.router.add_delete("/admin/videos/{video_id}", admin_remove_video)
    app.router.add_get("/admin/hidden", admin_hidden)
    app.router.add_get("/admin/items", admin_items)
    app.router.add_get("/admin/items/{kind}/{item_id}", admin_item)
    app.router.add_get("/admin/stats", admin_stats)
    app.router.add_get("/admin/faults", admin_faults_get)
    app.router.add_post("/admin/faults", admin_faults_post)
    app.router.add_delete("/admin/faults", admin_faults_delete)
    app.router.add_get("/admin/traffic", admin_traffic_get)
    app.router.add_post("/admin/traffic", admin_traffic_post)

    async def pump_lifecycle(app: web.Application):
        pump.start()
        yield
        await pump.stop()

    app.cleanup_ctx.append(pump_lifecycle)
    return app
