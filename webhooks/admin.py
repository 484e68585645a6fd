from django.contrib import admin, messages

from webhooks.endpoints import retry_delivery, update_endpoint
from webhooks.errors import EndpointDisabledError
from webhooks.models import DeliveryAttempt, EventDelivery, WebhookDelivery, WebhookEndpoint
from webhooks.services import reprocess


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "provider", "video_uuid", "task_id", "signature_valid", "outcome", "received_at"]
    list_filter = [
        "provider",
        "outcome",
        "signature_valid",
        "received_at",
        ("processed_at", admin.EmptyFieldListFilter),
    ]
    # Exact matches, not a contains-search through every stored body (the table grows with
    # each callback; video_uuid is indexed).
    search_fields = ["=video_uuid", "=task_id"]
    search_help_text = "An exact video UUID or provider task id."
    date_hierarchy = "received_at"
    actions = ["reprocess_deliveries"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Model-level "change" is what the reprocess action needs; a delivery's own page stays
        # read-only (no Save) for everyone.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(
        description="Reprocess selected deliveries",
        permissions=["change"],
        location=[admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM],
    )
    def reprocess_deliveries(self, request, queryset):
        outcomes = []
        for delivery in queryset:
            outcomes.append(reprocess(delivery).outcome)
            self.log_change(request, delivery, f"Reprocessed: {delivery.outcome}.")
        summary = ", ".join(f"{o}: {outcomes.count(o)}" for o in sorted(set(outcomes)))
        self.message_user(request, f"Reprocessed {len(outcomes)} deliveries ({summary}).", messages.SUCCESS)


# --- users' endpoints and what was sent to them (read-only; retry and disable) ---------


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fk_name = "delivery"
    extra = 0
    can_delete = False
    fields = ["number", "status_code", "duration_ms", "error", "next_retry_at", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ["url", "user", "enabled", "failing_since", "created_at"]
    list_filter = ["enabled"]
    search_fields = ["url", "user__email", "description"]
    exclude = ["secret"]  # signs the user's deliveries: never shown
    readonly_fields = [
        "id", "user", "url", "description", "events", "enabled", "disabled_reason",
        "failing_since", "created_at", "updated_at",
    ]  # fmt: skip
    actions = ["disable_endpoints"]

    @admin.action(description="Disable selected endpoints")
    def disable_endpoints(self, request, queryset):
        for endpoint in queryset:
            update_endpoint(endpoint, {"enabled": False})
            self.log_change(request, endpoint, "Disabled.")
        self.message_user(request, f"Disabled {queryset.count()} endpoints.", messages.SUCCESS)


@admin.register(EventDelivery)
class EventDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["id", "event", "endpoint", "status", "attempts", "next_attempt_at", "created_at"]
    list_filter = ["status"]
    search_fields = ["event__public_id", "endpoint__url", "endpoint__user__email"]
    list_select_related = ["event", "endpoint"]
    readonly_fields = [
        "id", "endpoint", "event", "status", "attempts", "next_attempt_at", "leased_until",
        "delivered_at", "created_at",
    ]  # fmt: skip
    inlines = [DeliveryAttemptInline]
    actions = ["retry_deliveries"]

    @admin.action(description="Retry selected deliveries now")
    def retry_deliveries(self, request, queryset):
        retried, refused = 0, 0
        for delivery in queryset:
            try:
                retry_delivery(delivery)
            except EndpointDisabledError:
                refused += 1
                continue
            retried += 1
            self.log_change(request, delivery, "Retried.")
        if retried:
            self.message_user(request, f"Retrying {retried} deliveries.", messages.SUCCESS)
        if refused:
            self.message_user(request, f"{refused} skipped: their endpoint is disabled.", messages.WARNING)
