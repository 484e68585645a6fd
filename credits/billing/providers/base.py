"""The contract every payment provider adapter implements.

Adapters never touch the ORM: they take and return the frozen dataclasses below and raise
``BillingProviderError`` (a call failed) or ``EventRejectedError`` (an inbound event is
forged, stale or unreadable). Verifying an event and parsing it are one step: nothing
unauthenticated is ever parsed.
"""

from __future__ import annotations

import abc
import enum
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class CheckoutRequest:
    order_no: str
    user_id: int
    email: str
    product_slug: str
    product_name: str
    kind: str  # "pack" or "subscription"
    credits: int
    amount: int  # minor units
    currency: str
    interval: str | None  # "month" / "year" for subscriptions
    success_url: str
    cancel_url: str
    expires_at: datetime
    provider_product: str = ""  # the provider's own price/product id, when configured
    customer_ref: str = ""  # the provider's customer, when this user already is one
    site_url: str = ""  # our own origin (the demo's pages are ours)


@dataclass(frozen=True)
class CheckoutSession:
    checkout_id: str
    url: str


class EventKind(enum.StrEnum):
    CHECKOUT_COMPLETED = "checkout_completed"  # a checkout was paid (a pack) or started a subscription
    PERIOD_PAID = "period_paid"  # a subscription period was paid (first and renewals)
    REFUND = "refund"  # (part of) a payment was refunded
    DISPUTE = "dispute"  # a payment was disputed (chargeback)
    SUBSCRIPTION_STATUS = "subscription_status"  # a subscription changed, was canceled or expired
    IGNORED = "ignored"  # an event type Kensa does not act on


@dataclass(frozen=True)
class BillingEvent:
    """One provider event, in Kensa's terms. Amounts are minor units; ``refunded`` is the
    payment's refunded total so far (not this refund's amount)."""

    provider: str
    event_id: str
    event_type: str  # the provider's own name, e.g. "invoice.paid"
    kind: EventKind
    created_at: datetime
    order_no: str = ""
    paid: bool = True
    customer_ref: str = ""
    subscription_ref: str = ""
    payment_ref: str = ""
    charge_ref: str = ""
    refund_refs: tuple[str, ...] = ()  # ids a refund or dispute may match a payment by
    period_start: datetime | None = None
    period_end: datetime | None = None
    amount: int | None = None
    currency: str = ""
    refunded: int | None = None
    subscription_status: str = ""  # ACTIVE, PAST_DUE, CANCELED or EXPIRED
    cancel_at_period_end: bool | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("created_at", "period_start", "period_end"):
            data[name] = data[name].isoformat() if data[name] else None
        data["refund_refs"] = list(self.refund_refs)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BillingEvent:
        values = {f.name: data.get(f.name) for f in fields(cls) if f.name in data}
        for name in ("created_at", "period_start", "period_end"):
            if values.get(name):
                values[name] = datetime.fromisoformat(values[name])
        values["kind"] = EventKind(values["kind"])
        values["refund_refs"] = tuple(values.get("refund_refs") or ())
        return cls(**values)


class BillingProviderError(Exception):
    """A call to the provider failed; ``retryable`` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.code = code


class EventRejectedError(Exception):
    """An inbound event that must change nothing. ``authentic`` is False for a missing,
    forged or stale signature (401), True for a signed but unreadable body (400)."""

    def __init__(self, message: str, *, authentic: bool) -> None:
        super().__init__(message)
        self.message = message
        self.authentic = authentic


class BillingProvider(abc.ABC):
    name: str

    @abc.abstractmethod
    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        """Open a hosted checkout that carries ``order_no`` back in its events."""

    @abc.abstractmethod
    def portal_url(self, customer_ref: str, return_url: str, site_url: str = "") -> str:
        """A customer-portal link (cancel, change card) for the provider's customer."""

    @abc.abstractmethod
    def parse_event(
        self, body: bytes, headers: Mapping[str, str], *, received_at: float | None = None
    ) -> BillingEvent:
        """Verify the event's signature on the raw body, then parse it.

        A signed timestamp is judged against ``received_at`` (unix; default now): a stored
        delivery reprocessed later was fresh when it arrived.
        """


def header(headers: Mapping[str, str], name: str) -> str:
    """A header by case-insensitive name ('' when absent)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value if isinstance(value, str) else ""
    return ""


def json_object(body: bytes) -> dict[str, Any]:
    """An authenticated body decoded as a JSON object; anything else is refused."""
    try:
        decoded = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise EventRejectedError("The event body is not valid JSON.", authentic=True) from error
    if not isinstance(decoded, dict):
        raise EventRejectedError("The event body is not a JSON object.", authentic=True)
    return decoded


def text(value: Any, limit: int = 255) -> str:
    """A provider id or name as short printable text ('' for anything else)."""
    if isinstance(value, dict):
        value = value.get("id")
    if not isinstance(value, str) or not value.isprintable() or len(value) > limit:
        return ""
    return value


def whole(value: Any) -> int | None:
    """A non-negative integer amount, or None."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 10**12:
        return None
    return value


def from_unix(value: Any, *, millis: bool = False) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10**14:
        return None
    number = value // 1000 if millis else value
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def from_iso(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def dig(data: Any, *path: str | int) -> Any:
    """``data[a][b]...`` or None when any step is missing or of the wrong type."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(data, list) or len(data) <= step:
                return None
        elif not isinstance(data, dict):
            return None
        data = data[step] if isinstance(step, int) else data.get(step)
    return data
