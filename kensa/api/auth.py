"""Session endpoints: csrf, signup, login, logout, session (SPEC §2); and the admin's login
form, rate limited like the API login."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate, get_user_model, login, logout, password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from credits import selectors as credit_selectors
from credits import services as credit_services
from credits.api.serializers import BalanceOutputSerializer
from kensa.api.ratelimits import (
    ADMIN_LOGIN,
    AUTH_IP,
    LOGIN_EMAIL,
    READ_USER,
    RateLimitedError,
    RateLimitedMixin,
    RateLimitUnavailableError,
    enforce,
)
from kensa.api.schema import error
from kensa.errors import DomainError

User = get_user_model()


class InvalidCredentialsError(DomainError):
    status_code = 400
    code = "invalid_credentials"
    default_message = "The email or password is not correct."


class SignupInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")

    def validate_email(self, value: str) -> str:
        email = value.strip().lower()
        if User.objects.filter(username=email).exists():
            raise serializers.ValidationError("An account with this email already exists.")
        return email

    def validate(self, attrs: dict) -> dict:
        candidate = User(username=attrs["email"], email=attrs["email"], first_name=attrs["name"])
        try:
            password_validation.validate_password(attrs["password"], candidate)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"password": list(error.messages)}) from error
        return attrs


class LoginInputSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class UserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField(source="first_name")
    isStaff = serializers.BooleanField(source="is_staff")


class SessionOutputSerializer(serializers.Serializer):
    """The signed-in user and their credit balance (``session_payload``)."""

    user = UserOutputSerializer()
    credits = BalanceOutputSerializer()


def session_payload(user: User) -> dict:
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

    @extend_schema(request=SignupInputSerializer, responses={201: SessionOutputSerializer})
    def signup(self, request: Request) -> Response:
        data = SignupInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email, name = data.validated_data["email"], data.validated_data["name"]
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    username=email, email=email, password=data.validated_data["password"], first_name=name
                )
                credit_services.grant_new_user_credits(user)
        except IntegrityError as error:
            # Two signups raced for the same email; the unique username decided.
            raise serializers.ValidationError(
                {"email": ["An account with this email already exists."]}
            ) from error
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return Response(session_payload(user), status=201)

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


# --- the admin's login form ----------------------------------------------------------------


class RateLimitedAdminLoginForm(AdminAuthenticationForm):
    """Counts the attempt before ``authenticate`` runs: a refused attempt never reaches the
    password check, so it tells a guesser nothing and costs no hashing."""

    refusal: RateLimitedError | RateLimitUnavailableError | None = None

    def clean(self) -> dict:
        try:
            enforce(self.request, ADMIN_LOGIN)
        except (RateLimitedError, RateLimitUnavailableError) as refusal:
            self.refusal = refusal
            raise DjangoValidationError(refusal.message, code=refusal.code) from None
        return super().clean()


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's login page; a refused attempt shows the form with the reason, as 429
    (or 503 when the rate-limit cache is down) with ``Retry-After``."""
    response = admin.site.login(request)
    form = (getattr(response, "context_data", None) or {}).get("form")
    refusal = getattr(form, "refusal", None)
    if refusal is not None:
        response.status_code = refusal.status_code
        response["Retry-After"] = str(refusal.retry_after)
    return response
