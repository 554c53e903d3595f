"""Where decoded audio sits on the container's timeline: the time base an officer's player shows.

A stream's audio is placed by its frames' timestamps, measured from the container's start
(``container.start_time``, the earliest stream's start). A stream that starts late gets leading
silence; a hole inside the stream (no packets for a while) gets silence of the hole's length, so every
later sample keeps its time. Both are filled up to ``MAX_GAP_FILL_S`` per jump, or further when the
audio still lands inside the container's declared span (``span_s``: a CCTV or body-worn export whose
audio starts minutes into the video); a longer jump is taken for a reset or wrapped clock, not for
time, and the audio continues straight on. Timestamps
that run behind the samples already placed (overlap, forged or broken stamps) never move audio back:
placement then follows the sample count. Every duration is counted in placed samples (decoded plus
inserted silence), so a forged timestamp cannot make a long recording look short.
"""

from __future__ import annotations

from shared.domain.audio_format import SAMPLE_RATE
from shared.media.errors import TOO_LONG, MediaError

MAX_GAP_FILL_S = 300.0  # longest lead-in or hole filled with silence; longer jumps are discontinuities
MIN_GAP_S = 0.02  # timestamp jitter below this is ignored


class Timeline:
    """Placement of one audio stream's frames, in samples at ``rate`` from the container's start.

    ``position`` is where the next frame goes; ``start_s`` where the first audio landed; ``gap_s`` the
    silence inserted inside the stream (after its first audio); ``decoded_s`` the audio decoded.
    ``limit_s`` stops a recording at the duration limit with ``MediaError(too_long)``.
    """

    def __init__(
        self, origin_s: float, *, rate: int = SAMPLE_RATE, limit_s: float | None = None, span_s: float | None = None
    ) -> None:
        self.origin_s = origin_s
        self.span = None if span_s is None or span_s <= 0 else span_s * rate
        self.rate = rate
        self.limit = None if limit_s is None else limit_s * rate
        self.limit_s = limit_s
        self.position = 0.0
        self.decoded = 0.0
        self.start_s: float | None = None
        self.gap_s = 0.0

    def silence_before(self, ts: float | None) -> int:
        """Samples of silence to insert before a frame stamped ``ts`` seconds (None: no stamp, none)."""
        if ts is None:
            return 0
        gap = (ts - self.origin_s) * self.rate - self.position
        if gap <= MIN_GAP_S * self.rate:
            return 0
        inside = self.span is not None and self.position + gap <= self.span
        return round(gap) if gap <= MAX_GAP_FILL_S * self.rate or inside else 0

    def place(self, silence: float, samples: float) -> None:
        """Record ``silence`` samples inserted, then ``samples`` of decoded audio; checks the limit."""
        if self.start_s is None:
            self.start_s = (self.position + silence) / self.rate
        elif silence:
            self.gap_s += silence / self.rate
        self.position += silence + samples
        self.decoded += samples
        if self.limit is not None and self.position > self.limit:
            raise MediaError(TOO_LONG, f"the audio runs past the limit of {self.limit_s:.0f} s")

    @property
    def end_s(self) -> float:
        return self.position / self.rate

    @property
    def decoded_s(self) -> float:
        return self.decoded / self.rate
