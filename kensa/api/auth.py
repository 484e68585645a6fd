"""The admin's login form, rate limited like the API login (accounts.api holds the API's)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse

from kensa.api.ratelimits import ADMIN_LOGIN, RateLimitedError, RateLimitUnavailableError, enforce


class RateLimitedAdminLoginForm(AdminAuthenticationForm):
    """Counts the attempt before ``authenticate`` runs: a refused attempt never reaches the
    password check, so it tells a guesser nothing and costs no hashing."""

    refusal: RateLimitedError | RateLimitUnavailableError | None = None

    def clean(self) -> dict:
        try:
            enforce(self.request, ADMIN_LOGIN)
        except (RateLimitedError, RateLimitUnavailableError) as refusal:
            self.refusal = refusal
            raise DjangoValidationError(refusal.message, code=refusal.code) from None
        return super().clean()


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's login page; a refused attempt shows the form with the reason, as 429
    (or 503 when the rate-limit cache is down) with ``Retry-After``."""
    response = admin.site.login(request)
    form = (getattr(response, "context_data", None) or {}).get("form")
    refusal = getattr(form, "refusal", None)
    if refusal is not None:
        response.status_code = refusal.status_code
        response["Retry-After"] = str(refusal.retry_after)
        for name, value in getattr(refusal, "headers", {}).items():  # X-RateLimit-*, on a 429
            response[name] = value
    return response
