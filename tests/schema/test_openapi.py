"""The OpenAPI description at /api/v1/schema and the docs page at /api/v1/docs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema

from tests.live import ROOT

pytestmark = pytest.mark.django_db

# Every endpoint of SPEC §2–§8 (and the health check), with its methods.
EXPECTED_OPERATIONS = {
    "/api/v1/auth/csrf": {"get"},
    "/api/v1/auth/signup": {"post"},
    "/api/v1/auth/login": {"post"},
    "/api/v1/auth/logout": {"post"},
    "/api/v1/auth/session": {"get"},
    "/api/v1/config/models": {"get"},
    "/api/v1/video/generate": {"post"},
    "/api/v1/video/list": {"get"},
    "/api/v1/video/{uuid}": {"get", "delete"},
    "/api/v1/video/task": {"get"},
    "/api/v1/credit/history": {"get"},
    "/api/v1/video/callback/{provider}": {"post"},
    "/api/v1/admin/credits/adjust": {"post"},
    "/api/v1/admin/videos": {"get"},
    "/healthz": {"get"},
}
HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "trace"}


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/v1/schema", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def operation(schema: dict, path: str, method: str) -> dict:
    return schema["paths"][path][method]


def test_schema_lists_every_endpoint_with_its_methods(schema):
    operations = {path: set(item) & HTTP_METHODS for path, item in schema["paths"].items()}
    assert operations == EXPECTED_OPERATIONS


def test_schema_is_a_valid_openapi_document(schema):
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")


def test_schema_is_public_yaml_outside_the_envelope(client):
    response = client.get("/api/v1/schema")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert response.content.startswith(b"openapi: 3.")


def test_schema_is_not_rate_limited(auth_client, settings):
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_READ_USER = "1/m"

    statuses = [auth_client.get("/api/v1/schema").status_code for _ in range(4)]

    assert statuses == [200] * 4


def test_every_success_is_described_inside_the_success_envelope(schema):
    for path, item in schema["paths"].items():
        for method in set(item) & HTTP_METHODS:
            for code, response in item[method]["responses"].items():
                if not code.startswith("2"):
                    continue
                envelope = response["content"]["application/json"]["schema"]
                assert envelope["required"] == ["success", "data"], (path, method, code)
                assert envelope["properties"]["success"]["enum"] == [True], (path, method, code)


def test_every_error_is_described_as_the_error_envelope(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"success", "error", "code", "fields"}
    assert error["required"] == ["success", "error", "code"]
    for path, item in schema["paths"].items():
        for method in set(item) & HTTP_METHODS:
            for code, response in item[method]["responses"].items():
                if code.startswith("2"):
                    continue
                content = response["content"]["application/json"]["schema"]
                assert content == {"$ref": "#/components/schemas/Error"}, (path, method, code)


@pytest.mark.parametrize(
    ("path", "method", "codes"),
    [
        ("/api/v1/video/generate", "post", {"202", "400", "401", "402", "403", "409", "413", "415", "429"}),
        ("/api/v1/video/list", "get", {"200", "400", "401", "429"}),
        ("/api/v1/video/{uuid}", "get", {"200", "401", "404", "429"}),
        ("/api/v1/video/{uuid}", "delete", {"200", "401", "403", "404", "409", "429"}),
        ("/api/v1/video/task", "get", {"200", "400", "401", "404", "429"}),
        ("/api/v1/credit/history", "get", {"200", "400", "401", "429"}),
        ("/api/v1/auth/signup", "post", {"201", "400", "403", "413", "415", "429", "503"}),
        ("/api/v1/auth/login", "post", {"200", "400", "403", "413", "415", "429", "503"}),
        ("/api/v1/auth/session", "get", {"200", "401", "429"}),
        ("/api/v1/auth/logout", "post", {"200", "403", "429"}),
        ("/api/v1/config/models", "get", {"200"}),
        ("/api/v1/video/callback/{provider}", "post", {"200", "400", "401", "404", "413", "429"}),
        (
            "/api/v1/admin/credits/adjust",
            "post",
            {"200", "400", "401", "403", "404", "409", "413", "415", "429"},
        ),
        ("/api/v1/admin/videos", "get", {"200", "400", "401", "403", "429"}),
    ],
)
def test_each_operation_lists_the_statuses_it_can_answer(schema, path, method, codes):
    assert set(operation(schema, path, method)["responses"]) == codes


def test_throttled_answers_carry_retry_after(schema):
    response = operation(schema, "/api/v1/video/generate", "post")["responses"]["429"]
    assert response["headers"]["Retry-After"]["schema"] == {"type": "integer"}


def _data_schema(schema: dict, path: str, method: str, code: str = "200") -> dict:
    envelope = operation(schema, path, method)["responses"][code]["content"]["application/json"]["schema"]
    ref = envelope["properties"]["data"]["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/api/v1/video/list", "videos"),
        ("/api/v1/credit/history", "transactions"),
        ("/api/v1/admin/videos", "videos"),
    ],
)
def test_lists_are_described_as_pages(schema, path, key):
    page = _data_schema(schema, path, "get")
    assert set(page["properties"]) == {key, "page", "pageSize", "total", "totalPages"}
    assert page["properties"][key]["type"] == "array"
    names = {p["name"] for p in operation(schema, path, "get")["parameters"]}
    assert {"page", "pageSize"} <= names


def test_video_fields_are_camel_case_and_nullable_where_the_api_sends_null(schema):
    video = schema["components"]["schemas"]["VideoOutput"]["properties"]
    assert {"aspectRatio", "creditsUsed", "creditStatus", "startImageUrl", "completedAt"} <= set(video)
    for field in ("progress", "videoUrl", "thumbnailUrl", "errorMessage", "completedAt", "startImageUrl"):
        assert video[field].get("nullable") is True, field


@pytest.mark.parametrize(
    ("path", "method", "names"),
    [
        ("/api/v1/video/list", "get", {"page", "pageSize", "status", "model"}),
        ("/api/v1/video/task", "get", {"uuid", "taskId"}),
        ("/api/v1/credit/history", "get", {"page", "pageSize", "type"}),
        ("/api/v1/admin/videos", "get", {"page", "pageSize", "status", "model", "user"}),
        ("/api/v1/video/callback/{provider}", "post", {"provider", "video", "ts", "sig"}),
        ("/api/v1/video/generate", "post", {"Idempotency-Key"}),
    ],
)
def test_parameters_are_described(schema, path, method, names):
    assert {p["name"] for p in operation(schema, path, method)["parameters"]} == names


def test_signed_in_endpoints_name_the_session_cookie(schema):
    scheme = schema["components"]["securitySchemes"]["sessionCookie"]
    assert scheme == {**scheme, "type": "apiKey", "in": "cookie", "name": "sessionid"}
    assert operation(schema, "/api/v1/video/list", "get")["security"] == [{"sessionCookie": []}]
    assert operation(schema, "/api/v1/config/models", "get")["security"] == [{}]


def test_docs_page_loads_with_local_assets_only(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r"""<(?:script|link)\b[^>]*\b(?:src|href)=["']([^"']+)["']""", html)
    assert any(src.endswith("swagger-ui-bundle.js") for src in sources)
    for src in sources:
        assert not urlsplit(src).netloc and not src.startswith("//"), src
        assert src.startswith("/static/"), src
        assert finders.find(src.removeprefix("/static/")), f"{src} is not a local static file"
    assert "/api/v1/schema" in html


def test_spectacular_command_validates_without_warnings(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--file",
            str(tmp_path / "s.yaml"),
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr and "Error" not in result.stderr, result.stderr
