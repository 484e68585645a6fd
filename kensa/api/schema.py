"""The OpenAPI description of the API (drf-spectacular), told the way the API answers.

``EnvelopeAutoSchema`` wraps every success in ``{"success": true, "data": ...}`` and adds
the error envelope for each error status an operation can give, inferred from what the
view declares (permissions, rate-limit rules, request body, path parameters). Views add
``@extend_schema`` only for what cannot be inferred: their serializers (they are
ViewSets without ``serializer_class``) and domain errors such as 402 or 409.

Examples live here too, so that views stay thin: a request body example per operation
(``REQUEST_EXAMPLES``, by operationId) and an example value per parameter name
(``PARAMETER_EXAMPLES``). Swagger UI's "Try it out" sends the first body example as it
stands, so each one is a request the API accepts.
"""

from __future__ import annotations

import inspect
from typing import Any

from django.conf import settings
from django.db import models
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import permissions, serializers

from kensa.api.pagination import MAX_PAGE_SIZE

ERROR_COMPONENT = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "The error envelope: every error under /api/ has this shape.",
    "properties": {
        "success": {"type": "boolean", "enum": [False]},
        "error": {"type": "string", "description": "One readable sentence."},
        "code": {"type": "string", "description": "A stable snake_case code.", "example": "invalid_input"},
        "fields": {
            "type": "object",
            "description": "Validation errors only: messages per (camelCase) field.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["success", "error", "code"],
    "additionalProperties": False,
}

ERROR_DESCRIPTIONS = {
    "400": "Invalid input (`invalid_input` with `fields`, `malformed_json`).",
    "401": "No valid session (`not_authenticated`).",
    "402": "Not enough credits (`insufficient_credits`).",
    "403": "Not allowed: staff only, or a refused cross-site request (`cross_site_refused`).",
    "404": "Not found, or not yours (`not_found`).",
    "409": "Conflicts with the current state.",
    "413": "The request body is too large (`payload_too_large`).",
    "415": "The body is not `application/json` (`unsupported_media_type`).",
    "429": "Rate limited (`rate_limited`); retry after `Retry-After` seconds.",
    "503": "A service this endpoint needs is unavailable; retry after `Retry-After` seconds.",
}
SUCCESS_DESCRIPTIONS = {
    "200": "OK.",
    "201": "Created.",
    "202": "Accepted: the work continues in the background.",
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}
ERROR_HEADERS = {
    "401": {"WWW-Authenticate": {"schema": {"type": "string"}, "description": 'Session realm="api"'}},
    "429": RETRY_AFTER,
}
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Mirrors kensa.api.middleware: these paths authenticate with a signed URL or body instead.
CROSS_SITE_EXEMPT_PREFIXES = (
    "/api/v1/video/callback/",
    "/api/v1/billing/webhook/",
    "/api/auth/creem/webhook",
)


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "maxLength": 255},
    OpenApiParameter.HEADER,
    description="Repeat the request with the same key (24 h) to get the first answer, charged once.",
)

EXAMPLE_VIDEO_UUID = "3f0b6c1e-8d2a-4e57-9c41-6a1d2b7e9f30"
# Ids of a webhook endpoint and a delivery. Nothing seeds them (the schema tests do, for
# the demo user): "Try it out" answers 404 with them until you paste an id of your own.
EXAMPLE_WEBHOOK_ENDPOINT_ID = "b6e0f4a2-1c3d-4e5f-8a9b-0c1d2e3f4a5b"
EXAMPLE_WEBHOOK_DELIVERY_ID = "5c8e2a1f-7b3d-4c9e-a0f1-2b3c4d5e6f7a"
# The quick start's demo login (bin/run's seed), which several examples name.
DEMO_EMAIL = "demo@kensa.local"
DEMO_PASSWORD = "kensa-demo-1234"  # noqa: S105 - the documented demo password

# Request bodies by operationId; the first is what Swagger UI fills in. They name the
# seeded catalogue (modelconfig's data migration) and the quick start's demo login, so
# "Try it out" works on a fresh `bin/run`.
REQUEST_EXAMPLES: dict[str, list[OpenApiExample]] = {
    "video_generate": [
        OpenApiExample(
            "sora2",
            summary="Sora 2, 10 seconds, landscape",
            value={
                "prompt": "A red fox trotting through fresh snow at dawn, soft golden light",
                "model": "sora-2",
                "duration": 10,
                "aspectRatio": "16:9",
                "quality": "720p",
            },
            request_only=True,
        ),
    ],
    "auth_signup": [
        OpenApiExample(
            "newAccount",
            summary="A new account",
            value={"email": "ada@example.com", "password": "analytical-engine-1843", "name": "Ada"},
            request_only=True,
        ),
    ],
    "auth_login": [
        OpenApiExample(
            "demoUser",
            summary="The quick start's demo user",
            value={"email": DEMO_EMAIL, "password": DEMO_PASSWORD},
            request_only=True,
        ),
    ],
    # Account flows. The keys below have the emailed links' shape but are made up: trying
    # them as they stand gets 400 `invalid_key`; paste the key from the email instead.
    "auth_password_reset": [
        OpenApiExample(
            "demoUser",
            summary="Email the demo user a reset link",
            value={"email": DEMO_EMAIL},
            request_only=True,
        ),
    ],
    "auth_password_reset_confirm": [
        OpenApiExample(
            "newPassword",
            summary="The key from the emailed link and a new password",
            value={"key": "2-cz1k8n-9f6a1b2c3d4e5f6a7b8c9d0e1f2a3b4c", "password": "tide-lantern-orchard-58"},
            request_only=True,
        ),
    ],
    "auth_password_change": [
        OpenApiExample(
            "demoUser",
            summary="The demo user's password, changed",
            value={"currentPassword": DEMO_PASSWORD, "newPassword": "tide-lantern-orchard-58"},
            request_only=True,
        ),
    ],
    "auth_email_verify": [
        OpenApiExample(
            "emailedKey",
            summary="The key from the emailed link",
            value={"key": "MQ:1vKensa:Q2x6b0t2bHpQb3dYc1VmUnJfZ0VtQ2hYd2pB"},
            request_only=True,
        ),
    ],
    "auth_email_resend": [
        OpenApiExample(
            "signedOut",
            summary="Signed out: a new link for an unverified account's address",
            value={"email": "ada@example.com"},
            request_only=True,
        ),
    ],
    "auth_account_delete_account": [
        OpenApiExample(
            "demoUser",
            summary="Delete the demo user's account (there is no undo)",
            value={"password": DEMO_PASSWORD},
            request_only=True,
        ),
    ],
    "webhooks_endpoints_create": [
        OpenApiExample(
            "videoOutcomes",
            summary="Finished and failed videos, to an https URL",
            value={
                "url": "https://example.com/hooks/kensa",
                "events": ["video.completed", "video.failed"],
                "description": "CI",
            },
            request_only=True,
        ),
    ],
    "webhooks_endpoints_partial_update": [
        OpenApiExample(
            "pause",
            summary="Pause an endpoint (no deliveries until enabled again)",
            value={"enabled": False},
            request_only=True,
        ),
    ],
    "admin_credits_adjust_post": [
        OpenApiExample(
            "addCredits",
            summary="Add 50 credits for a year",
            value={
                "user": DEMO_EMAIL,
                "credits": 50,
                "remark": "Goodwill for a failed render",
                "expiresInDays": 365,
            },
            request_only=True,
        ),
    ],
    "credit_checkout_post": [
        OpenApiExample(
            "starterPack",
            summary="The starter pack (open to everyone)",
            value={"productId": "starter-pack"},
            request_only=True,
        ),
    ],
    # Payment events as the providers send them (for an order that does not exist: trying
    # one signed with the webhook secret is received and ignored).
    "billing_webhook_post": [
        OpenApiExample(
            "stripeCheckoutCompleted",
            summary="Stripe: checkout.session.completed (signed with Stripe-Signature)",
            value={
                "id": "evt_1QxKensaExample0001",
                "object": "event",
                "type": "checkout.session.completed",
                "created": 1767225600,
                "livemode": False,
                "data": {
                    "object": {
                        "id": "cs_test_a1B2c3D4e5F6",
                        "object": "checkout.session",
                        "client_reference_id": "ORD20260101A1B2C3D4E5F6",
                        "mode": "payment",
                        "payment_status": "paid",
                        "payment_intent": "pi_3QxKensaExample",
                        "customer": "cus_QxKensaExample",
                        "amount_total": 1490,
                        "currency": "usd",
                        "metadata": {"order_no": "ORD20260101A1B2C3D4E5F6", "user_id": "1"},
                    }
                },
            },
            request_only=True,
        ),
    ],
    "api_auth_creem_webhook_post": [
        OpenApiExample(
            "creemCheckoutCompleted",
            summary="Creem: checkout.completed (signed with creem-signature)",
            value={
                "id": "evt_5WHHcZPv7VS0YUsberIuOz",
                "eventType": "checkout.completed",
                "created_at": 1767225600000,
                "object": {
                    "id": "ch_4l0N34kxo16AhRKUHFUuXr",
                    "object": "checkout",
                    "request_id": "ORD20260101A1B2C3D4E5F6",
                    "order": {
                        "id": "ord_4aDwWXjMLpes4Kj4XqNnUA",
                        "customer": "cust_1OcIK1GEuVvXZwD19tjq2z",
                        "amount": 1490,
                        "currency": "USD",
                        "status": "paid",
                        "type": "onetime",
                    },
                    "customer": {"id": "cust_1OcIK1GEuVvXZwD19tjq2z", "object": "customer"},
                    "status": "completed",
                    "metadata": {"order_no": "ORD20260101A1B2C3D4E5F6", "user_id": "1"},
                },
            },
            request_only=True,
        ),
    ],
    "video_callback_post": [
        OpenApiExample(
            "evolinkCompleted",
            summary="EvoLink: task completed",
            value={
                "id": "task-unified-1767225600-4f2a9c1d",
                "object": "video.generation.task",
                "status": "completed",
                "progress": 100,
                "results": ["https://cdn.example.com/videos/4f2a9c1d.mp4"],
            },
            request_only=True,
        ),
    ],
}

# Parameters by name (query, path and header alike).
PARAMETER_EXAMPLES: dict[str, Any] = {
    "page": 1,
    "pageSize": 20,
    "status": "COMPLETED",
    "model": "sora-2",
    "user": DEMO_EMAIL,
    "type": "VIDEO_CONSUME",
    "uuid": EXAMPLE_VIDEO_UUID,
    "taskId": EXAMPLE_VIDEO_UUID,
    "provider": "evolink",
    "video": EXAMPLE_VIDEO_UUID,
    "ts": 1767225600,
    "sig": "9b1c3f7e2a4d6b8c0e1f3a5b7c9d1e2f4a6b8c0d2e4f6a8b0c1d3e5f7a9b1c3d",
    "Idempotency-Key": "7d9f2c4e-5b1a-4e8c-9f3d-2a6b8c0e1f4a",
}
# Where one name means different things: (operationId, parameter name) → example.
OPERATION_PARAMETER_EXAMPLES: dict[tuple[str, str], Any] = {
    ("billing_webhook_post", "provider"): "stripe",
    ("webhooks_endpoints_retrieve", "id"): EXAMPLE_WEBHOOK_ENDPOINT_ID,
    ("webhooks_endpoints_partial_update", "id"): EXAMPLE_WEBHOOK_ENDPOINT_ID,
    ("webhooks_endpoints_destroy", "id"): EXAMPLE_WEBHOOK_ENDPOINT_ID,
    ("webhooks_endpoints_rotate_secret", "id"): EXAMPLE_WEBHOOK_ENDPOINT_ID,
    ("webhooks_endpoints_test", "id"): EXAMPLE_WEBHOOK_ENDPOINT_ID,
    ("webhooks_endpoints_deliveries", "id"): EXAMPLE_WEBHOOK_ENDPOINT_ID,
    ("webhooks_deliveries_retry", "id"): EXAMPLE_WEBHOOK_DELIVERY_ID,
}


def error(description: str) -> OpenApiResponse:
    """An error response of ``@extend_schema(responses=...)``: the error envelope, described."""
    return OpenApiResponse(description=description)


def paginated_serializer(name: str, key: str, item_serializer: type[serializers.Serializer]) -> Any:
    """The documented list shape (docs/api.md): ``{key: [...], page, pageSize, total, totalPages}``."""
    return inline_serializer(
        name,
        {
            key: item_serializer(many=True),
            "page": serializers.IntegerField(min_value=1),
            "pageSize": serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE),
            "total": serializers.IntegerField(min_value=0),
            "totalPages": serializers.IntegerField(min_value=0),
        },
    )


class EnvelopeAutoSchema(AutoSchema):
    def get_operation_id(self) -> str:
        # ``video_generate``, ``video_retrieve``, ``credit_history_get``: the ViewSet action
        # or the HTTP method after the path, unless the path ends with it already
        # (``auth_password_reset`` for the action ``password_reset``).
        tokens = [t.replace("-", "_") for t in self._tokenize_path()] or ["root"]
        verb = getattr(self.view, "action", None) or self.method.lower()
        joined = "_".join(tokens)
        return joined if joined == verb or joined.endswith(f"_{verb}") else f"{joined}_{verb}"

    def get_examples(self) -> list[OpenApiExample]:
        declared = super().get_examples()
        if any(not (e.response_only or e.parameter_only) for e in declared):
            return declared
        return [*declared, *REQUEST_EXAMPLES.get(self.get_operation_id(), [])]

    def _get_parameters(self) -> list[dict]:
        parameters = super()._get_parameters()
        operation_id = self.get_operation_id()
        for parameter in parameters:
            if "example" in parameter or "examples" in parameter:
                continue
            if (operation_id, parameter["name"]) in OPERATION_PARAMETER_EXAMPLES:
                parameter["example"] = OPERATION_PARAMETER_EXAMPLES[(operation_id, parameter["name"])]
            elif parameter["name"] in PARAMETER_EXAMPLES:
                parameter["example"] = PARAMETER_EXAMPLES[parameter["name"]]
        return parameters

    def get_description(self) -> str:
        # The action's docstring, else the view's own (not one inherited from a mixin).
        action = getattr(self.view, getattr(self.view, "action", None) or self.method.lower(), None)
        doc = getattr(action, "__doc__", None) or type(self.view).__dict__.get("__doc__")
        return inspect.cleandoc(doc) if doc else ""

    def _is_list_view(self, serializer: Any = None) -> bool:
        # Lists answer a paginated object (see paginated_serializer), never a bare array,
        # so a ViewSet's ``list`` action must not be wrapped in one.
        return isinstance(serializer, serializers.ListSerializer)

    def _get_serializer_field_meta(self, field: Any, direction: str) -> dict:
        meta = super()._get_serializer_field_meta(field, direction)
        if direction == "response" and _model_field_is_nullable(field):
            meta["nullable"] = True
        return meta

    def _get_request_body(self, direction: str = "request") -> dict | None:
        # drf-spectacular describes bodies of POST, PUT and PATCH only; a DELETE that
        # reads one (deleting the account takes the password) declares it, and says so.
        # Only a declared body: nothing is guessed from the view for a DELETE.
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        self.method, self._get_serializer = "POST", lambda: None
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"
            del self._get_serializer

    def _get_response_bodies(self, direction: str = "response") -> dict:
        declared = self.get_response_serializers()
        if self.method == "DELETE" and declared is not None and not isinstance(declared, dict):
            # drf-spectacular makes a DELETE's single response "204 No response body";
            # every answer of this API is an envelope, with status 200.
            responses = {"200": self._get_response_for_code(declared, "200", direction=direction)}
        else:
            responses = super()._get_response_bodies(direction)
        for code, response in responses.items():
            if code.startswith("2"):
                self._wrap_success(response)
                response["description"] = response.get("description") or SUCCESS_DESCRIPTIONS.get(code, "")
            else:
                self._make_error(code, response)
        for code in self._inferred_error_codes():
            if code not in responses:
                responses[code] = self._make_error(code, {"description": ERROR_DESCRIPTIONS[code]})
                if code == "503":  # the rate limits' cache is down: sign-in refuses for a minute
                    responses[code]["headers"] = RETRY_AFTER
        return dict(sorted(responses.items()))

    def _wrap_success(self, response: dict) -> None:
        if "content" not in response:
            # No body from the view: the envelope carries ``"data": null``.
            data = {"type": "object", "nullable": True, "enum": [None]}
            response["content"] = {media: {"schema": data} for media in self.map_renderers("media_type")}
            response["description"] = "OK; `data` is null."
        for media in response["content"].values():
            media["schema"] = {
                "type": "object",
                "properties": {"success": {"type": "boolean", "enum": [True]}, "data": media["schema"]},
                "required": ["success", "data"],
            }

    def _make_error(self, code: str, response: dict) -> dict:
        component = ResolvedComponent(
            name=ERROR_COMPONENT, type=ResolvedComponent.SCHEMA, object=ERROR_COMPONENT, schema=ERROR_SCHEMA
        )
        self.registry.register_on_missing(component)
        response["content"] = {"application/json": {"schema": component.ref}}
        response["description"] = response.get("description") or ERROR_DESCRIPTIONS.get(code, "Error.")
        # A 401 from the session check says how to authenticate; a bad callback signature does not.
        if code in ERROR_HEADERS and (code != "401" or getattr(self.view, "authentication_classes", None)):
            response["headers"] = {**ERROR_HEADERS[code], **response.get("headers", {})}
        return response

    def _inferred_error_codes(self) -> set[str]:
        codes: set[str] = set()
        view = self.view
        permission_classes = getattr(view, "permission_classes", [])
        if not all(issubclass(p, permissions.AllowAny) for p in permission_classes):
            codes.add("401")
        if any(issubclass(p, permissions.IsAdminUser) for p in permission_classes):
            codes.add("403")
        if self.method in UNSAFE_METHODS and not self.path.startswith(CROSS_SITE_EXEMPT_PREFIXES):
            codes.add("403")
        parameters = self._get_parameters()
        if any(p["in"] == "path" for p in parameters):
            codes.add("404")
        if any(p["in"] == "query" for p in parameters):
            codes.add("400")
        if self._get_request_body():
            codes.update({"400", "413"})
            if getattr(view, "parser_classes", None):
                codes.add("415")
        rules = view._rules_for(view.request) if hasattr(view, "_rules_for") else ()
        if rules:
            codes.add("429")
        if any(not rule.fail_open for rule in rules):
            codes.add("503")
        return codes


def _model_field_is_nullable(field: Any) -> bool:
    """An output field whose model column is NULL-able answers null, declared so or not."""
    parent = getattr(field, "parent", None)
    model = getattr(getattr(parent, "Meta", None), "model", None)
    source = getattr(field, "source", None)
    if field.allow_null or model is None or not source or "." in source or source == "*":
        return False
    try:
        return model._meta.get_field(source).null
    except models.FieldDoesNotExist:
        return False


class SessionCookieScheme(OpenApiAuthenticationExtension):
    target_class = "kensa.api.authentication.SessionAuthentication"
    name = "sessionCookie"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "The Django session cookie set by POST /api/v1/auth/login or /auth/signup.",
        }


class UserReferenceFieldExtension(OpenApiSerializerFieldExtension):
    """credits' staff endpoints take a user as an id or an email."""

    target_class = "credits.api.serializers.UserReferenceField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict:
        return {
            "oneOf": [
                {"type": "integer", "minimum": 1, "description": "The user's id."},
                {"type": "string", "minLength": 1, "maxLength": 254, "description": "The user's email."},
            ]
        }
