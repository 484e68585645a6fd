"""Test doubles of the outside world that speak real protocols over loopback HTTP."""

from tests.fakes.provider_server import FakeProviderServer, FakeTask, RecordedRequest, SentCallback

__all__ = ["FakeProviderServer", "FakeTask", "RecordedRequest", "SentCallback"]
