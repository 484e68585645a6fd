from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from kensa.api.auth import AuthViewSet

auth = AuthViewSet.as_view

urlpatterns = [
    path("auth/csrf", auth({"get": "csrf"}), name="auth-csrf"),
    path("auth/signup", auth({"post": "signup"}), name="auth-signup"),
    path("auth/login", auth({"post": "login"}), name="auth-login"),
    path("auth/logout", auth({"post": "logout"}), name="auth-logout"),
    path("auth/session", auth({"get": "session"}), name="auth-session"),
    path("config/", include("modelconfig.api.urls")),
    path("credit/", include("credits.api.urls")),
    path("video/", include("videos.api.urls")),
    path("video/callback/", include("webhooks.api.urls")),
    path("admin/credits/", include("credits.api.staff_urls")),
    path("admin/", include("videos.api.staff_urls")),
    # Public, outside the envelope and the rate limits: a document and a page, not API data.
    path("schema", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
