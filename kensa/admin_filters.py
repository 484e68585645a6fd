"""List filters for the admin whose every choice is one condition on the rows."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest


class ConditionFilter(admin.SimpleListFilter):
    """Subclasses give ``conditions()``: ``{value: (label, condition)}``, a condition being
    anything ``QuerySet.filter`` takes positionally (a ``Q``, an ``Exists``)."""

    def conditions(self) -> dict[str, tuple[str, Any]]:
        raise NotImplementedError

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(value, label) for value, (label, _) in self.conditions().items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        chosen = self.conditions().get(self.value())
        return queryset if chosen is None else queryset.filter(chosen[1])
