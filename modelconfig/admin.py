from django.contrib import admin

from modelconfig.models import AIModel
from modelconfig.pricing import price_table


@admin.register(AIModel)
class AIModelAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "enabled", "sort_order", "provider", "supports_image_to_video", "prices"]
    list_editable = ["enabled", "sort_order"]
    list_filter = ["enabled", "provider", "supports_image_to_video"]
    search_fields = ["id", "name", "provider"]
    readonly_fields = ["updated_at", "prices"]

    @admin.display(description="Credits (duration × quality)")
    def prices(self, model: AIModel) -> str:
        try:
            return ", ".join(f"{p['duration']}s/{p['quality']}={p['credits']}" for p in price_table(model))
        except (TypeError, ArithmeticError):
            return "invalid pricing"
