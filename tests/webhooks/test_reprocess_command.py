"""manage.py webhooks_reprocess: by ids or by outcome."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.webhooks.support import generate, store_unprocessed
from videos.models import Video
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


def reprocess(*args: str) -> str:
    out = StringIO()
    call_command("webhooks_reprocess", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def finished(auth_client, funded_user, evolink):
    video = generate(auth_client)
    evolink.complete(video.provider_task_id, callback=False)
    return video


def test_reprocess_by_id_processes_that_delivery(finished, evolink):
    stored = store_unprocessed(evolink, finished)

    output = reprocess(str(stored.pk))

    assert output == f"{stored.pk}: queued\n"
    assert WebhookDelivery.objects.get(pk=stored.pk).outcome == "queued"
    assert Video.objects.get(pk=finished.pk).status == "COMPLETED"


def test_reprocess_by_id_leaves_other_deliveries_alone(finished, evolink):
    first = store_unprocessed(evolink, finished)
    second = store_unprocessed(evolink, finished)

    reprocess(str(second.pk))

    assert WebhookDelivery.objects.get(pk=first.pk).outcome == "received"


def test_reprocess_reports_a_finished_video_as_ignored(finished, evolink):
    first = store_unprocessed(evolink, finished)
    second = store_unprocessed(evolink, finished)

    output = reprocess(str(first.pk), str(second.pk))

    assert output == f"{first.pk}: queued\n{second.pk}: ignored (video already finished)\n"


def test_reprocess_by_outcome_processes_every_delivery_with_it(finished, evolink, auth_client):
    other = generate(auth_client)
    evolink.complete(other.provider_task_id, callback=False)
    stored = [store_unprocessed(evolink, finished), store_unprocessed(evolink, other)]
    forged = store_unprocessed(evolink, finished, query=f"video={finished.uuid}&ts=1&sig=00")
    forged.outcome = "rejected"
    forged.save()

    output = reprocess("--outcome", "received")

    assert output == "".join(f"{d.pk}: queued\n" for d in stored)
    assert WebhookDelivery.objects.get(pk=forged.pk).processed_at is None
    assert set(Video.objects.values_list("status", flat=True)) == {"COMPLETED"}


def test_reprocess_of_an_unknown_id_is_an_error(finished, evolink):
    stored = store_unprocessed(evolink, finished)

    with pytest.raises(CommandError, match=r"^No delivery with id 999999\.$"):
        reprocess(str(stored.pk), "999999")

    assert WebhookDelivery.objects.get(pk=stored.pk).outcome == "received"


def test_reprocess_without_ids_or_outcome_is_an_error():
    with pytest.raises(CommandError, match=r"^Name delivery ids or an --outcome to reprocess\.$"):
        reprocess()


def test_reprocess_with_an_unknown_outcome_is_an_error():
    with pytest.raises(CommandError, match="invalid choice"):
        reprocess("--outcome", "bogus")
