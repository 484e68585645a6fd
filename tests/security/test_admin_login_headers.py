"""The admin login's 429 carries the X-RateLimit-* headers, as the API's 429s do."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_refused_admin_login_reports_the_spent_allowance(settings, staff_user):
    settings.RATELIMIT_LOGIN_EMAIL = "1/h"
    browser = Client(REMOTE_ADDR="203.0.113.7")
    browser.post("/admin/login/", {"username": staff_user.username, "password": "wrong"})

    response = browser.post("/admin/login/", {"username": staff_user.username, "password": "wrong"})

    assert response.status_code == 429
    assert (response["X-RateLimit-Limit"], response["X-RateLimit-Remaining"]) == ("1", "0")
