"""The Kie adapter (Market API and Veo API) over real HTTP against the fake Kie API."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from videos.providers.base import GenerationRequest, ProviderError, TaskState
from videos.providers.kie import KieProvider

MARKET_CREATE = "/api/v1/jobs/createTask"
VEO_CREATE = "/api/v1/veo/generate"
HMAC_KEY = "kie-webhook-secret"


def make_request(**overrides) -> GenerationRequest:
    values = {
        "reference": "3f1c9a52-6d1e-4d59-9a43-0b1f0e6f7c11",
        "provider_model": "wan/2-6-text-to-video",
        "prompt": "a paper boat on a lake",
        "duration": 5,
        "aspect_ratio": "16:9",
        "quality": "1080p",
        "start_image_url": None,
        "callback_url": "https://kensa.example/api/v1/video/callback/kie?video=x&ts=1&sig=s",
    }
    values.update(overrides)
    return GenerationRequest(**values)


def veo_request(**overrides) -> GenerationRequest:
    return make_request(provider_model="veo3_fast", duration=8, quality="720p", **overrides)


@pytest.fixture
def kie(provider_server) -> KieProvider:
    return KieProvider(
        api_key=provider_server.api_key,
        base_url=provider_server.base_url,
        webhook_hmac_key=HMAC_KEY,
    )


@pytest.fixture
def market_task(kie) -> str:
    return kie.submit(make_request())


@pytest.fixture
def veo_task(kie) -> str:
    return kie.submit(veo_request())


def refusal(kie: KieProvider, request: GenerationRequest | None = None) -> ProviderError:
    with pytest.raises(ProviderError) as raised:
        kie.submit(request or make_request())
    return raised.value


def posted_callback(kie, provider_server, receiver, request: GenerationRequest, **finish):
    """Submit with the receiver as callback URL, finish the task, return what was POSTed."""
    task_id = kie.submit(replace(request, callback_url=f"{receiver.base_url}/cb"))
    if "message" in finish:
        provider_server.fail(task_id, finish["message"], hmac_key=finish.get("hmac_key"))
    else:
        provider_server.complete(task_id, hmac_key=finish.get("hmac_key"))
    (delivery,) = receiver.requests_to("/cb", "POST")
    return task_id, delivery


# --- submit: Market API ----------------------------------------------------------


def test_market_submit_returns_the_task_id(kie, provider_server):
    task_id = kie.submit(make_request())

    assert provider_server.task(task_id).api == "kie-market"


def test_market_submit_sends_the_market_fields_with_the_bearer_key(kie, provider_server):
    kie.submit(make_request(start_image_url="https://cdn.example/start.png"))

    (create,) = provider_server.requests_to(MARKET_CREATE, "POST")
    assert create.headers["Authorization"] == f"Bearer {provider_server.api_key}"
    assert create.json == {
        "model": "wan/2-6-text-to-video",
        "callBackUrl": "https://kensa.example/api/v1/video/callback/kie?video=x&ts=1&sig=s",
        "input": {
            "prompt": "a paper boat on a lake",
            "aspect_ratio": "16:9",
            "duration": "5",
            "resolution": "1080p",
            "image_urls": ["https://cdn.example/start.png"],
        },
    }


# --- submit: Veo API -------------------------------------------------------------


def test_a_veo3_model_is_submitted_to_the_veo_api_as_text_to_video(kie, provider_server):
    kie.submit(veo_request())

    assert provider_server.requests_to(MARKET_CREATE) == []
    (create,) = provider_server.requests_to(VEO_CREATE, "POST")
    assert create.json == {
        "prompt": "a paper boat on a lake",
        "model": "veo3_fast",
        "aspectRatio": "16:9",
        "generationType": "TEXT_2_VIDEO",
        "callBackUrl": "https://kensa.example/api/v1/video/callback/kie?video=x&ts=1&sig=s",
    }


def test_a_veo_submit_with_a_start_image_is_reference_to_video(kie, provider_server):
    kie.submit(veo_request(start_image_url="https://cdn.example/start.png"))

    (create,) = provider_server.requests_to(VEO_CREATE, "POST")
    assert create.json["generationType"] == "REFERENCE_2_VIDEO"
    assert create.json["imageUrls"] == ["https://cdn.example/start.png"]


def test_a_1080p_veo_submit_uses_the_full_veo3_model(kie, provider_server):
    kie.submit(make_request(provider_model="veo3_fast", quality="1080p"))

    (create,) = provider_server.requests_to(VEO_CREATE, "POST")
    assert create.json["model"] == "veo3"


# --- submit: errors (the body's code is the real status) ------------------------------


def test_a_wrong_key_answered_with_http_200_and_code_401_fails_permanently(provider_server):
    kie = KieProvider(api_key="wrong", base_url=provider_server.base_url)

    error = refusal(kie)

    assert (error.retryable, error.code) == (False, "401")
    assert error.message == "The provider refused our API key: You do not have access permissions."


@pytest.mark.parametrize("code", [402, 422, 433, 505])
def test_a_refusal_code_in_an_http_200_body_fails_permanently(kie, provider_server, code):
    provider_server.fail_next_create(kie_code=code, message="refused by Kie")

    error = refusal(kie)

    assert (error.retryable, error.code) == (False, str(code))
    assert error.message.endswith(": refused by Kie.")


@pytest.mark.parametrize("code", [429, 455, 500])
def test_a_transient_code_in_an_http_200_body_is_retryable(kie, provider_server, code):
    provider_server.fail_next_create(kie_code=code)

    error = refusal(kie)

    assert (error.retryable, error.code) == (True, str(code))


def test_code_501_means_the_generation_failed_permanently(kie, provider_server):
    provider_server.fail_next_create(kie_code=501, message="generation failed")

    error = refusal(kie)

    assert (error.retryable, error.message) == (
        False,
        "The provider could not generate the video: generation failed.",
    )


def test_the_body_code_wins_over_an_http_error_status(kie, provider_server):
    provider_server.fail_next_create(http_status=500, kie_code=422, message="duration is invalid")

    error = refusal(kie)

    assert (error.retryable, error.code) == (False, "422")


def test_a_veo_submit_refused_in_the_body_fails_permanently(kie, provider_server):
    provider_server.fail_next_create(kie_code=402, message="credits insufficient")

    error = refusal(kie, veo_request())

    assert (error.retryable, error.code) == (False, "402")


def test_a_submit_that_times_out_is_retryable(kie, provider_server, short_timeout):
    provider_server.stall_next_request(3)

    error = refusal(kie)

    assert (error.retryable, error.code) == (True, "timeout")


# --- query: Market API -------------------------------------------------------------


@pytest.mark.parametrize(
    ("neutral_state", "expected"),
    [
        ("pending", TaskState.PENDING),
        ("queuing", TaskState.PENDING),
        ("running", TaskState.RUNNING),
    ],
)
def test_market_query_maps_unfinished_states(kie, provider_server, market_task, neutral_state, expected):
    provider_server.set_state(market_task, neutral_state)

    status = kie.query(market_task, make_request())

    assert (status.state, status.is_terminal) == (expected, False)


def test_market_query_of_success_reads_the_urls_from_the_result_json_string(
    kie, provider_server, market_task
):
    provider_server.complete(market_task, result_urls=["https://cdn.example/r.mp4"], callback=False)

    status = kie.query(market_task, make_request())

    assert (status.state, status.result_urls) == (
        TaskState.SUCCEEDED,
        ("https://cdn.example/r.mp4",),
    )


def test_market_query_of_a_failure_carries_the_fail_message(kie, provider_server, market_task):
    provider_server.fail(market_task, "Your prompt was flagged by moderation", callback=False)

    status = kie.query(market_task, make_request())

    assert (status.state, status.error_message) == (
        TaskState.FAILED,
        "The provider could not generate the video: Your prompt was flagged by moderation.",
    )


def test_market_query_of_an_unknown_task_fails_permanently(kie):
    with pytest.raises(ProviderError) as raised:
        kie.query("no-such-task", make_request())

    assert (raised.value.retryable, raised.value.code) == (False, "404")


def test_market_query_answered_with_code_455_is_retryable(kie, provider_server, market_task):
    provider_server.fail_next_query(kie_code=455, message="maintenance")

    with pytest.raises(ProviderError) as raised:
        kie.query(market_task, make_request())

    assert raised.value.retryable is True


# --- query: Veo API ------------------------------------------------------------------


def test_veo_query_of_flag_0_is_running(kie, veo_task):
    status = kie.query(veo_task, veo_request())

    assert status.state == TaskState.RUNNING


def test_veo_query_of_flag_1_succeeds_with_the_response_urls(kie, provider_server, veo_task):
    provider_server.complete(veo_task, result_urls=["https://cdn.example/veo.mp4"], callback=False)

    status = kie.query(veo_task, veo_request())

    assert (status.state, status.result_urls) == (
        TaskState.SUCCEEDED,
        ("https://cdn.example/veo.mp4",),
    )


@pytest.mark.parametrize("flag", [2, 3])
def test_veo_query_of_flags_2_and_3_fails_with_the_error_message(kie, provider_server, veo_task, flag):
    provider_server.fail(veo_task, "Public figures are not allowed", veo_success_flag=flag, callback=False)

    status = kie.query(veo_task, veo_request())

    assert (status.state, status.error_message) == (
        TaskState.FAILED,
        "The provider could not generate the video: Public figures are not allowed.",
    )


def test_veo_query_goes_to_the_veo_record_info_endpoint(kie, provider_server, veo_task):
    kie.query(veo_task, veo_request())

    (query,) = provider_server.requests_to("/api/v1/veo/record-info", "GET")
    assert query.query == {"taskId": veo_task}


# --- callbacks ---------------------------------------------------------------------


def test_parse_callback_reads_the_task_id_of_a_market_callback(kie, provider_server, callback_receiver):
    task_id, delivery = posted_callback(kie, provider_server, callback_receiver, make_request())

    info = kie.parse_callback(delivery.body, delivery.headers)

    assert (info.task_id, info.extra["code"]) == (task_id, "200")


def test_parse_callback_reads_the_task_id_of_a_failed_veo_callback(kie, provider_server, callback_receiver):
    task_id, delivery = posted_callback(
        kie, provider_server, callback_receiver, veo_request(), message="blocked"
    )

    info = kie.parse_callback(delivery.body, delivery.headers)

    assert (info.task_id, info.extra["code"]) == (task_id, "501")


def test_parse_callback_accepts_the_snake_case_task_id(kie):
    info = kie.parse_callback(json.dumps({"code": 200, "data": {"task_id": "abc123"}}).encode(), {})

    assert info.task_id == "abc123"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"code": 200, "data": null}',
        b'{"code": 200, "data": {"taskId": ""}}',
    ],
)
def test_parse_callback_of_a_malformed_body_fails_permanently(kie, body):
    with pytest.raises(ProviderError) as raised:
        kie.parse_callback(body, {})

    assert raised.value.retryable is False


# --- callback signatures -------------------------------------------------------------


def test_a_callback_signed_with_our_key_verifies(kie, provider_server, callback_receiver):
    _, delivery = posted_callback(kie, provider_server, callback_receiver, make_request(), hmac_key=HMAC_KEY)

    assert kie.verify_signature(delivery.body, delivery.headers) is True


def test_a_callback_signed_with_another_key_does_not_verify(kie, provider_server, callback_receiver):
    _, delivery = posted_callback(
        kie, provider_server, callback_receiver, make_request(), hmac_key="someone-else"
    )

    assert kie.verify_signature(delivery.body, delivery.headers) is False


def test_a_signature_does_not_verify_for_another_task_id(kie, provider_server, callback_receiver):
    _, delivery = posted_callback(kie, provider_server, callback_receiver, make_request(), hmac_key=HMAC_KEY)
    forged = json.dumps({"code": 200, "data": {"taskId": "another-task"}}).encode()

    assert kie.verify_signature(forged, delivery.headers) is False


def test_an_unsigned_callback_does_not_verify_when_a_key_is_configured(
    kie, provider_server, callback_receiver
):
    _, delivery = posted_callback(kie, provider_server, callback_receiver, make_request())

    assert "X-Webhook-Signature" not in delivery.headers
    assert kie.verify_signature(delivery.body, delivery.headers) is False


def test_signature_headers_are_matched_case_insensitively(kie, provider_server, market_task):
    headers = provider_server.callback_headers(market_task, HMAC_KEY)
    lowered = {name.lower(): value for name, value in headers.items()}
    body = json.dumps({"code": 200, "data": {"taskId": market_task}}).encode()

    assert kie.verify_signature(body, lowered) is True


def test_no_signature_check_happens_without_a_configured_key(provider_server):
    kie = KieProvider(api_key=provider_server.api_key, base_url=provider_server.base_url)

    assert kie.verify_signature(b'{"code": 200, "data": {"taskId": "t"}}', {}) is None
