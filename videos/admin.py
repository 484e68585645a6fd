import contextlib
import uuid

from django.contrib import admin, messages

from videos import services, tasks
from videos.models import FailureReason, IdempotencyRecord, Video


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    list_display = [
        "uuid",
        "user",
        "model",
        "status",
        "progress",
        "credits_used",
        "credit_status",
        "provider",
        "created_at",
    ]
    list_filter = ["status", "model", "provider", "credit_status", ("deleted_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "prompt"]  # and a whole uuid, below
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    actions = ["refresh_from_provider", "fail_and_release"]
    readonly_fields = [f.name for f in Video._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        with contextlib.suppress(ValueError):
            results |= queryset.filter(pk=uuid.UUID(search_term.strip()))
        return results, may_have_duplicates

    @admin.action(description="Refresh from provider")
    def refresh_from_provider(self, request, queryset):
        queued = 0
        for video in queryset:
            if tasks.request_refresh(str(video.pk), force=True):
                queued += 1
                self.log_change(request, video, "Queued a refresh from the provider.")
        self.message_user(request, f"Queued a provider refresh for {queued} videos.", messages.SUCCESS)

    @admin.action(description="Fail and release credits")
    def fail_and_release(self, request, queryset):
        failed = 0
        message = f"Stopped by staff ({request.user.email}); your credits were returned."
        for video in queryset:
            if services.fail_video(str(video.pk), message, FailureReason.STAFF):
                failed += 1
                self.log_change(request, video, "Failed the video and released its credits.")
        self.message_user(request, f"Failed {failed} videos and released their credits.", messages.SUCCESS)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ["key", "user", "video", "response_status", "created_at"]
    search_fields = ["key", "user__email"]
    readonly_fields = [
        "user",
        "key",
        "request_hash",
        "video",
        "response_status",
        "response_body",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False
