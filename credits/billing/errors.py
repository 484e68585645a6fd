"""Typed errors of billing; each carries its HTTP status, code and public message."""

from __future__ import annotations

from kensa.errors import ConflictError, DomainError, NotFoundError


class UnknownProductError(DomainError):
    code = "unknown_product"
    default_message = "No product has this id."


class ProductUnavailableError(DomainError):
    code = "product_unavailable"
    default_message = "This product is not on sale."


class SubscriptionRequiredError(DomainError):
    status_code = 403
    code = "subscription_required"
    default_message = "This pack is for subscribers only: subscribe first."


class SubscriptionExistsError(ConflictError):
    code = "subscription_exists"
    default_message = "You already have an active subscription; change or cancel it in the portal."


class CheckoutInProgressError(ConflictError):
    code = "checkout_in_progress"
    default_message = "A checkout with this Idempotency-Key is still being created; retry in a moment."


class NoSubscriptionError(NotFoundError):
    code = "subscription_not_found"
    default_message = "You have no subscription to manage."


class BillingUnavailableError(DomainError):
    status_code = 502
    code = "billing_unavailable"
    default_message = "The payment provider could not be reached; please try again in a minute."


class InvalidBillingSignatureError(DomainError):
    status_code = 401
    code = "invalid_signature"
    default_message = "The event signature is missing, invalid or expired."


class MalformedBillingEventError(DomainError):
    code = "malformed_event"
    default_message = "The event body could not be read."


class BillingEventTooLargeError(DomainError):
    status_code = 413
    code = "payload_too_large"
    default_message = "The event body is too large."


class UnknownBillingProviderNameError(NotFoundError):
    code = "not_found"
    default_message = "Not found."
