"""Reset, sign-up and login answer alike for an address with an account and one without:
same status, same body, same time within a tolerance.

Passwords are hashed with a real (if lighter) PBKDF2 here: with the suite's MD5 hasher a
path that skipped hashing would cost nothing and the timing check could not fail.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from rest_framework.test import APIClient

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ROUNDS = 12


class MeasurableHasher(PBKDF2PasswordHasher):
    """About 50-100 ms a hash on the test machine: enough to see a skipped one."""

    algorithm = "pbkdf2_sha256_measurable"
    iterations = 150_000


@pytest.fixture
def costly_passwords(settings, user):
    settings.PASSWORD_HASHERS = ["tests.accounts.test_enumeration.MeasurableHasher"]
    settings.RATELIMIT_ENABLE = False  # the limits are tested on their own
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def _timed(send: Callable[[int], object], round_no: int) -> tuple[object, float]:
    started = time.perf_counter()
    response = send(round_no)
    return response, time.perf_counter() - started


def _compare(known: Callable[[int], object], unknown: Callable[[int], object]) -> dict[str, float]:
    """Alternate the two kinds of request; answers must match; return the median times."""
    times: dict[str, list[float]] = {"known": [], "unknown": []}
    answers: dict[str, set] = {"known": set(), "unknown": set()}
    for round_no in range(ROUNDS):
        for kind, send in (("known", known), ("unknown", unknown)):
            response, seconds = _timed(send, round_no)
            body = response.content.decode().replace(f"new{round_no}@example.com", "<address>")
            answers[kind].add((response.status_code, body.replace("alice@example.com", "<address>")))
            times[kind].append(seconds)
    assert answers["known"] == answers["unknown"], answers
    assert len(answers["known"]) == 1
    medians = {kind: statistics.median(values) for kind, values in times.items()}
    print(f"median seconds: {medians}")  # shown with -s; the report quotes these
    return medians


def _assert_alike_in_time(medians: dict[str, float]) -> None:
    slower, faster = max(medians.values()), min(medians.values())
    # A skipped password hash alone would cost ~50 ms or more at these settings.
    assert slower - faster < max(0.025, 0.25 * faster), medians


def test_reset_answers_alike_for_known_and_unknown_addresses(costly_passwords, mailbox):
    client = APIClient()

    def reset(email: str) -> object:
        return client.post("/api/v1/auth/password/reset", {"email": email}, format="json")

    medians = _compare(lambda n: reset("alice@example.com"), lambda n: reset(f"new{n}@example.com"))

    _assert_alike_in_time(medians)


def test_login_answers_alike_for_known_and_unknown_addresses(costly_passwords):
    client = APIClient()

    def login(email: str) -> object:
        return client.post(
            "/api/v1/auth/login", {"email": email, "password": "not-the-password"}, format="json"
        )

    medians = _compare(lambda n: login("alice@example.com"), lambda n: login(f"new{n}@example.com"))

    _assert_alike_in_time(medians)


def test_mandatory_sign_up_answers_alike_for_taken_and_new_addresses(costly_passwords, mailbox, mandatory):
    client = APIClient()

    def sign_up(email: str) -> object:
        return client.post(
            "/api/v1/auth/signup", {"email": email, "password": "x7-Quokka-lamp"}, format="json"
        )

    medians = _compare(lambda n: sign_up("alice@example.com"), lambda n: sign_up(f"new{n}@example.com"))

    _assert_alike_in_time(medians)
    assert len(mailbox.messages) == 2 * ROUNDS  # each answer cost one email
