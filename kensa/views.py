"""Server-rendered pages of the project itself (the studio will have its own app)."""

from __future__ import annotations

from django.views.generic import TemplateView


class HomeView(TemplateView):
    """``/`` until the studio exists: what Kensa is and where its API, admin and health check live."""

    template_name = "kensa/home.html"
