from django.conf import settings
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from kensa.api import bench

urlpatterns = [
    path("auth/", include("accounts.api.urls")),
    path("config/", include("modelconfig.api.urls")),
    path("credit/", include("credits.api.urls")),
    path("video/", include("videos.api.urls")),
    path("video/callback/", include("webhooks.api.urls")),
    path("billing/webhook/", include("webhooks.api.billing_urls")),
    path("", include("webhooks.api.notification_urls")),
    path("admin/credits/", include("credits.api.staff_urls")),
    path("admin/", include("videos.api.staff_urls")),
    # Public, outside the envelope and the rate limits: a document and a page, not API data.
    path("schema", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

if settings.BENCH_FLOOR_ENDPOINT:
    # First: the floor is the cheapest route to resolve, as it must be the cheapest answer.
    urlpatterns.insert(0, path("bench/floor", bench.floor, name="bench-floor"))
