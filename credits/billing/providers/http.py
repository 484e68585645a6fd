"""The outbound HTTP seam of the payment adapters (Creem; Stripe's library does its own).

One function, ``post_json``, over the project's one outbound guard (``kensa.outbound``):
explicit (connect, read) timeouts, a whole-call deadline, the checked address pinned, no
redirect followed (it would carry the API key elsewhere). Every failure becomes a
``BillingProviderError``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from credits.billing.providers.base import BillingProviderError
from kensa.outbound import OutboundError, fetch, names_an_address

logger = logging.getLogger(__name__)

TIMEOUT = (5.0, 20.0)  # (connect, read) seconds
TOTAL_TIMEOUT = 30.0  # the whole exchange, body included
MAX_ANSWER_BYTES = 1024 * 1024  # a checkout or portal answer is a few hundred bytes
USER_AGENT = "Kensa/1.0 (+billing)"

# The guard's failures, in a payment provider's words.
TRANSPORT_MESSAGES: Mapping[str, str] = {
    "timeout": "The payment provider did not answer in time.",
    "unreachable": "The payment provider could not be reached.",
    "tls": "The payment provider's certificate could not be verified.",
    "dns": "The payment provider's address could not be resolved.",
}


def billing_error(error: OutboundError) -> BillingProviderError:
    message = TRANSPORT_MESSAGES.get(error.code, "The request to the payment provider could not be sent.")
    return BillingProviderError(message, retryable=error.retryable, code=error.code)


def post_json(url: str, payload: Mapping[str, Any], *, headers: Mapping[str, str]) -> tuple[int, Any]:
    """POST ``payload`` as JSON; returns (status, decoded body or None)."""
    try:
        with fetch(
            "POST",
            url,
            json=dict(payload),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **headers},
            timeout=TIMEOUT,
            total_timeout=TOTAL_TIMEOUT,
            allow_private=names_an_address(url) or None,  # None: REMOTE_ASSET_ALLOW_PRIVATE decides
        ) as answer:
            status = answer.status_code
            raw = answer.read(MAX_ANSWER_BYTES)
    except OutboundError as error:
        logger.warning("billing HTTP %s failed: %s", url, error.message)
        raise billing_error(error) from error
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        body = None
    return status, body
