from kensa.errors import ConflictError, NotFoundError


class VideoNotFoundError(NotFoundError):
    default_message = "Video not found."


class VideoNotFinishedError(ConflictError):
    code = "video_not_finished"
    default_message = "The video is still being generated; delete it once it has finished."
