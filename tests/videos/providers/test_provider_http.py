"""The outbound HTTP helper, over real HTTP against the fake provider server."""

from __future__ import annotations

import socket
import time

import pytest

from videos.providers.base import ProviderError
from videos.providers.http import ProviderHttpClient, http_timeout, sentence


@pytest.fixture
def client(provider_server) -> ProviderHttpClient:
    return ProviderHttpClient(provider_server.base_url, provider_server.api_key)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_post_sends_json_with_the_bearer_key_and_returns_the_decoded_answer(client, provider_server):
    answer = client.post("/v1/videos/generations", {"model": "sora-2", "prompt": "a fox"})

    assert answer["object"] == "video.generation.task"
    (recorded,) = provider_server.requests_to("/v1/videos/generations")
    assert recorded.headers["Authorization"] == f"Bearer {provider_server.api_key}"
    assert recorded.json == {"model": "sora-2", "prompt": "a fox"}


def test_http_429_is_retryable(client, provider_server):
    provider_server.fail_next_create(http_status=429, message="slow down")

    with pytest.raises(ProviderError) as raised:
        client.post("/v1/videos/generations", {"model": "m", "prompt": "p"})

    assert (raised.value.retryable, raised.value.code) == (True, "429")


def test_http_5xx_is_retryable(client, provider_server):
    provider_server.fail_next_create(http_status=502)

    with pytest.raises(ProviderError) as raised:
        client.post("/v1/videos/generations", {"model": "m", "prompt": "p"})

    assert raised.value.retryable is True
    assert raised.value.message == "The provider is temporarily unavailable (HTTP 502)."


def test_http_4xx_is_permanent(client):
    with pytest.raises(ProviderError) as raised:
        client.get("/v1/tasks/no-such-task")

    assert (raised.value.retryable, raised.value.code) == (False, "404")


def test_a_read_timeout_is_retryable_and_returns_promptly(client, provider_server, short_timeout):
    provider_server.stall_next_request(3)
    started = time.monotonic()

    with pytest.raises(ProviderError) as raised:
        client.get("/v1/tasks/anything")

    assert (raised.value.retryable, raised.value.code) == (True, "timeout")
    assert time.monotonic() - started < 2


def test_an_unreachable_host_is_retryable():
    client = ProviderHttpClient(f"http://127.0.0.1:{closed_port()}", "some-key")

    with pytest.raises(ProviderError) as raised:
        client.get("/v1/tasks/x")

    assert (raised.value.retryable, raised.value.code) == (True, "unreachable")


def test_a_2xx_answer_that_is_not_json_is_retryable(client):
    with pytest.raises(ProviderError) as raised:
        client.get("/files/result.mp4")

    assert (raised.value.retryable, raised.value.code) == (True, "bad_json")


def test_a_redirect_is_not_followed_so_the_key_stays_with_the_provider(client, provider_server):
    target = provider_server.file_url("elsewhere.mp4")

    with pytest.raises(ProviderError) as raised:
        client.get("/files/redirect", params={"to": target})

    assert raised.value.retryable is False
    assert provider_server.requests_to("/files/elsewhere.mp4") == []


def test_a_missing_api_key_fails_permanently_without_calling_the_provider(provider_server):
    client = ProviderHttpClient(provider_server.base_url, "")

    with pytest.raises(ProviderError) as raised:
        client.get("/v1/tasks/x")

    assert (raised.value.retryable, raised.value.message) == (
        False,
        "The provider is not configured (no API key).",
    )
    assert provider_server.requests == []


def test_timeout_setting_as_a_number_is_the_read_timeout_with_a_bounded_connect(settings):
    settings.PROVIDER_HTTP_TIMEOUT = 12

    assert http_timeout() == (5.0, 12.0)


def test_timeout_setting_as_a_pair_is_connect_and_read(settings):
    settings.PROVIDER_HTTP_TIMEOUT = (2, 30)

    assert http_timeout() == (2.0, 30.0)


def test_sentence_joins_a_vendor_detail_into_one_clean_sentence():
    assert sentence("The provider refused the request", "  bad\n prompt.  ") == (
        "The provider refused the request: bad prompt."
    )
