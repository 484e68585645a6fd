"""allauth's pages under /accounts/: the emailed links land here, social sign-in runs here.

Signing in and up with a password happen through the API (its rate limits and answers),
so allauth's own login and sign-up pages send people to the site instead.
"""

from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("login/", RedirectView.as_view(url="/"), name="account_login"),
    path("signup/", RedirectView.as_view(url="/"), name="account_signup"),
    path("", include("allauth.urls")),
]
