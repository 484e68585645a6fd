"""The studio's pages, mounted at the site's root (``path("", include("studio.urls"))``)."""

from django.urls import path

from studio import views

urlpatterns = [
    path("", views.home, name="home"),
    path("signup", views.signup, name="studio-signup"),
    path("login", views.login, name="studio-login"),
    path("logout", views.logout, name="studio-logout"),
    path("studio", views.studio, name="studio"),
    path("videos", views.videos, name="studio-videos"),
    path("videos/<uuid:uuid>", views.video, name="studio-video"),
    path("credits", views.credits, name="studio-credits"),
    path("settings/webhooks", views.webhooks, name="studio-webhooks"),
]
