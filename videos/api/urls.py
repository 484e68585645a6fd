from django.urls import path

from videos.api.views import VideoViewSet

urlpatterns = [
    path("generate", VideoViewSet.as_view({"post": "generate"}), name="video-generate"),
    path("list", VideoViewSet.as_view({"get": "list"}), name="video-list"),
    path("task", VideoViewSet.as_view({"get": "task"}), name="video-task"),
    path(
        "<str:uuid>",
        VideoViewSet.as_view({"get": "retrieve", "delete": "destroy"}),
        name="video-detail",
    ),
]
