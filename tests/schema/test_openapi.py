"""The OpenAPI description at /api/v1/schema and the docs page at /api/v1/docs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from ipaddress import ip_address
from urllib.parse import urlencode, urlsplit

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.core import mail
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from accounts.verification import primary_address
from credits.billing.models import Order
from kensa import outbound
from kensa.api.schema import DEMO_PASSWORD, EXAMPLE_VIDEO_UUID, EXAMPLE_WEBHOOK_ENDPOINT_ID
from tests.factories import UserFactory, VideoFactory, give_credits
from tests.fakes.creem_server import creem_signature
from tests.fakes.stripe_server import stripe_signature
from tests.live import ROOT
from videos.callbacks import callback_signature
from videos.models import Video
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

# Every endpoint of docs/api.md (and the health check), with its methods.
EXPECTED_OPERATIONS = {
    "/api/v1/auth/csrf": {"get"},
    "/api/v1/auth/signup": {"post"},
    "/api/v1/auth/login": {"post"},
    "/api/v1/auth/logout": {"post"},
    "/api/v1/auth/session": {"get"},
    "/api/v1/auth/password/reset": {"post"},
    "/api/v1/auth/password/reset/confirm": {"post"},
    "/api/v1/auth/password/change": {"post"},
    "/api/v1/auth/email/verify": {"post"},
    "/api/v1/auth/email/resend": {"post"},
    "/api/v1/auth/providers": {"get"},
    "/api/v1/auth/sessions": {"get"},
    "/api/v1/auth/sessions/revoke-others": {"post"},
    "/api/v1/auth/account": {"delete"},
    "/api/v1/config/models": {"get"},
    "/api/v1/video/generate": {"post"},
    "/api/v1/video/list": {"get"},
    "/api/v1/video/{uuid}": {"get", "delete"},
    "/api/v1/video/task": {"get"},
    "/api/v1/credit/history": {"get"},
    "/api/v1/credit/products": {"get"},
    "/api/v1/credit/checkout": {"post"},
    "/api/v1/credit/orders": {"get"},
    "/api/v1/credit/subscription": {"get"},
    "/api/v1/credit/portal": {"post"},
    "/api/v1/billing/webhook/{provider}": {"post"},
    "/api/auth/creem/webhook": {"post"},
    "/api/v1/video/callback/{provider}": {"post"},
    "/api/v1/admin/credits/adjust": {"post"},
    "/api/v1/admin/videos": {"get"},
    "/api/v1/webhooks/endpoints": {"get", "post"},
    "/api/v1/webhooks/endpoints/{id}": {"get", "patch", "delete"},
    "/api/v1/webhooks/endpoints/{id}/rotate-secret": {"post"},
    "/api/v1/webhooks/endpoints/{id}/test": {"post"},
    "/api/v1/webhooks/endpoints/{id}/deliveries": {"get"},
    "/api/v1/webhooks/deliveries/{id}/retry": {"post"},
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
        # 202: with mandatory verification, nobody is signed in until the link is opened.
        ("/api/v1/auth/signup", "post", {"201", "202", "400", "403", "413", "415", "429", "503"}),
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
        ("/api/v1/credit/products", "get", {"200"}),
        (
            "/api/v1/credit/checkout",
            "post",
            {"201", "400", "401", "403", "409", "413", "415", "429", "502"},
        ),
        ("/api/v1/credit/orders", "get", {"200", "400", "401", "429"}),
        ("/api/v1/credit/subscription", "get", {"200", "401", "429"}),
        ("/api/v1/credit/portal", "post", {"200", "401", "403", "404", "429", "502"}),
        ("/api/v1/billing/webhook/{provider}", "post", {"200", "400", "401", "404", "413", "429"}),
        ("/api/auth/creem/webhook", "post", {"200", "400", "401", "413", "429"}),
        # Account flows: sending an email or checking a password or key is counted, and
        # refused (503) rather than uncounted when the cache is down.
        ("/api/v1/auth/password/reset", "post", {"200", "400", "403", "413", "415", "429", "503"}),
        (
            "/api/v1/auth/password/reset/confirm",
            "post",
            {"200", "400", "403", "413", "415", "429", "503"},
        ),
        (
            "/api/v1/auth/password/change",
            "post",
            {"200", "400", "401", "403", "413", "415", "429", "503"},
        ),
        ("/api/v1/auth/email/verify", "post", {"200", "400", "403", "413", "415", "429", "503"}),
        ("/api/v1/auth/email/resend", "post", {"200", "400", "403", "413", "415", "429", "503"}),
        ("/api/v1/auth/providers", "get", {"200"}),
        ("/api/v1/auth/sessions", "get", {"200", "401", "429"}),
        ("/api/v1/auth/sessions/revoke-others", "post", {"200", "401", "403", "429"}),
        ("/api/v1/auth/account", "delete", {"200", "400", "401", "403", "413", "415", "429", "503"}),
        # Webhook endpoints: deleting one answers 200 with a body, like every answer here.
        ("/api/v1/webhooks/endpoints", "get", {"200", "401", "429"}),
        ("/api/v1/webhooks/endpoints", "post", {"201", "400", "401", "403", "409", "413", "415", "429"}),
        ("/api/v1/webhooks/endpoints/{id}", "get", {"200", "401", "404", "429"}),
        (
            "/api/v1/webhooks/endpoints/{id}",
            "patch",
            {"200", "400", "401", "403", "404", "413", "415", "429"},
        ),
        ("/api/v1/webhooks/endpoints/{id}", "delete", {"200", "401", "403", "404", "429"}),
        ("/api/v1/webhooks/endpoints/{id}/rotate-secret", "post", {"200", "401", "403", "404", "429"}),
        ("/api/v1/webhooks/endpoints/{id}/test", "post", {"202", "401", "403", "404", "409", "429"}),
        ("/api/v1/webhooks/endpoints/{id}/deliveries", "get", {"200", "400", "401", "404", "429"}),
        ("/api/v1/webhooks/deliveries/{id}/retry", "post", {"202", "401", "403", "404", "409", "429"}),
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
        ("/api/v1/credit/orders", "orders"),
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
        ("/api/v1/credit/checkout", "post", {"Idempotency-Key"}),
        ("/api/v1/billing/webhook/{provider}", "post", {"provider"}),
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


# --- Examples: what Swagger UI's "Try it out" sends must be a request the API accepts. ---


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method in sorted(set(item) & HTTP_METHODS):
            yield path, method, item[method]


def _first_body_example(op: dict) -> dict:
    examples = op["requestBody"]["content"]["application/json"]["examples"]
    return next(iter(examples.values()))["value"]


def _example_request(path: str, op: dict) -> tuple[str, dict, dict]:
    """The URL, query and headers made of the operation's parameter examples."""
    query, headers = {}, {}
    for parameter in op.get("parameters", []):
        value = parameter["example"]
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", str(value))
        elif parameter["in"] == "query":
            query[parameter["name"]] = value
        elif parameter["in"] == "header":
            headers["HTTP_" + parameter["name"].upper().replace("-", "_")] = str(value)
    return path, query, headers


def _send(client, path: str, method: str, op: dict, body: dict | None = None, **query_overrides):
    url, query, headers = _example_request(path, op)
    query.update(query_overrides)
    if query:
        url = f"{url}?{urlencode(query)}"
    if body is None:
        return getattr(client, method)(url, **headers)
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json", **headers)


def test_every_request_body_has_an_example(schema):
    for path, method, op in _operations(schema):
        if "requestBody" in op:
            examples = op["requestBody"]["content"]["application/json"].get("examples")
            assert examples, (path, method)
            assert all(isinstance(e["value"], dict) and e["value"] for e in examples.values()), (path, method)


def test_every_parameter_has_an_example(schema):
    for path, method, op in _operations(schema):
        for parameter in op.get("parameters", []):
            assert "example" in parameter, (path, method, parameter["name"])


def test_parameter_examples_fit_their_schemas(schema):
    for path, method, op in _operations(schema):
        for parameter in op.get("parameters", []):
            declared, value = parameter["schema"], parameter["example"]
            if "enum" in declared:
                assert value in declared["enum"], (path, method, parameter["name"])
            if declared.get("type") == "integer":
                assert isinstance(value, int), (path, method, parameter["name"])
                assert declared.get("minimum", value) <= value <= declared.get("maximum", value)


@pytest.fixture
def example_owner(db):
    """The user the examples name (the quick start's demo user, with its password): staff
    with every permission, funded, owning a finished video and a webhook endpoint with the
    example ids."""
    owner = UserFactory(
        email="demo@kensa.local",
        username="demo@kensa.local",
        password=DEMO_PASSWORD,
        is_staff=True,
        is_superuser=True,
    )
    give_credits(owner, 100)
    VideoFactory(user=owner, uuid=EXAMPLE_VIDEO_UUID, model="sora-2", status="COMPLETED")
    WebhookEndpoint.objects.create(
        id=EXAMPLE_WEBHOOK_ENDPOINT_ID,
        user=owner,
        url="https://example.com/hooks/kensa",
        events=["video.completed", "video.failed"],
    )
    return owner


@pytest.fixture
def owner_client(example_owner):
    api_client = APIClient()
    api_client.force_login(example_owner)
    return api_client


def test_generate_default_example_starts_a_video(schema, funded_user, auth_client):
    op = operation(schema, "/api/v1/video/generate", "post")
    body = _first_body_example(op)

    response = _send(auth_client, "/api/v1/video/generate", "post", op, body)

    assert response.status_code == 202, response.content
    envelope = response.json()
    assert envelope["success"] is True
    assert envelope["data"]["status"] == "PENDING"
    assert {k: envelope["data"][k] for k in ("model", "duration", "aspectRatio", "quality")} == {
        "model": body["model"],
        "duration": body["duration"],
        "aspectRatio": body["aspectRatio"],
        "quality": body["quality"],
    }
    video = Video.objects.get(pk=envelope["data"]["uuid"])
    assert video.user == funded_user and video.prompt == body["prompt"]


def test_every_generate_example_starts_a_video(schema, funded_user, auth_client):
    op = operation(schema, "/api/v1/video/generate", "post")
    examples = op["requestBody"]["content"]["application/json"]["examples"]

    for name, example in examples.items():
        response = auth_client.post(
            "/api/v1/video/generate", data=json.dumps(example["value"]), content_type="application/json"
        )
        assert response.status_code == 202, (name, response.content)

    assert Video.objects.filter(user=funded_user).count() == len(examples)


def test_signup_example_creates_an_account(schema, client):
    op = operation(schema, "/api/v1/auth/signup", "post")
    body = _first_body_example(op)

    response = _send(client, "/api/v1/auth/signup", "post", op, body)

    assert response.status_code == 201, response.content
    assert response.json()["data"]["user"]["email"] == body["email"]


def test_login_example_signs_in_its_user(schema, client):
    op = operation(schema, "/api/v1/auth/login", "post")
    body = _first_body_example(op)
    UserFactory(email=body["email"], username=body["email"], password=body["password"])

    response = _send(client, "/api/v1/auth/login", "post", op, body)

    assert response.status_code == 200, response.content
    assert response.json()["data"]["user"]["email"] == body["email"]


def test_adjust_example_adds_credits_to_its_user(schema, example_owner, owner_client):
    op = operation(schema, "/api/v1/admin/credits/adjust", "post")
    body = _first_body_example(op)
    assert body["user"] == example_owner.email

    response = _send(owner_client, "/api/v1/admin/credits/adjust", "post", op, body)

    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["transaction"]["credits"] == body["credits"]
    assert data["balance"]["available"] == 100 + body["credits"]


def test_callback_example_body_is_read_when_its_url_is_signed(schema, client):
    op = operation(schema, "/api/v1/video/callback/{provider}", "post")
    url, query, _ = _example_request("/api/v1/video/callback/{provider}", op)
    provider = url.rsplit("/", 1)[1]
    now = int(time.time())
    signature = callback_signature(provider, query["video"], now)

    response = _send(
        client,
        "/api/v1/video/callback/{provider}",
        "post",
        op,
        _first_body_example(op),
        ts=now,
        sig=signature,
    )

    # A readable, authentic delivery for a video we do not know: received and ignored.
    assert response.status_code == 200, response.content
    assert response.json() == {"success": True, "data": {"received": True, "outcome": "ignored"}}


def test_unsigned_callback_example_is_refused_as_unsigned_not_as_invalid(schema, client):
    op = operation(schema, "/api/v1/video/callback/{provider}", "post")

    response = _send(client, "/api/v1/video/callback/{provider}", "post", op, _first_body_example(op))

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_signature"


def test_checkout_example_opens_an_order(schema, funded_user, auth_client, settings):
    settings.BILLING_PROVIDER = "demo"
    op = operation(schema, "/api/v1/credit/checkout", "post")

    response = _send(auth_client, "/api/v1/credit/checkout", "post", op, _first_body_example(op))

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert (data["provider"], Order.objects.get(order_no=data["orderNo"]).product.slug) == (
        "demo",
        _first_body_example(op)["productId"],
    )


def test_stripe_webhook_example_is_received_when_signed(schema, client, settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_schema_example"
    op = operation(schema, "/api/v1/billing/webhook/{provider}", "post")
    url, _, _ = _example_request("/api/v1/billing/webhook/{provider}", op)
    body = json.dumps(_first_body_example(op)).encode()
    signature = stripe_signature(body, settings.STRIPE_WEBHOOK_SECRET, int(time.time()))

    response = client.post(url, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)

    # Authentic and readable, about an order we do not have: received, nothing to do.
    assert response.status_code == 200, response.content
    assert response.json() == {
        "success": True,
        "data": {"received": True, "outcome": "ignored", "eventId": "evt_1QxKensaExample0001"},
    }


def test_creem_webhook_example_is_received_when_signed(schema, client, settings):
    settings.CREEM_WEBHOOK_SECRET = "whsec_schema_example"
    op = operation(schema, "/api/auth/creem/webhook", "post")
    body = json.dumps(_first_body_example(op)).encode()

    response = client.post(
        "/api/auth/creem/webhook",
        body,
        content_type="application/json",
        HTTP_CREEM_SIGNATURE=creem_signature(body, settings.CREEM_WEBHOOK_SECRET),
    )

    assert response.status_code == 200, response.content
    assert response.json() == {
        "success": True,
        "data": {"received": True, "outcome": "ignored", "eventId": "evt_5WHHcZPv7VS0YUsberIuOz"},
    }


def test_password_reset_example_emails_its_user_a_link(schema, example_owner, client):
    op = operation(schema, "/api/v1/auth/password/reset", "post")
    body = _first_body_example(op)
    assert body["email"] == example_owner.email
    mail.outbox.clear()

    response = _send(client, "/api/v1/auth/password/reset", "post", op, body)

    assert response.status_code == 200, response.content
    assert response.json() == {"success": True, "data": None}
    assert [m.to for m in mail.outbox] == [[example_owner.email]]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def _reset_key(user) -> str:
    """The key of the link a reset email carries (allauth's uidb36-token)."""
    return f"{user_pk_to_url_str(user)}-{default_token_generator.make_token(user)}"


def test_reset_confirm_example_sets_its_password_with_an_emailed_key(schema, example_owner, client):
    op = operation(schema, "/api/v1/auth/password/reset/confirm", "post")
    body = {**_first_body_example(op), "key": _reset_key(example_owner)}

    response = _send(client, "/api/v1/auth/password/reset/confirm", "post", op, body)

    assert response.status_code == 200, response.content
    assert response.json()["data"]["user"]["email"] == example_owner.email
    example_owner.refresh_from_db()
    assert example_owner.check_password(body["password"])


def test_reset_confirm_example_key_is_refused_as_a_key_not_as_invalid_input(schema, example_owner, client):
    op = operation(schema, "/api/v1/auth/password/reset/confirm", "post")

    response = _send(client, "/api/v1/auth/password/reset/confirm", "post", op, _first_body_example(op))

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_key"
    example_owner.refresh_from_db()
    assert example_owner.check_password(DEMO_PASSWORD)


def test_password_change_example_changes_the_demo_users_password(schema, example_owner, owner_client):
    op = operation(schema, "/api/v1/auth/password/change", "post")
    body = _first_body_example(op)

    response = _send(owner_client, "/api/v1/auth/password/change", "post", op, body)

    assert response.status_code == 200, response.content
    example_owner.refresh_from_db()
    assert example_owner.check_password(body["newPassword"])
    assert not example_owner.check_password(body["currentPassword"])


def test_email_verify_example_verifies_with_an_emailed_key(schema, example_owner, client):
    op = operation(schema, "/api/v1/auth/email/verify", "post")
    address = primary_address(example_owner)
    assert not address.verified
    body = {**_first_body_example(op), "key": EmailConfirmationHMAC(address).key}

    response = _send(client, "/api/v1/auth/email/verify", "post", op, body)

    assert response.status_code == 200, response.content
    assert response.json()["data"] == {"email": example_owner.email, "verified": True}
    address.refresh_from_db()
    assert address.verified


def test_email_verify_example_key_is_refused_as_a_key_not_as_invalid_input(schema, client):
    op = operation(schema, "/api/v1/auth/email/verify", "post")

    response = _send(client, "/api/v1/auth/email/verify", "post", op, _first_body_example(op))

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_key"


def test_email_resend_example_sends_a_new_link_to_an_unverified_account(schema, client):
    op = operation(schema, "/api/v1/auth/email/resend", "post")
    body = _first_body_example(op)
    UserFactory(email=body["email"], username=body["email"])
    mail.outbox.clear()

    response = _send(client, "/api/v1/auth/email/resend", "post", op, body)

    assert response.status_code == 200, response.content
    assert [m.to for m in mail.outbox] == [[body["email"]]]
    assert "/accounts/confirm-email/" in mail.outbox[0].body


def test_account_delete_example_deletes_the_demo_users_account(schema, example_owner, owner_client):
    op = operation(schema, "/api/v1/auth/account", "delete")
    body = _first_body_example(op)

    response = _send(owner_client, "/api/v1/auth/account", "delete", op, body)

    assert response.status_code == 200, response.content
    example_owner.refresh_from_db()
    assert (example_owner.email, example_owner.is_active) == ("", False)
    assert not get_user_model().objects.filter(username="demo@kensa.local").exists()
    assert not WebhookEndpoint.objects.filter(user=example_owner).exists()


def test_webhook_create_example_adds_an_endpoint(schema, example_owner, owner_client, monkeypatch):
    # The example's host resolves to a public address (no DNS in tests).
    monkeypatch.setattr(outbound, "resolve_host", lambda host, port: [ip_address("93.184.215.14")])
    op = operation(schema, "/api/v1/webhooks/endpoints", "post")
    body = _first_body_example(op)

    response = _send(owner_client, "/api/v1/webhooks/endpoints", "post", op, body)

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["secret"].startswith("whsec_")
    endpoint = WebhookEndpoint.objects.get(pk=data["id"], user=example_owner)
    assert (endpoint.url, endpoint.events, endpoint.description) == (
        body["url"],
        body["events"],
        body["description"],
    )


def test_webhook_update_example_changes_the_example_endpoint(schema, example_owner, owner_client):
    path = "/api/v1/webhooks/endpoints/{id}"
    op = operation(schema, path, "patch")
    body = _first_body_example(op)

    response = _send(owner_client, path, "patch", op, body)

    assert response.status_code == 200, response.content
    assert response.json()["data"]["id"] == EXAMPLE_WEBHOOK_ENDPOINT_ID
    assert WebhookEndpoint.objects.get(pk=EXAMPLE_WEBHOOK_ENDPOINT_ID).enabled is body["enabled"]


BODY_EXAMPLE_TESTS = {
    "video_generate": test_generate_default_example_starts_a_video,
    "auth_signup": test_signup_example_creates_an_account,
    "auth_login": test_login_example_signs_in_its_user,
    "admin_credits_adjust_post": test_adjust_example_adds_credits_to_its_user,
    "video_callback_post": test_callback_example_body_is_read_when_its_url_is_signed,
    "credit_checkout_post": test_checkout_example_opens_an_order,
    "billing_webhook_post": test_stripe_webhook_example_is_received_when_signed,
    "api_auth_creem_webhook_post": test_creem_webhook_example_is_received_when_signed,
    "auth_password_reset": test_password_reset_example_emails_its_user_a_link,
    "auth_password_reset_confirm": test_reset_confirm_example_sets_its_password_with_an_emailed_key,
    "auth_password_change": test_password_change_example_changes_the_demo_users_password,
    "auth_email_verify": test_email_verify_example_verifies_with_an_emailed_key,
    "auth_email_resend": test_email_resend_example_sends_a_new_link_to_an_unverified_account,
    "auth_account_delete_account": test_account_delete_example_deletes_the_demo_users_account,
    "webhooks_endpoints_create": test_webhook_create_example_adds_an_endpoint,
    "webhooks_endpoints_partial_update": test_webhook_update_example_changes_the_example_endpoint,
}


def test_every_body_example_is_tried_by_a_test(schema):
    with_body = {op["operationId"] for _, _, op in _operations(schema) if "requestBody" in op}
    assert with_body == set(BODY_EXAMPLE_TESTS)


def _parameter_operations():
    return [
        (path, method)
        for path, methods in sorted(EXPECTED_OPERATIONS.items())
        for method in sorted(methods)
        if path.startswith("/api/") and method in {"get", "delete"}
    ]


@pytest.mark.parametrize(("path", "method"), _parameter_operations())
def test_parameter_examples_are_answered_with_success(schema, owner_client, path, method):
    op = operation(schema, path, method)

    # A DELETE that reads a body (deleting the account) is sent its first example too.
    body = _first_body_example(op) if "requestBody" in op else None

    response = _send(owner_client, path, method, op, body)

    assert response.status_code == 200, (path, method, response.content)
    assert response.json()["success"] is True


@pytest.mark.parametrize("path", ["/api/v1/video/list", "/api/v1/admin/videos"])
def test_list_filter_examples_find_the_example_video(schema, owner_client, path):
    response = _send(owner_client, path, "get", operation(schema, path, "get"))

    assert [v["uuid"] for v in response.json()["data"]["videos"]] == [EXAMPLE_VIDEO_UUID]
