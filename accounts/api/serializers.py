from __future__ import annotations

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from accounts.verification import is_verified
from credits.api.serializers import BalanceOutputSerializer

User = get_user_model()


class SignupInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")

    def validate_email(self, value: str) -> str:
        email = value.strip().lower()
        # With mandatory verification a taken address is answered like a new one (the
        # owner gets an email instead), so the answer does not reveal who has an account.
        if not self.context.get("hide_taken") and User.objects.filter(username=email).exists():
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
    emailVerified = serializers.SerializerMethodField()

    def get_emailVerified(self, user) -> bool:
        return is_verified(user)


class SessionOutputSerializer(serializers.Serializer):
    """The signed-in user and their credit balance (``session_payload``)."""

    user = UserOutputSerializer()
    credits = BalanceOutputSerializer()


class SignupAcceptedSerializer(serializers.Serializer):
    """Mandatory verification: the same answer for a new and a taken address."""

    email = serializers.EmailField()
    verificationSent = serializers.BooleanField()


class EmailInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class ResendInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254, required=False)


class KeyInputSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=512)


class ResetConfirmInputSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=512)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class PasswordChangeInputSerializer(serializers.Serializer):
    currentPassword = serializers.CharField(max_length=128, trim_whitespace=False)
    newPassword = serializers.CharField(max_length=128, trim_whitespace=False)


class PasswordInputSerializer(serializers.Serializer):
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class EmailVerifiedOutputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    verified = serializers.BooleanField()


class ProviderOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    loginUrl = serializers.CharField()


class ProvidersOutputSerializer(serializers.Serializer):
    providers = ProviderOutputSerializer(many=True)


class SessionItemOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    device = serializers.CharField()
    userAgent = serializers.CharField()
    ip = serializers.CharField()
    createdAt = serializers.DateTimeField()
    lastSeenAt = serializers.DateTimeField()
    current = serializers.BooleanField()


class SessionsOutputSerializer(serializers.Serializer):
    sessions = SessionItemOutputSerializer(many=True)


class RevokedOutputSerializer(serializers.Serializer):
    revoked = serializers.IntegerField()
