from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from kensa.api.fields import iso_utc
from modelconfig.selectors import UnknownModelError, enabled_model
from videos import storage
from videos.models import Video, VideoStatus


class GenerateInputSerializer(serializers.Serializer):
    prompt = serializers.CharField(max_length=5000, trim_whitespace=True)
    model = serializers.CharField(max_length=64)
    duration = serializers.IntegerField()
    aspectRatio = serializers.CharField(max_length=16)
    quality = serializers.CharField(max_length=16, required=False)
    startImageUrl = serializers.URLField(max_length=2048, required=False, allow_blank=True, allow_null=True)

    def validate_prompt(self, value: str) -> str:
        if "\x00" in value:
            raise serializers.ValidationError("The prompt may not contain NUL characters.")
        return value

    def validate_startImageUrl(self, value: str | None) -> str:
        if value and not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("Enter an http(s) URL.")
        return value or ""

    def validate(self, attrs: dict) -> dict:
        try:
            model = enabled_model(attrs["model"])
        except UnknownModelError as error:
            raise serializers.ValidationError({"model": [error.message]}) from None
        errors: dict[str, list[str]] = {}
        if attrs["duration"] not in model.durations:
            errors["duration"] = [f"{model.name} offers durations {_listing(model.durations)} seconds."]
        if attrs["aspectRatio"] not in model.aspect_ratios:
            errors["aspectRatio"] = [f"{model.name} offers aspect ratios {_listing(model.aspect_ratios)}."]
        attrs.setdefault("quality", model.default_quality)
        if attrs["quality"] not in model.qualities:
            errors["quality"] = [f"{model.name} offers qualities {_listing(model.qualities)}."]
        if attrs.get("startImageUrl") and not model.supports_image_to_video:
            errors["startImageUrl"] = [f"{model.name} does not take a start image."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


def _listing(values: list) -> str:
    return ", ".join(str(v) for v in values)


class VideoAcceptedOutputSerializer(serializers.ModelSerializer):
    aspectRatio = serializers.CharField(source="aspect_ratio")
    creditsUsed = serializers.IntegerField(source="credits_used")
    createdAt = serializers.DateTimeField(source="created_at")

    class Meta:
        model = Video
        fields = ["uuid", "status", "model", "creditsUsed", "createdAt", "duration", "aspectRatio", "quality"]


class _VideoStateFields(serializers.Serializer):
    """What the detail and the polling answer share: state, media links, dates."""

    videoUrl = serializers.SerializerMethodField()
    thumbnailUrl = serializers.SerializerMethodField()
    errorMessage = serializers.SerializerMethodField()
    creditsUsed = serializers.IntegerField(source="credits_used")
    updatedAt = serializers.DateTimeField(source="updated_at")
    completedAt = serializers.DateTimeField(source="completed_at")

    def _absolute(self, name: str) -> str | None:
        url = storage.url(name)
        if url and url.startswith("/"):
            if settings.PUBLIC_BASE_URL:
                return settings.PUBLIC_BASE_URL.rstrip("/") + url
            request = self.context.get("request")
            return request.build_absolute_uri(url) if request else url
        return url

    def get_videoUrl(self, video: Video) -> str | None:
        return self._absolute(video.video_file) if video.status == VideoStatus.COMPLETED else None

    def get_thumbnailUrl(self, video: Video) -> str | None:
        return self._absolute(video.thumbnail_file) if video.status == VideoStatus.COMPLETED else None

    def get_errorMessage(self, video: Video) -> str | None:
        return video.error_message or None


class VideoOutputSerializer(_VideoStateFields, serializers.ModelSerializer):
    aspectRatio = serializers.CharField(source="aspect_ratio")
    startImageUrl = serializers.SerializerMethodField()
    creditStatus = serializers.CharField(source="credit_status")
    createdAt = serializers.DateTimeField(source="created_at")

    class Meta:
        model = Video
        fields = [
            "uuid", "status", "progress", "prompt", "model", "duration", "aspectRatio", "quality",
            "startImageUrl", "videoUrl", "thumbnailUrl", "creditsUsed", "creditStatus", "errorMessage",
            "createdAt", "updatedAt", "completedAt",
        ]  # fmt: skip

    def get_startImageUrl(self, video: Video) -> str | None:
        return video.start_image_url or None

    def to_representation(self, video: Video) -> dict:
        # The list's hot path: the declared fields, built directly (kensa.api.fields).
        return {
            "uuid": str(video.uuid),
            "status": video.status,
            "progress": video.progress,
            "prompt": video.prompt,
            "model": video.model,
            "duration": video.duration,
            "aspectRatio": video.aspect_ratio,
            "quality": video.quality,
            "startImageUrl": self.get_startImageUrl(video),
            "videoUrl": self.get_videoUrl(video),
            "thumbnailUrl": self.get_thumbnailUrl(video),
            "creditsUsed": video.credits_used,
            "creditStatus": video.credit_status,
            "errorMessage": self.get_errorMessage(video),
            "createdAt": iso_utc(video.created_at),
            "updatedAt": iso_utc(video.updated_at),
            "completedAt": iso_utc(video.completed_at),
        }


class VideoTaskOutputSerializer(_VideoStateFields, serializers.ModelSerializer):
    class Meta:
        model = Video
        fields = [
            "uuid", "status", "progress", "videoUrl", "thumbnailUrl", "errorMessage", "creditsUsed",
            "updatedAt", "completedAt",
        ]  # fmt: skip


class StaffVideoOutputSerializer(VideoOutputSerializer):
    userId = serializers.IntegerField(source="user_id")
    userEmail = serializers.EmailField(source="user.email")
    provider = serializers.CharField()
    providerTaskId = serializers.CharField(source="provider_task_id")

    class Meta(VideoOutputSerializer.Meta):
        fields = [*VideoOutputSerializer.Meta.fields, "userId", "userEmail", "provider", "providerTaskId"]

    def to_representation(self, video: Video) -> dict:
        return {
            **super().to_representation(video),
            "userId": video.user_id,
            "userEmail": video.user.email,
            "provider": video.provider,
            "providerTaskId": video.provider_task_id,
        }


class VideoListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=VideoStatus.choices, required=False)
    model = serializers.CharField(max_length=64, required=False)


class StaffVideoListQuerySerializer(VideoListQuerySerializer):
    user = serializers.CharField(max_length=254, required=False)


class VideoTaskQuerySerializer(serializers.Serializer):
    uuid = serializers.CharField(max_length=64, required=False)
    taskId = serializers.CharField(max_length=64, required=False)

    def validate(self, attrs: dict) -> dict:
        value = attrs.get("uuid") or attrs.get("taskId")
        if not value:
            raise serializers.ValidationError({"uuid": ["This query parameter is required."]})
        return {"uuid": value}
