from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, views
from rest_framework.request import Request
from rest_framework.response import Response

from credits import selectors, services
from credits.api.serializers import (
    AdjustInputSerializer,
    AdjustOutputSerializer,
    CreditTransactionOutputSerializer,
    HistoryQuerySerializer,
)
from kensa.api.pagination import PageQuerySerializer, paginated
from kensa.api.ratelimits import READ_USER, RateLimitedMixin
from kensa.api.schema import error, paginated_serializer


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


class StaffCreditAdjustView(RateLimitedMixin, views.APIView):
    """Staff add credits (a new package) or deduct them (never below zero), with a remark."""

    permission_classes = [permissions.IsAdminUser]
    ratelimit_rules = {"*": (READ_USER,)}

    @extend_schema(
        request=AdjustInputSerializer,
        responses={
            200: AdjustOutputSerializer,
            404: error("No such user (`user_not_found`)."),
            409: error("The deduction would take the balance below zero (`balance_below_zero`)."),
        },
    )
    def post(self, request: Request) -> Response:
        data = AdjustInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = selectors.user_by_id_or_email(data.validated_data["user"])
        entry = services.adjust(
            user,
            data.validated_data["credits"],
            remark=data.validated_data["remark"],
            actor=request.user,
            expires_in_days=data.validated_data.get("expiresInDays"),
        )
        result = {"user": user, "transaction": entry, "balance": selectors.balance_of(user)}
        return Response(AdjustOutputSerializer(result).data)
