"""DELETE /api/v1/auth/account: the person's data goes, the accounting stays, anonymised."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from rest_framework.test import APIClient

from credits import services as credit_services
from credits.models import CreditTransaction
from credits.selectors import balance_of
from tests.factories import PASSWORD, VideoFactory, give_credits
from videos.models import Video
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def alice_with_things(user, media_root):
    """Alice, welcomed at sign-up, with a finished video (files stored), one running
    (credits held), and a webhook endpoint."""
    from accounts.addresses import claim_welcome

    claim_welcome(user.email)
    credit_services.grant_new_user_credits(user)
    give_credits(user, 20)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    video_file = default_storage.save("videos/alice.mp4", ContentFile(b"\x00" * 64))
    thumb_file = default_storage.save("videos/alice.jpg", ContentFile(b"\xff" * 16))
    VideoFactory(user=user, video_file=video_file, thumbnail_file=thumb_file)
    running = VideoFactory(user=user, status="GENERATING", credit_status="HELD", credits_used=5)
    credit_services.hold(user, 5, str(running.uuid))
    WebhookEndpoint.objects.create(user=user, url="https://hooks.example.com/kensa")
    return user, (video_file, thumb_file)


def _delete(client: APIClient, password: str):
    return client.delete("/api/v1/auth/account", {"password": password}, format="json")


def test_deleting_removes_the_persons_data_and_keeps_the_ledger_anonymised(
    alice_with_things, auth_client, django_capture_on_commit_callbacks
):
    user, files = alice_with_things
    entries_before = CreditTransaction.objects.filter(user=user).count()

    with django_capture_on_commit_callbacks(execute=True):  # files go once the rows are gone
        response = _delete(auth_client, PASSWORD)

    assert (response.status_code, response.json()) == (200, {"success": True, "data": None})
    assert not Video.objects.filter(user=user).exists()
    assert not any(default_storage.exists(name) for name in files)
    assert not WebhookEndpoint.objects.filter(user=user).exists()
    assert not EmailAddress.objects.filter(user=user).exists()
    anonymous = User.objects.get(pk=user.pk)
    assert anonymous.username.startswith("deleted-")
    assert (anonymous.email, anonymous.first_name, anonymous.is_active) == ("", "", False)
    assert not anonymous.has_usable_password()
    # The running generation's hold was released, not charged; the ledger stays whole.
    balance = balance_of(anonymous)
    assert (balance.frozen, balance.available) == (0, 22)
    assert CreditTransaction.objects.filter(user=user).count() == entries_before
    call_command("credits_verify")  # exits non-zero on any mismatch
    assert auth_client.get("/api/v1/auth/session").status_code == 401


def test_the_address_can_sign_up_again_without_new_free_credits(alice_with_things, auth_client):
    _delete(auth_client, PASSWORD)

    again = APIClient().post(
        "/api/v1/auth/signup", {"email": "alice@example.com", "password": "x7-Quokka-lamp"}, format="json"
    )

    assert again.status_code == 201
    assert again.json()["data"]["credits"] == {"available": 0, "frozen": 0, "used": 0, "total": 0}


def test_deleting_needs_the_password(alice_with_things, auth_client):
    user, _ = alice_with_things

    response = _delete(auth_client, "not-the-password")

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "Invalid input: check password.",
        "code": "invalid_input",
        "fields": {"password": ["The password is not correct."]},
    }
    assert User.objects.get(pk=user.pk).is_active
    assert Video.objects.filter(user=user).count() == 2


def test_deleting_needs_a_session(client):
    response = _delete(client, PASSWORD)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
