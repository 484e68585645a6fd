from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.provider_server import FakeProviderServer

API_KEY = "test-provider-key"


@pytest.fixture
def provider_server() -> Iterator[FakeProviderServer]:
    with FakeProviderServer(api_key=API_KEY, slow_seconds=5) as server:
        yield server


@pytest.fixture
def callback_receiver() -> Iterator[FakeProviderServer]:
    """Stands in for Kensa's callback endpoint: it records every POST it receives."""
    with FakeProviderServer(api_key="unused") as receiver:
        yield receiver


@pytest.fixture
def short_timeout(settings) -> float:
    settings.PROVIDER_HTTP_TIMEOUT = 0.3
    return 0.3


@pytest.fixture
def allow_private(settings) -> None:
    # The fake server listens on loopback, which downloads refuse by default.
    settings.REMOTE_ASSET_ALLOW_PRIVATE = True
