from django.urls import path

from modelconfig.api.views import ModelCatalogueViewSet

urlpatterns = [
    path("models", ModelCatalogueViewSet.as_view({"get": "list"}), name="config-models"),
]
