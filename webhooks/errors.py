from __future__ import annotations

from kensa.errors import ConflictError, NotFoundError


class EndpointNotFoundError(NotFoundError):
    code = "not_found"
    default_message = "No such webhook endpoint."


class DeliveryNotFoundError(NotFoundError):
    code = "not_found"
    default_message = "No such webhook delivery."


class EndpointLimitError(ConflictError):
    code = "endpoint_limit_reached"
    default_message = "You already have the most webhook endpoints allowed ({limit}); delete one first."

    def __init__(self, limit: int) -> None:
        super().__init__(self.default_message.format(limit=limit))


class EndpointDisabledError(ConflictError):
    code = "endpoint_disabled"
    default_message = "The endpoint is disabled; enable it (PATCH enabled: true) before retrying."
