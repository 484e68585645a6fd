"""Staff inspect deliveries read-only in the admin and reprocess them with an action."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.test import Client

from tests.factories import UserFactory
from tests.webhooks.support import generate, post_callback, store_unprocessed
from videos.models import Video
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/webhooks/webhookdelivery/"


@pytest.fixture
def admin_client(db) -> Client:
    admin = UserFactory(
        email="root@example.com", username="root@example.com", is_staff=True, is_superuser=True
    )
    browser = Client()
    browser.force_login(admin)
    return browser


@pytest.fixture
def delivery(auth_client, funded_user, evolink, client) -> WebhookDelivery:
    video = generate(auth_client)
    post_callback(client, evolink, video)
    return WebhookDelivery.objects.get()


def test_changelist_lists_deliveries(admin_client, delivery):
    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    assert delivery.video_uuid in response.text
    assert delivery.task_id in response.text


def test_deliveries_cannot_be_added(admin_client):
    response = admin_client.get(f"{CHANGELIST}add/")

    assert response.status_code == 403


def test_delivery_page_is_read_only(admin_client, delivery):
    response = admin_client.get(f"{CHANGELIST}{delivery.pk}/change/")

    assert response.status_code == 200
    assert 'name="_save"' not in response.text


def test_deliveries_cannot_be_changed(admin_client, delivery):
    response = admin_client.post(f"{CHANGELIST}{delivery.pk}/change/", {"outcome": "error", "body": "{}"})

    assert response.status_code == 403
    assert WebhookDelivery.objects.get().outcome == delivery.outcome


def test_deliveries_cannot_be_deleted(admin_client, delivery):
    response = admin_client.post(f"{CHANGELIST}{delivery.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert WebhookDelivery.objects.filter(pk=delivery.pk).exists()


def test_bulk_delete_is_not_offered(admin_client, delivery):
    response = admin_client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [delivery.pk], "post": "yes"}
    )

    assert WebhookDelivery.objects.filter(pk=delivery.pk).exists()
    assert "delete_selected" not in response.text


def test_reprocess_action_processes_a_stored_delivery(admin_client, auth_client, funded_user, evolink):
    video = generate(auth_client)
    evolink.complete(video.provider_task_id, callback=False)
    stored = store_unprocessed(evolink, video)

    response = admin_client.post(
        CHANGELIST, {"action": "reprocess_deliveries", "_selected_action": [stored.pk]}, follow=True
    )

    assert response.status_code == 200
    assert "Reprocessed 1 deliveries (queued: 1)." in response.text
    stored.refresh_from_db()
    assert (stored.signature_valid, stored.outcome, stored.task_id) == (
        True,
        "queued",
        video.provider_task_id,
    )
    assert stored.processed_at is not None
    assert Video.objects.get(pk=video.pk).status == "COMPLETED"
    assert LogEntry.objects.get(object_id=str(stored.pk)).change_message == "Reprocessed: queued."


def test_reprocess_action_keeps_a_forged_delivery_rejected(admin_client, auth_client, funded_user, evolink):
    video = generate(auth_client)
    evolink.complete(video.provider_task_id, callback=False)
    forged = store_unprocessed(evolink, video, query=f"video={video.uuid}&ts=1&sig=00")

    response = admin_client.post(
        CHANGELIST, {"action": "reprocess_deliveries", "_selected_action": [forged.pk]}, follow=True
    )

    assert "Reprocessed 1 deliveries (rejected: 1)." in response.text
    forged.refresh_from_db()
    assert (forged.signature_valid, forged.outcome) == (False, "rejected")
    assert Video.objects.get(pk=video.pk).status == "GENERATING"


def test_reprocess_action_is_refused_to_staff_without_permission(
    staff_user, auth_client, funded_user, evolink
):
    video = generate(auth_client)
    evolink.complete(video.provider_task_id, callback=False)
    stored = store_unprocessed(evolink, video)
    browser = Client()
    browser.force_login(staff_user)

    response = browser.post(CHANGELIST, {"action": "reprocess_deliveries", "_selected_action": [stored.pk]})

    assert response.status_code == 403
    assert WebhookDelivery.objects.get(pk=stored.pk).outcome == "received"
    assert Video.objects.get(pk=video.pk).status == "GENERATING"


@pytest.fixture
def viewer_client(staff_user) -> Client:
    """Staff who may look at deliveries but not change (reprocess) them."""
    staff_user.user_permissions.add(Permission.objects.get(codename="view_webhookdelivery"))
    browser = Client()
    browser.force_login(staff_user)
    return browser


def reprocess_from_the_delivery_page(browser: Client, delivery: WebhookDelivery):
    return browser.post(
        f"{CHANGELIST}{delivery.pk}/change/",
        {"CHANGE_FORM-action": "reprocess_deliveries", "_selected_action": [delivery.pk], "index": 0},
        follow=True,
    )


def test_changelist_offers_filters_and_an_exact_search(admin_client, delivery):
    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    assert re.findall(r'data-filter-title="([^"]+)"', response.text) == [
        "provider",
        "outcome",
        "signature valid",
        "received at",
        "processed at",
    ]
    assert 'id="searchbar"' in response.text


def test_search_finds_a_delivery_by_its_exact_task_id_only(admin_client, delivery):
    exact = admin_client.get(CHANGELIST, {"q": delivery.task_id})
    partial = admin_client.get(CHANGELIST, {"q": delivery.task_id[:-3]})

    assert f"{CHANGELIST}{delivery.pk}/change/" in exact.text
    assert f"{CHANGELIST}{delivery.pk}/change/" not in partial.text


def test_unprocessed_deliveries_are_found_by_their_empty_processed_at(
    admin_client, auth_client, funded_user, evolink
):
    video = generate(auth_client)
    evolink.complete(video.provider_task_id, callback=False)
    stored = store_unprocessed(evolink, video)
    post_callback(Client(), evolink, video)
    processed = WebhookDelivery.objects.exclude(pk=stored.pk).get()

    response = admin_client.get(CHANGELIST, {"processed_at__isempty": "1"})

    assert f"{CHANGELIST}{stored.pk}/change/" in response.text
    assert f"{CHANGELIST}{processed.pk}/change/" not in response.text


def test_reprocess_action_is_offered_on_the_read_only_delivery_page(admin_client, delivery):
    response = admin_client.get(f"{CHANGELIST}{delivery.pk}/change/")

    assert 'name="_save"' not in response.text
    assert '<option value="reprocess_deliveries">Reprocess selected deliveries</option>' in response.text


def test_reprocess_from_the_delivery_page_processes_it(admin_client, auth_client, funded_user, evolink):
    video = generate(auth_client)
    evolink.complete(video.provider_task_id, callback=False)
    stored = store_unprocessed(evolink, video)

    response = reprocess_from_the_delivery_page(admin_client, stored)

    assert response.status_code == 200
    assert "Reprocessed 1 deliveries (queued: 1)." in response.text
    assert WebhookDelivery.objects.get(pk=stored.pk).outcome == "queued"
    assert Video.objects.get(pk=video.pk).status == "COMPLETED"


def test_view_only_staff_see_deliveries_without_the_reprocess_action(viewer_client, delivery):
    listing = viewer_client.get(CHANGELIST)
    page = viewer_client.get(f"{CHANGELIST}{delivery.pk}/change/")

    assert (listing.status_code, page.status_code) == (200, 200)
    assert "reprocess_deliveries" not in listing.text
    assert "reprocess_deliveries" not in page.text
    assert 'name="_save"' not in page.text


def test_view_only_staff_cannot_reprocess(viewer_client, auth_client, funded_user, evolink):
    video = generate(auth_client)
    evolink.complete(video.provider_task_id, callback=False)
    stored = store_unprocessed(evolink, video)

    from_the_list = viewer_client.post(
        CHANGELIST, {"action": "reprocess_deliveries", "_selected_action": [stored.pk]}, follow=True
    )
    from_the_page = reprocess_from_the_delivery_page(viewer_client, stored)

    assert "Reprocessed" not in from_the_list.text
    assert from_the_page.status_code == 403
    assert WebhookDelivery.objects.get(pk=stored.pk).outcome == "received"
    assert Video.objects.get(pk=video.pk).status == "GENERATING"
