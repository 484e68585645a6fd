"""Events are written in the transaction of the change they report (the outbox)."""

from __future__ import annotations

import pytest
from django.db import transaction

from credits import services as credit_services
from credits.billing import events as billing_events
from credits.billing.providers import billing_provider
from tests.credits.billing.conftest import order_for
from tests.factories import give_credits
from tests.webhooks.notify import add_endpoint
from tests.webhooks.support import SORA
from videos.models import FailureReason, Video
from videos.transitions import fail_video
from webhooks.models import DeliveryStatus, Event, EventDelivery

pytestmark = pytest.mark.django_db


def events_of(user) -> list[tuple[str, dict]]:
    return [(e.type, e.data) for e in Event.objects.filter(user=user).order_by("id")]


def test_a_ledger_entry_writes_credits_changed_with_the_entry_and_the_balance(user):
    give_credits(user, 7, order_no="order-7")

    [(event_type, data)] = events_of(user)
    entry = user.credit_transactions.get()
    assert event_type == "credits.changed"
    assert data["transaction"] == {
        "id": entry.id,
        "transNo": entry.trans_no,
        "transType": "ORDER_PAY",
        "credits": 7,
        "balanceAfter": 7,
        "videoUuid": None,
        "remark": "test",
        "createdAt": data["transaction"]["createdAt"],
    }
    assert data["balance"] == {"available": 7, "frozen": 0, "used": 0, "total": 7}


def test_a_change_rolled_back_leaves_no_event(user):
    with pytest.raises(RuntimeError), transaction.atomic():
        give_credits(user, 5)
        raise RuntimeError("the caller's transaction fails after the grant")

    assert events_of(user) == []
    assert not user.credit_transactions.exists()


def test_a_demo_generation_announces_each_step_in_order(
    auth_client, funded_user, django_capture_on_commit_callbacks
):
    Event.objects.all().delete()

    # The immediate task backend runs the demo generation to its end inside the request.
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post("/api/v1/video/generate", SORA, format="json")

    assert response.status_code == 202
    video = Video.objects.get()
    steps = [
        (t, data["video"]["status"] if "video" in data else data["transaction"]["transType"])
        for t, data in events_of(funded_user)
    ]
    assert steps == [
        ("video.updated", "PENDING"),
        ("video.updated", "GENERATING"),
        ("video.updated", "UPLOADING"),
        ("credits.changed", "VIDEO_CONSUME"),
        ("video.updated", "COMPLETED"),
        ("video.completed", "COMPLETED"),
    ]
    completed = events_of(funded_user)[-1][1]["video"]
    assert (completed["uuid"], completed["progress"], completed["creditStatus"]) == (
        str(video.uuid),
        100,
        "CONSUMED",
    )


def test_a_failed_video_announces_update_failure_and_the_released_credits_in_that_order(funded_user):
    credit_services.hold(funded_user, 2, reference="00000000-0000-4000-8000-000000000001")
    video = Video.objects.create(
        pk="00000000-0000-4000-8000-000000000001",
        user=funded_user,
        prompt="p",
        model="sora-2",
        duration=10,
        aspect_ratio="16:9",
        quality="720p",
        credits_used=2,
        provider="demo",
        provider_model="sora-2",
    )
    Event.objects.all().delete()

    assert fail_video(str(video.uuid), "The provider refused it.", FailureReason.PROVIDER)

    events = events_of(funded_user)
    assert [t for t, _ in events] == ["video.updated", "video.failed"]
    assert events[1][1]["video"]["status"] == "FAILED"
    assert events[1][1]["video"]["errorMessage"] == "The provider refused it."
    assert events[1][1]["video"]["creditStatus"] == "RELEASED"


def test_a_save_that_changes_neither_status_nor_progress_announces_nothing(user):
    video = Video.objects.create(
        user=user, prompt="p", model="sora-2", duration=10, aspect_ratio="16:9", quality="720p",
        credits_used=2, provider="demo", provider_model="sora-2",
    )  # fmt: skip
    before = Event.objects.count()

    Video.objects.get(pk=video.pk).save()

    assert Event.objects.count() == before


def test_each_event_is_owed_to_the_endpoints_that_want_it(user, other_user):
    everything = add_endpoint(user, "https://hooks.example/all")
    videos_only = add_endpoint(user, "https://hooks.example/videos", ["video.completed"])
    add_endpoint(other_user, "https://hooks.example/bob")

    with pytest.MonkeyPatch.context() as patch:
        # No worker in this test: the deliveries stay pending.
        patch.setattr("webhooks.outbox.enqueue_delivery", lambda delivery_id: None)
        give_credits(user, 3)

    event = Event.objects.get(user=user)
    deliveries = EventDelivery.objects.filter(event=event)
    assert [(d.endpoint_id, d.status) for d in deliveries] == [(everything.pk, DeliveryStatus.PENDING)]
    assert not EventDelivery.objects.filter(endpoint=videos_only).exists()


def test_a_paid_order_and_its_refunds_are_announced_once_each(user):
    demo = billing_provider("demo")
    order = order_for(user, "starter-pack")
    paid = demo.signed_event("checkout.completed", {"order_no": order.order_no, "payment_ref": "pay_1"})
    billing_events.handle_event("demo", *paid)
    billing_events.handle_event("demo", *paid)  # a repeat applies nothing, so announces nothing

    def refund(refunded: int):
        data = {
            "order_no": order.order_no,
            "payment_ref": "pay_1",
            "refunded": refunded,
            "amount": order.amount,
        }
        return demo.signed_event("refund.created", data)

    billing_events.handle_event("demo", *refund(order.amount // 2))
    billing_events.handle_event("demo", *refund(order.amount))

    orders = [
        (kind, data["order"]["orderNo"], data["order"]["status"])
        for kind, data in events_of(user)
        if kind.startswith("order.")
    ]
    assert orders == [
        ("order.paid", order.order_no, "PAID"),
        ("order.refunded", order.order_no, "PARTIALLY_REFUNDED"),
        ("order.refunded", order.order_no, "REFUNDED"),
    ]
