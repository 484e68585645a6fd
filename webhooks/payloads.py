"""The ``data`` of each event: the same objects the API returns for the thing it reports."""

from __future__ import annotations

from collections.abc import Mapping

from credits.api.billing_serializers import OrderOutputSerializer
from credits.api.serializers import CreditTransactionOutputSerializer
from credits.billing.models import Order
from credits.models import CreditTransaction
from videos.api.serializers import VideoOutputSerializer
from videos.models import Video


def video_data(video: Video) -> dict:
    """``video`` as GET /video/{uuid} shows it (links absolute when PUBLIC_BASE_URL is set)."""
    return {"video": dict(VideoOutputSerializer(video).data)}


def credits_data(entry: CreditTransaction, balance: Mapping[str, int]) -> dict:
    """``transaction`` as in the history, and the balance once it applied."""
    return {"transaction": CreditTransactionOutputSerializer(entry).data, "balance": dict(balance)}


def order_data(order: Order) -> dict:
    """``order`` as GET /credit/orders lists it."""
    return {"order": OrderOutputSerializer(order).data}
