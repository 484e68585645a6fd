from __future__ import annotations

from typing import Any

from rest_framework import serializers

from credits.models import TransType
from credits.services import MAX_CREDITS
from kensa.api.fields import DirectRepresentationMixin


class WholeNumberField(serializers.IntegerField):
    """A JSON integer only: no strings, floats or booleans standing in for one."""

    default_error_messages = {"invalid": "A whole number is required."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class UserReferenceField(serializers.Field):
    """A user's id (integer or digits) or email."""

    default_error_messages = {"invalid": "Give the user's id or email."}

    def to_internal_value(self, data: Any) -> int | str:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int):
            if data < 1:
                self.fail("invalid")
            return data
        if isinstance(data, str) and data.strip() and len(data) <= 254 and data.isprintable():
            return data.strip()
        self.fail("invalid")

    def to_representation(self, value: Any) -> Any:
        return value


class CreditTransactionOutputSerializer(DirectRepresentationMixin, serializers.Serializer):
    id = serializers.IntegerField()
    transNo = serializers.CharField(source="trans_no")
    transType = serializers.CharField(source="trans_type")
    credits = serializers.IntegerField()
    balanceAfter = serializers.IntegerField(source="balance_after")
    videoUuid = serializers.CharField(source="reference", allow_null=True)
    remark = serializers.CharField()
    createdAt = serializers.DateTimeField(source="created_at")  # ISO 8601, UTC, "Z"


class BalanceOutputSerializer(serializers.Serializer):
    available = serializers.IntegerField()
    frozen = serializers.IntegerField()
    used = serializers.IntegerField()
    total = serializers.IntegerField()


class HistoryQuerySerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=TransType.choices, required=False)


class AdjustInputSerializer(serializers.Serializer):
    user = UserReferenceField()
    credits = WholeNumberField(min_value=-MAX_CREDITS, max_value=MAX_CREDITS)
    remark = serializers.CharField(max_length=255)
    expiresInDays = WholeNumberField(min_value=1, max_value=3650, required=False, allow_null=True)

    def validate_credits(self, value: int) -> int:
        if value == 0:
            raise serializers.ValidationError("Must not be zero.")
        return value

    def validate(self, attrs: dict) -> dict:
        if attrs.get("expiresInDays") is not None and attrs["credits"] < 0:
            raise serializers.ValidationError({"expiresInDays": ["Only added credits can expire."]})
        return attrs


class AdjustOutputSerializer(serializers.Serializer):
    user = serializers.SerializerMethodField()
    transaction = CreditTransactionOutputSerializer()
    balance = BalanceOutputSerializer()

    def get_user(self, result: dict) -> dict:
        return {"id": result["user"].pk, "email": result["user"].email}
