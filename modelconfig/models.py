from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models

from modelconfig.pricing import price_table


class AIModel(models.Model):
    """One entry of the model catalogue: what users may ask for and what it costs.

    ``provider_model_ids`` maps a provider key to that provider's own model ids:
    ``{"evolink": {"text": "wan2.6-text-to-video", "image": "wan2.6-image-to-video"}}``
    ("image" is used when the request has a start image; it falls back to "text").
    """

    id = models.SlugField(primary_key=True, max_length=64)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    enabled = models.BooleanField(default=True)
    sort_order = models.PositiveIntegerField(default=0)
    provider = models.CharField(
        max_length=32, blank=True, help_text="Provider key; blank means DEFAULT_AI_PROVIDER."
    )
    supports_image_to_video = models.BooleanField(default=False)
    has_audio = models.BooleanField(default=False, help_text="The model makes a soundtrack with the video.")
    durations = models.JSONField(help_text="Allowed durations in seconds, e.g. [5, 10].")
    default_duration = models.PositiveIntegerField()
    aspect_ratios = models.JSONField(help_text='Allowed aspect ratios, e.g. ["16:9", "9:16"].')
    qualities = models.JSONField(help_text='Allowed qualities, e.g. ["720p", "1080p"].')
    default_quality = models.CharField(max_length=16)
    base_credits = models.DecimalField(max_digits=10, decimal_places=3, default=Decimal("0"))
    credits_per_second = models.DecimalField(max_digits=10, decimal_places=3, default=Decimal("0"))
    quality_multipliers = models.JSONField(
        default=dict, blank=True, help_text='e.g. {"1080p": "1.67"}; a missing quality is 1.'
    )
    provider_model_ids = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = "AI model"

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"

    def clean(self) -> None:
        def is_list_of(value: object, kind: type) -> bool:
            return isinstance(value, list) and bool(value) and all(isinstance(v, kind) for v in value)

        errors: dict[str, str] = {}
        if not is_list_of(self.durations, int) or any(d <= 0 for d in self.durations):
            errors["durations"] = "A non-empty list of positive whole seconds."
        elif self.default_duration not in self.durations:
            errors["default_duration"] = "Must be one of the durations."
        if not is_list_of(self.aspect_ratios, str):
            errors["aspect_ratios"] = "A non-empty list of aspect ratios."
        if not is_list_of(self.qualities, str):
            errors["qualities"] = "A non-empty list of qualities."
        elif self.default_quality not in self.qualities:
            errors["default_quality"] = "Must be one of the qualities."
        if not isinstance(self.quality_multipliers, dict):
            errors["quality_multipliers"] = "A mapping of quality to multiplier."
        else:
            try:
                if any(Decimal(str(v)) <= 0 for v in self.quality_multipliers.values()):
                    errors["quality_multipliers"] = "Multipliers must be positive."
            except ArithmeticError:
                errors["quality_multipliers"] = "Multipliers must be numbers."
        # Only a well-formed model can be priced.
        if not errors and any(entry["credits"] <= 0 for entry in price_table(self)):
            errors["base_credits"] = "Every duration and quality must cost at least one credit."
        if errors:
            raise ValidationError(errors)

    def provider_model_id(self, provider: str, *, with_image: bool) -> str | None:
        ids = self.provider_model_ids.get(provider) or {}
        if with_image and ids.get("image"):
            return ids["image"]
        return ids.get("text")
