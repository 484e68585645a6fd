"""Writes for the video lifecycle: generation, provider updates, delivery, failure, deletion.

Every status change takes the video's row lock (``select_for_update``) and re-checks the
status under it, so callbacks, the reconciler, retries and staff can race freely: each
transition happens once. Provider calls and downloads never run while a lock is held.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import timedelta
from io import BytesIO
from typing import IO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from credits import services as credit_services
from credits.errors import InsufficientCreditsError
from modelconfig.pricing import price
from modelconfig.selectors import enabled_model
from videos import storage
from videos.callbacks import callback_url
from videos.errors import IdempotencyConflictError, VideoNotFinishedError, VideoNotFoundError
from videos.media import thumbnail_jpeg
from videos.models import (
    CreditStatus,
    FailureReason,
    IdempotencyRecord,
    Video,
    VideoStatus,
    VideoTally,
)
from videos.providers import UnknownProviderError, get_provider
from videos.providers.base import GenerationRequest, ProviderError, TaskState, TaskStatus
from videos.selectors import video_of

logger = logging.getLogger(__name__)

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


def _replay(user, key: str, digest: str) -> GenerationStart | None:
    record = IdempotencyRecord.objects.filter(user=user, key=key).first()
    if record is None:
        return None
    if record.created_at < timezone.now() - IDEMPOTENCY_WINDOW:
        record.delete()  # the key may be reused after the window
        return None
    if record.request_hash != digest:
        raise IdempotencyConflictError()
    return GenerationStart(str(record.video_id), record.response_status, record.response_body, True)


def start_generation(
    user, video_request: VideoRequest, *, render: Callable[[Video], dict], idempotency_key: str = ""
) -> GenerationStart:
    """Price, hold the credits, create the PENDING video and queue its submission.

    ``render`` shapes the 202 answer; with an Idempotency-Key it is stored so that a
    repeat of the same request gets the first answer and is charged once.
    """
    digest = video_request.digest()
    if idempotency_key and (replay := _replay(user, idempotency_key, digest)):
        return replay
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
            transaction.on_commit(lambda: _tasks().enqueue_submission(str(video.uuid)), robust=True)
    except (IntegrityError, InsufficientCreditsError):
        # The same key raced in from another request and committed first (its hold may
        # have taken the credits this one waited for).
        if idempotency_key and (replay := _replay(user, idempotency_key, digest)):
            return replay
        raise
    return GenerationStart(str(video.uuid), 202, body, False)


def count_visible(user_id: int, delta: int) -> None:
    """Move a user's visible-video tally; call inside the transaction that adds or hides one."""
    if not VideoTally.objects.filter(user_id=user_id).update(visible=F("visible") + delta):
        VideoTally.objects.get_or_create(user_id=user_id)  # a parallel first video: the key decides
        VideoTally.objects.filter(user_id=user_id).update(visible=F("visible") + delta)


def purge_idempotency_records(*, now=None) -> int:
    """Forget Idempotency-Keys past their 24 hours (a key may then be used afresh)."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_WINDOW
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _tasks():
    from videos import tasks

    return tasks


def _locked(video_uuid: str) -> Video:
    return Video.objects.select_for_update().get(pk=video_uuid)


def generation_request(video: Video) -> GenerationRequest:
    return GenerationRequest(
        reference=str(video.uuid),
        provider_model=video.provider_model,
        prompt=video.prompt,
        duration=video.duration,
        aspect_ratio=video.aspect_ratio,
        quality=video.quality,
        start_image_url=video.start_image_url or None,
        callback_url=callback_url(video.provider, str(video.uuid)),
    )


def retry_delay(attempt: int) -> float:
    return min(300.0, settings.PROVIDER_RETRY_BASE_DELAY * 2 ** (attempt - 1))


def submit_to_provider(video_uuid: str, attempt: int = 1) -> None:
    """Hand a PENDING video to its provider; retry what may pass later, fail what won't."""
    # Claim this attempt: of parallel copies of one submission only one passes.
    updated = Video.objects.filter(
        pk=video_uuid, status=VideoStatus.PENDING, provider_task_id="", submit_attempts=attempt - 1
    ).update(submit_attempts=attempt, updated_at=timezone.now())
    if not updated:
        return  # already submitted or claimed, failed or gone
    video = Video.objects.get(pk=video_uuid)
    try:
        provider = get_provider(video.provider)
        task_id = provider.submit(generation_request(video))
    except UnknownProviderError:
        fail_video(video_uuid, f"The provider '{video.provider}' is not configured.", FailureReason.PROVIDER)
        return
    except ProviderError as error:
        if error.retryable and attempt < settings.PROVIDER_SUBMIT_ATTEMPTS:
            logger.warning("submit of %s failed (attempt %s), retrying: %s", video_uuid, attempt, error)
            _tasks().enqueue_submission(video_uuid, attempt=attempt + 1, delay=retry_delay(attempt))
            return
        fail_video(video_uuid, _provider_failure_message(error.message), FailureReason.PROVIDER)
        return

    with transaction.atomic():
        video = _locked(video_uuid)
        if video.status != VideoStatus.PENDING:
            logger.warning(
                "video %s left PENDING while its submission ran; task %s ignored", video_uuid, task_id
            )
            return
        video.provider_task_id = task_id
        video.status = VideoStatus.GENERATING
        video.progress = 0
        video.heard_at = timezone.now()
        video.save()
    if not provider.sends_callbacks:
        _tasks().request_refresh(video_uuid)


def _end_late_window(video_uuid: str, reason: str) -> None:
    """A timed-out video got its verdict after all: stop looking for a late success."""
    Video.objects.filter(
        pk=video_uuid, status=VideoStatus.FAILED, failure_reason=FailureReason.TIMEOUT
    ).update(failure_reason=reason)


def _provider_failure_message(text: str) -> str:
    message = text.strip() or "The provider refused the request."
    return message if message.endswith(".") else f"{message}."


def refresh_from_provider(video_uuid: str, *, final: bool = False) -> None:
    """Ask the provider for the task's state (the source of truth) and act on it.

    ``final`` is the reconciler's last word on a video past GENERATION_TIMEOUT: without
    a verdict now, it fails and its hold is released.
    """
    video = Video.objects.filter(pk=video_uuid).first()
    if video is None or not _may_hear_from_provider(video):
        return
    try:
        provider = get_provider(video.provider)
        status = provider.query(video.provider_task_id, generation_request(video))
    except (ProviderError, UnknownProviderError) as error:
        logger.warning("status query for %s failed: %s", video_uuid, error)
        status = None
    except Exception:
        # The timeout below must not depend on the adapter being free of bugs.
        logger.exception("status query for %s crashed", video_uuid)
        status = None
    if status is not None:
        apply_provider_status(video_uuid, status)
    if final and (status is None or not status.is_terminal) and not _upload_in_progress(video_uuid):
        fail_video(
            video_uuid,
            "The provider did not finish the video in time; your credits were returned.",
            FailureReason.TIMEOUT,
        )


def _upload_in_progress(video_uuid: str) -> bool:
    """A copy holds a live lease: the result exists, the lease bounds how long it takes."""
    live_since = timezone.now() - timedelta(seconds=settings.UPLOAD_LEASE_SECONDS)
    return Video.objects.filter(
        pk=video_uuid, status=VideoStatus.UPLOADING, upload_started_at__gt=live_since
    ).exists()


def _may_hear_from_provider(video: Video) -> bool:
    if video.deleted_at or not video.provider_task_id:
        return False
    if video.status == VideoStatus.FAILED:
        return video.failure_reason == FailureReason.TIMEOUT  # a late success is still delivered
    return video.status != VideoStatus.COMPLETED


def apply_provider_status(video_uuid: str, status: TaskStatus) -> None:
    if status.state == TaskState.SUCCEEDED:
        deliver_result(video_uuid, status)
    elif status.state == TaskState.FAILED:
        reason = status.error_message or "The provider could not generate this video."
        if not fail_video(video_uuid, _provider_failure_message(reason)):
            _end_late_window(video_uuid, FailureReason.PROVIDER)
    else:
        with transaction.atomic():
            video = _locked(video_uuid)
            if video.status not in (VideoStatus.PENDING, VideoStatus.GENERATING):
                return
            video.status = VideoStatus.GENERATING
            if status.progress is not None:
                video.progress = max(0, min(99, status.progress))
            video.heard_at = timezone.now()
            video.save()


def _claim_upload(video_uuid: str) -> bool:
    """Take the copy lease: only one worker copies a result at a time."""
    now = timezone.now()
    lease_expired_before = now - timedelta(seconds=settings.UPLOAD_LEASE_SECONDS)
    with transaction.atomic():
        video = _locked(video_uuid)
        if video.deleted_at:
            return False
        lease_free = video.upload_started_at is None or video.upload_started_at < lease_expired_before
        if video.status in (VideoStatus.PENDING, VideoStatus.GENERATING):
            video.status = VideoStatus.UPLOADING
        elif video.status == VideoStatus.UPLOADING or (
            video.status == VideoStatus.FAILED and video.failure_reason == FailureReason.TIMEOUT
        ):
            if not lease_free:
                return False
        else:
            return False
        video.upload_started_at = now
        video.upload_attempts += 1
        video.heard_at = now
        video.save()
        return True


def deliver_result(video_uuid: str, status: TaskStatus) -> None:
    """Copy the result into our storage, then settle the hold and complete — in that order."""
    if not _claim_upload(video_uuid):
        return
    video = Video.objects.get(pk=video_uuid)
    try:
        if not status.result_urls:
            raise ProviderError("The provider reported success without a video.", retryable=False)
        provider = get_provider(video.provider)
        video_file, thumbnail_file = _copy_result(provider, status.result_urls[0], video_uuid)
    except Exception as error:
        retryable = not isinstance(error, ProviderError) or error.retryable
        logger.warning("copy of %s failed (attempt %s): %s", video_uuid, video.upload_attempts, error)
        _copy_failed(video, retryable=retryable, error=error)
        return
    _complete(video_uuid, video_file, thumbnail_file)


@contextmanager
def _on_local_disk(stream: IO[bytes]) -> Iterator[IO[bytes]]:
    """The result as a file on local disk (ffmpeg reads the thumbnail from it): the
    stream itself when it already is one, else a copy (bounded memory either way)."""
    name = getattr(stream, "name", None)
    if isinstance(name, str) and os.path.isfile(name):
        yield stream
        return
    with tempfile.NamedTemporaryFile(suffix=".mp4") as local:
        shutil.copyfileobj(stream, local, length=1024 * 1024)
        local.flush()
        local.seek(0)
        yield local


def _copy_result(provider, url: str, video_uuid: str) -> tuple[str, str]:
    with provider.open_result(url) as stream, _on_local_disk(stream) as local:
        video_file = storage.save(storage.video_name(video_uuid), local)
        try:
            thumbnail = thumbnail_jpeg(local.name)
            thumbnail_file = storage.save(storage.thumbnail_name(video_uuid), BytesIO(thumbnail))
        except Exception:
            logger.exception("no thumbnail for %s", video_uuid)
            thumbnail_file = ""
    return video_file, thumbnail_file


def _copy_failed(video: Video, *, retryable: bool, error: Exception) -> None:
    video_uuid = str(video.uuid)
    # Only this copy's own lease: another worker may have taken over since.
    Video.objects.filter(pk=video_uuid, upload_started_at=video.upload_started_at).update(
        upload_started_at=None
    )
    if retryable and video.upload_attempts < settings.UPLOAD_ATTEMPTS:
        _tasks().request_refresh(video_uuid, delay=retry_delay(video.upload_attempts), force=True)
        return
    detail = error.message if isinstance(error, ProviderError) else "storage error"
    _end_late_window(video_uuid, FailureReason.STORAGE)
    fail_video(
        video_uuid,
        f"The finished video could not be copied into storage ({detail.rstrip('.')}); "
        "your credits were returned.",
        FailureReason.STORAGE,
    )


def _complete(video_uuid: str, video_file: str, thumbnail_file: str) -> None:
    with transaction.atomic():
        video = _locked(video_uuid)
        late_success = video.status == VideoStatus.FAILED and video.failure_reason == FailureReason.TIMEOUT
        if video.deleted_at or not (video.status == VideoStatus.UPLOADING or late_success):
            # Another copy won (this one's lease had expired) or the video is gone: keep
            # the files the row points to, drop what only this copy wrote.
            kept = set() if video.deleted_at else {video.video_file, video.thumbnail_file}
            stale = [name for name in (video_file, thumbnail_file) if name and name not in kept]
            transaction.on_commit(lambda: storage.delete(*stale))
            return
        if not late_success:
            # A late success was already released: the user gets it free.
            credit_services.settle(video_uuid)
            video.credit_status = CreditStatus.CONSUMED
        video.status = VideoStatus.COMPLETED
        video.progress = 100
        video.video_file = video_file
        video.thumbnail_file = thumbnail_file
        video.error_message = ""
        video.failure_reason = ""
        video.upload_started_at = None
        video.completed_at = timezone.now()
        video.save()


def fail_video(video_uuid: str, message: str, reason: str = FailureReason.PROVIDER) -> bool:
    """FAILED with a readable message, hold released. False if the video had already ended."""
    with transaction.atomic():
        video = _locked(video_uuid)
        if video.is_terminal:
            return False
        video.status = VideoStatus.FAILED
        video.error_message = message
        video.failure_reason = reason
        video.upload_started_at = None
        credit_services.release(video_uuid)
        video.credit_status = CreditStatus.RELEASED
        video.save()
    return True


def delete_video(user, video_uuid: str) -> Video:
    with transaction.atomic():
        video = video_of(user, video_uuid)
        video = _locked(str(video.uuid))
        if video.deleted_at:
            raise VideoNotFoundError()
        if not video.is_terminal:
            raise VideoNotFinishedError()
        video.deleted_at = timezone.now()
        video.save(update_fields=["deleted_at", "updated_at"])
        count_visible(video.user_id, -1)
        files = (video.video_file, video.thumbnail_file)
        transaction.on_commit(lambda: storage.delete(*files))
    return video
