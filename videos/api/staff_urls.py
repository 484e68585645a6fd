from django.urls import path

from videos.api.views import StaffVideoViewSet

urlpatterns = [
    path("videos", StaffVideoViewSet.as_view({"get": "list"}), name="staff-videos"),
]
