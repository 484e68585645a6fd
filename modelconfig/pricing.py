"""The one pricing formula: credits = ceil((base + perSecond × duration) × qualityMultiplier)."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from modelconfig.models import AIModel


def quality_multiplier(model: AIModel, quality: str) -> Decimal:
    return Decimal(str(model.quality_multipliers.get(quality, "1")))


def price(model: AIModel, duration: int, quality: str) -> int:
    raw = (model.base_credits + model.credits_per_second * duration) * quality_multiplier(model, quality)
    return math.ceil(raw)


def price_table(model: AIModel) -> list[dict[str, int | str]]:
    return [
        {"duration": duration, "quality": quality, "credits": price(model, duration, quality)}
        for duration in model.durations
        for quality in model.qualities
    ]
