"""Account flows on allauth: password reset and change, email verification, social
providers, sessions, deleting the account. Same envelope and cross-site rules as the rest."""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import deletion, passwords, verification
from accounts import sessions as user_sessions
from accounts.api.serializers import (
    EmailInputSerializer,
    EmailVerifiedOutputSerializer,
    KeyInputSerializer,
    PasswordChangeInputSerializer,
    PasswordInputSerializer,
    ProvidersOutputSerializer,
    ResendInputSerializer,
    ResetConfirmInputSerializer,
    RevokedOutputSerializer,
    SessionOutputSerializer,
    SessionsOutputSerializer,
)
from accounts.api.views import session_payload
from kensa.api.ratelimits import AUTH_IP, READ_USER, RateLimitedMixin, Rule, client_ip


def address_key(group: str, request: Any) -> str | None:
    """The address an email would go to: the body's ``email``, else the signed-in user's."""
    data = getattr(request, "data", None)
    email = data.get("email") if isinstance(data, dict) else None
    if not email and getattr(request, "user", None) is not None and request.user.is_authenticated:
        email = request.user.email
    if not isinstance(email, str) or not email.strip():
        return None
    # Hashed as UTF-8 into the cache key: a lone surrogate must not reach it.
    return email.strip().lower()[:254].encode("utf-8", "backslashreplace").decode()


# Requests that send an email (reset, verification): per client address and per address
# mailed, refused (503) rather than uncounted when the cache is down — an open mail cannon.
EMAIL_IP = Rule("account-email-ip", client_ip, "RATELIMIT_ACCOUNT_EMAIL_IP", fail_open=False)
EMAIL_ADDRESS = Rule("account-email-address", address_key, "RATELIMIT_ACCOUNT_EMAIL_ADDRESS", fail_open=False)


def _password_errors(field: str, password: str, user: Any) -> None:
    try:
        passwords.validate(password, user)
    except DjangoValidationError as error:
        raise serializers.ValidationError({field: list(error.messages)}) from error


class PublicAccountViewSet(RateLimitedMixin, viewsets.ViewSet):
    """Reachable signed out: forgotten passwords, verification links, providers."""

    permission_classes = [permissions.AllowAny]
    ratelimit_rules = {
        "password_reset": (EMAIL_IP, EMAIL_ADDRESS),
        "password_reset_confirm": (AUTH_IP,),
        "email_verify": (AUTH_IP,),
        "email_resend": (EMAIL_IP, EMAIL_ADDRESS),
    }

    @extend_schema(request=EmailInputSerializer, responses={200: None})
    def password_reset(self, request: Request) -> Response:
        data = EmailInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        passwords.request_reset(request, data.validated_data["email"].strip().lower())
        return Response(None)

    @extend_schema(request=ResetConfirmInputSerializer, responses=SessionOutputSerializer)
    def password_reset_confirm(self, request: Request) -> Response:
        data = ResetConfirmInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = passwords.user_for_reset_key(data.validated_data["key"])
        _password_errors("password", data.validated_data["password"], user)
        passwords.reset(request, user, data.validated_data["password"])
        return Response(session_payload(user))

    @extend_schema(request=KeyInputSerializer, responses=EmailVerifiedOutputSerializer)
    def email_verify(self, request: Request) -> Response:
        data = KeyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        address = verification.verify(request, data.validated_data["key"])
        return Response({"email": address.email, "verified": True})

    @extend_schema(request=ResendInputSerializer, responses={200: None})
    def email_resend(self, request: Request) -> Response:
        data = ResendInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if request.user.is_authenticated:
            verification.send_link(request, request.user)
        elif data.validated_data.get("email"):
            verification.resend(request, data.validated_data["email"])
        else:
            raise serializers.ValidationError({"email": ["This field is required when signed out."]})
        return Response(None)

    @extend_schema(responses=ProvidersOutputSerializer)
    def providers(self, request: Request) -> Response:
        providers = [
            {
                "id": provider.sub_id,
                "name": provider.name,
                "loginUrl": provider.get_login_url(request._request),
            }
            for provider in get_social_adapter(request._request).list_providers(request._request)
        ]
        return Response({"providers": providers})


class SignedInAccountViewSet(RateLimitedMixin, viewsets.ViewSet):
    """The signed-in person's own account."""

    ratelimit_rules = {
        "password_change": (AUTH_IP, READ_USER),
        "delete_account": (AUTH_IP, READ_USER),
        "*": (READ_USER,),
    }

    def _check_password(self, field: str, password: str) -> None:
        # Counted per client address like logins (AUTH_IP): a stolen session cannot
        # guess the password at leisure.
        if not self.request.user.check_password(password):
            raise serializers.ValidationError({field: ["The password is not correct."]})

    @extend_schema(request=PasswordChangeInputSerializer, responses=SessionOutputSerializer)
    def password_change(self, request: Request) -> Response:
        data = PasswordChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        self._check_password("currentPassword", data.validated_data["currentPassword"])
        _password_errors("newPassword", data.validated_data["newPassword"], request.user)
        passwords.change(request._request, request.user, data.validated_data["newPassword"])
        return Response(session_payload(request.user))

    @extend_schema(responses=SessionsOutputSerializer)
    def sessions(self, request: Request) -> Response:
        current = request.session.session_key
        items = [
            {
                "id": session.pk,
                "device": user_sessions.device(session.user_agent),
                "userAgent": session.user_agent,
                "ip": session.ip,
                "createdAt": session.created_at,
                "lastSeenAt": session.last_seen_at,
                "current": session.session_key == current,
            }
            for session in user_sessions.sessions_of(request.user)
        ]
        return Response(SessionsOutputSerializer({"sessions": items}).data)

    @extend_schema(request=None, responses=RevokedOutputSerializer)
    def revoke_others(self, request: Request) -> Response:
        return Response({"revoked": user_sessions.revoke_others(request._request)})

    @extend_schema(request=PasswordInputSerializer, responses={200: None})
    def delete_account(self, request: Request) -> Response:
        data = PasswordInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        self._check_password("password", data.validated_data["password"])
        deletion.delete_account(request._request, request.user)
        return Response(None)
