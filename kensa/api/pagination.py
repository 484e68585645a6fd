"""``?page=&pageSize=`` pagination with the documented list shape (docs/api.md: Pagination)."""

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
    items = page_rows(queryset, offset, size, total) if offset < total else []
    return Page(items=items, number=number, size=size, total=total)


def page_rows(queryset: QuerySet, offset: int, size: int, total: int) -> list[Any]:
    """``list(queryset[offset : offset + size])`` in one query whose cost does not grow with
    the page's depth as a plain OFFSET does.

    A deferred join: the page's primary keys are chosen by ORDER BY ... OFFSET on the
    ordering's index alone (an index-only scan, no table rows read for the skipped ones),
    then only those rows are read. Past the middle, the keys are counted from the other
    end (the reversed ordering, a backward scan), so the last page costs what the first
    does. ``total`` must be the queryset's row count (a kept one is fine): it places the
    page when counting from the end. The ordering must be total (end on a unique column)
    for a page to be well defined either way.
    """
    end = min(offset + size, total)
    if end <= offset:
        return []
    after = total - end  # rows that come after this page
    if after < offset:
        keys = queryset.reverse().values("pk")[after : after + (end - offset)]
    else:
        keys = queryset.values("pk")[offset:end]
    return list(queryset.filter(pk__in=keys))


def paginated(
    queryset: QuerySet, request: Request, key: str, serializer_class: type, total: int | None = None
) -> dict:
    page = page_of(queryset, request, total)
    items = serializer_class(page.items, many=True, context={"request": request}).data
    return page.as_dict(key, items)
