"""The one error type of the media step, with a stable reason code."""

from __future__ import annotations

# Reason codes (stable: stored in job records and shown to officers).
EMPTY_FILE = "empty_file"  # zero bytes
NOT_FOUND = "not_found"  # path missing or not a regular file
NOT_MEDIA = "not_media"  # no demuxer recognises the bytes (PDF renamed .mp4, random bytes)
TRUNCATED = "truncated"  # a media container whose data stops short of what its header declares
NO_AUDIO_STREAM = "no_audio_stream"  # media with no audio stream (video only)
NO_AUDIO_DECODED = "no_audio_decoded"  # audio stream present but nothing decodes / zero duration
UNSUPPORTED_AUDIO = "unsupported_audio"  # an audio header with an impossible sample rate or channel count
TOO_LONG = "too_long"  # longer than the configured maximum


class MediaError(Exception):
    """A recording that cannot be used, with a specific reason `code`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[type[MediaError], tuple[str, str]]:
        return (MediaError, (self.code, self.message))
