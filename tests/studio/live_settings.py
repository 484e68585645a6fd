"""Settings of the live servers the browser tests start: the test settings, with static
files served from the apps' folders (no collectstatic before each run)."""

from tests.settings import *  # noqa: F403

WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
