"""Kie (https://kie.ai): the Market API (Sora 2, Wan, Seedance, ...) and the Veo API.

Every answer is wrapped ``{code, msg, data}`` and the body's ``code`` is the real status:
HTTP 200 may carry a refusal. Model ids starting with ``veo3`` go to the Veo API.
Callbacks may be signed (``X-Webhook-Signature``) when the account enables it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from typing import Any

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

OK = 200
# Throttled, maintenance, internal error: worth another try later.
RETRYABLE_CODES = frozenset({429, 455, 500})
GENERATION_FAILED = 501

CODE_SUMMARIES: Mapping[int, str] = {
    401: "The provider refused our API key",
    402: "The provider account balance is too low",
    404: "The provider does not know this task",
    422: "The provider refused the request as invalid",
    429: "The provider is busy (too many requests)",
    433: "The provider account reached its usage limit",
    455: "The provider is under maintenance",
    500: "The provider had an internal error",
    501: "The provider could not generate the video",
    505: "The provider has disabled this feature",
}

MARKET_CREATE = "/api/v1/jobs/createTask"
MARKET_QUERY = "/api/v1/jobs/recordInfo"
VEO_CREATE = "/api/v1/veo/generate"
VEO_QUERY = "/api/v1/veo/record-info"

MARKET_STATES: Mapping[str, TaskState] = {
    "waiting": TaskState.PENDING,
    "queuing": TaskState.PENDING,
    "generating": TaskState.RUNNING,
    "success": TaskState.SUCCEEDED,
    "fail": TaskState.FAILED,
}

VEO_STATES: Mapping[int, TaskState] = {
    0: TaskState.RUNNING,
    1: TaskState.SUCCEEDED,
    2: TaskState.FAILED,  # generation failed
    3: TaskState.FAILED,  # created, then failed
}

SIGNATURE_HEADER = "x-webhook-signature"
TIMESTAMP_HEADER = "x-webhook-timestamp"


def is_veo_model(provider_model: str) -> bool:
    return provider_model.startswith("veo3")


def code_error(code: object, message: object) -> ProviderError:
    """The ProviderError for a Kie body ``code`` other than 200."""
    number = _int_or_none(code)
    if number is None:
        summary = "The provider sent an answer that could not be read"
        return ProviderError(sentence(summary), retryable=True, code="bad_body")
    summary = CODE_SUMMARIES.get(number, f"The provider refused the request (code {number})")
    return ProviderError(
        sentence(summary, message if isinstance(message, str) else None),
        retryable=number in RETRYABLE_CODES,
        code=str(number),
    )


def unwrap(body: Any) -> Any:
    """``data`` of a ``{code, msg, data}`` answer whose code is 200, or raise."""
    if not isinstance(body, dict) or "code" not in body:
        raise ProviderError(
            "The provider sent an answer that could not be read.", retryable=True, code="bad_body"
        )
    if _int_or_none(body["code"]) != OK:
        logger.warning("Kie answered code %s: %.300s", body.get("code"), body.get("msg"))
        raise code_error(body["code"], body.get("msg"))
    return body.get("data")


def _http_error_hook(status: int, body: Any) -> ProviderError | None:
    # The body's code is the real status even when the HTTP status is an error too.
    if isinstance(body, dict) and _int_or_none(body.get("code")) not in (None, OK):
        return code_error(body["code"], body.get("msg"))
    return None


def _detail(body: Any) -> str | None:
    return body.get("msg") if isinstance(body, dict) else None


def _int_or_none(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        return None


def _url_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(url for url in value if isinstance(url, str) and url)


class KieProvider(Provider):
    key = "kie"
    sends_callbacks = True

    def __init__(self, *, api_key: str, base_url: str, webhook_hmac_key: str = "") -> None:
        self.http = ProviderHttpClient(base_url, api_key, error_hook=_http_error_hook, detail_reader=_detail)
        self.webhook_hmac_key = webhook_hmac_key

    # --- create ---------------------------------------------------------------

    def submit(self, request: GenerationRequest) -> str:
        if is_veo_model(request.provider_model):
            data = unwrap(self.http.post(VEO_CREATE, self.veo_payload(request)))
        else:
            data = unwrap(self.http.post(MARKET_CREATE, self.market_payload(request)))
        task_id = data.get("taskId") if isinstance(data, dict) else None
        if not isinstance(task_id, str) or not task_id:
            # Not retryable: a task may exist, and Kie has no idempotency key to dedupe.
            logger.warning("Kie create answered without a task id: %.500r", data)
            raise ProviderError(
                "The provider accepted the request but sent no task id.",
                retryable=False,
                code="no_task_id",
            )
        return task_id

    @staticmethod
    def market_payload(request: GenerationRequest) -> dict[str, Any]:
        task_input: dict[str, Any] = {
            "prompt": request.prompt,
            "aspect_ratio": request.aspect_ratio,
            # The Market models document duration as a string ("5").
            "duration": str(request.duration),
            "resolution": request.quality,
        }
        if request.start_image_url:
            task_input["image_urls"] = [request.start_image_url]
        payload: dict[str, Any] = {"model": request.provider_model, "input": task_input}
        if request.callback_url:
            payload["callBackUrl"] = request.callback_url
        return payload

    @staticmethod
    def veo_payload(request: GenerationRequest) -> dict[str, Any]:
        # 1080p is only offered by the full model, not by the fast one.
        model = "veo3" if request.quality == "1080p" else request.provider_model
        payload: dict[str, Any] = {
            "prompt": request.prompt,
            "model": model,
            "aspectRatio": request.aspect_ratio,
            "generationType": "REFERENCE_2_VIDEO" if request.start_image_url else "TEXT_2_VIDEO",
        }
        if request.start_image_url:
            payload["imageUrls"] = [request.start_image_url]
        if request.callback_url:
            payload["callBackUrl"] = request.callback_url
        return payload

    # --- query ----------------------------------------------------------------

    def query(self, task_id: str, request: GenerationRequest) -> TaskStatus:
        if is_veo_model(request.provider_model):
            return query_answer(task_id, self.http.get(VEO_QUERY, params={"taskId": task_id}), veo_status)
        return query_answer(task_id, self.http.get(MARKET_QUERY, params={"taskId": task_id}), market_status)

    # --- callbacks ------------------------------------------------------------

    def parse_callback(self, body: bytes, headers: Mapping[str, str]) -> CallbackInfo:
        decoded = callback_json(body)
        task_id = callback_task_id(decoded)
        if task_id is None:
            raise ProviderError("The callback body has no task id.", retryable=False)
        return CallbackInfo(task_id=task_id, extra={"code": str(decoded.get("code", ""))})

    def verify_signature(self, body: bytes, headers: Mapping[str, str]) -> bool | None:
        if not self.webhook_hmac_key:
            return None
        lowered = {name.lower(): value for name, value in headers.items()}
        timestamp = lowered.get(TIMESTAMP_HEADER, "")
        signature = lowered.get(SIGNATURE_HEADER, "")
        if not timestamp or not signature:
            return False
        try:
            task_id = callback_task_id(callback_json(body))
        except ProviderError:
            return False
        if task_id is None:
            return False
        # No freshness window here: the signed callback URL already expires, and a replayed
        # callback is only a trigger to re-query the provider.
        expected = webhook_signature(self.webhook_hmac_key, task_id, timestamp)
        return hmac.compare_digest(expected.encode(), signature.strip().encode())


def webhook_signature(key: str, task_id: str, timestamp: str) -> str:
    """base64(HMAC-SHA256(key, "<taskId>.<timestamp>")), as Kie signs callbacks."""
    digest = hmac.new(key.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def callback_task_id(body: Mapping[str, Any]) -> str | None:
    data = body.get("data")
    if not isinstance(data, dict):
        return None
    task_id = data.get("taskId") or data.get("task_id")
    return task_id if isinstance(task_id, str) and task_id else None


def query_answer(task_id: str, body: Any, parse: Any) -> TaskStatus:
    """A query answer as a status. Code 501 ("generation failed") is the task's verdict,
    not a failed call: the record, when present, says why."""
    if isinstance(body, dict) and _int_or_none(body.get("code")) == GENERATION_FAILED:
        record = body.get("data")
        if isinstance(record, dict):
            try:
                status = parse(task_id, record)
            except ProviderError:
                status = None
            if status is not None and status.state == TaskState.FAILED:
                return status
        message = sentence("The provider could not generate the video", body.get("msg"))
        return TaskStatus(task_id, TaskState.FAILED, error_message=message)
    return parse(task_id, _record(unwrap(body)))


def _record(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, dict):
        raise ProviderError(
            "The provider sent an answer that could not be read.", retryable=True, code="bad_body"
        )
    return data


def market_status(task_id: str, record: Mapping[str, Any]) -> TaskStatus:
    raw_state = str(record.get("state", "")).lower()
    # An unknown state is not a verdict: keep waiting, the reconciler's timeout still applies.
    state = MARKET_STATES.get(raw_state, TaskState.RUNNING)
    if state == TaskState.SUCCEEDED:
        return TaskStatus(
            task_id, state, progress=100, result_urls=_market_result_urls(record.get("resultJson"))
        )
    if state == TaskState.FAILED:
        detail = clean_detail(record.get("failMsg")) or clean_detail(record.get("failCode"))
        return TaskStatus(
            task_id,
            state,
            error_message=sentence("The provider could not generate the video", detail),
        )
    return TaskStatus(task_id, state)


def _market_result_urls(result_json: Any) -> tuple[str, ...]:
    # resultJson is a JSON *string* holding {"resultUrls": [...]}.
    if isinstance(result_json, str):
        try:
            result_json = json.loads(result_json)
        except ValueError:
            logger.warning("Kie resultJson is not JSON: %.300s", result_json)
            return ()
    if not isinstance(result_json, dict):
        return ()
    return _url_list(result_json.get("resultUrls"))


def veo_status(task_id: str, record: Mapping[str, Any]) -> TaskStatus:
    flag = _int_or_none(record.get("successFlag"))
    state = VEO_STATES.get(flag, TaskState.RUNNING) if flag is not None else TaskState.RUNNING
    if state == TaskState.SUCCEEDED:
        response = record.get("response")
        urls = _url_list(response.get("resultUrls")) if isinstance(response, dict) else ()
        return TaskStatus(task_id, state, progress=100, result_urls=urls)
    if state == TaskState.FAILED:
        detail = clean_detail(record.get("errorMessage")) or clean_detail(record.get("errorCode"))
        return TaskStatus(
            task_id,
            state,
            error_message=sentence("The provider could not generate the video", detail),
        )
    return TaskStatus(task_id, state)
