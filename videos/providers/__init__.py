"""The provider registry: a key (stored on each video, used in callback URLs) → an adapter.

Adapters are built on every ``get_provider`` call from the current settings, so keys and
base URLs changed by tests or a reload apply at once; building one costs no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.conf import settings

from videos.providers.base import Provider
from videos.providers.demo import DemoProvider
from videos.providers.evolink import EvoLinkProvider
from videos.providers.kie import KieProvider

__all__ = [
    "UnknownProviderError",
    "callback_provider_keys",
    "get_provider",
    "provider_keys",
]


class UnknownProviderError(KeyError):
    """No provider is registered under this key."""


def _evolink() -> Provider:
    return EvoLinkProvider(
        api_key=getattr(settings, "EVOLINK_API_KEY", ""),
        base_url=getattr(settings, "EVOLINK_BASE_URL", "https://api.evolink.ai"),
    )


def _kie() -> Provider:
    return KieProvider(
        api_key=getattr(settings, "KIE_API_KEY", ""),
        base_url=getattr(settings, "KIE_BASE_URL", "https://api.kie.ai"),
        webhook_hmac_key=getattr(settings, "KIE_WEBHOOK_HMAC_KEY", ""),
    )


# An adapter whose API key is empty is still registered: its calls fail with a readable
# "not configured" ProviderError, and callbacks addressed to it are still authenticated.
_REGISTRY: Mapping[str, tuple[type[Provider], Callable[[], Provider]]] = {
    "demo": (DemoProvider, DemoProvider),
    "evolink": (EvoLinkProvider, _evolink),
    "kie": (KieProvider, _kie),
}


def provider_keys() -> list[str]:
    return list(_REGISTRY)


def callback_provider_keys() -> list[str]:
    """Keys of providers that POST callbacks (the ``{provider}`` of the callback URL)."""
    return [key for key, (cls, _) in _REGISTRY.items() if cls.sends_callbacks]


def get_provider(key: str) -> Provider:
    try:
        _, build = _REGISTRY[key]
    except KeyError:
        raise UnknownProviderError(key) from None
    return build()
