from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, views
from rest_framework.request import Request
from rest_framework.response import Response

from credits import selectors
from credits.adjustments import MAX_KEY_LENGTH, adjust_once
from credits.api.serializers import (
    AdjustInputSerializer,
    AdjustOutputSerializer,
    CreditTransactionOutputSerializer,
    HistoryQuerySerializer,
)
from credits.permissions import may_adjust
from kensa.api.idempotency import idempotency_key
from kensa.api.pagination import PageQuerySerializer, paginated
from kensa.api.ratelimits import READ_USER, RateLimitedMixin
from kensa.api.schema import error, paginated_serializer

ADJUST_IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "maxLength": MAX_KEY_LENGTH},
    OpenApiParameter.HEADER,
    description=(
        "Repeat the adjustment with the same key to get the first answer, adjusted once; "
        "the same key with another body is refused (409). Keys are kept per staff user."
    ),
)


class CreditHistoryView(RateLimitedMixin, views.APIView):
    """The caller's ledger, newest first, optionally of one ``type``."""

    ratelimit_rules = {"*": (READ_USER,)}

    @extend_schema(
        parameters=[HistoryQuerySerializer, PageQuerySerializer],
        responses=paginated_serializer("TransactionPage", "transactions", CreditTransactionOutputSerializer),
    )
    def get(self, request: Request) -> Response:
        query = HistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        trans_type = query.validated_data.get("type")
        entries = selectors.transactions_for(request.user, trans_type)
        total = selectors.transaction_total(request.user, trans_type)
        return Response(
            paginated(entries, request, "transactions", CreditTransactionOutputSerializer, total=total)
        )


class CanAdjustCredits(permissions.BasePermission):
    """Staff with the permission the admin's adjust form asks for; ``is_staff`` alone is not enough."""

    def has_permission(self, request: Request, view: views.APIView) -> bool:
        return may_adjust(request.user)


class StaffCreditAdjustView(RateLimitedMixin, views.APIView):
    """Staff add credits (a new package) or deduct them (never below zero), with a remark."""

    permission_classes = [permissions.IsAuthenticated, CanAdjustCredits]
    ratelimit_rules = {"*": (READ_USER,)}

    @extend_schema(
        request=AdjustInputSerializer,
        parameters=[ADJUST_IDEMPOTENCY_KEY],
        responses={
            200: AdjustOutputSerializer,
            404: error("No such user (`user_not_found`)."),
            409: error(
                "The deduction would take the balance below zero (`balance_below_zero`), or the "
                "Idempotency-Key was used with a different body (`idempotency_key_reused`)."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = AdjustInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = idempotency_key(request)
        user = selectors.user_by_id_or_email(data.validated_data["user"])
        adjusted = adjust_once(
            user,
            data.validated_data["credits"],
            remark=data.validated_data["remark"],
            actor=request.user,
            expires_in_days=data.validated_data.get("expiresInDays"),
            idempotency_key=key,
            render=lambda entry: (
                AdjustOutputSerializer(
                    {"user": user, "transaction": entry, "balance": selectors.balance_of(user)}
                ).data
            ),
        )
        return Response(adjusted.body)
