"""Starting a generation: price it, hold the credits, create the video, queue its submission.

An Idempotency-Key makes a repeat of the same request get the first answer, charged once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from credits import services as credit_services
from credits.errors import InsufficientCreditsError
from kensa.errors import IdempotencyKeyReusedError
from modelconfig.models import AIModel
from modelconfig.pricing import price
from modelconfig.selectors import enabled_model
from videos.models import IdempotencyRecord, Video
from videos.submission import enqueue_submission
from videos.transitions import count_visible

IDEMPOTENCY_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class VideoRequest:
    prompt: str
    model: str
    duration: int
    aspect_ratio: str
    quality: str
    start_image_url: str = ""

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class GenerationStart:
    video_uuid: str
    status_code: int
    body: dict
    replayed: bool


def stored_request_digest(user, key: str) -> str | None:
    """The digest of the request this user's Idempotency-Key answered, while it is kept."""
    cutoff = timezone.now() - IDEMPOTENCY_WINDOW
    records = IdempotencyRecord.objects.filter(user=user, key=key, created_at__gte=cutoff)
    return records.values_list("request_hash", flat=True).first()


def _replay(user, key: str, digest: str) -> GenerationStart | None:
    record = IdempotencyRecord.objects.filter(user=user, key=key).first()
    if record is None:
        return None
    if record.created_at < timezone.now() - IDEMPOTENCY_WINDOW:
        record.delete()  # the key may be reused after the window
        return None
    if record.request_hash != digest:
        raise IdempotencyKeyReusedError()
    return GenerationStart(str(record.video_id), record.response_status, record.response_body, True)


def start_generation(
    user,
    video_request: VideoRequest,
    *,
    render: Callable[[Video], dict],
    idempotency_key: str = "",
    model: AIModel | None = None,
) -> GenerationStart:
    """Price, hold the credits, create the PENDING video and queue its submission.

    ``render`` shapes the 202 answer; with an Idempotency-Key it is stored so that a
    repeat of the same request gets the first answer and is charged once. ``model``: the
    enabled catalogue entry the request names, when the caller has just read it.
    """
    digest = video_request.digest()
    if idempotency_key and (replay := _replay(user, idempotency_key, digest)):
        return replay
    if model is None or model.id != video_request.model:
        model = enabled_model(video_request.model)
    cost = price(model, video_request.duration, video_request.quality)
    provider_key = model.provider or settings.DEFAULT_AI_PROVIDER
    provider_model = (
        model.provider_model_id(provider_key, with_image=bool(video_request.start_image_url)) or model.id
    )
    try:
        with transaction.atomic():
            video = Video(
                user=user,
                prompt=video_request.prompt,
                model=model.id,
                duration=video_request.duration,
                aspect_ratio=video_request.aspect_ratio,
                quality=video_request.quality,
                start_image_url=video_request.start_image_url,
                credits_used=cost,
                provider=provider_key,
                provider_model=provider_model,
            )
            # Locks the user's credit account: concurrent requests of one user queue here.
            credit_services.hold(user, cost, reference=str(video.uuid))
            video.save(force_insert=True)
            count_visible(user.pk, +1)
            body = render(video)
            if idempotency_key:
                IdempotencyRecord.objects.create(
                    user=user,
                    key=idempotency_key,
                    request_hash=digest,
                    video=video,
                    response_status=202,
                    response_body=body,
                )
            # Robust: the video is committed and paid for; if the queue is down, the
            # reconciler resubmits it rather than the user seeing an error and retrying.
            transaction.on_commit(lambda: enqueue_submission(str(video.uuid)), robust=True)
    except (IntegrityError, InsufficientCreditsError):
        # The same key raced in from another request and committed first (its hold may
        # have taken the credits this one waited for).
        if idempotency_key and (replay := _replay(user, idempotency_key, digest)):
            return replay
        raise
    return GenerationStart(str(video.uuid), 202, body, False)


def purge_idempotency_records(*, now: datetime | None = None) -> int:
    """Forget Idempotency-Keys past their 24 hours (a key may then be used afresh)."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_WINDOW
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
