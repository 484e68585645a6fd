"""AI_CALLBACK_URL may be the site's origin or the callback base the README shows
(``https://your-domain.com/api/v1/video/callback``); both reach the callback view."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.webhooks.support import callback_path, generate, post_callback
from videos.callbacks import callback_url
from videos.models import Video

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

QUEUED = {"success": True, "data": {"received": True, "outcome": "queued"}}


@pytest.mark.parametrize(
    "base",
    [
        "http://testserver",
        "http://testserver/",
        "http://testserver/api/v1/video/callback",
        "http://testserver/api/v1/video/callback/",
    ],
)
def test_a_callback_sent_to_the_built_url_completes_the_video(
    base, settings, auth_client, funded_user, evolink
):
    settings.AI_CALLBACK_URL = base
    video = generate(auth_client)
    evolink.complete(video.provider_task_id, callback=False)

    response = post_callback(APIClient(), evolink, video)

    assert (response.status_code, response.json()) == (200, QUEUED)
    assert callback_path(evolink, video).startswith(f"/api/v1/video/callback/evolink?video={video.uuid}&")
    video.refresh_from_db()
    assert (video.status, video.credit_status) == ("COMPLETED", "CONSUMED")


def test_the_documented_callback_base_is_not_repeated_in_the_url(settings):
    settings.AI_CALLBACK_URL = "https://your-domain.com/api/v1/video/callback"

    url = callback_url("kie", "7f1e5b9e-0000-4000-8000-000000000000", now=1_700_000_000)

    assert url.startswith("https://your-domain.com/api/v1/video/callback/kie?video=")


def test_a_base_under_a_path_prefix_keeps_its_prefix(settings):
    # Kensa served under /kensa behind a proxy: the prefix is part of the origin.
    settings.AI_CALLBACK_URL = "https://example.com/kensa"

    url = callback_url("evolink", "7f1e5b9e-0000-4000-8000-000000000000", now=1_700_000_000)

    assert url.startswith("https://example.com/kensa/api/v1/video/callback/evolink?video=")


def test_no_callback_url_without_a_base(settings):
    settings.AI_CALLBACK_URL = ""

    assert callback_url("evolink", "7f1e5b9e-0000-4000-8000-000000000000") is None
    assert Video.objects.count() == 0
