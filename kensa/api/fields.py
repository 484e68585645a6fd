"""Output serializers for hot list paths, built from their declared fields.

DRF's per-field machinery (``get_attribute``, ``SkipField``, one ``to_representation``
call per field) costs several times the work of the item itself. ``DirectRepresentationMixin``
reads the serializer's declared fields once per class and turns each into one plain
reader, which gives exactly what DRF's field would; fields it has no reader for go
through DRF's own path. The declared fields stay the one list (the OpenAPI schema reads
them too). Sources name attributes, not methods (DRF would call a method; a value
computed per item is a ``SerializerMethodField``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from django.conf import settings
from rest_framework import ISO_8601, serializers
from rest_framework.fields import SkipField, empty
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings

Reader = Callable[[serializers.Serializer, Any], Any]


def iso_utc(value: datetime | None) -> str | None:
    """What DRF's DateTimeField gives with USE_TZ and UTC: ISO 8601 ending in ``Z``."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# Fields whose representation of a value of their own type is the value itself.
_AS_STORED = {
    serializers.CharField.to_representation,
    serializers.EmailField.to_representation,
    serializers.IntegerField.to_representation,
    serializers.BooleanField.to_representation,
    serializers.ChoiceField.to_representation,
}


def _iso_in_utc(field: serializers.DateTimeField) -> bool:
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    return (
        isinstance(output_format, str)
        and output_format.lower() == ISO_8601
        and getattr(field, "timezone", None) is None
        and settings.USE_TZ
        and settings.TIME_ZONE == "UTC"
    )


def _reads_plainly(field: serializers.Field) -> bool:
    """Whether reading the source can only give the value or fail loudly, as in DRF.

    A path through another object (``user.email``) may meet a None on the way, which DRF
    answers with the field's default, null or omission: those take DRF's path.
    """
    if not field.source_attrs:  # source="*": the field reads the whole item
        return False
    return len(field.source_attrs) == 1 or (
        field.required and field.default is empty and not field.allow_null
    )


def _reader(serializer_class: type, field: serializers.Field) -> Reader:
    if isinstance(field, serializers.SerializerMethodField):
        return getattr(serializer_class, field.method_name)  # called as method(serializer, item)
    if not _reads_plainly(field):
        return _DRFReader(field.field_name)
    get = attrgetter(".".join(field.source_attrs))
    represent = type(field).to_representation
    if represent in _AS_STORED:
        return lambda serializer, item: get(item)
    if represent is serializers.UUIDField.to_representation and field.uuid_format == "hex_verbose":
        return lambda serializer, item: None if (value := get(item)) is None else str(value)
    if represent is serializers.DateTimeField.to_representation and _iso_in_utc(field):
        return lambda serializer, item: iso_utc(get(item))
    return _DRFReader(field.field_name)


class _DRFReader:
    """DRF's own path for one field, as ``Serializer.to_representation`` takes it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, serializer: serializers.Serializer, item: Any) -> Any:
        field = serializer.fields[self.name]
        try:
            value = field.get_attribute(item)
        except SkipField:
            return _SKIP
        checked = value.pk if isinstance(value, PKOnlyObject) else value
        return None if checked is None else field.to_representation(value)


_SKIP = object()


class DirectRepresentationMixin:
    """For output serializers: each item is built by its class's readers, in field order."""

    _readers_by_class: dict[type, tuple[tuple[tuple[str, Reader], ...], bool]] = {}

    def to_representation(self, instance: Any) -> dict[str, Any]:
        cls = type(self)
        plan = DirectRepresentationMixin._readers_by_class.get(cls)
        if plan is None:
            # Once per class (a race builds it twice, to the same value).
            readers = tuple((field.field_name, _reader(cls, field)) for field in self._readable_fields)
            plan = readers, any(isinstance(read, _DRFReader) for _, read in readers)
            DirectRepresentationMixin._readers_by_class[cls] = plan
        readers, may_skip = plan
        data = {name: read(self, instance) for name, read in readers}
        if may_skip:
            return {name: value for name, value in data.items() if value is not _SKIP}
        return data
