"""deploy/openapi.yaml and the reference service describe the same thing."""

from __future__ import annotations

import json
import urllib.request

import pytest
import yaml

from commentwatch.reference.service import ServiceOptions, build
from tests.helpers import REPO_ROOT

SPEC_PATH = REPO_ROOT / "deploy" / "openapi.yaml"


@pytest.fixture(scope="module")
def spec() -> dict:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def resolve(spec: dict, node):
    while isinstance(node, dict) and "$ref" in node:
        target = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_every_route_is_documented_and_every_documented_route_exists(spec):
    documented = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }
    app = build(ServiceOptions(token="t"))
    served = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.method != "HEAD"
    }
    assert documented == served


def test_every_reference_resolves(spec):
    def walk(node, where):
        if isinstance(node, dict):
            if "$ref" in node:
                resolve(spec, node)  # raises KeyError naming the missing part
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    walk(spec, "#")
    assert spec["openapi"].startswith("3.1")
    assert spec["security"] == [{"bearer": []}]


def get(service, path: str):
    request = urllib.request.Request(service.base_url + path, headers={"Authorization": f"Bearer {service.token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def post(service, path: str, body: dict):
    request = urllib.request.Request(
        service.base_url + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {service.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


TYPES = {
    "string": str,
    "number": (int, float),
    "integer": int,
    "boolean": bool,
    "array": list,
    "object": dict,
    "null": type(None),
}


def assert_matches(spec: dict, schema_name: str, value: dict) -> None:
    schema = spec["components"]["schemas"][schema_name]
    missing = set(schema["required"]) - set(value)
    assert not missing, f"{schema_name} lacks {missing}"
    for key, prop in schema["properties"].items():
        if key not in value:
            continue
        prop = resolve(spec, prop)
        allowed = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
        assert any(
            isinstance(value[key], TYPES[t]) and not (t in ("number", "integer") and isinstance(value[key], bool))
            for t in allowed
        ), f"{schema_name}.{key} = {value[key]!r} is not {allowed}"
    assert not set(value) - set(schema["properties"]), f"{schema_name} has undocumented {set(value) - set(schema['properties'])}"


def test_answers_follow_the_schemas(spec, reference_service):
    reference_service.traffic(post=100)
    for video in get(reference_service, "/api/v1/videos")["items"]:
        assert_matches(spec, "Video", video)
    comment = get(reference_service, "/api/v1/videos/v1/comments")["items"][0]
    assert_matches(spec, "Comment", comment)
    danmaku = get(reference_service, "/api/v1/videos/v1/danmaku")["items"][0]
    assert_matches(spec, "Danmaku", danmaku)
    result = post(reference_service, f"/api/v1/comments/{comment['id']}/hide", {"reason": "test"})
    assert_matches(spec, "ModerationResult", result)
    assert_matches(spec, "ItemRecord", get(reference_service, f"/admin/items/comment/{comment['id']}"))
