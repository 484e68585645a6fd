"""The contract every AI video provider adapter implements.

Adapters never touch the ORM: they take and return the frozen dataclasses below and
raise ``ProviderError``. Their API calls go through ``videos.providers.http``, result
downloads through ``videos.downloads``; both use the outbound guard (``kensa.outbound``),
whose ``OutboundError`` they turn into ``ProviderError``.
"""

from __future__ import annotations

import abc
import enum
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

from kensa.outbound import OutboundError
from videos.downloads import open_remote_video


class TaskState(enum.StrEnum):
    PENDING = "PENDING"  # accepted by the provider, not started
    RUNNING = "RUNNING"  # the provider is generating
    SUCCEEDED = "SUCCEEDED"  # result_urls holds the video
    FAILED = "FAILED"  # error_message says why (refused, moderated, cancelled, ...)


@dataclass(frozen=True)
class GenerationRequest:
    """What a provider needs to start (and later query) one generation."""

    reference: str  # our video uuid
    provider_model: str  # the provider's own model identifier
    prompt: str
    duration: int
    aspect_ratio: str
    quality: str
    start_image_url: str | None = None
    callback_url: str | None = None
    with_audio: bool = False  # the model makes a soundtrack (the demo adds a tone)


@dataclass(frozen=True)
class TaskStatus:
    task_id: str
    state: TaskState
    progress: int | None = None
    result_urls: tuple[str, ...] = ()
    thumbnail_url: str | None = None
    error_message: str | None = None

    @property
    def is_terminal(self) -> bool:
        return self.state in (TaskState.SUCCEEDED, TaskState.FAILED)


@dataclass(frozen=True)
class CallbackInfo:
    """What a callback body tells us before we ask the provider for the truth."""

    task_id: str
    extra: Mapping[str, str] = field(default_factory=dict)


class ProviderError(Exception):
    """A provider call failed. ``retryable`` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.code = code


def callback_json(body: bytes) -> dict[str, Any]:
    """A callback body decoded as a JSON object; anything else is a malformed callback."""
    try:
        decoded = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise ProviderError("The callback body is not valid JSON.", retryable=False) from error
    if not isinstance(decoded, dict):
        raise ProviderError("The callback body is not a JSON object.", retryable=False)
    return decoded


class Provider(abc.ABC):
    key: str  # registry key, also the `{provider}` of the callback URL
    sends_callbacks: bool = True

    @abc.abstractmethod
    def submit(self, request: GenerationRequest) -> str:
        """Start a generation; return the provider's task id."""

    @abc.abstractmethod
    def query(self, task_id: str, request: GenerationRequest) -> TaskStatus:
        """Ask the provider for the task's state (the source of truth)."""

    def parse_callback(self, body: bytes, headers: Mapping[str, str]) -> CallbackInfo:
        """Extract the task id from a callback body; raise ProviderError if malformed."""
        raise ProviderError(f"{self.key} does not send callbacks", retryable=False)

    def verify_signature(self, body: bytes, headers: Mapping[str, str]) -> bool | None:
        """Check the provider's own callback signature.

        Returns None when the provider does not sign callbacks (or no key is
        configured), True/False for a checked signature.
        """
        return None

    @contextmanager
    def open_result(self, url: str) -> Iterator[IO[bytes]]:
        """Open a result for copying into our storage (remote providers: safe download)."""
        try:
            with open_remote_video(url) as stream:
                yield stream
        except OutboundError as error:
            raise ProviderError(error.message, retryable=error.retryable, code=error.code) from error
