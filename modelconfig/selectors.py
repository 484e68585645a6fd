from __future__ import annotations

from django.db.models import QuerySet

from kensa.errors import DomainError
from modelconfig.models import AIModel


class UnknownModelError(DomainError):
    status_code = 400
    code = "unknown_model"
    default_message = "This model does not exist or is not available."


def enabled_models() -> QuerySet[AIModel]:
    return AIModel.objects.filter(enabled=True)


def enabled_model(model_id: str) -> AIModel:
    try:
        return enabled_models().get(pk=model_id)
    except AIModel.DoesNotExist:
        raise UnknownModelError(f"Model '{model_id}' does not exist or is not available.") from None


def model_makes_sound(model_id: str) -> bool:
    """Whether the catalogue's model makes a soundtrack (False for a model it no longer has)."""
    return AIModel.objects.filter(pk=model_id, has_audio=True).exists()
