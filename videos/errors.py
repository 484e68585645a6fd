from kensa.errors import ConflictError, NotFoundError


class VideoNotFoundError(NotFoundError):
    default_message = "Video not found."


class VideoNotFinishedError(ConflictError):
    code = "video_not_finished"
    default_message = "The video is still being generated; delete it once it has finished."


class IdempotencyConflictError(ConflictError):
    code = "idempotency_key_reused"
    default_message = "This Idempotency-Key was already used with a different request body."
