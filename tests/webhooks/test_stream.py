"""GET /api/v1/events refusals (the stream itself runs end to end under uvicorn)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_stream_needs_a_session(client):
    response = client.get("/api/v1/events")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Session realm="api"'
    assert response.json() == {
        "success": False,
        "error": "Authentication required: sign in first.",
        "code": "not_authenticated",
    }


# Committed: the stream reads the session on a pool thread, outside the test's transaction.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("last_event_id", ["evt_abc", "-1", "1e3", "9" * 19])
def test_a_last_event_id_that_is_no_event_id_is_refused(auth_client, last_event_id):
    response = auth_client.get("/api/v1/events", headers={"Last-Event-ID": last_event_id})

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "Last-Event-ID must be the id of an event this stream sent.",
        "code": "invalid_input",
        "fields": {"Last-Event-ID": ["Give a whole number."]},
    }


def test_only_get_is_allowed(auth_client):
    response = auth_client.post("/api/v1/events", {}, format="json")

    assert response.status_code == 405
    assert response.json() == {
        "success": False,
        "error": "Method POST is not allowed here.",
        "code": "method_not_allowed",
    }
