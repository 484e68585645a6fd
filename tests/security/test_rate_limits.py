"""Rate limits (docs/api.md: Rate limits): per user, per IP and per email, on the shared Redis cache.

Over a limit → 429 envelope with ``Retry-After`` (seconds until the window ends);
limited endpoints report ``X-RateLimit-Limit`` / ``X-RateLimit-Remaining``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django_ratelimit.core import _get_window
from freezegun import freeze_time

from credits.selectors import balance_of
from tests.credits.conftest import allow_adjusting
from tests.factories import PASSWORD, too_many_requests
from tests.security.conftest import assert_error
from tests.videos.conftest import GENERATE_BODY
from videos.models import Video
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db

User = get_user_model()
ROOT = Path(__file__).resolve().parents[2]

RATE_SETTINGS = {
    "RATELIMIT_GENERATE_USER": "5/m",
    "RATELIMIT_GENERATE_IP": "20/m",
    "RATELIMIT_READ_USER": "120/m",
    "RATELIMIT_AUTH_IP": "10/m",
    "RATELIMIT_LOGIN_EMAIL": "5/m",
    "RATELIMIT_CALLBACK_IP": "600/m",
}
PRINT_RATES = (
    "import json, django; django.setup(); from django.conf import settings; "
    f"print(json.dumps({{n: getattr(settings, n) for n in {[*RATE_SETTINGS, 'RATELIMIT_ENABLE']!r}}}))"
)


def _settings_in_subprocess(**env_values: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RATELIMIT_")}
    env.update(DJANGO_SETTINGS_MODULE="tests.settings", **env_values)
    result = subprocess.run(
        [sys.executable, "-c", PRINT_RATES], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def assert_rate_limited(response) -> int:
    body = assert_error(response, 429, "rate_limited")
    retry_after = response["Retry-After"]
    assert retry_after.isdigit(), retry_after
    assert 1 <= int(retry_after) <= 3600  # the tests use /h windows: crossing one mid-test is unlikely
    unit = "second" if retry_after == "1" else "seconds"
    assert body == {
        "success": False,
        "error": f"Too many requests; try again in {retry_after} {unit}.",
        "code": "rate_limited",
    }
    assert response["X-RateLimit-Remaining"] == "0"
    return int(retry_after)


def limit_headers(response) -> tuple[str, str]:
    return response["X-RateLimit-Limit"], response["X-RateLimit-Remaining"]


def generate(client, **extra):
    return client.post("/api/v1/video/generate", GENERATE_BODY, format="json", **extra)


WRONG_PASSWORD = "wrong-password"


def login(client, email, password=WRONG_PASSWORD, **extra):
    return client.post("/api/v1/auth/login", {"email": email, "password": password}, format="json", **extra)


def signup(client, email, **extra):
    return client.post("/api/v1/auth/signup", {"email": email, "password": PASSWORD}, format="json", **extra)


def callback(client, provider="evolink", **extra):
    return client.post(
        f"/api/v1/video/callback/{provider}?video=x&ts=1&sig=bad",
        b"{}",
        content_type="application/json",
        **extra,
    )


# --- configuration ---------------------------------------------------------------------


def test_rate_defaults_are_the_spec_table(db):
    assert _settings_in_subprocess() == {**RATE_SETTINGS, "RATELIMIT_ENABLE": True}


def test_every_rate_is_read_from_the_environment(db):
    overrides = {name: f"{i + 7}/h" for i, name in enumerate(RATE_SETTINGS)}

    values = _settings_in_subprocess(**overrides, RATELIMIT_ENABLE="false")

    assert values == {**overrides, "RATELIMIT_ENABLE": False}


def test_generate_user_rate_is_read_from_the_environment(db):
    assert _settings_in_subprocess(RATELIMIT_GENERATE_USER="7/m")["RATELIMIT_GENERATE_USER"] == "7/m"


def test_rate_limits_count_in_the_shared_redis_cache(settings):
    assert caches["default"].__class__.__name__ == "RedisCache"
    assert getattr(settings, "RATELIMIT_USE_CACHE", "default") == "default"


# --- generate, per user -----------------------------------------------------------------


def test_generate_reports_the_remaining_allowance(settings, auth_client, funded_user):
    settings.RATELIMIT_GENERATE_USER = "3/h"

    responses = [generate(auth_client) for _ in range(3)]

    assert [r.status_code for r in responses] == [202, 202, 202]
    assert [limit_headers(r) for r in responses] == [("3", "2"), ("3", "1"), ("3", "0")]


def test_generate_over_the_per_user_limit_answers_429_and_holds_nothing(settings, auth_client, funded_user):
    settings.RATELIMIT_GENERATE_USER = "2/h"
    assert [generate(auth_client).status_code for _ in range(2)] == [202, 202]
    frozen_before = balance_of(funded_user).frozen

    response = generate(auth_client)

    assert_rate_limited(response)
    assert Video.objects.filter(user=funded_user).count() == 2
    assert balance_of(funded_user).frozen == frozen_before


def test_generate_per_user_limit_does_not_touch_other_users(
    settings, auth_client, other_client, funded_user, funded_other_user
):
    settings.RATELIMIT_GENERATE_USER = "2/h"
    for _ in range(2):
        generate(auth_client)
    assert_rate_limited(generate(auth_client))

    # Same address (the test client's 127.0.0.1), other user: the per-user counter is theirs.
    assert generate(other_client).status_code == 202


# --- generate, per IP -------------------------------------------------------------------


def test_generate_per_ip_limit_counts_every_user_at_one_address(
    settings, auth_client, other_client, funded_user, funded_other_user
):
    settings.RATELIMIT_GENERATE_IP = "2/h"
    assert generate(auth_client, REMOTE_ADDR="203.0.113.9").status_code == 202
    assert generate(other_client, REMOTE_ADDR="203.0.113.9").status_code == 202

    response = generate(other_client, REMOTE_ADDR="203.0.113.9")

    assert_rate_limited(response)
    assert Video.objects.filter(user=funded_other_user).count() == 1


def test_generate_per_ip_limit_does_not_touch_other_addresses(
    settings, auth_client, other_client, funded_user, funded_other_user
):
    settings.RATELIMIT_GENERATE_IP = "2/h"
    for client in (auth_client, other_client):
        generate(client, REMOTE_ADDR="203.0.113.9")
    assert_rate_limited(generate(auth_client, REMOTE_ADDR="203.0.113.9"))

    assert generate(auth_client, REMOTE_ADDR="203.0.113.10").status_code == 202


# --- reads, per user --------------------------------------------------------------------

READ_ENDPOINTS = [
    ("get", "/api/v1/auth/session"),
    ("get", "/api/v1/video/list"),
    ("get", "/api/v1/video/00000000-0000-4000-8000-000000000000"),
    ("delete", "/api/v1/video/00000000-0000-4000-8000-000000000000"),
    ("get", "/api/v1/video/task?uuid=00000000-0000-4000-8000-000000000000"),
    ("get", "/api/v1/credit/history"),
]
STAFF_READ_ENDPOINTS = [("get", "/api/v1/admin/videos"), ("post", "/api/v1/admin/credits/adjust")]


@pytest.mark.parametrize(("method", "url"), READ_ENDPOINTS, ids=[f"{m} {u[8:40]}" for m, u in READ_ENDPOINTS])
def test_signed_in_endpoint_reports_the_read_allowance(settings, auth_client, method, url):
    settings.RATELIMIT_READ_USER = "5/h"

    first = getattr(auth_client, method)(url)
    second = getattr(auth_client, method)(url)

    assert limit_headers(first) == ("5", "4")
    assert limit_headers(second) == ("5", "3")


@pytest.mark.parametrize(("method", "url"), STAFF_READ_ENDPOINTS, ids=["admin videos", "admin adjust"])
def test_staff_endpoint_reports_the_read_allowance(settings, staff_user, staff_client, method, url):
    settings.RATELIMIT_READ_USER = "5/h"
    allow_adjusting(staff_user)

    first, second = (getattr(staff_client, method)(url, format="json") for _ in range(2))

    assert limit_headers(first) == ("5", "4")
    assert limit_headers(second) == ("5", "3")


def test_reads_over_the_per_user_limit_answer_429(settings, auth_client):
    settings.RATELIMIT_READ_USER = "2/h"
    assert [auth_client.get("/api/v1/video/list").status_code for _ in range(2)] == [200, 200]

    assert_rate_limited(auth_client.get("/api/v1/video/list"))
    # One allowance for all of a user's reads, not one per endpoint.
    assert_rate_limited(auth_client.get("/api/v1/credit/history"))


def test_read_limit_is_per_user_not_per_address(settings, auth_client, other_client):
    settings.RATELIMIT_READ_USER = "2/h"
    for _ in range(2):
        auth_client.get("/api/v1/video/list")
    assert_rate_limited(auth_client.get("/api/v1/video/list"))

    assert other_client.get("/api/v1/video/list").status_code == 200


# --- sign-up and login, per IP ----------------------------------------------------------


def test_auth_reports_the_remaining_allowance(settings, client):
    settings.RATELIMIT_AUTH_IP = "3/h"

    responses = [login(client, f"nobody{i}@example.com") for i in range(3)]

    assert [r.status_code for r in responses] == [400, 400, 400]
    assert [r["X-RateLimit-Remaining"] for r in responses] == ["2", "1", "0"]
    assert {r["X-RateLimit-Limit"] for r in responses} == {"3"}


def test_signup_and_login_share_the_per_ip_limit(settings, client):
    settings.RATELIMIT_AUTH_IP = "2/h"
    assert signup(client, "first@example.com").status_code == 201
    assert login(client, "nobody@example.com").status_code == 400

    response = signup(client, "second@example.com")

    assert_rate_limited(response)
    assert not User.objects.filter(email="second@example.com").exists()


def test_login_over_the_per_ip_limit_is_refused_even_with_the_right_password(settings, client, user):
    settings.RATELIMIT_AUTH_IP = "2/h"
    for i in range(2):
        login(client, f"nobody{i}@example.com")

    response = login(client, "alice@example.com", PASSWORD)

    assert_rate_limited(response)
    assert client.get("/api/v1/auth/session").status_code == 401


def test_auth_per_ip_limit_does_not_touch_other_addresses(settings, client):
    settings.RATELIMIT_AUTH_IP = "2/h"
    for i in range(2):
        login(client, f"nobody{i}@example.com", REMOTE_ADDR="198.51.100.1")
    assert_rate_limited(login(client, "nobody@example.com", REMOTE_ADDR="198.51.100.1"))

    assert login(client, "nobody@example.com", REMOTE_ADDR="198.51.100.2").status_code == 400


# --- login, per email -------------------------------------------------------------------


def test_login_per_email_limit_holds_across_addresses(settings, client, user):
    settings.RATELIMIT_LOGIN_EMAIL = "2/h"
    for i in range(2):
        assert login(client, "alice@example.com", REMOTE_ADDR=f"198.51.100.{i + 1}").status_code == 400

    response = login(client, "alice@example.com", PASSWORD, REMOTE_ADDR="198.51.100.3")

    assert_rate_limited(response)
    assert client.get("/api/v1/auth/session").status_code == 401


def test_login_per_email_limit_ignores_case_and_spaces(settings, client, user):
    settings.RATELIMIT_LOGIN_EMAIL = "2/h"
    login(client, "alice@example.com", REMOTE_ADDR="198.51.100.1")
    login(client, " ALICE@Example.com ", REMOTE_ADDR="198.51.100.2")

    assert_rate_limited(login(client, "Alice@example.COM", REMOTE_ADDR="198.51.100.3"))


def test_login_per_email_limit_does_not_touch_other_emails(settings, client, user, other_user):
    settings.RATELIMIT_LOGIN_EMAIL = "2/h"
    for i in range(2):
        login(client, "alice@example.com", REMOTE_ADDR=f"198.51.100.{i + 1}")
    assert_rate_limited(login(client, "alice@example.com", REMOTE_ADDR="198.51.100.3"))

    assert login(client, "bob@example.com", PASSWORD, REMOTE_ADDR="198.51.100.4").status_code == 200


# --- provider callbacks, per IP ---------------------------------------------------------


def test_callbacks_over_the_per_ip_limit_answer_429_and_store_nothing(settings, client):
    settings.RATELIMIT_CALLBACK_IP = "2/h"
    assert [callback(client).status_code for _ in range(2)] == [401, 401]
    assert WebhookDelivery.objects.count() == 2

    response = callback(client, provider="kie")

    assert_rate_limited(response)
    assert WebhookDelivery.objects.count() == 2


def test_callbacks_report_the_remaining_allowance(settings, client):
    settings.RATELIMIT_CALLBACK_IP = "3/h"

    responses = [callback(client) for _ in range(2)]

    assert [limit_headers(r) for r in responses] == [("3", "2"), ("3", "1")]


def test_callback_per_ip_limit_does_not_touch_other_addresses(settings, client):
    settings.RATELIMIT_CALLBACK_IP = "2/h"
    for _ in range(2):
        callback(client, REMOTE_ADDR="192.0.2.1")
    assert_rate_limited(callback(client, REMOTE_ADDR="192.0.2.1"))

    assert callback(client, REMOTE_ADDR="192.0.2.2").status_code == 401


# --- the switch -------------------------------------------------------------------------


def test_ratelimit_enable_false_turns_every_limit_off(settings, client):
    settings.RATELIMIT_AUTH_IP = "1/m"
    settings.RATELIMIT_ENABLE = False

    statuses = [login(client, f"nobody{i}@example.com").status_code for i in range(3)]

    assert statuses == [400, 400, 400]


def test_retry_after_counts_the_seconds_left_in_a_minute_window(settings, client):
    settings.RATELIMIT_AUTH_IP = "1/m"
    login(client, "nobody@example.com")

    response = login(client, "nobody@example.com")

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60


# --- the 429 itself, and replays ------------------------------------------------------------


def test_a_429_carries_the_rate_limit_headers(settings, auth_client, funded_user):
    settings.RATELIMIT_GENERATE_USER = "2/h"
    generate(auth_client)
    generate(auth_client)

    response = generate(auth_client)

    assert response.status_code == 429
    assert limit_headers(response) == ("2", "0")
    assert response.json() == {
        "success": False,
        "error": too_many_requests(response["Retry-After"]),
        "code": "rate_limited",
    }


def test_a_429_one_second_before_the_window_ends_says_1_second(settings, client):
    settings.RATELIMIT_AUTH_IP = "1/h"
    # The second before the client address's hourly window ends.
    with freeze_time(datetime.fromtimestamp(_get_window("127.0.0.1", 3600) - 1, UTC)):
        login(client, "nobody@example.com")

        response = login(client, "nobody@example.com")

    assert response.status_code == 429
    assert response["Retry-After"] == "1"
    assert limit_headers(response) == ("1", "0")
    assert response.json() == {
        "success": False,
        "error": "Too many requests; try again in 1 second.",
        "code": "rate_limited",
    }


def test_a_replay_of_a_stored_answer_is_served_when_the_generate_limit_is_spent(
    settings, auth_client, funded_user
):
    settings.RATELIMIT_GENERATE_USER = "1/h"
    first = generate(auth_client, HTTP_IDEMPOTENCY_KEY="key-1")

    replay = generate(auth_client, HTTP_IDEMPOTENCY_KEY="key-1")

    assert first.status_code == replay.status_code == 202
    assert replay.json() == first.json()
    assert limit_headers(replay) == ("1", "0")
    assert Video.objects.filter(user=funded_user).count() == 1
    assert balance_of(funded_user).frozen == 2


def test_a_replay_is_not_counted_against_the_generate_limit(settings, auth_client, funded_user):
    settings.RATELIMIT_GENERATE_USER = "2/h"
    generate(auth_client, HTTP_IDEMPOTENCY_KEY="key-1")
    replay = generate(auth_client, HTTP_IDEMPOTENCY_KEY="key-1")

    fresh = generate(auth_client, HTTP_IDEMPOTENCY_KEY="key-2")

    assert limit_headers(replay) == ("2", "1")
    assert fresh.status_code == 202
    assert limit_headers(fresh) == ("2", "0")
    assert Video.objects.filter(user=funded_user).count() == 2


def test_a_reused_key_with_another_body_is_counted_when_the_generate_limit_is_spent(
    settings, auth_client, funded_user
):
    settings.RATELIMIT_GENERATE_USER = "1/h"
    generate(auth_client, HTTP_IDEMPOTENCY_KEY="key-1")

    response = auth_client.post(
        "/api/v1/video/generate",
        {**GENERATE_BODY, "duration": 15},
        format="json",
        HTTP_IDEMPOTENCY_KEY="key-1",
    )

    assert_rate_limited(response)
    assert Video.objects.filter(user=funded_user).count() == 1
