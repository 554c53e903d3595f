"""Audio tracks: the audio a transcript is made from, one stream or one channel of a stereo stream.

Every decodable audio stream is a track. A stereo stream whose two channels carry clearly different
content (an interview-room recorder with one microphone per channel, an interpreter on one side) is
two tracks, one per channel; a stereo stream whose channels are copies or near copies (the usual
stereo microphone) is one track, downmixed. "Clearly different" is measured over the whole stream
in half-second blocks (``ChannelStats``): the channels are not near copies (whole-stream correlation
below ``MAX_CORRELATION``) and blocks holding at least ``MIN_SEPARATED_FRACTION`` of the sound's
energy have one channel ``SEPARATION_DB`` louder than the other (two microphones a room apart never differ
that much for the same voice; a close microphone and the far one do). A stereo stream whose downmix
would cancel its own sound (the channels in opposite phase: a miswired microphone, a "stereo widened"
export; L + R is then near silence) is one track taken from its louder channel alone
(``ChannelStats.cancels``): a downmix there would lose the speech. Streams with more than two channels
are downmixed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

BLOCK_S = 0.5
MAX_CORRELATION = 0.9
SEPARATION_DB = 10.0
MIN_SEPARATED_FRACTION = 0.25
DOWNMIX_LOSS_DB = 7.0  # a downmix this far below its louder channel cancels (opposite phase)
ACTIVE_BELOW_LOUDEST_DB = 40.0  # blocks this far below the loudest block count as silence
_FLOOR = 1e-9  # mean square below this (about -90 dBFS) is silence whatever the loudest block is
CHANNEL_NAMES = {0: "left", 1: "right"}


@dataclass(frozen=True)
class Track:
    """One audio track. ``number`` is 1-based in stream then channel order; ``channel`` is None when
    the stream's channels are downmixed."""

    number: int
    stream_index: int
    channel: int | None
    channels: int | None
    language: str | None

    @property
    def label(self) -> str:
        """``"Track 1 (stream #1, eng, stereo left)"``: what the record calls this track."""
        parts = [f"stream #{self.stream_index}"]
        if self.language:
            parts.append(self.language)
        if self.channel is not None:
            parts.append(f"stereo {CHANNEL_NAMES.get(self.channel, f'channel {self.channel + 1}')}")
        elif self.channels and self.channels > 1:
            parts.append(f"{'stereo' if self.channels == 2 else f'{self.channels} channels'} downmixed")
        return f"Track {self.number} ({', '.join(parts)})"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "label": self.label}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Track:
        channel, channels = d.get("channel"), d.get("channels")
        return cls(
            number=int(d["number"]), stream_index=int(d["stream_index"]),
            channel=None if channel is None else int(channel), channels=None if channels is None else int(channels),
            language=d.get("language"),
        )  # fmt: skip


class ChannelStats:
    """Streaming statistics of a stereo stream's two channels, in half-second blocks."""

    def __init__(self, rate: int) -> None:
        self.block = max(1, round(BLOCK_S * rate))
        self.pending = np.zeros((2, 0), np.float64)
        self.energy: list[tuple[float, float]] = []  # mean square per block, per channel
        self.sums = np.zeros(3)  # sum LL, RR, LR

    def push(self, planar: np.ndarray) -> None:
        """Add samples, shape (2, n) (float, any scale)."""
        x = np.concatenate([self.pending, planar[:2].astype(np.float64)], axis=1)
        whole = x.shape[1] - x.shape[1] % self.block
        if whole:
            b = x[:, :whole].reshape(2, -1, self.block)
            ms = np.mean(b * b, axis=2)
            self.energy += list(zip(ms[0].tolist(), ms[1].tolist(), strict=True))
            self.sums += [float(np.sum(b[0] * b[0])), float(np.sum(b[1] * b[1])), float(np.sum(b[0] * b[1]))]
        self.pending = x[:, whole:]

    def cancels(self) -> int | None:
        """The louder channel when the L + R downmix holds ``DOWNMIX_LOSS_DB`` less energy than it (the
        channels are largely in opposite phase), else None."""
        ll, rr, lr = self.sums
        louder = max(ll, rr)
        if louder <= 0:
            return None
        downmix = (ll + rr + 2 * lr) / 4
        return (0 if ll >= rr else 1) if downmix < louder * 10 ** (-DOWNMIX_LOSS_DB / 10) else None

    def separate(self) -> bool:
        """Whether the two channels carry clearly different content (see the module docstring)."""
        ll, rr, lr = self.sums
        if not self.energy or (ll <= 0 and rr <= 0):
            return False
        if ll > 0 and rr > 0 and lr / np.sqrt(ll * rr) >= MAX_CORRELATION:
            return False
        e = np.asarray(self.energy)
        loud = e.max(axis=1)
        active = (loud > _FLOOR) & (loud >= loud.max() * 10 ** (-ACTIVE_BELOW_LOUDEST_DB / 10))
        if not active.any():
            return False
        db = 10 * np.log10((e[active, 0] + _FLOOR) / (e[active, 1] + _FLOOR))
        weight = loud[active]  # by energy: near-silent blocks (one mic's hiss) carry no weight
        return float(np.sum(weight[np.abs(db) >= SEPARATION_DB]) / np.sum(weight)) >= MIN_SEPARATED_FRACTION
