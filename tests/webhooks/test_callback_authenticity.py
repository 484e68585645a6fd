"""A callback is believed only with a valid per-video signed URL (and Kie's own signature
when its key is set). Anything else answers 401 and changes nothing (docs/api.md: Provider callbacks)."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from credits.selectors import balance_of
from tests.webhooks.support import (
    KIE_HMAC_KEY,
    VEO,
    WAN,
    callback_path,
    enqueued_tasks,
    generate,
    post_callback,
    status_queries,
)
from videos.callbacks import callback_signature, callback_url, verify_callback
from videos.models import Video
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db

INVALID_SIGNATURE = {
    "success": False,
    "error": "The callback signature is missing, invalid or expired.",
    "code": "invalid_signature",
}


def with_params(path: str, **changes: str | None) -> str:
    """``path`` with query parameters replaced (or dropped when None)."""
    parts = urlsplit(path)
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return f"{parts.path}?{urlencode(params)}"


def relative(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.fixture
def finished(auth_client, funded_user, evolink):
    """A GENERATING video whose task the provider has finished: a believed callback completes it."""
    video = generate(auth_client)
    evolink.complete(video.provider_task_id, callback=False)
    return video


def post_and_assert_nothing_changed(client, server, video, user, **options):
    before = balance_of(user)
    with enqueued_tasks() as enqueued:
        response = post_callback(client, server, video, **options)
    after = Video.objects.get(pk=video.pk)
    assert (after.status, after.credit_status, after.progress) == ("GENERATING", "HELD", 0)
    assert balance_of(user) == before
    assert enqueued == []
    assert status_queries(server, video) == 0
    return response


def test_valid_signed_url_is_believed(client, finished, evolink, funded_user):
    response = post_callback(client, evolink, finished)

    assert response.status_code == 200
    assert Video.objects.get(pk=finished.pk).status == "COMPLETED"


def test_callback_without_sig_answers_401_and_changes_nothing(client, finished, evolink, funded_user):
    path = with_params(callback_path(evolink, finished), sig=None)

    response = post_and_assert_nothing_changed(client, evolink, finished, funded_user, path=path)

    assert response.status_code == 401
    assert response.json() == INVALID_SIGNATURE


def test_callback_without_query_string_answers_401_and_changes_nothing(
    client, finished, evolink, funded_user
):
    path = "/api/v1/video/callback/evolink"

    response = post_and_assert_nothing_changed(client, evolink, finished, funded_user, path=path)

    assert response.status_code == 401
    assert response.json() == INVALID_SIGNATURE


def test_callback_with_a_wrong_sig_answers_401_and_changes_nothing(client, finished, evolink, funded_user):
    path = callback_path(evolink, finished)
    sig = parse_qs(urlsplit(path).query)["sig"][0]
    tampered = with_params(path, sig=("0" if sig[0] != "0" else "1") + sig[1:])

    response = post_and_assert_nothing_changed(client, evolink, finished, funded_user, path=tampered)

    assert response.status_code == 401
    assert response.json() == INVALID_SIGNATURE


def test_callback_with_a_changed_ts_answers_401_and_changes_nothing(client, finished, evolink, funded_user):
    path = callback_path(evolink, finished)
    ts = int(parse_qs(urlsplit(path).query)["ts"][0])

    response = post_and_assert_nothing_changed(
        client, evolink, finished, funded_user, path=with_params(path, ts=str(ts + 1))
    )

    assert response.status_code == 401
    assert response.json() == INVALID_SIGNATURE


def test_callback_signed_longer_ago_than_max_age_answers_401_and_changes_nothing(
    client, finished, evolink, funded_user, settings
):
    settings.CALLBACK_MAX_AGE = 600
    expired = callback_url("evolink", str(finished.uuid), now=time.time() - 601)

    response = post_and_assert_nothing_changed(client, evolink, finished, funded_user, path=relative(expired))

    assert response.status_code == 401
    assert response.json() == INVALID_SIGNATURE


def test_callback_signed_within_max_age_is_believed(client, finished, evolink, settings):
    settings.CALLBACK_MAX_AGE = 600
    recent = callback_url("evolink", str(finished.uuid), now=time.time() - 590)

    response = post_callback(client, evolink, finished, path=relative(recent))

    assert response.status_code == 200
    assert Video.objects.get(pk=finished.pk).status == "COMPLETED"


def test_callback_signed_for_another_video_answers_401_and_changes_nothing(
    auth_client, client, finished, evolink, funded_user
):
    other = generate(auth_client)
    other_path = callback_path(evolink, other)
    # Video B's URL carrying A's timestamp and signature.
    own = parse_qs(urlsplit(callback_path(evolink, finished)).query)
    path = with_params(other_path, ts=own["ts"][0], sig=own["sig"][0])
    evolink.complete(other.provider_task_id, callback=False)

    response = post_and_assert_nothing_changed(client, evolink, other, funded_user, path=path)

    assert response.status_code == 401
    assert response.json() == INVALID_SIGNATURE


def test_callback_url_signed_for_another_provider_answers_401_and_changes_nothing(
    client, finished, evolink, funded_user
):
    kie_signed = callback_url("kie", str(finished.uuid)).replace("/callback/kie", "/callback/evolink")

    response = post_and_assert_nothing_changed(
        client, evolink, finished, funded_user, path=relative(kie_signed)
    )

    assert response.status_code == 401
    assert response.json() == INVALID_SIGNATURE


def test_verify_callback_rejects_a_signature_from_another_secret(settings, finished):
    ts = int(time.time())
    sig = callback_signature("evolink", str(finished.uuid), ts)
    settings.AI_CALLBACK_SECRET = "a-rotated-secret"

    assert verify_callback("evolink", str(finished.uuid), str(ts), sig) is False


def test_rejected_callback_is_stored_as_rejected(client, finished, evolink):
    path = with_params(callback_path(evolink, finished), sig="deadbeef")

    post_callback(client, evolink, finished, path=path)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.signature_valid, delivery.outcome, delivery.error) == (
        False,
        "rejected",
        "signature missing, invalid or expired",
    )
    assert delivery.processed_at is not None


# --- Kie's own X-Webhook-Signature (when KIE_WEBHOOK_HMAC_KEY is set) ---------------------


@pytest.fixture
def kie_signed(settings, auth_client, funded_user, kie):
    """A finished Kie Market task, with Kie callback signatures required."""
    settings.KIE_WEBHOOK_HMAC_KEY = KIE_HMAC_KEY
    video = generate(auth_client, WAN)
    kie.complete(video.provider_task_id, callback=False)
    return video


def test_kie_callback_with_a_valid_header_signature_is_believed(client, kie, kie_signed):
    headers = kie.callback_headers(kie_signed.provider_task_id, KIE_HMAC_KEY)

    response = post_callback(client, kie, kie_signed, headers=headers)

    assert response.status_code == 200
    assert Video.objects.get(pk=kie_signed.pk).status == "COMPLETED"
    assert WebhookDelivery.objects.get().signature_valid is True


def test_kie_veo_callback_with_a_valid_header_signature_is_believed(
    settings, auth_client, funded_user, client, kie
):
    settings.KIE_WEBHOOK_HMAC_KEY = KIE_HMAC_KEY
    video = generate(auth_client, VEO)
    kie.complete(video.provider_task_id, callback=False)

    response = post_callback(
        client, kie, video, headers=kie.callback_headers(video.provider_task_id, KIE_HMAC_KEY)
    )

    assert response.status_code == 200
    assert Video.objects.get(pk=video.pk).status == "COMPLETED"


def test_kie_callback_without_header_signature_answers_401_and_changes_nothing(
    client, kie, kie_signed, funded_user
):
    response = post_and_assert_nothing_changed(client, kie, kie_signed, funded_user)

    assert response.status_code == 401
    assert response.json() == INVALID_SIGNATURE


def test_kie_callback_with_a_wrong_header_signature_answers_401_and_changes_nothing(
    client, kie, kie_signed, funded_user
):
    headers = kie.callback_headers(kie_signed.provider_task_id, "not-the-configured-key")

    response = post_and_assert_nothing_changed(client, kie, kie_signed, funded_user, headers=headers)

    assert response.status_code == 401
    assert response.json() == INVALID_SIGNATURE


def test_kie_header_signature_of_another_task_answers_401_and_changes_nothing(
    client, kie, kie_signed, funded_user
):
    headers = kie.callback_headers("some-other-task", KIE_HMAC_KEY)

    response = post_and_assert_nothing_changed(client, kie, kie_signed, funded_user, headers=headers)

    assert response.status_code == 401
    assert response.json() == INVALID_SIGNATURE


def test_kie_header_signature_without_timestamp_answers_401_and_changes_nothing(
    client, kie, kie_signed, funded_user
):
    headers = kie.callback_headers(kie_signed.provider_task_id, KIE_HMAC_KEY)
    del headers["X-Webhook-Timestamp"]

    response = post_and_assert_nothing_changed(client, kie, kie_signed, funded_user, headers=headers)

    assert response.status_code == 401
    assert response.json() == INVALID_SIGNATURE


def test_kie_header_signature_does_not_replace_the_signed_url(client, kie, kie_signed, funded_user):
    headers = kie.callback_headers(kie_signed.provider_task_id, KIE_HMAC_KEY)
    path = with_params(callback_path(kie, kie_signed), sig=None)

    response = post_and_assert_nothing_changed(
        client, kie, kie_signed, funded_user, headers=headers, path=path
    )

    assert response.status_code == 401
    assert response.json() == INVALID_SIGNATURE


def test_kie_callback_needs_no_header_signature_when_no_key_is_set(
    settings, auth_client, funded_user, client, kie
):
    settings.KIE_WEBHOOK_HMAC_KEY = ""
    video = generate(auth_client, WAN)
    kie.complete(video.provider_task_id, callback=False)

    response = post_callback(client, kie, video)

    assert response.status_code == 200
    assert Video.objects.get(pk=video.pk).status == "COMPLETED"
