from django.urls import path

from webhooks.api.views import ProviderCallbackView

urlpatterns = [
    path("<str:provider>", ProviderCallbackView.as_view(), name="video-callback"),
]
