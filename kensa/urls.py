from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from kensa.api.health import HealthView
from kensa.api.views import api_not_found

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", HealthView.as_view(), name="healthz"),
    path("api/v1/", include("kensa.api.urls")),
    # Anything else under /api/ answers with the JSON envelope, not an HTML page.
    re_path(r"^api/", api_not_found),
]

if settings.SERVE_MEDIA:
    urlpatterns += [
        re_path(
            rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]

handler400 = "kensa.api.views.bad_request"
handler500 = "kensa.api.views.server_error"
