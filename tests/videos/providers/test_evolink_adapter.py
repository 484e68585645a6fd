"""The EvoLink adapter over real HTTP against the fake EvoLink API."""

from __future__ import annotations

import json

import pytest

from videos.providers.base import GenerationRequest, ProviderError, TaskState
from videos.providers.evolink import EvoLinkProvider

CREATE_PATH = "/v1/videos/generations"


def make_request(**overrides) -> GenerationRequest:
    values = {
        "reference": "3f1c9a52-6d1e-4d59-9a43-0b1f0e6f7c11",
        "provider_model": "sora-2",
        "prompt": "a red fox in the snow",
        "duration": 10,
        "aspect_ratio": "16:9",
        "quality": "720p",
        "start_image_url": None,
        "callback_url": "https://kensa.example/api/v1/video/callback/evolink?video=x&ts=1&sig=s",
    }
    values.update(overrides)
    return GenerationRequest(**values)


@pytest.fixture
def evolink(provider_server) -> EvoLinkProvider:
    return EvoLinkProvider(api_key=provider_server.api_key, base_url=provider_server.base_url)


@pytest.fixture
def task_id(evolink) -> str:
    return evolink.submit(make_request())


def refusal(evolink: EvoLinkProvider) -> ProviderError:
    with pytest.raises(ProviderError) as raised:
        evolink.submit(make_request())
    return raised.value


# --- submit --------------------------------------------------------------------


def test_submit_returns_the_task_id_of_the_created_task(evolink, provider_server):
    task_id = evolink.submit(make_request())

    assert task_id.startswith("task-unified-")
    assert provider_server.task(task_id).model == "sora-2"


def test_submit_sends_evolinks_fields_with_the_bearer_key(evolink, provider_server):
    evolink.submit(make_request(start_image_url="https://cdn.example/start.png"))

    (create,) = provider_server.requests_to(CREATE_PATH, "POST")
    assert create.headers["Authorization"] == f"Bearer {provider_server.api_key}"
    assert create.json == {
        "model": "sora-2",
        "prompt": "a red fox in the snow",
        "aspect_ratio": "16:9",
        "duration": 10,
        "quality": "720p",
        "image_urls": ["https://cdn.example/start.png"],
        "callback_url": "https://kensa.example/api/v1/video/callback/evolink?video=x&ts=1&sig=s",
    }


def test_submit_leaves_out_image_and_callback_when_there_are_none(evolink, provider_server):
    evolink.submit(make_request(callback_url=None))

    (create,) = provider_server.requests_to(CREATE_PATH, "POST")
    assert "image_urls" not in create.json
    assert "callback_url" not in create.json


def test_submit_with_a_wrong_key_fails_permanently(provider_server):
    evolink = EvoLinkProvider(api_key="wrong", base_url=provider_server.base_url)

    error = refusal(evolink)

    assert (error.retryable, error.message) == (
        False,
        "The provider refused our API key: Invalid API key.",
    )


def test_submit_refused_with_400_fails_permanently_with_the_providers_reason(evolink, provider_server):
    provider_server.fail_next_create(http_status=400, message="prompt violates the content policy")

    error = refusal(evolink)

    assert error.retryable is False
    assert error.message == "The provider refused the request: prompt violates the content policy."


def test_submit_refused_for_low_provider_balance_fails_permanently(evolink, provider_server):
    provider_server.fail_next_create(http_status=402, message="Insufficient balance")

    error = refusal(evolink)

    assert (error.retryable, error.code) == (False, "402")


def test_submit_throttled_with_429_is_retryable(evolink, provider_server):
    provider_server.fail_next_create(http_status=429)

    assert refusal(evolink).retryable is True


def test_submit_answered_with_503_is_retryable(evolink, provider_server):
    provider_server.fail_next_create(http_status=503)

    assert refusal(evolink).retryable is True


def test_submit_that_times_out_is_retryable(evolink, provider_server, short_timeout):
    provider_server.stall_next_request(3)

    error = refusal(evolink)

    assert (error.retryable, error.message) == (True, "The provider did not answer in time.")


def test_submit_without_an_api_key_fails_permanently(provider_server):
    evolink = EvoLinkProvider(api_key="", base_url=provider_server.base_url)

    assert refusal(evolink).retryable is False


# --- query ---------------------------------------------------------------------


def test_query_of_a_pending_task_is_pending(evolink, task_id):
    status = evolink.query(task_id, make_request())

    assert (status.task_id, status.state, status.progress) == (task_id, TaskState.PENDING, 0)


def test_query_of_a_processing_task_is_running_with_its_progress(evolink, provider_server, task_id):
    provider_server.set_state(task_id, "running", progress=40)

    status = evolink.query(task_id, make_request())

    assert (status.state, status.progress, status.is_terminal) == (TaskState.RUNNING, 40, False)


def test_query_of_a_completed_task_succeeds_with_the_result_urls(evolink, provider_server, task_id):
    provider_server.complete(task_id, result_urls=["https://cdn.example/v.mp4"], callback=False)

    status = evolink.query(task_id, make_request())

    assert (status.state, status.progress, status.result_urls) == (
        TaskState.SUCCEEDED,
        100,
        ("https://cdn.example/v.mp4",),
    )


def test_query_of_a_failed_task_fails_with_the_providers_message(evolink, provider_server, task_id):
    provider_server.fail(task_id, "Content moderation rejected the prompt", callback=False)

    status = evolink.query(task_id, make_request())

    assert status.state == TaskState.FAILED
    assert status.error_message == (
        "The provider could not generate the video: Content moderation rejected the prompt."
    )


def test_query_of_a_cancelled_task_fails(evolink, provider_server, task_id):
    provider_server.cancel(task_id, callback=False)

    status = evolink.query(task_id, make_request())

    assert status.state == TaskState.FAILED
    assert status.error_message.startswith("The provider cancelled the generation")


def test_query_of_an_unknown_task_fails_permanently(evolink):
    with pytest.raises(ProviderError) as raised:
        evolink.query("task-unified-missing", make_request())

    assert (raised.value.retryable, raised.value.code) == (False, "404")


def test_query_answered_with_500_is_retryable(evolink, provider_server, task_id):
    provider_server.fail_next_query(http_status=500)

    with pytest.raises(ProviderError) as raised:
        evolink.query(task_id, make_request())

    assert raised.value.retryable is True


# --- callbacks -----------------------------------------------------------------


def test_parse_callback_reads_the_task_id_from_the_posted_task_object(
    evolink, provider_server, callback_receiver
):
    task_id = evolink.submit(make_request(callback_url=f"{callback_receiver.base_url}/callback?video=v"))
    provider_server.complete(task_id)
    (delivery,) = callback_receiver.requests_to("/callback", "POST")

    info = evolink.parse_callback(delivery.body, delivery.headers)

    assert (info.task_id, info.extra["status"]) == (task_id, "completed")


def test_parse_callback_of_a_body_that_is_not_json_fails_permanently(evolink):
    with pytest.raises(ProviderError) as raised:
        evolink.parse_callback(b"<html>oops</html>", {})

    assert raised.value.retryable is False


def test_parse_callback_without_a_task_id_fails_permanently(evolink):
    with pytest.raises(ProviderError) as raised:
        evolink.parse_callback(json.dumps({"status": "completed"}).encode(), {})

    assert raised.value.retryable is False


def test_evolink_callbacks_carry_no_signature_to_verify(evolink):
    assert evolink.verify_signature(b'{"id": "task-unified-1"}', {}) is None
