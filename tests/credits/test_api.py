"""GET /api/v1/credit/history, POST /api/v1/admin/credits/adjust, sign-up credits (docs/api.md)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from credits import services
from credits.models import AdjustmentRequest, CreditTransaction
from credits.selectors import balance_of
from tests.credits.conftest import allow_adjusting, give
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HISTORY = "/api/v1/credit/history"
ADJUST = "/api/v1/admin/credits/adjust"
NOT_AUTHENTICATED = {
    "success": False,
    "error": "Authentication required: sign in first.",
    "code": "not_authenticated",
}
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def item(entry: CreditTransaction) -> dict:
    return {
        "id": entry.pk,
        "transNo": entry.trans_no,
        "transType": entry.trans_type,
        "credits": entry.credits,
        "balanceAfter": entry.balance_after,
        "videoUuid": entry.reference,
        "remark": entry.remark,
        "createdAt": entry.created_at.isoformat().replace("+00:00", "Z"),
    }


def listing(items: list, *, page: int = 1, page_size: int = 20, total: int | None = None) -> dict:
    total = len(items) if total is None else total
    pages = -(-total // page_size) if total else 0
    return {
        "success": True,
        "data": {
            "transactions": items,
            "page": page,
            "pageSize": page_size,
            "total": total,
            "totalPages": pages,
        },
    }


@pytest.fixture
def history(user, other_user):
    """Grant, consume and adjust for the user; some noise for another user."""
    give(user, 10)
    services.hold(user, 3, reference="9b2f1c1e-7a51-4a8e-9f7e-0c4f5d6e7a8b")
    services.settle("9b2f1c1e-7a51-4a8e-9f7e-0c4f5d6e7a8b")
    services.adjust(user, 2, remark="Goodwill")
    give(other_user, 4)
    return list(CreditTransaction.objects.filter(user=user).order_by("-id"))


# --- history ---------------------------------------------------------------------------------


def test_history_lists_own_entries_newest_first(auth_client, history):
    response = auth_client.get(HISTORY)

    assert response.status_code == 200
    assert response.json() == listing([item(entry) for entry in history])
    assert [e["transType"] for e in response.json()["data"]["transactions"]] == [
        "SYSTEM_ADJUST",
        "VIDEO_CONSUME",
        "ORDER_PAY",
    ]


def test_history_consume_entry_carries_video_uuid_and_negative_credits(auth_client, history):
    response = auth_client.get(HISTORY, {"type": "VIDEO_CONSUME"})

    assert response.status_code == 200
    [entry] = response.json()["data"]["transactions"]
    assert (entry["videoUuid"], entry["credits"], entry["balanceAfter"]) == (
        "9b2f1c1e-7a51-4a8e-9f7e-0c4f5d6e7a8b",
        -3,
        7,
    )


def test_history_times_are_utc_with_z(auth_client, history):
    response = auth_client.get(HISTORY)

    assert all(ISO_UTC.match(e["createdAt"]) for e in response.json()["data"]["transactions"])


def test_history_filters_by_type(auth_client, history):
    response = auth_client.get(HISTORY, {"type": "ORDER_PAY"})

    assert response.status_code == 200
    assert response.json() == listing([item(history[-1])])


def test_history_refuses_unknown_type(auth_client, history):
    response = auth_client.get(HISTORY, {"type": "BOGUS"})

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "Invalid input: check type.",
        "code": "invalid_input",
        "fields": {"type": ['"BOGUS" is not a valid choice.']},
    }


def test_history_paginates(auth_client, history):
    response = auth_client.get(HISTORY, {"page": 2, "pageSize": 2})

    assert response.status_code == 200
    assert response.json() == listing([item(history[2])], page=2, page_size=2, total=3)


def test_history_page_past_the_end_is_empty(auth_client, history):
    response = auth_client.get(HISTORY, {"page": 5, "pageSize": 2})

    assert response.status_code == 200
    assert response.json() == listing([], page=5, page_size=2, total=3)


def test_history_refuses_out_of_range_page_size(auth_client, history):
    response = auth_client.get(HISTORY, {"pageSize": 101})

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "Invalid input: check pageSize.",
        "code": "invalid_input",
        "fields": {"pageSize": ["Ensure this value is less than or equal to 100."]},
    }


def test_history_of_a_user_without_credits_is_empty(other_client, user):
    response = other_client.get(HISTORY)

    assert response.status_code == 200
    assert response.json() == listing([])


def test_history_requires_a_session(client):
    response = client.get(HISTORY)

    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED


def test_history_query_count_does_not_grow_with_page_size(auth_client, user):
    for _ in range(30):
        give(user, 1)
    auth_client.get(HISTORY)  # a session's first request also records its activity

    with CaptureQueriesContext(connection) as one:
        assert auth_client.get(HISTORY, {"pageSize": 1}).status_code == 200
    with CaptureQueriesContext(connection) as hundred:
        response = auth_client.get(HISTORY, {"pageSize": 100})

    assert len(response.json()["data"]["transactions"]) == 30
    assert len(hundred) == len(one)


def test_history_is_rate_limited(auth_client, user, settings):
    settings.RATELIMIT_READ_USER = "2/m"
    auth_client.get(HISTORY)
    auth_client.get(HISTORY)

    response = auth_client.get(HISTORY)

    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1


# --- staff adjust ----------------------------------------------------------------------------


def test_staff_adjust_adds_credits_and_answers_entry_and_balance(adjuster_client, adjuster, user):
    response = adjuster_client.post(
        ADJUST, {"user": user.pk, "credits": 5, "remark": "Goodwill"}, format="json"
    )

    assert response.status_code == 200
    entry = CreditTransaction.objects.get(user=user)
    assert entry.actor == adjuster
    assert response.json() == {
        "success": True,
        "data": {
            "user": {"id": user.pk, "email": "alice@example.com"},
            "transaction": item(entry),
            "balance": {"available": 5, "frozen": 0, "used": 0, "total": 5},
        },
    }


def test_staff_adjust_finds_user_by_email_and_deducts(adjuster_client, user):
    give(user, 5)

    response = adjuster_client.post(
        ADJUST, {"user": "ALICE@example.com", "credits": -2, "remark": "Chargeback"}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["data"]["transaction"]["credits"] == -2
    assert body["data"]["balance"] == {"available": 3, "frozen": 0, "used": 0, "total": 5}


def test_staff_adjust_with_expiry_creates_expiring_package(adjuster_client, user):
    response = adjuster_client.post(
        ADJUST, {"user": str(user.pk), "credits": 5, "remark": "Trial", "expiresInDays": 7}, format="json"
    )

    assert response.status_code == 200
    assert CreditTransaction.objects.get(user=user).package.expires_at is not None


def test_staff_adjust_refuses_deduction_below_zero(adjuster_client, user):
    give(user, 1)

    response = adjuster_client.post(
        ADJUST, {"user": user.pk, "credits": -2, "remark": "Chargeback"}, format="json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "success": False,
        "error": "Cannot deduct 2 credits: only 1 available, and the balance cannot go below zero.",
        "code": "balance_below_zero",
    }


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"user": 1, "credits": 0, "remark": "x"}, {"credits": ["Must not be zero."]}),
        ({"user": 1, "credits": 2.5, "remark": "x"}, {"credits": ["A whole number is required."]}),
        ({"user": 1, "credits": "3", "remark": "x"}, {"credits": ["A whole number is required."]}),
        ({"user": 1, "credits": 3, "remark": ""}, {"remark": ["This field may not be blank."]}),
        ({"user": 1, "credits": 3}, {"remark": ["This field is required."]}),
        ({"credits": 3, "remark": "x"}, {"user": ["This field is required."]}),
        ({"user": True, "credits": 3, "remark": "x"}, {"user": ["Give the user's id or email."]}),
        (
            {"user": 1, "credits": -3, "remark": "x", "expiresInDays": 3},
            {"expiresInDays": ["Only added credits can expire."]},
        ),
        (
            {"user": 1, "credits": 3, "remark": "x", "expiresInDays": 0},
            {"expiresInDays": ["Ensure this value is greater than or equal to 1."]},
        ),
    ],
)
def test_staff_adjust_refuses_invalid_input(adjuster_client, user, body, fields):
    response = adjuster_client.post(ADJUST, body, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": f"Invalid input: check {', '.join(fields)}.",
        "code": "invalid_input",
        "fields": fields,
    }
    assert not CreditTransaction.objects.exists()


@pytest.mark.parametrize("who", [999999, "nobody@example.com"])
def test_staff_adjust_answers_404_for_unknown_user(adjuster_client, who):
    response = adjuster_client.post(ADJUST, {"user": who, "credits": 3, "remark": "x"}, format="json")

    assert response.status_code == 404
    assert response.json() == {
        "success": False,
        "error": "No user has this id or email.",
        "code": "user_not_found",
    }


def test_staff_adjust_requires_a_session(client, user):
    response = client.post(ADJUST, {"user": user.pk, "credits": 3, "remark": "x"}, format="json")

    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED


def test_staff_adjust_refuses_non_staff(auth_client, user):
    response = auth_client.post(ADJUST, {"user": user.pk, "credits": 3, "remark": "x"}, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "success": False,
        "error": "You are not allowed to do this.",
        "code": "permission_denied",
    }
    assert not CreditTransaction.objects.exists()


# --- sign-up and session ---------------------------------------------------------------------


def signup(client, email: str = "new@example.com"):
    return client.post(
        "/api/v1/auth/signup", {"email": email, "password": "a-Strong-pass-123", "name": "Nia"}, format="json"
    )


def test_signup_grants_new_user_credits(client):
    assert signup(client).status_code == 201

    response = client.get("/api/v1/auth/session")

    assert response.status_code == 200
    assert response.json()["data"]["credits"] == {"available": 2, "frozen": 0, "used": 0, "total": 2}


def test_signup_grants_new_user_credits_once(client):
    signup(client)
    signup(client)

    [entry] = CreditTransaction.objects.all()
    assert (entry.trans_type, entry.credits) == ("NEW_USER", 2)


def test_session_credits_show_held_and_used(auth_client, user):
    give(user, 10)
    services.hold(user, 3, reference="a")
    services.hold(user, 2, reference="b")
    services.settle("a")

    response = auth_client.get("/api/v1/auth/session")

    assert response.json()["data"]["credits"] == {"available": 5, "frozen": 2, "used": 3, "total": 10}


PERMISSION_DENIED = {
    "success": False,
    "error": "You are not allowed to do this.",
    "code": "permission_denied",
}


def test_staff_adjust_refuses_staff_without_the_adjust_permission(staff_client, user):
    give(user, 5)

    response = staff_client.post(ADJUST, {"user": user.pk, "credits": -3, "remark": "x"}, format="json")

    assert response.status_code == 403
    assert response.json() == PERMISSION_DENIED
    assert CreditTransaction.objects.filter(user=user).count() == 1  # the grant only
    assert balance_of(user).available == 5
    assert not AdjustmentRequest.objects.exists()


# --- staff adjust: Idempotency-Key -----------------------------------------------------------


def _adjust(client, key: str, **body):
    body = {"user": body.pop("user"), "credits": 5, "remark": "Goodwill", **body}
    return client.post(ADJUST, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_staff_adjust_retried_with_the_same_key_adjusts_once_and_answers_the_same(adjuster_client, user):
    first = _adjust(adjuster_client, "adj-1", user=user.pk)
    services.adjust(user, 2, remark="Someone else's adjustment in between")

    retry = _adjust(adjuster_client, "adj-1", user=user.pk)

    assert first.status_code == retry.status_code == 200
    entry = CreditTransaction.objects.filter(user=user).earliest("id")
    assert (
        retry.json()
        == first.json()
        == {
            "success": True,
            "data": {
                "user": {"id": user.pk, "email": "alice@example.com"},
                "transaction": item(entry),
                "balance": {"available": 5, "frozen": 0, "used": 0, "total": 5},
            },
        }
    )
    assert CreditTransaction.objects.filter(user=user).count() == 2
    assert balance_of(user).available == 7


def test_staff_adjust_refuses_a_key_reused_with_another_body(adjuster_client, user):
    assert _adjust(adjuster_client, "adj-1", user=user.pk).status_code == 200

    response = _adjust(adjuster_client, "adj-1", user=user.pk, credits=50)

    assert response.status_code == 409
    assert response.json() == {
        "success": False,
        "error": "This Idempotency-Key was already used with a different request body.",
        "code": "idempotency_key_reused",
    }
    assert balance_of(user).available == 5


def test_staff_adjust_keys_are_per_staff_user(adjuster_client, user, other_user):
    other_staff = allow_adjusting(
        UserFactory(email="kim@example.com", username="kim@example.com", is_staff=True)
    )
    other_staff_client = APIClient()
    other_staff_client.force_login(other_staff)

    assert _adjust(adjuster_client, "adj-1", user=user.pk).status_code == 200
    assert _adjust(other_staff_client, "adj-1", user=user.pk).status_code == 200

    assert balance_of(user).available == 10


def test_staff_adjust_without_a_key_adjusts_every_time(adjuster_client, user):
    for _ in range(2):
        assert (
            adjuster_client.post(
                ADJUST, {"user": user.pk, "credits": 5, "remark": "Goodwill"}, format="json"
            ).status_code
            == 200
        )

    assert balance_of(user).available == 10
    assert not AdjustmentRequest.objects.exists()


def test_staff_adjust_that_failed_can_be_retried_with_its_key(adjuster_client, user):
    refused = _adjust(adjuster_client, "adj-1", user=user.pk, credits=-2)
    give(user, 3)

    retry = _adjust(adjuster_client, "adj-1", user=user.pk, credits=-2)

    assert refused.status_code == 409
    assert retry.status_code == 200
    assert balance_of(user).available == 1


def test_staff_adjust_refuses_a_key_longer_than_255_characters(adjuster_client, user):
    response = _adjust(adjuster_client, "k" * 256, user=user.pk)

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "Invalid input: check Idempotency-Key.",
        "code": "invalid_input",
        "fields": {"Idempotency-Key": ["At most 255 characters."]},
    }
    assert not CreditTransaction.objects.exists()
