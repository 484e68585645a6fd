"""Inputs that must never cause a 500: every parameter of every /api/v1 endpoint answers
with a well-formed envelope (``success`` bool; ``error`` and ``code`` strings when false).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from tests.credits.conftest import allow_adjusting
from tests.factories import PASSWORD, give_credits
from tests.security.conftest import assert_envelope, assert_error
from tests.videos.conftest import GENERATE_BODY
from videos.callbacks import callback_signature
from webhooks.models import WebhookDelivery

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root", "high_limits")]

HOSTILE = {
    "emoji": "🎬🔥 👩‍👩‍👧‍👦 🏳️‍🌈",
    "rtl": "مرحبا \u202eevil\u202c שלום",
    "combining": "Z̷̢͈a̸l̶g̵o" + "e\u0301" * 20,
    "nul": "a\x00b",
    "only_nul": "\x00",
    "lone_surrogate": "x\ud800y",
    "sql_or": "' OR 1=1 --",
    "sql_drop": '"; DROP TABLE videos_video; --',
    "traversal": "../../etc/passwd",
    "encoded_traversal": "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "huge_number": str(10**30),
    "very_long_number": "9" * 5000,
    "unicode_digit": "²",
    "empty": "",
}
# Values that are not strings, in place of every body field.
WRONG_TYPES = {
    "null": None,
    "true": True,
    "list": ["a"],
    "object": {"a": 1},
    "huge_int": 10**30,
    "negative": -1,
    "float": 1.5,
    "huge_float": 1e308,
}

Probe = Callable[[SimpleNamespace, object], Iterator[tuple[str, object]]]


@pytest.fixture
def high_limits(settings):
    """The limits stay on (the rules are exercised) but high enough not to answer 429 here."""
    for name in ("GENERATE_USER", "GENERATE_IP", "READ_USER", "AUTH_IP", "LOGIN_EMAIL", "CALLBACK_IP"):
        setattr(settings, f"RATELIMIT_{name}", "10000/m")


@pytest.fixture
def clients(user, staff_user, other_user):
    give_credits(user, 1000)

    def signed_in(who=user) -> APIClient:
        client = APIClient()
        client.force_login(who)
        return client

    return SimpleNamespace(
        anon=APIClient, user=signed_in(), staff=signed_in(allow_adjusting(staff_user)), signed_in=signed_in
    )


def _q(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _json(value: dict) -> str:
    return json.dumps(value)  # ensure_ascii: NUL and lone surrogates travel as \u escapes


def _query(client, path: str, params: list[str], value) -> Iterator[tuple[str, object]]:
    for name in params:
        yield f"GET {path}?{name}=", client.get(f"{path}?{name}={_q(value)}")


def _body(make_client, method: str, path: str, base: dict, value) -> Iterator[tuple[str, object]]:
    for name in base:
        client = make_client()
        response = getattr(client, method)(
            path, _json({**base, name: value}), content_type="application/json"
        )
        yield f"{method.upper()} {path} body.{name}", response


def _auth_csrf(c, value):
    yield from _query(c.anon(), "/api/v1/auth/csrf", ["x"], value)


def _auth_session(c, value):
    yield from _query(c.user, "/api/v1/auth/session", ["x"], value)


def _auth_signup(c, value):
    base = {"email": f"new-{uuid.uuid4().hex[:8]}@example.com", "password": PASSWORD, "name": "New"}
    yield from _body(c.anon, "post", "/api/v1/auth/signup", base, value)


def _auth_login(c, value):
    yield from _body(
        c.anon, "post", "/api/v1/auth/login", {"email": "alice@example.com", "password": PASSWORD}, value
    )


def _auth_logout(c, value):
    yield from _body(c.signed_in, "post", "/api/v1/auth/logout", {"x": "y"}, value)


def _config_models(c, value):
    yield from _query(c.anon(), "/api/v1/config/models", ["x"], value)


def _video_generate(c, value):
    base = {**GENERATE_BODY, "quality": "720p", "startImageUrl": ""}
    yield from _body(lambda: c.user, "post", "/api/v1/video/generate", base, value)


def _video_list(c, value):
    yield from _query(c.user, "/api/v1/video/list", ["page", "pageSize", "status", "model"], value)


def _video_detail(c, value):
    path = f"/api/v1/video/{_q(value)}"
    yield f"GET {path}", c.user.get(path)
    yield f"DELETE {path}", c.user.delete(path)


def _video_task(c, value):
    yield from _query(c.user, "/api/v1/video/task", ["uuid", "taskId"], value)


def _credit_history(c, value):
    yield from _query(c.user, "/api/v1/credit/history", ["page", "pageSize", "type"], value)


def _admin_adjust(c, value):
    base = {"user": "bob@example.com", "credits": 5, "remark": "goodwill", "expiresInDays": 30}
    yield from _body(lambda: c.staff, "post", "/api/v1/admin/credits/adjust", base, value)


def _admin_videos(c, value):
    yield from _query(c.staff, "/api/v1/admin/videos", ["page", "pageSize", "user", "status", "model"], value)


def _callback(provider: str) -> Probe:
    def probe(c, value):
        client = c.anon()
        path = f"/api/v1/video/callback/{provider}"
        video, ts = str(uuid.uuid4()), str(int(time.time()))
        signed = {"video": video, "ts": ts, "sig": callback_signature(provider, video, int(ts))}
        for name in signed:
            query = "&".join(f"{k}={_q(value if k == name else v)}" for k, v in signed.items())
            yield (
                f"POST {path}?{name}=",
                client.post(f"{path}?{query}", b"{}", content_type="application/json"),
            )
        signed_query = "&".join(f"{k}={v}" for k, v in signed.items())
        raw = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else _json(value).encode()
        bodies = {
            "raw body": raw,
            "JSON body": _json(
                {"id": value, "taskId": value, "status": value, "data": {"taskId": value}}
            ).encode(),
        }
        for label, body in bodies.items():
            yield (
                f"POST {path} {label}",
                client.post(f"{path}?video=x&ts=1&sig=x", body, content_type="application/json"),
            )
            yield (
                f"POST {path} signed, {label}",
                client.post(f"{path}?{signed_query}", body, content_type="application/json"),
            )
        yield (
            f"POST callback/{{{value!r}}}",
            client.post(f"/api/v1/video/callback/{_q(value)}", b"{}", content_type="application/json"),
        )

    return probe


ENDPOINTS: dict[str, Probe] = {
    "auth/csrf": _auth_csrf,
    "auth/session": _auth_session,
    "auth/signup": _auth_signup,
    "auth/login": _auth_login,
    "auth/logout": _auth_logout,
    "config/models": _config_models,
    "video/generate": _video_generate,
    "video/list": _video_list,
    "video/{uuid}": _video_detail,
    "video/task": _video_task,
    "credit/history": _credit_history,
    "admin/credits/adjust": _admin_adjust,
    "admin/videos": _admin_videos,
    "video/callback/evolink": _callback("evolink"),
    "video/callback/kie": _callback("kie"),
}
BODY_ENDPOINTS = {
    k: ENDPOINTS[k] for k in ("auth/signup", "auth/login", "video/generate", "admin/credits/adjust")
}


def _faults(probe: Probe, clients, value) -> list[str]:
    faults = []
    requests = probe(clients, value)
    while True:
        # A savepoint per request: a database error in one must not break the next ones.
        with transaction.atomic():
            try:
                label, response = next(requests)
            except StopIteration:
                break
        try:
            assert_envelope(response)
        except AssertionError as error:
            faults.append(f"{label} -> {str(error).splitlines()[0][:160]}")
    return faults


def assert_no_faults(faults: list[str]) -> None:
    assert not faults, "\n".join(["server faults:", *faults])


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("probe", ENDPOINTS.values(), ids=ENDPOINTS.keys())
def test_hostile_string_in_every_parameter_never_causes_a_server_error(clients, probe, value):
    assert_no_faults(_faults(probe, clients, value))


@pytest.mark.parametrize("value", WRONG_TYPES.values(), ids=WRONG_TYPES.keys())
@pytest.mark.parametrize("probe", BODY_ENDPOINTS.values(), ids=BODY_ENDPOINTS.keys())
def test_wrong_json_type_in_every_body_field_never_causes_a_server_error(clients, probe, value):
    assert_no_faults(_faults(probe, clients, value))


# --- oversized, deeply nested and non-object bodies --------------------------------------

JSON_POSTS = {
    "auth/signup": ("anon", "/api/v1/auth/signup"),
    "auth/login": ("anon", "/api/v1/auth/login"),
    "video/generate": ("user", "/api/v1/video/generate"),
    "admin/credits/adjust": ("staff", "/api/v1/admin/credits/adjust"),
}
UNSAFE = {
    **JSON_POSTS,
    "auth/logout": ("user", "/api/v1/auth/logout"),
    "video/callback/evolink": ("anon", "/api/v1/video/callback/evolink?video=x&ts=1&sig=x"),
    "video/callback/kie": ("anon", "/api/v1/video/callback/kie?video=x&ts=1&sig=x"),
}


def _client(clients, who: str) -> APIClient:
    return clients.anon() if who == "anon" else getattr(clients, who)


@pytest.mark.parametrize(("who", "path"), UNSAFE.values(), ids=UNSAFE.keys())
def test_oversized_body_answers_413(settings, clients, who, path):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps({"prompt": "x" * 2048, "email": "a@example.com", "password": "y"})

    response = _client(clients, who).post(path, body, content_type="application/json")

    assert_error(response, 413, "payload_too_large")
    assert not WebhookDelivery.objects.exists()


NESTED = {"list": "[" * 100_000 + "]" * 100_000, "object": '{"a":' * 100_000 + "1" + "}" * 100_000}


@pytest.mark.parametrize("body", NESTED.values(), ids=NESTED.keys())
@pytest.mark.parametrize(("who", "path"), JSON_POSTS.values(), ids=JSON_POSTS.keys())
def test_deeply_nested_json_answers_400(clients, who, path, body):
    response = _client(clients, who).post(path, body, content_type="application/json")

    assert_error(response, 400, "malformed_json")


def _signed_callback_path(provider: str) -> str:
    video, ts = str(uuid.uuid4()), int(time.time())
    signature = callback_signature(provider, video, ts)
    return f"/api/v1/video/callback/{provider}?video={video}&ts={ts}&sig={signature}"


@pytest.mark.parametrize("body", NESTED.values(), ids=NESTED.keys())
@pytest.mark.parametrize("provider", ["evolink", "kie"])
def test_deeply_nested_signed_callback_answers_400(client, provider, body):
    response = client.post(_signed_callback_path(provider), body, content_type="application/json")

    assert_error(response, 400, "malformed_callback")


@pytest.mark.parametrize("body", NESTED.values(), ids=NESTED.keys())
def test_deeply_nested_unsigned_kie_callback_with_webhook_key_answers_401(settings, client, body):
    settings.KIE_WEBHOOK_HMAC_KEY = "kie-webhook-key"

    response = client.post(
        "/api/v1/video/callback/kie?video=x&ts=1&sig=x",
        body,
        content_type="application/json",
        headers={"X-Webhook-Timestamp": "1", "X-Webhook-Signature": "x"},
    )

    assert_error(response, 401, "invalid_signature")


NON_OBJECTS = {"list": "[]", "string": '"x"', "number": "1", "null": "null", "true": "true"}


@pytest.mark.parametrize("body", NON_OBJECTS.values(), ids=NON_OBJECTS.keys())
@pytest.mark.parametrize(("who", "path"), JSON_POSTS.values(), ids=JSON_POSTS.keys())
def test_non_object_json_answers_400(clients, who, path, body):
    response = _client(clients, who).post(path, body, content_type="application/json")

    assert response.status_code == 400, response.content
    assert assert_envelope(response)["success"] is False


@pytest.mark.parametrize("body", NON_OBJECTS.values(), ids=NON_OBJECTS.keys())
@pytest.mark.parametrize("provider", ["evolink", "kie"])
def test_non_object_json_signed_callback_answers_400(client, provider, body):
    response = client.post(_signed_callback_path(provider), body, content_type="application/json")

    assert_error(response, 400, "malformed_callback")


# --- huge page numbers ------------------------------------------------------------------

LISTS = {
    "video/list": ("user", "/api/v1/video/list", "videos"),
    "credit/history": ("user", "/api/v1/credit/history", "transactions"),
    "admin/videos": ("staff", "/api/v1/admin/videos", "videos"),
}


@pytest.mark.parametrize(("who", "path", "key"), LISTS.values(), ids=LISTS.keys())
def test_a_huge_page_number_is_an_empty_page(clients, who, path, key):
    response = getattr(clients, who).get(path, {"page": 10**30})

    assert response.status_code == 200
    data = response.json()["data"]
    assert (data[key], data["page"]) == ([], 10**30)


@pytest.mark.parametrize("size", [10**30, 101, 0, -1, "1e3"])
@pytest.mark.parametrize(("who", "path", "key"), LISTS.values(), ids=LISTS.keys())
def test_an_out_of_range_page_size_answers_400(clients, who, path, key, size):
    response = getattr(clients, who).get(path, {"pageSize": size})

    body = assert_error(response, 400, "invalid_input")
    assert "pageSize" in body["fields"]
