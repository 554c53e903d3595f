"""Plan a recording into FLAC chunks (≤ max_chunk_s, cut in silence) and Whisper windows (≤ window_s).

Every audio track (``shared.media.tracks``) is searched for speech, so speech on a track that is not
the default one is never lost. A first streamed pass per track: decode → Silero VAD (probabilities
and energies per frame). The tracks with speech are then grouped (``shared.media.conversation``):
tracks that take turns (a mic per speaker) are one conversation, mixed and cut into chunks together
so that Whisper hears both sides, each chunk carrying who owns which span; tracks with simultaneous
different speech stay apart. A second streamed pass per group: decode (in step) → mix → speech
pieces → chunks, each chunk tagged with its track(s); all tracks share the container's timeline. A channel track
is gated against its stream's other channel (``AudioDecoder`` ``gate_db``), so a voice that one
microphone hears as bleed is transcribed once, on the track of the microphone it is close to. Only
audio that a chunk may still need is buffered (at most about one chunk plus a bounded VAD
look-ahead), so memory does not depend on the recording's length. Each chunk is a contiguous span
[start_s, end_s) of the track, encoded as FLAC and handed to `write_chunk(index, flac_bytes) -> ref`
(indexes count on across tracks); its windows are (start, end) seconds relative to the chunk start
and cover speech only. Silence longer than `MAX_GAP_S` ends a chunk, so long silences and non-speech
are never sent to Whisper.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

import numpy as np

from shared.domain.audio_format import SAMPLE_RATE
from shared.media.conversation import Mixer, TrackFrames, conversation_groups, frame_energy_db
from shared.media.decode import AudioDecoder
from shared.media.flac import encode_flac
from shared.media.highpass import HighPass
from shared.media.plan import ChunkPlan, PlannedChunk, TrackPlan
from shared.media.probe import probe
from shared.media.tracks import SEPARATION_DB, Track
from shared.media.vad import FRAME, Piece, SileroVad, SpeechSegmenter, VadOptions

MAX_GAP_S = 10.0  # a silence longer than this ends a chunk
WINDOW_GAP_S = 4.0  # speech pieces further apart than this go to separate windows
CUT_TIE_S = 0.1  # pauses this close in width are equal places to end a full window (VAD edge jitter)
MIN_LAST_WINDOW_S = 8.0  # a last window shorter than this is avoided where an equal pause allows
DECODE_BLOCK_S = 10.0
SEEK_WINDOW_S = 30.0  # the engine reads a longer window 30 s at a time: windows join at forced cuts only at it
DEFAULT_VAD = VadOptions()


class _AudioBuffer:
    """The decoded samples from `start` to `end` (source sample offsets), as a queue of blocks."""

    def __init__(self) -> None:
        self.blocks: deque[np.ndarray] = deque()
        self.start = 0
        self.end = 0

    def append(self, block: np.ndarray) -> None:
        self.blocks.append(block)
        self.end += len(block)

    def drop_before(self, sample: int) -> None:
        while self.blocks and self.start + len(self.blocks[0]) <= sample:
            self.start += len(self.blocks.popleft())

    def slice(self, a: int, b: int) -> np.ndarray:
        if a < self.start or b > self.end:
            raise AssertionError(f"audio [{a}, {b}) no longer buffered ([{self.start}, {self.end}))")
        out = np.empty(b - a, np.float32)
        pos = self.start
        for blk in self.blocks:
            lo, hi = max(a, pos), min(b, pos + len(blk))
            if lo < hi:
                out[lo - a : hi - a] = blk[lo - pos : hi - pos]
            pos += len(blk)
            if pos >= b:
                break
        return out


class _ChunkBuilder:
    def __init__(
        self, write_chunk: Callable[[int, bytes], str], max_chunk: int, window: int, *, track: int = 1, first: int = 0,
        owners: Callable[[int, int], tuple[tuple[float, float, int], ...]] | None = None,
    ) -> None:
        self.write_chunk = write_chunk
        self.track = track
        self.owners = owners
        self.first = first
        self.max_chunk = max_chunk
        self.window = window
        self.max_gap = round(MAX_GAP_S * SAMPLE_RATE)
        self.window_gap = round(WINDOW_GAP_S * SAMPLE_RATE)
        self.cut_tie = round(CUT_TIE_S * SAMPLE_RATE)
        self.min_last = round(MIN_LAST_WINDOW_S * SAMPLE_RATE)
        self.pieces: list[Piece] = []
        self.chunks: list[PlannedChunk] = []

    def add(self, piece: Piece, audio: _AudioBuffer) -> None:
        if self.pieces and piece.start - self.pieces[-1].end > self.max_gap:
            self.close(audio, len(self.pieces))
        self.pieces.append(piece)
        while piece.end - self.pieces[0].start > self.max_chunk:
            self.close(audio, self._best_cut())

    def _best_cut(self) -> int:
        """Where to end the chunk: the longest silence between pieces among cuts that keep it within
        max_chunk, preferring cuts past half of max_chunk (forced cuts inside speech have no silence)."""
        start = self.pieces[0].start
        fits = [k for k in range(1, len(self.pieces)) if self.pieces[k - 1].end - start <= self.max_chunk]
        late = [k for k in fits if self.pieces[k - 1].end - start >= self.max_chunk // 2] or fits
        return max(late, key=lambda k: (self.pieces[k].start - self.pieces[k - 1].end, k))

    def close_if_done(self, earliest_next: int, audio: _AudioBuffer) -> None:
        """Close the open chunk once no future piece can come within MAX_GAP_S of it."""
        if self.pieces and earliest_next - self.pieces[-1].end > self.max_gap:
            self.close(audio, len(self.pieces))

    def keep_from(self) -> int | None:
        return self.pieces[0].start if self.pieces else None

    def close(self, audio: _AudioBuffer, k: int) -> None:
        """Write the first k open pieces as a chunk; the rest stay open."""
        pieces, self.pieces = self.pieces[:k], self.pieces[k:]
        start, end = pieces[0].start, pieces[-1].end
        index = self.first + len(self.chunks)
        ref = self.write_chunk(index, encode_flac(audio.slice(start, end)))
        windows = tuple(((a - start) / SAMPLE_RATE, (b - start) / SAMPLE_RATE) for a, b in self._windows(pieces))
        owners = self.owners(start, end) if self.owners is not None else ()
        self.chunks.append(
            PlannedChunk(index, ref, start / SAMPLE_RATE, end / SAMPLE_RATE, windows, self.track, owners))

    def _windows(self, pieces: list[Piece]) -> list[tuple[int, int]]:
        """Group adjacent pieces into windows of at most `window` samples (pieces never exceed it).

        A gap longer than `window_gap` always ends a window. Where talk goes on past a full window,
        the window ends at the widest pause in its second half (a pause between turns rather than
        a breath inside a sentence), so that no window starts or ends mid-sentence when a pause
        exists to cut at (`_cut`: not one leaving a short last window where an equal pause exists).
        Where no pause exists (a window would end at a forced cut inside speech, `Piece.cont`), the two
        windows are one, longer than `window`: Whisper reads it 30 s at a time from its last closing
        timestamp, as faster-whisper reads joined speech (`WhisperEngine`), so the cut falls where a
        sentence ended instead of at the VAD's least speech-like frame.
        """
        out: list[tuple[int, int]] = []
        forced: list[bool] = []  # the window ends at a forced cut inside speech
        i = 0
        while i < len(pieces):
            start, j = pieces[i].start, i
            while (j + 1 < len(pieces) and pieces[j + 1].end - start <= self.window
                   and pieces[j + 1].start - pieces[j].end <= self.window_gap):
                j += 1
            if j + 1 < len(pieces) and pieces[j + 1].start - pieces[j].end <= self.window_gap:
                j = self._cut(pieces, i, j)
            out.append((start, pieces[j].end))
            forced.append(pieces[j].cont and j + 1 < len(pieces) and pieces[j + 1].start == pieces[j].end)
            i = j + 1
        out = self._close_gaps(out)
        if self.window < round(SEEK_WINDOW_S * SAMPLE_RATE):  # windows planned shorter keep their forced cuts
            return out
        for k in range(len(out) - 1, 0, -1):  # a forced cut joins its two windows (Whisper's own 30 s reads)
            if forced[k - 1]:
                out[k - 1:k + 1] = [(out[k - 1][0], out[k][1])]
        return out

    def _cut(self, pieces: list[Piece], i: int, j: int) -> int:
        """The last piece of a full window from piece `i` (pieces `i`..`j` fit, the talk goes on).

        The widest pause in the window's second half, the latest of equals; except where that leaves
        the talk a last window shorter than `MIN_LAST_WINDOW_S` (a lone last turn decoded without
        its context) and another pause as wide, within `CUT_TIE_S`, leaves it longer: the gap between
        padded pieces is the pause less the padding, so a frame or two of VAD edge (a mix of mics
        instead of one) would otherwise decide.
        """
        start = pieces[i].start

        def gap(k: int) -> int:
            return pieces[k + 1].start - pieces[k].end

        late = [k for k in range(i, j + 1) if pieces[k].end - start >= self.window // 2] or [j]
        best = max(late, key=lambda k: (gap(k), k))
        last = j + 1
        while last + 1 < len(pieces) and gap(last) <= self.window_gap:
            last += 1

        def rest(k: int) -> int:
            return pieces[last].end - pieces[k + 1].start

        if rest(best) >= self.min_last:
            return best
        equals = [k for k in late if gap(k) >= gap(best) - self.cut_tie and rest(k) <= self.window]
        return max(equals, key=lambda k: (min(pieces[k].end - start, rest(k)), k))

    def _close_gaps(self, windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Windows cut inside one conversation (gap <= `window_gap`) meet in the middle of the pause,
        as far as `window` allows, so that no short pause falls between two windows unheard."""
        out, most = list(windows), self.window - 1  # a sample short: seconds stay <= window_s in floats
        for k in range(len(out) - 1):
            (a0, a1), (b0, b1) = out[k], out[k + 1]
            if b0 - a1 <= self.window_gap:
                mid = (a1 + b0) // 2
                out[k] = (a0, max(a1, min(mid, a0 + most)))
                out[k + 1] = (min(b0, max(mid, b1 - most)), b1)
        return out


def plan_chunks(
    path: Path,
    write_chunk: Callable[[int, bytes], str],
    *,
    vad_model: Path,
    max_chunk_s: float = 300.0,
    window_s: float = 30.0,
    vad: VadOptions = DEFAULT_VAD,
    tracks: Sequence[Track] | None = None,
    max_duration_s: float | None = None,
) -> ChunkPlan:
    """Decode each track of `path`, find speech, and write ≤ max_chunk_s FLAC chunks cut in silence.

    Two passes: each track is decoded once for the VAD and its frame energies, then the tracks with
    speech are grouped into conversations (``shared.media.conversation``) and each group is decoded
    again (in step, mixed when it has several tracks) to cut its chunks. `tracks` defaults to the
    probe's (costs one more decode pass, so the pipeline passes the probe's). No speech anywhere gives
    an empty plan. Undecodable input raises MediaError; so does audio running past `max_duration_s`
    (too_long), as soon as decoding reaches the limit.
    """
    if window_s <= 0 or max_chunk_s < window_s:
        raise ValueError("need 0 < window_s <= max_chunk_s")
    if tracks is None:
        tracks = probe(Path(path), max_duration_s=max_duration_s).tracks
    window = round(window_s * SAMPLE_RATE)
    measured = [_measure(Path(path), t, vad_model, max_duration_s) for t in tracks]
    speech = {m.frames.number: _pieces(m.frames.probs, m.samples, vad, window) for m in measured}
    by_number = {m.frames.number: m for m in measured}
    chunks: list[PlannedChunk] = []
    for group in conversation_groups([m.frames for m in measured if speech[m.frames.number]]):
        members = [by_number[n] for n in group]
        mixer = Mixer([m.frames for m in members])
        builder = _ChunkBuilder(
            write_chunk, round(max_chunk_s * SAMPLE_RATE), window, track=group[0], first=len(chunks),
            owners=mixer.owner_runs if len(group) > 1 else None,
        )  # fmt: skip
        total = max(m.samples for m in members)
        pieces = speech[group[0]] if len(group) == 1 else _pieces(mixer.probs_max, total, vad, window)
        _build(Path(path), [m.track for m in members], mixer, pieces, builder, max_duration_s)
        chunks += builder.chunks
    plans = [
        TrackPlan(m.track, sum(p.end - p.start for p in speech[m.track.number]) / SAMPLE_RATE,
                  m.samples / SAMPLE_RATE, sum(1 for c in chunks if m.track.number in c.tracks))
        for m in measured
    ]  # fmt: skip
    return ChunkPlan(
        chunks=tuple(chunks),
        speech_s=sum(p.speech_s for p in plans),
        duration_s=max((p.duration_s for p in plans), default=0.0),
        skipped_packets=sum(m.bad_packets for m in measured),
        tracks=tuple(plans),
    )


@dataclass(frozen=True)
class _Measured:
    track: Track
    frames: TrackFrames
    samples: int
    bad_packets: int


def _decoder(path: Path, track: Track, max_duration_s: float | None) -> AudioDecoder:
    return AudioDecoder(
        path, block=round(DECODE_BLOCK_S * SAMPLE_RATE), stream_index=track.stream_index, channel=track.channel,
        gate_db=None if track.channel is None else SEPARATION_DB, max_duration_s=max_duration_s,
    )  # fmt: skip


def _measure(path: Path, track: Track, vad_model: Path, max_duration_s: float | None) -> _Measured:
    """Pass one over a track: Silero's probability and the energy of every 32 ms frame."""
    decoder = _decoder(path, track, max_duration_s)
    highpass = HighPass()  # hum, DC offset and rumble blind the VAD (shared.media.highpass)
    model = SileroVad(vad_model)
    probs: list[np.ndarray] = []
    energy: list[np.ndarray] = []
    carry = np.zeros(0, np.float32)
    for block in map(highpass, decoder):
        x = np.concatenate([carry, block]) if len(carry) else block
        n = len(x) - len(x) % FRAME
        probs.append(model.probs(x[:n]))
        energy.append(frame_energy_db(x[:n]))
        carry = x[n:]
    if len(carry):
        last = np.pad(carry, (0, FRAME - len(carry)))
        probs.append(model.probs(last))
        energy.append(frame_energy_db(last))
    frames = TrackFrames(track.number, np.concatenate([np.zeros(0, np.float32), *probs]),
                         np.concatenate([np.zeros(0, np.float32), *energy]))  # fmt: skip
    return _Measured(track, frames, decoder.samples, decoder.bad_packets)


def _pieces(probs: np.ndarray, total: int, vad: VadOptions, window: int) -> list[Piece]:
    seg = SpeechSegmenter(vad, max_piece=window)
    return [*seg.push(probs), *seg.finish(total)]


def _build(path: Path, tracks: Sequence[Track], mixer: Mixer, pieces: Sequence[Piece], builder: _ChunkBuilder,
           max_duration_s: float | None) -> None:
    """Pass two: decode the group's tracks in step, mix them, and cut `pieces` into chunks; only audio a
    chunk may still need stays buffered."""
    audio = _AudioBuffer()
    queue = deque(pieces)
    for blocks in zip_longest(*(_decoder(path, t, max_duration_s) for t in tracks)):
        n = max(len(b) for b in blocks if b is not None)
        same = [np.zeros(n, np.float32) if b is None else np.pad(b, (0, n - len(b))) for b in blocks]
        audio.append(mixer.mix(same, audio.end))
        while queue and queue[0].end <= audio.end:
            builder.add(queue.popleft(), audio)
        upcoming = queue[0].start if queue else audio.end
        builder.close_if_done(upcoming, audio)
        first = builder.keep_from()
        audio.drop_before(upcoming if first is None else min(first, upcoming))
    while queue:  # cannot happen: pieces end within the decoded audio
        builder.add(queue.popleft(), audio)
    if builder.pieces:
        builder.close(audio, len(builder.pieces))
