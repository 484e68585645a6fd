"""The provider registry: keys, callback keys, lazy construction from settings."""

from __future__ import annotations

import pytest

from videos.providers import (
    UnknownProviderError,
    callback_provider_keys,
    get_provider,
    provider_keys,
)
from videos.providers.demo import DemoProvider
from videos.providers.evolink import EvoLinkProvider
from videos.providers.kie import KieProvider


def test_provider_keys_list_every_registered_provider():
    assert sorted(provider_keys()) == ["demo", "evolink", "kie"]


def test_callback_provider_keys_are_the_providers_that_post_callbacks():
    assert sorted(callback_provider_keys()) == ["evolink", "kie"]


@pytest.mark.parametrize(
    ("key", "adapter"), [("demo", DemoProvider), ("evolink", EvoLinkProvider), ("kie", KieProvider)]
)
def test_get_provider_returns_the_adapter_registered_under_its_key(key, adapter):
    provider = get_provider(key)

    assert isinstance(provider, adapter)
    assert provider.key == key


def test_get_provider_of_an_unknown_key_raises_a_key_error():
    with pytest.raises(UnknownProviderError) as raised:
        get_provider("openai")

    assert isinstance(raised.value, KeyError)


def test_get_provider_reads_the_current_settings(settings):
    settings.KIE_BASE_URL = "http://kie.test/"
    settings.KIE_API_KEY = "kie-key"
    settings.KIE_WEBHOOK_HMAC_KEY = "hmac-key"

    kie = get_provider("kie")

    assert (kie.http.base_url, kie.http.api_key, kie.webhook_hmac_key) == (
        "http://kie.test",
        "kie-key",
        "hmac-key",
    )


def test_an_adapter_without_an_api_key_is_still_built_for_callbacks(settings):
    settings.EVOLINK_API_KEY = ""

    assert get_provider("evolink").http.api_key == ""
