from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from kensa.api.idempotency import idempotency_key
from kensa.api.pagination import PageQuerySerializer, paginated
from kensa.api.ratelimits import GENERATE_IP, GENERATE_USER, READ_USER, RateLimitedMixin
from kensa.api.schema import IDEMPOTENCY_KEY, error, paginated_serializer
from videos import selectors
from videos.api.serializers import (
    GenerateInputSerializer,
    StaffVideoListQuerySerializer,
    StaffVideoOutputSerializer,
    VideoAcceptedOutputSerializer,
    VideoListQuerySerializer,
    VideoOutputSerializer,
    VideoTaskOutputSerializer,
    VideoTaskQuerySerializer,
)
from videos.generation import VideoRequest, start_generation, stored_request_digest
from videos.refresh import request_refresh
from videos.transitions import delete_video


def _video_request(values: dict) -> VideoRequest:
    return VideoRequest(
        prompt=values["prompt"],
        model=values["model"],
        duration=values["duration"],
        aspect_ratio=values["aspectRatio"],
        quality=values["quality"],
        start_image_url=values.get("startImageUrl", ""),
    )


class VideoViewSet(RateLimitedMixin, viewsets.ViewSet):
    ratelimit_rules = {"generate": (GENERATE_USER, GENERATE_IP), "*": (READ_USER,)}

    def does_no_work(self, request: Request) -> bool:
        # A repeat of a stored Idempotency-Key answer is served even when the generate
        # limit is spent: the same key with another body is still counted (and a 409).
        if self.action != "generate":
            return False
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key or len(key) > 255:
            return False
        stored = stored_request_digest(request.user, key)
        if stored is None:
            return False
        data = GenerateInputSerializer(data=request.data)
        return data.is_valid() and _video_request(data.validated_data).digest() == stored

    @extend_schema(
        request=GenerateInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            202: VideoAcceptedOutputSerializer,
            402: error("Not enough credits (`insufficient_credits`); nothing is held."),
            409: error("The Idempotency-Key was used with a different body (`idempotency_key_reused`)."),
        },
    )
    def generate(self, request: Request) -> Response:
        data = GenerateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        started = start_generation(
            request.user,
            _video_request(data.validated_data),
            render=lambda video: VideoAcceptedOutputSerializer(video).data,
            idempotency_key=idempotency_key(request),
            model=data.requested_model,
        )
        return Response(started.body, status=started.status_code)

    @extend_schema(
        parameters=[VideoListQuerySerializer, PageQuerySerializer],
        responses=paginated_serializer("VideoPage", "videos", VideoOutputSerializer),
    )
    def list(self, request: Request) -> Response:
        query = VideoListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        videos = selectors.videos_of(request.user, **query.validated_data)
        total = selectors.visible_total(request.user, **query.validated_data)
        return Response(paginated(videos, request, "videos", VideoOutputSerializer, total=total))

    @extend_schema(responses=VideoOutputSerializer)
    def retrieve(self, request: Request, uuid: str) -> Response:
        video = selectors.video_of(request.user, uuid)
        return Response(VideoOutputSerializer(video, context={"request": request}).data)

    @extend_schema(
        responses={
            200: inline_serializer(
                "VideoDeleted", {"uuid": serializers.UUIDField(), "deleted": serializers.BooleanField()}
            ),
            409: error("The video is not finished yet (`video_not_finished`)."),
        }
    )
    def destroy(self, request: Request, uuid: str) -> Response:
        video = delete_video(request.user, uuid)
        return Response({"uuid": str(video.uuid), "deleted": True})

    @extend_schema(
        parameters=[VideoTaskQuerySerializer],
        responses={200: VideoTaskOutputSerializer, 404: error("No such video of yours (`not_found`).")},
    )
    def task(self, request: Request) -> Response:
        query = VideoTaskQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        video = selectors.video_of(request.user, query.validated_data["uuid"])
        if not video.is_terminal and selectors.is_quiet(video):
            request_refresh(str(video.uuid))
        return Response(VideoTaskOutputSerializer(video, context={"request": request}).data)


class StaffVideoViewSet(RateLimitedMixin, viewsets.ViewSet):
    permission_classes = [permissions.IsAuthenticated, permissions.IsAdminUser]
    ratelimit_rules = {"*": (READ_USER,)}

    @extend_schema(
        parameters=[StaffVideoListQuerySerializer, PageQuerySerializer],
        responses=paginated_serializer("StaffVideoPage", "videos", StaffVideoOutputSerializer),
    )
    def list(self, request: Request) -> Response:
        query = StaffVideoListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        videos = selectors.all_videos(**query.validated_data)
        total = selectors.all_visible_total(**query.validated_data)
        return Response(paginated(videos, request, "videos", StaffVideoOutputSerializer, total=total))
