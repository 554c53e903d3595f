"""Streamed decoding of any audio/video container to float32 mono at 16 kHz (PyAV, in process).

Only the chosen audio stream is demuxed; video packets are discarded by the demuxer. Audio is
resampled with FFmpeg's resampler and handed out in fixed-size blocks, so memory stays bounded
whatever the input length. One channel of a stream can be taken alone (a stereo recorder with a mic
per channel), optionally gated: where another channel is ``gate_db`` louder, what this channel holds is
that other voice's bleed, and it is silenced (it is transcribed on the other channel's track);
otherwise the channels are downmixed. Corrupt packets are skipped and counted. The
audio is placed on the container's timeline (``shared.media.timeline``): a late start and a hole in
the timestamps become silence, so every sample keeps the time the video player shows. The file is
opened and vetted (magic bytes, demuxer whitelist, header sanity, stream choice) by
``shared.media.container``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np

from shared.domain.audio_format import SAMPLE_RATE
from shared.media.container import (
    audio_stream,
    check_file,
    container_origin,
    container_span,
    demux_packets,
    open_container,
)
from shared.media.errors import NO_AUDIO_DECODED, MediaError
from shared.media.timeline import Timeline


class AudioDecoder:
    """Iterate float32 mono blocks of `block` samples (last one shorter) decoded from `path`.

    `stream_index` picks the audio stream (default: the default one), `channel` one of its channels
    (default: all, downmixed), `gate_db` silences it in 32 ms steps where another channel is that much
    louder (bleed of a voice that another track carries). The first block starts at the container's
    time 0. `max_duration_s` stops decoding with MediaError(too_long) once the placed audio passes it.
    After iteration: `samples` (total output samples), `bad_packets` (skipped corrupt packets),
    `demux_errors`, `start_s` (leading silence: where the stream starts), `gap_s` (silence inserted
    for holes inside the stream).
    """

    def __init__(
        self,
        path: Path,
        *,
        sample_rate: int = SAMPLE_RATE,
        block: int = 30 * SAMPLE_RATE,
        stream_index: int | None = None,
        channel: int | None = None,
        gate_db: float | None = None,
        max_duration_s: float | None = None,
    ) -> None:
        self.path = Path(path)
        self.sample_rate = sample_rate
        self.block = block
        self.stream_index = stream_index
        self.channel = channel
        self.gate = None if gate_db is None else 10 ** (gate_db / 10)
        self._held: list[np.ndarray] = []  # planar audio awaiting the gate
        self._held_n = 0
        self.max_duration_s = max_duration_s
        self.samples = 0
        self.bad_packets = 0
        self.demux_errors = 0
        self.start_s = 0.0
        self.gap_s = 0.0

    def __iter__(self) -> Iterator[np.ndarray]:
        check_file(self.path)
        with open(self.path, "rb") as fh, contextlib.closing(open_container(fh)) as container:
            stream = audio_stream(container, self.stream_index)
            timeline = Timeline(container_origin(container), rate=self.sample_rate, limit_s=self.max_duration_s,
                                span_s=container_span(container))  # fmt: skip
            buf = _Blocker(self.block)
            for pcm in self._decode(container, stream, timeline):
                yield from buf.push(pcm)
            yield from buf.flush()
            self.start_s, self.gap_s = timeline.start_s or 0.0, timeline.gap_s
        if self.samples == 0:
            raise MediaError(NO_AUDIO_DECODED, f"no audio could be decoded ({self.bad_packets} corrupt packets)")

    def _resampler(self, frame: av.AudioFrame) -> av.AudioResampler:
        if self.channel is None:
            return av.AudioResampler(format="flt", layout="mono", rate=self.sample_rate)
        return av.AudioResampler(format="fltp", layout=frame.layout.name, rate=self.sample_rate)

    def _decode(self, container: av.container.InputContainer, stream: Any, timeline: Timeline) -> Iterator[np.ndarray]:
        counts: dict[str, int] = {}
        resampler: av.AudioResampler | None = None
        key: tuple[str, str, int] | None = None
        for packet in demux_packets(container, stream, counts):
            try:
                frames = stream.decode(packet)
            except av.error.FFmpegError:
                self.bad_packets += 1
                continue
            for frame in frames:
                k = (frame.format.name, frame.layout.name, frame.sample_rate)
                if resampler is None or k != key:  # first frame, or the rate/layout changed: flush, start anew
                    if resampler is not None:
                        yield from self._emit(resampler.resample(None))
                        yield from self._release(final=True)
                    resampler = self._resampler(frame)
                    key = k
                ts = float(frame.pts * frame.time_base) if frame.pts is not None and frame.time_base else None
                fill = timeline.silence_before(ts)
                expected = frame.samples * self.sample_rate / frame.sample_rate
                timeline.place(fill, expected)  # raises too_long before any of it is handed on
                if fill:
                    yield from self._release(final=True)  # held audio goes out before the silence after it
                for i in range(0, fill, 10 * self.sample_rate):  # bounded blocks of silence
                    yield from self._emit_array(np.zeros(min(fill - i, 10 * self.sample_rate), np.float32))
                frame.pts = None  # let the resampler run on sample count, not on (possibly wrong) pts
                yield from self._emit(resampler.resample(frame))
        if resampler is not None:
            yield from self._emit(resampler.resample(None))
        yield from self._release(final=True)
        self.demux_errors = counts.get("demux_errors", 0)

    def _emit(self, frames: list[av.AudioFrame]) -> Iterator[np.ndarray]:
        for f in frames:
            a = f.to_ndarray()
            if self.channel is None:
                yield from self._emit_array(a.reshape(-1).astype(np.float32, copy=False))
            elif self.gate is None or a.shape[0] < 2:
                yield from self._emit_array(a[min(self.channel, a.shape[0] - 1)].astype(np.float32, copy=False))
            else:  # gated in batches: frames are a few hundred samples, the gate works in 32 ms steps
                self._held.append(a)
                self._held_n += a.shape[1]
                if self._held_n >= GATE_BATCH:
                    yield from self._release(final=False)

    def _release(self, *, final: bool) -> Iterator[np.ndarray]:
        """Gate and hand on the held planar audio (whole 32 ms steps only, unless `final`)."""
        if not self._held:
            return
        x = np.concatenate(self._held, axis=1) if len(self._held) > 1 else self._held[0]
        n = x.shape[1] if final else x.shape[1] - x.shape[1] % GATE_STEP
        rest = x[:, n:]
        self._held, self._held_n = ([rest], rest.shape[1]) if rest.shape[1] else ([], 0)
        if n:
            yield from self._emit_array(_gated(x[:, :n], min(self.channel or 0, x.shape[0] - 1), self.gate or 1.0))

    def _emit_array(self, pcm: np.ndarray) -> Iterator[np.ndarray]:
        if len(pcm):
            self.samples += len(pcm)
            yield pcm


GATE_STEP = 512  # samples (32 ms at 16 kHz) per gating decision
GATE_BATCH = 32 * GATE_STEP  # audio gated at a time (about 1 s)


def _gated(planar: np.ndarray, channel: int, ratio: float) -> np.ndarray:
    """Channel `channel` of `planar` with every 32 ms step silenced where another channel has `ratio`
    times its energy."""
    own = planar[channel]
    n = planar.shape[1]
    steps = -(-n // GATE_STEP)
    x = planar if n == steps * GATE_STEP else np.pad(planar, ((0, 0), (0, steps * GATE_STEP - n)))
    x = x.reshape(planar.shape[0], steps, GATE_STEP)
    energy = np.einsum("cst,cst->cs", x, x)
    bleed = energy.max(axis=0) > ratio * energy[channel]
    if not bleed.any():
        return own
    return np.where(np.repeat(bleed, GATE_STEP)[:n], np.float32(0.0), own).astype(np.float32, copy=False)


class _Blocker:
    """Re-cut a stream of arrays into fixed-size blocks."""

    def __init__(self, block: int) -> None:
        self.block = block
        self.parts: list[np.ndarray] = []
        self.n = 0

    def push(self, pcm: np.ndarray) -> Iterator[np.ndarray]:
        self.parts.append(pcm)
        self.n += len(pcm)
        while self.n >= self.block:
            allpcm = np.concatenate(self.parts)
            yield allpcm[: self.block].copy()
            rest = allpcm[self.block :]
            self.parts, self.n = [rest], len(rest)

    def flush(self) -> Iterator[np.ndarray]:
        if self.n:
            yield np.concatenate(self.parts)
        self.parts, self.n = [], 0


def iter_audio(
    path: Path,
    *,
    sample_rate: int = SAMPLE_RATE,
    block_s: float = 30.0,
    stream_index: int | None = None,
    channel: int | None = None,
) -> Iterator[np.ndarray]:
    """Decode `path`'s audio (default stream, downmixed) to float32 mono blocks of `block_s` seconds,
    placed on the container's timeline (streamed)."""
    block = max(1, round(block_s * sample_rate))
    return iter(AudioDecoder(path, sample_rate=sample_rate, block=block, stream_index=stream_index, channel=channel))

