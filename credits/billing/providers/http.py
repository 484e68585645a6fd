"""The outbound HTTP seam of the payment adapters (Creem; Stripe's library does its own).

One function, ``post_json``, with explicit timeouts; every ``requests`` failure becomes a
``BillingProviderError``. When the project's guarded helper (``kensa.outbound``) lands,
only this module switches over to it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import requests

from credits.billing.providers.base import BillingProviderError

logger = logging.getLogger(__name__)

TIMEOUT = (5.0, 20.0)  # (connect, read) seconds
USER_AGENT = "Kensa/1.0 (+billing)"


def post_json(url: str, payload: Mapping[str, Any], *, headers: Mapping[str, str]) -> tuple[int, Any]:
    """POST ``payload`` as JSON; returns (status, decoded body or None)."""
    try:
        response = requests.post(
            url,
            json=dict(payload),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **headers},
            timeout=TIMEOUT,
            allow_redirects=False,
        )
    except requests.Timeout as error:
        logger.warning("billing HTTP timeout: %s", error)
        raise BillingProviderError(
            "The payment provider did not answer in time.", retryable=True, code="timeout"
        ) from error
    except requests.RequestException as error:
        logger.warning("billing HTTP error: %s", error)
        raise BillingProviderError(
            "The payment provider could not be reached.", retryable=True, code="unreachable"
        ) from error
    try:
        body = response.json()
    except ValueError:
        body = None
    return response.status_code, body
