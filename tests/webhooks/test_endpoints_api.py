"""/api/v1/webhooks/...: a user's endpoints, their delivery log, retries — and bad input."""

from __future__ import annotations

import re

import pytest

from tests.fakes.webhook_receiver import WebhookReceiver
from tests.webhooks.notify import add_endpoint, verified
from webhooks.models import DeliveryAttempt, EventDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db
ENDPOINTS = "/api/v1/webhooks/endpoints"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"


@pytest.fixture
def receiver(settings):
    settings.REMOTE_ASSET_ALLOW_PRIVATE = True
    settings.WEBHOOKS_ALLOW_HTTP = True
    with WebhookReceiver() as server:
        yield server


def invalid(field: str, message: str) -> dict:
    return {
        "success": False,
        "error": f"Invalid input: check {field}.",
        "code": "invalid_input",
        "fields": {field: [message]},
    }


NOT_FOUND = {"success": False, "error": "No such webhook endpoint.", "code": "not_found"}


def test_creating_an_endpoint_shows_its_secret_once(auth_client, receiver, user):
    response = auth_client.post(
        ENDPOINTS, {"url": receiver.url, "events": ["video.completed"], "description": "CI"}, format="json"
    )

    assert response.status_code == 201
    data = response.json()["data"]
    assert re.fullmatch(UUID, data["id"]) and re.fullmatch(TIME, data["createdAt"])
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", data["secret"])
    assert response.json() == {
        "success": True,
        "data": {
            "id": data["id"],
            "url": receiver.url,
            "description": "CI",
            "events": ["video.completed"],
            "enabled": True,
            "disabledReason": None,
            "failingSince": None,
            "createdAt": data["createdAt"],
            "updatedAt": data["updatedAt"],
            "secret": data["secret"],
        },
    }
    shown = auth_client.get(f"{ENDPOINTS}/{data['id']}").json()["data"]
    assert "secret" not in shown
    assert WebhookEndpoint.objects.get(user=user).secret == data["secret"]


def test_listing_shows_only_the_callers_endpoints(auth_client, user, other_user):
    mine = add_endpoint(user, "https://hooks.example/a")
    add_endpoint(other_user, "https://hooks.example/b")

    response = auth_client.get(ENDPOINTS)

    assert response.status_code == 200
    assert [e["id"] for e in response.json()["data"]["endpoints"]] == [str(mine.pk)]


def test_an_eleventh_endpoint_is_refused(auth_client, receiver, user):
    for n in range(10):
        add_endpoint(user, f"https://hooks.example/{n}")

    response = auth_client.post(ENDPOINTS, {"url": receiver.url}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "success": False,
        "error": "You already have the most webhook endpoints allowed (10); delete one first.",
        "code": "endpoint_limit_reached",
    }
    assert WebhookEndpoint.objects.filter(user=user).count() == 10


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://127.0.0.1:9/hook", "The link was refused (it points to a private or reserved address)."),
        ("https://10.1.2.3/hook", "The link was refused (it points to a private or reserved address)."),
        ("ftp://hooks.example/hook", "Enter an https URL."),
        ("http://hooks.example/hook", "Enter an https URL."),
        ("https://hooks.example/" + "a" * 2000, "Ensure this field has no more than 2000 characters."),
        ("https://no-such-host.invalid/hook", "The host could not be resolved."),
    ],
    ids=["loopback", "private", "ftp", "plain-http", "too-long", "unresolvable"],
)
def test_bad_endpoint_urls_are_refused_and_nothing_is_created(auth_client, user, url, message):
    response = auth_client.post(ENDPOINTS, {"url": url}, format="json")

    assert response.status_code == 400
    assert response.json() == invalid("url", message)
    assert not WebhookEndpoint.objects.exists()


def test_unknown_event_types_are_refused(auth_client):
    response = auth_client.post(
        ENDPOINTS,
        {"url": "https://1.1.1.1/hook", "events": ["video.completed", "video.exploded"]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == invalid(
        "events",
        "Unknown event type video.exploded; choose from video.updated, video.completed, video.failed, "
        "credits.changed, order.paid, order.refunded.",
    )
    assert not WebhookEndpoint.objects.exists()


def test_updating_changes_only_what_is_sent(auth_client, user):
    endpoint = add_endpoint(user, "https://hooks.example/a", ["video.completed"])

    response = auth_client.patch(
        f"{ENDPOINTS}/{endpoint.pk}", {"events": [], "description": "all"}, format="json"
    )

    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["url"], data["events"], data["description"]) == ("https://hooks.example/a", [], "all")


def test_another_users_endpoint_is_not_found_and_stays_as_it_was(auth_client, other_user):
    theirs = add_endpoint(other_user, "https://hooks.example/b")
    secret = theirs.secret
    base = f"{ENDPOINTS}/{theirs.pk}"

    answers = [
        auth_client.get(base),
        auth_client.patch(base, {"description": "mine now"}, format="json"),
        auth_client.delete(base),
        auth_client.post(f"{base}/rotate-secret"),
        auth_client.post(f"{base}/test"),
        auth_client.get(f"{base}/deliveries"),
    ]

    assert [(a.status_code, a.json()) for a in answers] == [(404, NOT_FOUND)] * 6
    theirs.refresh_from_db()
    assert (theirs.description, theirs.secret) == ("", secret)
    assert not EventDelivery.objects.exists()


def test_another_users_delivery_cannot_be_retried(auth_client, other_user):
    theirs = add_endpoint(other_user, "https://hooks.example/b")
    from webhooks.outbox import record_event

    record_event(other_user.pk, "credits.changed", {"n": 1})
    delivery = EventDelivery.objects.get(endpoint=theirs)

    response = auth_client.post(f"/api/v1/webhooks/deliveries/{delivery.pk}/retry")

    assert response.status_code == 404
    assert response.json() == {"success": False, "error": "No such webhook delivery.", "code": "not_found"}
    assert EventDelivery.objects.get(pk=delivery.pk).attempts == 0


def test_a_malformed_id_is_not_found(auth_client):
    response = auth_client.get(f"{ENDPOINTS}/not-a-uuid")

    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_deleting_an_endpoint(auth_client, user):
    endpoint = add_endpoint(user, "https://hooks.example/a")

    response = auth_client.delete(f"{ENDPOINTS}/{endpoint.pk}")

    assert response.json() == {"success": True, "data": {"id": str(endpoint.pk), "deleted": True}}
    assert not WebhookEndpoint.objects.exists()


def test_rotating_the_secret_shows_a_new_one(auth_client, user):
    endpoint = add_endpoint(user, "https://hooks.example/a")

    response = auth_client.post(f"{ENDPOINTS}/{endpoint.pk}/rotate-secret")

    assert response.status_code == 200
    secret = response.json()["data"]["secret"]
    assert secret != endpoint.secret
    endpoint.refresh_from_db()
    assert endpoint.secret == secret


def test_a_ping_is_signed_and_logged(auth_client, receiver, user, django_capture_on_commit_callbacks):
    endpoint = add_endpoint(user, receiver.url)

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(f"{ENDPOINTS}/{endpoint.pk}/test")

    assert response.status_code == 202
    [received] = receiver.wait_for(1)
    event = verified(endpoint, received)
    assert (event["type"], event["data"]) == ("ping", {"endpoint": {"id": str(endpoint.pk)}})
    log = auth_client.get(f"{ENDPOINTS}/{endpoint.pk}/deliveries").json()["data"]
    attempt = log["deliveries"][0]
    assert (log["total"], log["page"], log["pageSize"], log["totalPages"]) == (1, 1, 20, 1)
    assert attempt == {
        "id": DeliveryAttempt.objects.get().pk,
        "deliveryId": response.json()["data"]["id"],
        "eventId": event["id"],
        "eventType": "ping",
        "attempt": 1,
        "statusCode": 200,
        "durationMs": attempt["durationMs"],
        "error": None,
        "nextRetryAt": None,
        "deliveryStatus": "delivered",
        "createdAt": attempt["createdAt"],
    }


def test_the_endpoints_need_a_session(client):
    response = client.get(ENDPOINTS)

    assert response.status_code == 401
    assert response.json() == {
        "success": False,
        "error": "Authentication required: sign in first.",
        "code": "not_authenticated",
    }


def test_put_is_not_allowed(auth_client, user):
    endpoint = add_endpoint(user, "https://hooks.example/a")

    response = auth_client.put(
        f"{ENDPOINTS}/{endpoint.pk}", {"url": "https://hooks.example/b"}, format="json"
    )

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
