"""``?page=&pageSize=`` pagination with the list shape of SPEC §1."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.request import Request

MAX_PAGE_SIZE = 100


class PageQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, default=1)
    pageSize = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=20)


@dataclass(frozen=True)
class Page:
    items: list[Any]
    number: int
    size: int
    total: int

    def as_dict(self, key: str, items: list[Any]) -> dict[str, Any]:
        return {
            key: items,
            "page": self.number,
            "pageSize": self.size,
            "total": self.total,
            "totalPages": math.ceil(self.total / self.size) if self.total else 0,
        }


def page_of(queryset: QuerySet, request: Request, total: int | None = None) -> Page:
    """Validate the page parameters and fetch one page.

    ``total`` may come from a kept count: counting a user's rows costs time in proportion
    to their number, which is what a long history must not do.
    """
    params = PageQuerySerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    number, size = params.validated_data["page"], params.validated_data["pageSize"]
    if total is None:
        total = queryset.count()
    # A page past the end is empty; skipping the query also keeps huge offsets off the DB.
    offset = (number - 1) * size
    items = list(queryset[offset : offset + size]) if offset < total else []
    return Page(items=items, number=number, size=size, total=total)


def paginated(
    queryset: QuerySet, request: Request, key: str, serializer_class: type, total: int | None = None
) -> dict:
    page = page_of(queryset, request, total)
    items = serializer_class(page.items, many=True, context={"request": request}).data
    return page.as_dict(key, items)
