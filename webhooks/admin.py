from django.contrib import admin, messages

from webhooks.models import WebhookDelivery
from webhooks.services import reprocess


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "provider", "video_uuid", "task_id", "signature_valid", "outcome", "received_at"]
    list_filter = ["provider", "outcome", "signature_valid"]
    search_fields = ["video_uuid", "task_id", "body"]
    date_hierarchy = "received_at"
    actions = ["reprocess_deliveries"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Reprocess selected deliveries")
    def reprocess_deliveries(self, request, queryset):
        outcomes = []
        for delivery in queryset:
            outcomes.append(reprocess(delivery).outcome)
            self.log_change(request, delivery, f"Reprocessed: {delivery.outcome}.")
        summary = ", ".join(f"{o}: {outcomes.count(o)}" for o in sorted(set(outcomes)))
        self.message_user(request, f"Reprocessed {len(outcomes)} deliveries ({summary}).", messages.SUCCESS)
