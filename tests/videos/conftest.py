GENERATE_BODY = {"prompt": "a red fox in the snow", "model": "sora-2", "duration": 10, "aspectRatio": "16:9"}
