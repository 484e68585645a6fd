"""Emails on request (reset, verification) are limited per client address and per address."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import too_many_requests

pytestmark = pytest.mark.django_db


def test_reset_requests_are_limited_per_address(settings, mailbox):
    settings.RATELIMIT_ACCOUNT_EMAIL_ADDRESS = "2/h"
    answers = [
        APIClient(REMOTE_ADDR=f"10.0.0.{n}").post(
            "/api/v1/auth/password/reset", {"email": "Nobody@Example.com"}, format="json"
        )
        for n in range(3)
    ]

    assert [a.status_code for a in answers] == [200, 200, 429]
    refused = answers[2]
    assert refused.json() == {
        "success": False,
        "error": too_many_requests(refused["Retry-After"]),
        "code": "rate_limited",
    }
    assert len(mailbox.wait_for("nobody@example.com", count=2)) == 2


def test_reset_and_resend_share_a_limit_per_client_address(settings, mailbox):
    settings.RATELIMIT_ACCOUNT_EMAIL_IP = "2/h"
    client = APIClient()

    first = client.post("/api/v1/auth/password/reset", {"email": "a@example.com"}, format="json")
    second = client.post("/api/v1/auth/email/resend", {"email": "b@example.com"}, format="json")
    third = client.post("/api/v1/auth/password/reset", {"email": "c@example.com"}, format="json")

    assert [first.status_code, second.status_code, third.status_code] == [200, 200, 429]
    assert third.json()["code"] == "rate_limited"
