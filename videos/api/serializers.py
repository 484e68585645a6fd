from __future__ import annotations

import re
from functools import cached_property

from django.conf import settings
from rest_framework import serializers

from kensa.api.fields import DirectRepresentationMixin
from modelconfig.models import AIModel
from modelconfig.selectors import UnknownModelError, enabled_model
from videos import storage
from videos.models import Video, VideoStatus

# Width:height in whole numbers, as the catalogue lists them ("16:9", "21:9").
ASPECT_RATIO = r"^[1-9][0-9]{0,3}:[1-9][0-9]{0,3}$"
MODEL_ID = re.compile(r"[-a-zA-Z0-9_]{1,64}")


class GenerateInputSerializer(serializers.Serializer):
    """Every field is checked on its own, against the requested model when it is known,
    so one answer lists every bad field (DRF skips ``validate`` once a field fails)."""

    prompt = serializers.CharField(max_length=5000, trim_whitespace=True)
    model = serializers.CharField(max_length=64)
    duration = serializers.IntegerField(required=False)
    aspectRatio = serializers.RegexField(
        ASPECT_RATIO, max_length=16, error_messages={"invalid": "Give an aspect ratio such as 16:9."}
    )
    quality = serializers.CharField(max_length=16, required=False)
    startImageUrl = serializers.URLField(max_length=2048, required=False, allow_blank=True, allow_null=True)

    @cached_property
    def requested_model(self) -> AIModel | None:
        """The enabled model the body names, or None when it names none."""
        data = self.initial_data
        model_id = data.get("model") if isinstance(data, dict) else None
        # Read before the field's own checks: only a slug (what a catalogue id is) is looked up.
        if not isinstance(model_id, str) or not MODEL_ID.fullmatch(model_id.strip()):
            return None
        try:
            return enabled_model(model_id.strip())
        except UnknownModelError:
            return None

    def validate_prompt(self, value: str) -> str:
        if "\x00" in value:
            raise serializers.ValidationError("The prompt may not contain NUL characters.")
        return value

    def validate_model(self, value: str) -> str:
        if self.requested_model is None:
            try:
                enabled_model(value)  # for its message
            except UnknownModelError as error:
                raise serializers.ValidationError(error.message) from None
        return value

    def validate_duration(self, value: int) -> int:
        model = self.requested_model
        if model is not None and value not in model.durations:
            raise serializers.ValidationError(
                f"{model.name} offers durations {_listing(model.durations)} seconds."
            )
        return value

    def validate_aspectRatio(self, value: str) -> str:
        model = self.requested_model
        if model is not None and value not in model.aspect_ratios:
            raise serializers.ValidationError(
                f"{model.name} offers aspect ratios {_listing(model.aspect_ratios)}."
            )
        return value

    def validate_quality(self, value: str) -> str:
        model = self.requested_model
        if model is not None and value not in model.qualities:
            raise serializers.ValidationError(f"{model.name} offers qualities {_listing(model.qualities)}.")
        return value

    def validate_startImageUrl(self, value: str | None) -> str:
        if value and not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("Enter an http(s) URL.")
        model = self.requested_model
        if value and model is not None and not model.supports_image_to_video:
            raise serializers.ValidationError(f"{model.name} does not take a start image.")
        return value or ""

    def validate(self, attrs: dict) -> dict:
        # Reached only when every field passed, so the model is known: the catalogue's
        # defaults fill what the request left out.
        model = self.requested_model
        attrs.setdefault("duration", model.default_duration)
        attrs.setdefault("quality", model.default_quality)
        return attrs


def _listing(values: list) -> str:
    return ", ".join(str(v) for v in values)


class VideoAcceptedOutputSerializer(DirectRepresentationMixin, serializers.ModelSerializer):
    aspectRatio = serializers.CharField(source="aspect_ratio")
    creditsUsed = serializers.IntegerField(source="credits_used")
    createdAt = serializers.DateTimeField(source="created_at")

    class Meta:
        model = Video
        fields = ["uuid", "status", "model", "creditsUsed", "createdAt", "duration", "aspectRatio", "quality"]


class _VideoStateFields(DirectRepresentationMixin, serializers.Serializer):
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
