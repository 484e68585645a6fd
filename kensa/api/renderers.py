from __future__ import annotations

from typing import Any

from rest_framework.renderers import JSONRenderer


class EnvelopeJSONRenderer(JSONRenderer):
    """Wraps every successful answer in ``{"success": true, "data": ...}``.

    Error responses come from ``envelope_exception_handler`` already shaped, so they
    pass through untouched.
    """

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict | None = None,
    ) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is not None and response.exception:
            return super().render(data, accepted_media_type, renderer_context)
        return super().render({"success": True, "data": data}, accepted_media_type, renderer_context)
