"""Support staff's view of videos: rows are read, and change only through the actions."""

from __future__ import annotations

import contextlib
import logging
import uuid
from datetime import datetime

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator

from kensa.admin_filters import ConditionFilter
from modelconfig.models import AIModel
from videos import storage
from videos.models import FailureReason, IdempotencyRecord, Video, VideoStatus
from videos.providers import provider_keys
from videos.refresh import request_refresh
from videos.transitions import fail_video

logger = logging.getLogger(__name__)

User = get_user_model()
USER_CHANGE_URL = f"admin:{User._meta.app_label}_{User._meta.model_name}_change"
BOTH_PAGES = [admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM]

# The stored file names are shown as links (or as why there is none) instead.
DETAIL_FIELDS = [
    {"video_file": "video_link", "thumbnail_file": "thumbnail_link"}.get(f.name, f.name)
    for f in Video._meta.fields
]


def short_time(moment: datetime | None) -> str:
    """``30 Nov 17:22`` (the year only when it is not this one), in the site's time zone."""
    if moment is None:
        return "-"
    local = timezone.localtime(moment)
    if local.year != timezone.localtime().year:
        return f"{local.day} {local:%b %Y %H:%M}"
    return f"{local.day} {local:%b %H:%M}"


class DeletedFilter(ConditionFilter):
    title = "deleted by owner"
    parameter_name = "deleted"

    def conditions(self) -> dict[str, tuple[str, Q]]:
        return {"yes": ("Yes", Q(deleted_at__isnull=False)), "no": ("No", Q(deleted_at__isnull=True))}


# Choices come from the catalogue and the provider registry: the default filter would
# scan the whole video table for its distinct values on every page load.
class ModelFilter(admin.SimpleListFilter):
    title = "model"
    parameter_name = "model"

    def lookups(self, request, model_admin):
        return list(AIModel.objects.order_by("sort_order", "id").values_list("id", "name"))

    def queryset(self, request, queryset):
        return queryset.filter(model=self.value()) if self.value() else queryset


class ProviderFilter(admin.SimpleListFilter):
    title = "provider"
    parameter_name = "provider"

    def lookups(self, request, model_admin):
        return [(key, key) for key in provider_keys()]

    def queryset(self, request, queryset):
        return queryset.filter(provider=self.value()) if self.value() else queryset


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    list_display = [
        "short_uuid",
        "user_link",
        "short_prompt",
        "model",
        "provider",
        "status_label",
        "credits",
        "created",
        "deleted",
    ]
    list_filter = [
        "status",
        ModelFilter,
        ProviderFilter,
        "credit_status",
        "failure_reason",
        DeletedFilter,
        "created_at",
    ]
    search_fields = ["user__email", "prompt"]  # and a whole uuid, below
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    actions = ["refresh_from_provider", "fail_and_release"]
    fields = DETAIL_FIELDS
    readonly_fields = DETAIL_FIELDS

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The change page has no editable field: saving it would only bump updated_at,
        # which the reconciler reads as "heard lately". Rows change through the actions,
        # which ask for the change permission on the model (obj=None).
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        with contextlib.suppress(ValueError):
            results |= queryset.filter(pk=uuid.UUID(search_term.strip()))
        return results, may_have_duplicates

    @admin.display(description="Video", ordering="uuid")
    def short_uuid(self, video: Video) -> str:
        return format_html('<span title="{}">{}</span>', video.uuid, str(video.uuid)[:8])

    @admin.display(description="User", ordering="user__email")
    def user_link(self, video: Video) -> str:
        email = video.user.email or video.user.get_username()
        return format_html(
            '<a href="{}" title="{}">{}</a>',
            reverse(USER_CHANGE_URL, args=[video.user_id]),
            email,
            Truncator(email).chars(28),
        )

    @admin.display(description="Prompt")
    def short_prompt(self, video: Video) -> str:
        return format_html('<span title="{}">{}</span>', video.prompt, Truncator(video.prompt).chars(40))

    @admin.display(description="Status", ordering="status")
    def status_label(self, video: Video) -> str:
        if video.status == VideoStatus.GENERATING and video.progress is not None:
            return f"{video.status} {video.progress}%"
        return video.status

    @admin.display(description="Credits", ordering="credits_used")
    def credits(self, video: Video) -> str:
        return f"{video.credits_used} {video.credit_status.lower()}"

    @admin.display(description="Created", ordering="created_at")
    def created(self, video: Video) -> str:
        return format_html(
            '<span title="{}">{}</span>', video.created_at.isoformat(), short_time(video.created_at)
        )

    @admin.display(description="Deleted", boolean=True, ordering="deleted_at")
    def deleted(self, video: Video) -> bool:
        return video.deleted_at is not None

    @admin.display(description="Video file")
    def video_link(self, video: Video) -> str:
        return self._stored_file(
            video, video.video_file, '<video src="{}" controls preload="none" width="360">'
        )

    @admin.display(description="Thumbnail file")
    def thumbnail_link(self, video: Video) -> str:
        return self._stored_file(video, video.thumbnail_file, '<img src="{}" alt="" width="180">')

    def _stored_file(self, video: Video, name: str, preview: str) -> str:
        """A link and a preview, only for a file that is still there to open."""
        if video.deleted_at is not None:
            return f"Deleted by its owner on {short_time(video.deleted_at)}; the file was removed."
        if not name:
            return "-"
        try:
            exists = default_storage.exists(name)
        except Exception:
            logger.exception("could not look up stored file %s", name)
            return f"{name} (storage unreachable)"
        if not exists:
            return f"{name} (missing from storage)"
        url = storage.url(name)
        return format_html('<a href="{}">{}</a><br>' + preview, url, name, url)

    @admin.action(description="Refresh from provider", permissions=["change"], location=BOTH_PAGES)
    def refresh_from_provider(self, request, queryset):
        queued = 0
        for video in queryset:
            if request_refresh(str(video.pk), force=True):
                queued += 1
                self.log_change(request, video, "Queued a refresh from the provider.")
        self.message_user(request, f"Queued a provider refresh for {queued} videos.", messages.SUCCESS)

    @admin.action(description="Fail and release credits", permissions=["change"], location=BOTH_PAGES)
    def fail_and_release(self, request, queryset):
        failed = 0
        message = f"Stopped by staff ({request.user.email}); your credits were returned."
        for video in queryset:
            if fail_video(str(video.pk), message, FailureReason.STAFF):
                failed += 1
                self.log_change(request, video, "Failed the video and released its credits.")
        self.message_user(request, f"Failed {failed} videos and released their credits.", messages.SUCCESS)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ["key", "user", "video", "response_status", "created_at"]
    list_filter = ["response_status", "created_at"]
    search_fields = ["key", "user__email"]
    list_select_related = ["user", "video"]
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

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # The first answer to a request is a record: replayed as stored, never edited.
        return False
