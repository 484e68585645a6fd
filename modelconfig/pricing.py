"""The one pricing formula: credits = ceil((base + perSecond × duration) × qualityMultiplier)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Protocol


class Priced(Protocol):
    """What the formula reads of a catalogue model (``AIModel``), so pricing needs no model."""

    base_credits: Decimal
    credits_per_second: Decimal
    quality_multipliers: Mapping[str, object]
    durations: Sequence[int]
    qualities: Sequence[str]


def quality_multiplier(model: Priced, quality: str) -> Decimal:
    return Decimal(str(model.quality_multipliers.get(quality, "1")))


def price(model: Priced, duration: int, quality: str) -> int:
    raw = (model.base_credits + model.credits_per_second * duration) * quality_multiplier(model, quality)
    return math.ceil(raw)


def price_table(model: Priced) -> list[dict[str, int | str]]:
    return [
        {"duration": duration, "quality": quality, "credits": price(model, duration, quality)}
        for duration in model.durations
        for quality in model.qualities
    ]
