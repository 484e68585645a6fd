"""The project's URLs plus the demo billing pages (mounted at /billing/ as in production)."""

from django.urls import include, path

from kensa.urls import handler400, handler500  # noqa: F401
from kensa.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("billing/", include("credits.billing.urls")), *project_urlpatterns]
