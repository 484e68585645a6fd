from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from modelconfig.models import AIModel
from modelconfig.pricing import price_table


class AIModelOutputSerializer(serializers.ModelSerializer):
    provider = serializers.SerializerMethodField()
    supportsImageToVideo = serializers.BooleanField(source="supports_image_to_video")
    defaultDuration = serializers.IntegerField(source="default_duration")
    aspectRatios = serializers.ListField(source="aspect_ratios", child=serializers.CharField())
    defaultQuality = serializers.CharField(source="default_quality")
    durations = serializers.ListField(child=serializers.IntegerField())
    qualities = serializers.ListField(child=serializers.CharField())
    pricing = serializers.SerializerMethodField()
    prices = serializers.SerializerMethodField()

    class Meta:
        model = AIModel
        fields = [
            "id",
            "name",
            "description",
            "provider",
            "supportsImageToVideo",
            "durations",
            "defaultDuration",
            "aspectRatios",
            "qualities",
            "defaultQuality",
            "pricing",
            "prices",
        ]

    def get_provider(self, model: AIModel) -> str:
        return model.provider or settings.DEFAULT_AI_PROVIDER

    def get_pricing(self, model: AIModel) -> dict:
        return {
            "baseCredits": float(model.base_credits),
            "creditsPerSecond": float(model.credits_per_second),
            "qualityMultipliers": {q: float(m) for q, m in model.quality_multipliers.items()},
            "formula": "ceil((baseCredits + creditsPerSecond * duration) * qualityMultiplier)",
        }

    def get_prices(self, model: AIModel) -> list[dict]:
        return price_table(model)
