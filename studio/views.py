"""The studio's pages: server-rendered shells whose scripts talk to the JSON API.

Pages read and write through ``/api/v1`` exactly as any browser client would; the server
only decides who may see a page. The signed-out home page is the exception: what Kensa
is, its models and prices and the products on sale are public, so they are rendered
here and need no script.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode
from uuid import UUID

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe

from credits.api.billing_serializers import product_data
from credits.billing.selectors import products_on_sale
from modelconfig.api.serializers import AIModelOutputSerializer
from modelconfig.selectors import enabled_models
from studio.csp import studio_policy
from webhooks.models import SUBSCRIBABLE_TYPES, EventType

View = Callable[..., HttpResponse]


# Read once, at import: MEDIA_URL and PUBLIC_BASE_URL do not change while serving.
STUDIO_CSP = studio_policy()


def page(*, signed_in: bool) -> Callable[[View], View]:
    """A studio page: GET/HEAD only, under the studio's CSP; ``signed_in`` pages send
    visitors to /login (and back), signed-out ones (login, signup) send members on."""

    def decorate(view: View) -> View:
        @require_safe
        @csp_override(STUDIO_CSP)
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if signed_in and not request.user.is_authenticated:
                return HttpResponseRedirect("/login?" + urlencode({"next": request.get_full_path()}))
            if signed_in is False and request.user.is_authenticated:
                return HttpResponseRedirect("/studio")
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _render(request: HttpRequest, template: str, nav: str, **context) -> HttpResponse:
    return render(request, f"studio/{template}", {"nav": nav, **context})


@require_safe
@csp_override(STUDIO_CSP)
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return _render(request, "studio.html", "studio")
    models = AIModelOutputSerializer(enabled_models(), many=True).data
    products = [
        {**product, "priceLabel": f"{product['currency'].upper()} {product['price'] / 100:.2f}"}
        for product in product_data(list(products_on_sale()))
    ]
    return _render(
        request,
        "home.html",
        "home",
        models=models,
        packs=[p for p in products if p["kind"] == "pack"],
        plans=[p for p in products if p["kind"] == "subscription"],
    )


@page(signed_in=False)
def signup(request: HttpRequest) -> HttpResponse:
    return _render(request, "signup.html", "signup")


@page(signed_in=False)
def login(request: HttpRequest) -> HttpResponse:
    return _render(request, "login.html", "login")


@require_safe
@csp_override(STUDIO_CSP)
def logout(request: HttpRequest) -> HttpResponse:
    return _render(request, "logout.html", "logout")


@page(signed_in=True)
def studio(request: HttpRequest) -> HttpResponse:
    return _render(request, "studio.html", "studio")


@page(signed_in=True)
def videos(request: HttpRequest) -> HttpResponse:
    return _render(request, "videos.html", "videos")


@page(signed_in=True)
def video(request: HttpRequest, uuid: UUID) -> HttpResponse:
    return _render(request, "video.html", "videos", video_uuid=str(uuid))


@page(signed_in=True)
def credits(request: HttpRequest) -> HttpResponse:
    return _render(request, "credits.html", "credits")


@page(signed_in=True)
def webhooks(request: HttpRequest) -> HttpResponse:
    event_types = [(value, EventType(value).label) for value in SUBSCRIBABLE_TYPES]
    return _render(request, "webhooks.html", "webhooks", event_types=event_types)
