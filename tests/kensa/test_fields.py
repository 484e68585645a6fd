"""Output serializers build items from their declared fields, exactly as DRF would."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from rest_framework import serializers

from credits.api.serializers import CreditTransactionOutputSerializer
from credits.models import CreditTransaction
from kensa.api.fields import DirectRepresentationMixin
from tests.factories import VideoFactory
from videos.api.serializers import (
    StaffVideoOutputSerializer,
    VideoAcceptedOutputSerializer,
    VideoOutputSerializer,
    VideoTaskOutputSerializer,
)

AT = datetime(2026, 11, 30, 17, 26, 49, 385126, tzinfo=UTC)


def drf_representation(serializer: serializers.Serializer, item) -> dict:
    return serializers.Serializer.to_representation(serializer, item)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "serializer_class",
    [
        VideoOutputSerializer,
        StaffVideoOutputSerializer,
        VideoTaskOutputSerializer,
        VideoAcceptedOutputSerializer,
    ],
)
@pytest.mark.parametrize("status", ["PENDING", "COMPLETED", "FAILED"])
def test_video_outputs_give_what_drfs_fields_give(serializer_class, status, media_root):
    video = VideoFactory(
        status=status,
        progress=40 if status == "PENDING" else None,
        video_file="videos/a.mp4",
        thumbnail_file="videos/a.jpg",
        error_message="Refused." if status == "FAILED" else "",
        completed_at=AT if status == "COMPLETED" else None,
    )
    serializer = serializer_class(video)

    assert serializer.data == drf_representation(serializer, video)
    assert list(serializer.data) == list(serializer.fields)


@pytest.mark.parametrize("reference", ["dc7935ee-0e21-4510-860d-9cb464a87b49", None])
def test_credit_history_items_give_what_drfs_fields_give(reference):
    entry = CreditTransaction(
        id=7,
        trans_no="T7",
        trans_type="HOLD",
        credits=-2,
        balance_after=5,
        reference=reference,
        remark="",
        created_at=AT,
    )
    serializer = CreditTransactionOutputSerializer(entry)

    assert serializer.data == drf_representation(serializer, entry)


class _Base(DirectRepresentationMixin, serializers.Serializer):
    name = serializers.CharField()
    createdAt = serializers.DateTimeField(source="created_at")
    shout = serializers.SerializerMethodField()

    def get_shout(self, item) -> str:
        return item.name.upper() + self.context.get("suffix", "")


class _Extended(_Base):
    ownerEmail = serializers.EmailField(source="owner.email")
    price = serializers.DecimalField(max_digits=5, decimal_places=2)  # no direct reader: DRF's path
    tags = serializers.ListField(child=serializers.CharField())
    whole = serializers.SerializerMethodField()

    def get_whole(self, item) -> bool:
        return item is not None


def test_a_field_declared_on_a_subclass_is_built_without_relisting_the_fields():
    item = SimpleNamespace(
        name="fox",
        created_at=AT,
        owner=SimpleNamespace(email="a@example.com"),
        price=Decimal("1.5"),
        tags=["a"],
    )

    data = _Extended(item, context={"suffix": "!"}).data

    assert data == {
        "name": "fox",
        "createdAt": "2026-11-30T17:26:49.385126Z",
        "shout": "FOX!",
        "ownerEmail": "a@example.com",
        "price": "1.50",
        "tags": ["a"],
        "whole": True,
    }
    assert _Base(item).data == {"name": "fox", "createdAt": "2026-11-30T17:26:49.385126Z", "shout": "FOX"}


def test_a_missing_optional_attribute_is_left_out_as_drf_leaves_it_out():
    class Optional(DirectRepresentationMixin, serializers.Serializer):
        name = serializers.CharField()
        nickname = serializers.CharField(required=False, source="nick.name")

    item = SimpleNamespace(name="fox", nick=None)
    serializer = Optional(item)

    assert serializer.data == drf_representation(serializer, item)
