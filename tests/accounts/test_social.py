"""Social sign-in against a loopback OpenID Connect provider (tests/fakes/oidc_server.py).

allauth's openid_connect provider talks to it over real HTTP (discovery, token, userinfo,
JWKS) with requests, as it does in production; the browser's two redirects are followed
by hand: Kensa → the provider's authorize endpoint → Kensa's callback.
"""

from __future__ import annotations

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.test import Client

from credits.selectors import balance_of
from tests.accounts.conftest import path_of
from tests.factories import PASSWORD
from tests.fakes.oidc_server import FakeOIDCServer

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def oidc(settings):
    with FakeOIDCServer(client_id="kensa-test", client_secret="oidc-test-secret") as server:
        settings.SOCIALACCOUNT_PROVIDERS = {
            "openid_connect": {
                "OAUTH_PKCE_ENABLED": True,
                "APPS": [
                    {
                        "provider_id": "fake",
                        "name": "Fake SSO",
                        "client_id": "kensa-test",
                        "secret": "oidc-test-secret",
                        "settings": {"server_url": server.base_url},
                    }
                ],
            }
        }
        yield server


def _sign_in_through(oidc: FakeOIDCServer, identity: dict) -> Client:
    oidc.next_identity = identity
    browser = Client()
    started = browser.post("/accounts/oidc/fake/login/")
    assert started.status_code == 302
    assert started["Location"].startswith(f"{oidc.base_url}/authorize?")
    at_provider = requests.get(started["Location"], allow_redirects=False, timeout=5)
    assert at_provider.status_code == 302
    landed = browser.get(path_of(at_provider.headers["Location"]))
    assert (landed.status_code, landed["Location"]) == (302, "/")
    return browser


def test_providers_lists_the_configured_ones(oidc, client):
    response = client.get("/api/v1/auth/providers")

    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "data": {"providers": [{"id": "fake", "name": "Fake SSO", "loginUrl": "/accounts/oidc/fake/login/"}]},
    }


def test_providers_is_empty_when_none_is_configured(settings, client):
    settings.SOCIALACCOUNT_PROVIDERS = {}

    response = client.get("/api/v1/auth/providers")

    assert (response.status_code, response.json()) == (200, {"success": True, "data": {"providers": []}})


def test_a_new_person_signs_up_through_the_provider(oidc, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"

    browser = _sign_in_through(
        oidc, {"sub": "oidc-ada", "email": "Ada@Example.com", "email_verified": True, "name": "Ada Lovelace"}
    )

    session = browser.get("/api/v1/auth/session").json()["data"]
    user = User.objects.get(username="ada@example.com")
    assert session["user"] == {
        "id": user.pk,
        "email": "ada@example.com",
        "name": "Ada Lovelace",
        "isStaff": False,
        "emailVerified": True,
    }
    assert SocialAccount.objects.get(user=user).uid == "oidc-ada"
    # The provider vouched for the address: welcomed at once, even with mandatory verification.
    assert balance_of(user).available == 2
    assert ("POST", "/token") in oidc.requests


def test_a_verified_email_that_has_an_account_is_connected_not_duplicated(oidc, user):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)

    browser = _sign_in_through(
        oidc, {"sub": "oidc-alice", "email": "alice@example.com", "email_verified": True}
    )

    assert browser.get("/api/v1/auth/session").json()["data"]["user"]["id"] == user.pk
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1
    assert SocialAccount.objects.get(uid="oidc-alice").user_id == user.pk
    user.refresh_from_db()
    assert user.check_password(PASSWORD)  # her own verified address: her password stays


def test_the_second_sign_in_finds_the_same_account(oidc):
    identity = {"sub": "oidc-bo", "email": "bo@example.com", "email_verified": True, "name": "Bo"}
    _sign_in_through(oidc, identity)

    browser = _sign_in_through(oidc, identity)

    assert browser.get("/api/v1/auth/session").json()["data"]["user"]["email"] == "bo@example.com"
    assert User.objects.filter(email="bo@example.com").count() == 1
