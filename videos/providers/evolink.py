"""EvoLink (https://evolink.ai): one unified video API for many models.

Create ``POST /v1/videos/generations``, query ``GET /v1/tasks/{id}``; the callback body is
the task object itself and is not signed (the per-video signed URL authenticates it).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from videos.providers.base import (
    CallbackInfo,
    GenerationRequest,
    Provider,
    ProviderError,
    TaskState,
    TaskStatus,
    callback_json,
)
from videos.providers.http import ProviderHttpClient, clean_detail, sentence

logger = logging.getLogger(__name__)

STATES: Mapping[str, TaskState] = {
    "pending": TaskState.PENDING,
    "processing": TaskState.RUNNING,
    "completed": TaskState.SUCCEEDED,
    "failed": TaskState.FAILED,
    # Not documented for queries, but seen in callbacks.
    "cancelled": TaskState.FAILED,
}


def error_detail(body: Any) -> str | None:
    """EvoLink's error bodies look like ``{"error": {"code": ..., "message": ...}}``."""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return error.get("message") or error.get("code")
        if isinstance(error, str):
            return error
        return body.get("message")
    return None


def _result_urls(results: Any) -> tuple[str, ...]:
    if not isinstance(results, list):
        return ()
    urls: list[str] = []
    for item in results:
        # Documented as plain URLs; tolerate {"url": ...} objects as well.
        url = item.get("url") if isinstance(item, dict) else item
        if isinstance(url, str) and url:
            urls.append(url)
    return tuple(urls)


def _progress(value: Any) -> int | None:
    try:
        return max(0, min(100, int(value)))
    except (TypeError, ValueError, OverflowError):
        return None


class EvoLinkProvider(Provider):
    key = "evolink"
    sends_callbacks = True

    def __init__(self, *, api_key: str, base_url: str) -> None:
        self.http = ProviderHttpClient(base_url, api_key, detail_reader=error_detail)

    def submit(self, request: GenerationRequest) -> str:
        payload: dict[str, Any] = {
            "model": request.provider_model,
            "prompt": request.prompt,
            "aspect_ratio": request.aspect_ratio,
            "duration": request.duration,
            "quality": request.quality,
        }
        if request.start_image_url:
            payload["image_urls"] = [request.start_image_url]
        if request.callback_url:
            payload["callback_url"] = request.callback_url
        task = self.http.post("/v1/videos/generations", payload)
        task_id = task.get("id") if isinstance(task, dict) else None
        if not isinstance(task_id, str) or not task_id:
            # Not retryable: a task may exist, and a second create could be charged twice.
            logger.warning("EvoLink create answered without a task id: %.500r", task)
            raise ProviderError(
                "The provider accepted the request but sent no task id.",
                retryable=False,
                code="no_task_id",
            )
        return task_id

    def query(self, task_id: str, request: GenerationRequest) -> TaskStatus:
        task = self.http.get(f"/v1/tasks/{quote(task_id, safe='')}")
        if not isinstance(task, dict):
            raise ProviderError(
                "The provider sent an answer that could not be read.",
                retryable=True,
                code="bad_json",
            )
        return task_status(task_id, task)

    def parse_callback(self, body: bytes, headers: Mapping[str, str]) -> CallbackInfo:
        task = callback_json(body)
        task_id = task.get("id")
        if not isinstance(task_id, str) or not task_id:
            raise ProviderError("The callback body has no task id.", retryable=False)
        status = task.get("status")
        return CallbackInfo(task_id=task_id, extra={"status": status if isinstance(status, str) else ""})


def task_status(task_id: str, task: Mapping[str, Any]) -> TaskStatus:
    raw_state = str(task.get("status", "")).lower()
    # An unknown state is not a verdict: keep waiting, the reconciler's timeout still applies.
    state = STATES.get(raw_state, TaskState.RUNNING)
    progress = _progress(task.get("progress"))
    if state == TaskState.SUCCEEDED:
        return TaskStatus(task_id, state, progress=100, result_urls=_result_urls(task.get("results")))
    if state == TaskState.FAILED:
        return TaskStatus(task_id, state, progress=progress, error_message=_failure(raw_state, task))
    return TaskStatus(task_id, state, progress=progress)


def _failure(raw_state: str, task: Mapping[str, Any]) -> str:
    detail = clean_detail(error_detail(task))
    if raw_state == "cancelled":
        return sentence("The provider cancelled the generation", detail)
    return sentence("The provider could not generate the video", detail)
