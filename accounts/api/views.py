"""Session endpoints: csrf, signup, login, logout, session."""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.models import AbstractUser
from django.middleware.csrf import get_token
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.serializers import (
    LoginInputSerializer,
    SessionOutputSerializer,
    SignupAcceptedSerializer,
    SignupInputSerializer,
    UserOutputSerializer,
)
from accounts.errors import EmailNotVerifiedError, EmailTakenError, InvalidCredentialsError
from accounts.services import sign_up, sign_up_quietly, verification_mandatory
from accounts.verification import is_verified
from credits import selectors as credit_selectors
from kensa.api.ratelimits import AUTH_IP, LOGIN_EMAIL, READ_USER, RateLimitedMixin
from kensa.api.schema import error


def session_payload(user: AbstractUser) -> dict:
    balance = credit_selectors.balance_of(user)
    return {
        "user": UserOutputSerializer(user).data,
        "credits": {
            "available": balance.available,
            "frozen": balance.frozen,
            "used": balance.used,
            "total": balance.total,
        },
    }


class AuthViewSet(RateLimitedMixin, viewsets.ViewSet):
    permission_classes = [permissions.AllowAny]
    ratelimit_rules = {
        "signup": (AUTH_IP,),
        "login": (AUTH_IP, LOGIN_EMAIL),
        "session": (READ_USER,),
        "logout": (READ_USER,),
    }

    @extend_schema(responses=inline_serializer("CsrfToken", {"csrfToken": serializers.CharField()}))
    def csrf(self, request: Request) -> Response:
        return Response({"csrfToken": get_token(request)})

    @extend_schema(
        request=SignupInputSerializer, responses={201: SessionOutputSerializer, 202: SignupAcceptedSerializer}
    )
    def signup(self, request: Request) -> Response:
        if verification_mandatory():
            return self._signup_to_verify(request)
        data = SignupInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user = sign_up(
                email=data.validated_data["email"],
                password=data.validated_data["password"],
                name=data.validated_data["name"],
                request=request,
            )
        except EmailTakenError as taken:
            raise serializers.ValidationError(
                {"email": ["An account with this email already exists."]}
            ) from taken
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return Response(session_payload(user), status=201)

    def _signup_to_verify(self, request: Request) -> Response:
        """Nobody is signed in until the emailed link is opened; a taken address gets
        the same answer (its owner is told by email), so signing up reveals nothing."""
        data = SignupInputSerializer(data=request.data, context={"hide_taken": True})
        data.is_valid(raise_exception=True)
        sign_up_quietly(request, **data.validated_data)
        return Response({"email": data.validated_data["email"], "verificationSent": True}, status=202)

    @extend_schema(request=LoginInputSerializer, responses=SessionOutputSerializer)
    def login(self, request: Request) -> Response:
        data = LoginInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request,
            username=data.validated_data["email"].strip().lower(),
            password=data.validated_data["password"],
        )
        if user is None:
            raise InvalidCredentialsError()
        if verification_mandatory() and not is_verified(user):
            raise EmailNotVerifiedError()
        login(request, user)
        return Response(session_payload(user))

    @extend_schema(request=None, responses={200: None})
    def logout(self, request: Request) -> Response:
        logout(request)
        return Response(None)

    @extend_schema(responses={200: SessionOutputSerializer, 401: error("Signed out.")})
    def session(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            self.permission_denied(request)
        return Response(session_payload(request.user))
