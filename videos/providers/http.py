"""The one outbound HTTP seam for provider calls and result downloads.

Every request has explicit (connect, read) timeouts, and every ``requests`` failure is
turned into a ``ProviderError`` whose ``retryable`` flag the generation flow acts on:
timeouts, connection errors, 429 and 5xx may pass later; other 4xx never will.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import requests
from django.conf import settings

from videos.providers.base import ProviderError

logger = logging.getLogger(__name__)

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 10.0
USER_AGENT = "Kensa/1.0 (+video generation backend)"

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
    if isinstance(configured, list | tuple):
        connect, read = configured
        return float(connect), float(read)
    read = float(configured)
    # A short read timeout (tests, impatient deployments) should not wait longer to connect.
    return min(DEFAULT_CONNECT_TIMEOUT, read), read


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


@contextmanager
def translated_errors() -> Iterator[None]:
    """Turn ``requests`` failures raised inside the block into retryable ProviderErrors.

    Also wraps reads of a streamed body: a stall or reset mid-download surfaces there.
    """
    try:
        yield
    except requests.Timeout as error:
        logger.warning("provider HTTP timeout: %s", error)
        raise ProviderError("The provider did not answer in time.", retryable=True, code="timeout") from error
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
        # Also a read timeout or a cut-off while iterating a streamed body (urllib3 wraps it).
        logger.warning("provider HTTP connection error: %s", error)
        raise ProviderError(
            "The provider could not be reached.", retryable=True, code="unreachable"
        ) from error
    except requests.RequestException as error:
        # Invalid URL, too many redirects, ...: retrying the same request cannot help.
        logger.warning("provider HTTP request error: %s", error)
        raise ProviderError(
            "The request to the provider could not be sent.", retryable=False, code="request"
        ) from error


def new_session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    return session


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class ProviderHttpClient:
    """JSON in, JSON out, against one provider's base URL with its Bearer key.

    Each request uses its own short-lived session: an adapter makes one or two calls per
    unit of work, so pooling would buy nothing, and nothing is left open afterwards.
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
        with new_session() as session, translated_errors():
            response = session.request(
                method,
                url,
                params=params,
                json=payload,
                headers=headers,
                timeout=http_timeout(),
                # A redirect would carry our Bearer key to wherever it points.
                allow_redirects=False,
            )
        body = _json_or_none(response)
        if not 200 <= response.status_code < 300:
            logger.warning(
                "provider %s %s answered HTTP %s: %.500s",
                method,
                url,
                response.status_code,
                response.text,
            )
            raise self._error_for(response.status_code, body)
        if body is None:
            logger.warning("provider %s %s sent a non-JSON answer: %.500s", method, url, response.text)
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
