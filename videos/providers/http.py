"""Provider API calls: JSON over the one outbound guard (``kensa.outbound``).

Every call has explicit (connect, read) timeouts and a whole-call deadline, connects only
to the checked, pinned address and follows no redirect (it would carry our Bearer key
elsewhere). Every failure becomes a ``ProviderError`` whose ``retryable`` flag the
generation flow acts on: timeouts, connection errors, 429 and 5xx may pass later; other
4xx never will.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings

from kensa.metrics import record_provider_call
from kensa.outbound import OutboundError, fetch, names_an_address, split_timeout
from videos.providers.base import ProviderError

logger = logging.getLogger(__name__)

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 10.0
# A provider's JSON answer is small; anything near this is not an answer we can use.
MAX_ANSWER_BYTES = 10 * 1024 * 1024

# Plain-language summaries of HTTP statuses; a vendor's own message is appended to them.
STATUS_SUMMARIES: Mapping[int, str] = {
    400: "The provider refused the request",
    401: "The provider refused our API key",
    402: "The provider account balance is too low",
    403: "The provider refused our API key",
    404: "The provider does not know this task",
    422: "The provider refused the request as invalid",
    429: "The provider is busy (too many requests)",
}

# Vendors' texts can be long, multi-line or HTML; a user sees one short sentence.
MAX_DETAIL_CHARS = 300

# An adapter may read a vendor's error body and decide the error itself (Kie's body code
# overrides the HTTP status); returning None keeps the HTTP-status classification.
ErrorHook = Callable[[int, Any], ProviderError | None]
# Pulls a vendor's human-readable message out of an error body.
DetailReader = Callable[[Any], str | None]


def http_timeout() -> tuple[float, float]:
    """(connect, read) seconds from ``PROVIDER_HTTP_TIMEOUT``: a number (read) or a pair."""
    configured = getattr(settings, "PROVIDER_HTTP_TIMEOUT", DEFAULT_READ_TIMEOUT)
    return split_timeout(configured, connect_cap=DEFAULT_CONNECT_TIMEOUT)


def sentence(summary: str, detail: str | None = None) -> str:
    """One readable sentence: ``summary`` plus the vendor's detail, ending with a period."""
    text = summary.rstrip(". ")
    cleaned = clean_detail(detail)
    if cleaned:
        text = f"{text}: {cleaned}"
    return text if text.endswith((".", "!", "?")) else f"{text}."


def clean_detail(detail: object) -> str:
    if not isinstance(detail, str):
        return ""
    text = re.sub(r"\s+", " ", detail).strip()
    if len(text) > MAX_DETAIL_CHARS:
        text = text[: MAX_DETAIL_CHARS - 1].rstrip() + "…"
    return text.rstrip(". ")


def is_retryable_status(status: int) -> bool:
    return status == 429 or status >= 500


def status_error(status: int, detail: str | None = None) -> ProviderError:
    """The ProviderError for an HTTP error status (retryable for 429 and 5xx)."""
    if status >= 500:
        summary = f"The provider is temporarily unavailable (HTTP {status})"
    else:
        summary = STATUS_SUMMARIES.get(status, f"The provider refused the request (HTTP {status})")
    return ProviderError(sentence(summary, detail), retryable=is_retryable_status(status), code=str(status))


# The guard's transport failures, in a provider's words.
TRANSPORT_MESSAGES: Mapping[str, str] = {
    "timeout": "The provider did not answer in time.",
    "unreachable": "The provider could not be reached.",
    "tls": "The provider's certificate could not be verified.",
    "dns": "The provider's address could not be resolved.",
    "request": "The request to the provider could not be sent.",
}


def provider_error(error: OutboundError) -> ProviderError:
    """The ProviderError for a failure of the outbound guard, keeping its code and flag."""
    message = TRANSPORT_MESSAGES.get(error.code, error.message)
    return ProviderError(message, retryable=error.retryable, code=error.code)


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


class ProviderHttpClient:
    """JSON in, JSON out, against one provider's base URL with its Bearer key.

    Each request uses its own short-lived pinned session: an adapter makes one or two
    calls per unit of work, so pooling would buy nothing, and nothing is left open.

    Private addresses are refused as for any outbound call, unless
    ``REMOTE_ASSET_ALLOW_PRIVATE``, or the operator wrote an IP address into the base
    URL: that address is configuration, not a DNS answer a third party controls (a
    provider relay on the private network, the tests' loopback fakes).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        error_hook: ErrorHook | None = None,
        detail_reader: DetailReader | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.error_hook = error_hook
        self.detail_reader = detail_reader
        self.allow_private = names_an_address(self.base_url) or None  # None: the setting decides

    def get(self, path: str, *, params: Mapping[str, str] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, payload: Mapping[str, Any]) -> Any:
        return self.request("POST", path, payload=payload)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        payload: Mapping[str, Any] | None = None,
    ) -> Any:
        """Send one request; return the decoded JSON body of a 2xx answer or raise."""
        if not self.api_key:
            # Asking without a key only produces a 401 later; say plainly what is wrong.
            raise ProviderError(
                "The provider is not configured (no API key).", retryable=False, code="no_api_key"
            )
        url = f"{self.base_url}{path}"
        headers = {"Authorization": f"Bearer {self.api_key}", "Accept": "application/json"}
        connect, read = http_timeout()
        try:
            with fetch(
                method,
                url,
                params=params,
                json=payload,
                headers=headers,
                timeout=(connect, read),
                # The read timeout bounds the whole answer too, not only each wait.
                total_timeout=connect + read,
                allow_private=self.allow_private,
            ) as answer:
                status = answer.status_code
                raw_body = answer.read(MAX_ANSWER_BYTES)
        except OutboundError as error:
            record_provider_call(self.base_url, error.code)
            raise provider_error(error) from error
        record_provider_call(self.base_url, "ok" if 200 <= status < 300 else f"http_{status // 100}xx")
        body = _json_or_none(raw_body)
        if not 200 <= status < 300:
            logger.warning("provider %s %s answered HTTP %s: %.500r", method, url, status, raw_body)
            raise self._error_for(status, body)
        if body is None:
            logger.warning("provider %s %s sent a non-JSON answer: %.500r", method, url, raw_body)
            raise ProviderError(
                "The provider sent an answer that could not be read.",
                retryable=True,
                code="bad_json",
            )
        return body

    def _error_for(self, status: int, body: Any) -> ProviderError:
        if self.error_hook is not None and (error := self.error_hook(status, body)) is not None:
            return error
        detail = self.detail_reader(body) if self.detail_reader is not None else None
        return status_error(status, detail)
