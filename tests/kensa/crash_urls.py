"""A URLconf for tests only: Kensa's URLs plus views that crash, to test the 500 envelope."""

from django.urls import include, path
from rest_framework import permissions, views


class CrashingApiView(views.APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    def get(self, request):
        raise RuntimeError("secret detail")


def crashing_django_view(request):
    raise RuntimeError("secret detail")


urlpatterns = [
    path("api/v1/test/crash", CrashingApiView.as_view()),
    path("api/v1/test/crash-django", crashing_django_view),
    path("", include("kensa.urls")),
]

handler500 = "kensa.api.views.server_error"
