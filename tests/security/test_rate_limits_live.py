"""Limits hold across server processes: two gunicorn servers share one Redis counter."""

from __future__ import annotations

import pytest
import requests

from tests.live import process_env, web_server

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_auth_limit_holds_across_two_server_processes(tmp_path):
    env = process_env(RATELIMIT_AUTH_IP="4/h", RATELIMIT_LOGIN_EMAIL="100/m")
    with web_server(env, tmp_path) as first, web_server(env, tmp_path) as second:
        statuses: dict[str, list[int]] = {first: [], second: []}
        for attempt in range(10):
            base = (first, second)[attempt % 2]
            # A fresh connection each time (requests.post opens its own session).
            response = requests.post(
                f"{base}/api/v1/auth/login",
                json={"email": f"nobody{attempt}@example.com", "password": "wrong-password"},
                headers={"Connection": "close"},
                timeout=10,
            )
            statuses[base].append(response.status_code)

    assert all(statuses.values()), "both servers must have answered"
    every = statuses[first] + statuses[second]
    assert set(every) <= {400, 429}, statuses
    # Per process, each would let 4 through (8 in all); one shared counter lets 4 through.
    assert sum(status != 429 for status in every) == 4, statuses
    # Both processes refused some: each saw the other's attempts.
    assert 429 in statuses[first] and 429 in statuses[second], statuses
