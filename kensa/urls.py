from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path, reverse_lazy
from django.views.static import serve

from kensa.api.auth import RateLimitedAdminLoginForm, admin_login
from kensa.api.health import HealthView
from kensa.api.views import api_not_found
from kensa.metrics import metrics_view

# Whichever route reaches the admin's login view, its form counts attempts first.
admin.site.login_form = RateLimitedAdminLoginForm
# The admin's "View site" opens the home page.
admin.site.site_url = reverse_lazy("home")

urlpatterns = [
    # Before the admin's own routes: the same page, answering 429 when an attempt is refused.
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("healthz", HealthView.as_view(), name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    # The demo provider's checkout and portal pages.
    path("billing/", include("credits.billing.urls")),
    # allauth's pages: the emailed verification and reset links, social sign-in callbacks.
    path("accounts/", include("accounts.urls")),
    path("api/v1/", include("kensa.api.urls")),
    # Creem's webhook where Kensa's docs have always put it (also /api/v1/billing/webhook/creem).
    path("api/auth/creem/webhook", include("webhooks.api.creem_urls")),
    # Anything else under /api/ answers with the JSON envelope, not an HTML page.
    re_path(r"^api/", api_not_found),
    # The studio: the home page, sign-up and sign-in, and the signed-in pages.
    path("", include("studio.urls")),
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
