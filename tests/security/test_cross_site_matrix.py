"""Cross-site protection on every unsafe endpoint (docs/api.md: Conventions), signed in as a browser would be.

Refused: ``Sec-Fetch-Site: cross-site``, or an ``Origin`` of another site without
``Sec-Fetch-Site`` — unless a valid ``X-CSRFToken`` comes along. Accepted: same-origin
browser requests and non-browser clients (neither header). Refused means nothing changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from credits.models import CreditTransaction
from credits.selectors import balance_of
from tests.credits.conftest import allow_adjusting
from tests.factories import PASSWORD, UserFactory, VideoFactory, give_credits
from tests.security.conftest import assert_error
from tests.videos.conftest import GENERATE_BODY
from videos.models import Video
from webhooks.models import WebhookDelivery

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

User = get_user_model()

REFUSED = {
    "success": False,
    "error": "Cross-site request refused: send it from the same origin or with an X-CSRFToken header.",
    "code": "cross_site_refused",
}
CROSS_SITE = {"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_ORIGIN": "https://evil.example"}
ORIGIN_ONLY = {"HTTP_ORIGIN": "https://evil.example"}
SAME_ORIGIN = {"HTTP_SEC_FETCH_SITE": "same-origin", "HTTP_ORIGIN": "http://testserver"}
REFUSING = {"cross-site": CROSS_SITE, "origin-only": ORIGIN_ONLY}


@dataclass
class World:
    """Who is signed in, the objects the requests aim at, and a way to observe every effect."""

    browser: APIClient
    signed_in: Any
    target: Any  # another user, the recipient of adjustments / the login under attack
    video: Video

    def state(self) -> dict:
        session = self.browser.session
        self.video.refresh_from_db()
        return {
            "session_key": session.session_key,
            "session_user": session.get("_auth_user_id"),
            "users": sorted(User.objects.values_list("email", flat=True)),
            "videos": sorted((str(v.uuid), v.deleted_at) for v in Video.objects.all()),
            "transactions": CreditTransaction.objects.count(),
            "frozen": balance_of(self.signed_in).frozen,
            "target_available": balance_of(self.target).available,
        }


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    body: Any
    accepted: int
    staff: bool = False

    def call(self, world: World, **headers: str):
        path = self.path.format(video=world.video.uuid)
        body = self.body(world) if callable(self.body) else self.body
        return getattr(world.browser, self.method)(path, body, format="json", **headers)


ENDPOINTS = {
    "signup": Endpoint(
        "post", "/api/v1/auth/signup", {"email": "new@example.com", "password": PASSWORD}, 201
    ),
    "login": Endpoint(
        "post", "/api/v1/auth/login", {"email": "target@example.com", "password": PASSWORD}, 200
    ),
    "logout": Endpoint("post", "/api/v1/auth/logout", {}, 200),
    "generate": Endpoint("post", "/api/v1/video/generate", GENERATE_BODY, 202),
    "delete video": Endpoint("delete", "/api/v1/video/{video}", None, 200),
    "credits adjust": Endpoint(
        "post",
        "/api/v1/admin/credits/adjust",
        {"user": "target@example.com", "credits": 5, "remark": "goodwill"},
        200,
        staff=True,
    ),
}


@pytest.fixture
def world_for(db):
    def build(endpoint: Endpoint) -> World:
        signed_in = UserFactory(email="me@example.com", username="me@example.com", is_staff=endpoint.staff)
        if endpoint.staff:
            allow_adjusting(signed_in)
        give_credits(signed_in, 100)
        target = UserFactory(email="target@example.com", username="target@example.com")
        browser = APIClient(enforce_csrf_checks=True)
        browser.force_login(signed_in)
        return World(browser, signed_in, target, VideoFactory(user=signed_in))

    return build


def _csrf_token(browser: APIClient) -> str:
    return browser.get("/api/v1/auth/csrf").json()["data"]["csrfToken"]


@pytest.mark.parametrize("headers", REFUSING.values(), ids=REFUSING.keys())
@pytest.mark.parametrize("endpoint", ENDPOINTS.values(), ids=ENDPOINTS.keys())
def test_cross_site_request_without_token_is_refused_and_changes_nothing(world_for, endpoint, headers):
    world = world_for(endpoint)
    before = world.state()

    response = endpoint.call(world, **headers)

    assert_error(response, 403, "cross_site_refused")
    assert response.json() == REFUSED
    assert world.state() == before


@pytest.mark.parametrize("headers", REFUSING.values(), ids=REFUSING.keys())
@pytest.mark.parametrize("endpoint", ENDPOINTS.values(), ids=ENDPOINTS.keys())
def test_cross_site_request_with_a_wrong_token_is_refused(world_for, endpoint, headers):
    world = world_for(endpoint)
    _csrf_token(world.browser)
    before = world.state()

    response = endpoint.call(world, HTTP_X_CSRFTOKEN="x" * 64, **headers)

    assert_error(response, 403, "cross_site_refused")
    assert world.state() == before


@pytest.mark.parametrize("headers", REFUSING.values(), ids=REFUSING.keys())
@pytest.mark.parametrize("endpoint", ENDPOINTS.values(), ids=ENDPOINTS.keys())
def test_cross_site_request_with_a_valid_token_is_accepted(world_for, endpoint, headers):
    world = world_for(endpoint)
    token = _csrf_token(world.browser)
    before = world.state()

    response = endpoint.call(world, HTTP_X_CSRFTOKEN=token, **headers)

    assert response.status_code == endpoint.accepted, response.content
    assert world.state() != before


@pytest.mark.parametrize("endpoint", ENDPOINTS.values(), ids=ENDPOINTS.keys())
def test_same_origin_browser_request_is_accepted(world_for, endpoint):
    world = world_for(endpoint)
    before = world.state()

    response = endpoint.call(world, **SAME_ORIGIN)

    assert response.status_code == endpoint.accepted, response.content
    assert world.state() != before


@pytest.mark.parametrize("endpoint", ENDPOINTS.values(), ids=ENDPOINTS.keys())
def test_non_browser_client_is_accepted(world_for, endpoint):
    world = world_for(endpoint)
    before = world.state()

    response = endpoint.call(world)

    assert response.status_code == endpoint.accepted, response.content
    assert world.state() != before


@pytest.mark.parametrize("provider", ["evolink", "kie"])
def test_cross_site_callback_is_judged_by_its_signature_not_refused(provider, auth_client):
    response = auth_client.post(
        f"/api/v1/video/callback/{provider}?video=x&ts=1&sig=bad",
        {"id": "task-1", "status": "completed"},
        format="json",
        **CROSS_SITE,
    )

    assert_error(response, 401, "invalid_signature")
    assert WebhookDelivery.objects.get().signature_valid is False
