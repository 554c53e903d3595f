"""One conversation over several audio tracks: which tracks to transcribe together, their mix, and who spoke.

Interview-room and body-worn recorders write one microphone per track. Transcribed track by track,
each speaker's turns lose the other speaker's context (and a short lone turn gets none), so such
tracks are transcribed as one conversation: a mix on the shared timeline, each segment (each word
where word times exist) then put back on the track whose microphone it was spoken into.

Planning measures every track frame by frame (the 32 ms frames of the VAD): Silero's speech
probability and the energy. A track's *speech level* is the 90th percentile energy of its speech
frames (its own talker, close to the mic: a voice it only hears as bleed is quieter), and each track
is compared with the others relative to that level, so a mic set 10 dB hotter does not win every
frame. Two tracks *talk over each other* in a frame when both hear speech within ``CLOSE_DB`` of the
loudest track of the file (relative to their levels); a quieter hearing is bleed (two mics that both
hear a third mic's talker are not talking over each other). Tracks go into one conversation group
(``conversation_groups``) unless they talk over each other in more than ``MAX_OVERLAP_SHARE`` of the
frames where either hears speech; tracks that do, but whose energy rises and falls together
(correlation ``DUPLICATE_CORRELATION``: two copies of one mic, or two mics near one voice), are one
group too, so the same words are not transcribed twice. Genuinely simultaneous different speech
keeps each track transcribed on its own, so nothing is lost.

The mix (``Mixer``) raises each track whose talker is more than ``MAX_LEVEL_SPREAD_DB`` below the
loudest track's to that spread (at most ``MAX_GAIN_DB``), as a mixing desk sets each mic: Whisper
reads a quiet talker worse, and a 10 dB spread still cost words (docs/benchmarks.md; the originals
are never altered, only Whisper's input), mutes in each frame the tracks more than ``CLOSE_DB`` below the loudest
(level-relative: bleed and hiss), and averages what is left, with weights interpolated between frame
centres (no clicks). The owner of each frame is the loudest track hearing speech (none where no
track hears any), smoothed over ``OWNER_SMOOTH_FRAMES``; chunks carry the owned runs
(``owner_runs``) and segments are attributed from them (``attribute``): a word at the edge of
speech, whose time Whisper stretches into the pause, goes to the nearest speaker's run. Everything
here is a pure function of the decoded samples: the same file always gives the same groups, mix and
owners.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from shared.domain.audio_format import SAMPLE_RATE
from shared.domain.transcript import Segment, Word
from shared.media.vad import FRAME

SPEECH_PROB = 0.5  # a frame a track hears speech in
OWNER_PROB = 0.35  # a track must at least be near speech to own a frame
CLOSE_DB = 10.0  # within this of the loudest (level-relative) a track is a talker, below it bleed
MAX_OVERLAP_SHARE = 0.2  # talk-over share of speech frames above which tracks are transcribed apart
DUPLICATE_CORRELATION = 0.8  # energy envelopes this correlated while talking over: the same voice
MAX_LEVEL_SPREAD_DB = 0.0  # a quieter mic is raised to this far below the loudest one (the same level)
MAX_GAIN_DB = 30.0
OWNER_SMOOTH_FRAMES = 15  # about 0.5 s
FLOOR_DB = -100.0
_MIN_SPEECH_FRAMES = 8


def frame_energy_db(x: np.ndarray) -> np.ndarray:
    """Mean square of each whole 512-sample frame of ``x``, in dB (length a multiple of FRAME)."""
    f = x.reshape(-1, FRAME).astype(np.float64)
    return (10 * np.log10(np.mean(f * f, axis=1) + 1e-10)).astype(np.float32)


@dataclass(frozen=True)
class TrackFrames:
    """One track's frames on the shared timeline: speech probability and energy (dB) per 32 ms."""

    number: int
    probs: np.ndarray
    energy_db: np.ndarray

    def level_db(self) -> float:
        """The energy of the track's own talker (90th percentile over its speech frames)."""
        speech = self.energy_db[self.probs >= SPEECH_PROB]
        return float(np.percentile(speech, 90)) if len(speech) else float(np.max(self.energy_db, initial=FLOOR_DB))


def _aligned(frames: Sequence[TrackFrames]) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities and level-relative energies of `frames`, shape (tracks, n), padded to the longest."""
    n = max(len(f.probs) for f in frames)
    probs = np.zeros((len(frames), n), np.float32)
    rel = np.full((len(frames), n), FLOOR_DB, np.float32)
    for k, f in enumerate(frames):
        probs[k, : len(f.probs)] = f.probs
        rel[k, : len(f.energy_db)] = f.energy_db - f.level_db()
    return probs, rel


def talk_over(a: TrackFrames, b: TrackFrames, others: Sequence[TrackFrames] = ()) -> tuple[float, float]:
    """Share of the speech frames in which `a` and `b` both talk (not bleed), and the correlation of
    their energies over those frames (1.0 when there are too few to tell).

    A track talks in a frame when it hears speech within ``CLOSE_DB`` of the loudest track
    (level-relative) of `a`, `b` and `others`: where a third mic's talker speaks, two mics that both
    hear that talker as bleed are not talking over each other (every mic of a room hears everyone)."""
    probs, rel = _aligned([a, b, *others])
    speech = probs >= SPEECH_PROB
    either = speech[0] | speech[1]
    talker = rel >= rel.max(axis=0) - CLOSE_DB
    both = speech[0] & speech[1] & talker[0] & talker[1]
    if not either.any():
        return 0.0, 1.0
    share = float(np.count_nonzero(both) / np.count_nonzero(either))
    if np.count_nonzero(both) < _MIN_SPEECH_FRAMES:
        return share, 1.0
    x, y = rel[0, both].astype(np.float64), rel[1, both].astype(np.float64)
    if x.std() == 0 or y.std() == 0:
        return share, 1.0
    return share, float(np.corrcoef(x, y)[0, 1])


def joinable(a: TrackFrames, b: TrackFrames, others: Sequence[TrackFrames] = ()) -> bool:
    share, correlation = talk_over(a, b, others)
    return share <= MAX_OVERLAP_SHARE or correlation >= DUPLICATE_CORRELATION


def conversation_groups(frames: Sequence[TrackFrames]) -> list[list[int]]:
    """`frames` (the tracks with speech) in groups to transcribe together (track order; each track joins
    the first group it can join with every member; every track of the file is heard when judging a pair)."""
    groups: list[list[TrackFrames]] = []
    for f in frames:
        home = next((g for g in groups if all(joinable(f, m, [o for o in frames if o is not f and o is not m])
                                              for m in g)), None)  # fmt: skip
        if home is None:
            groups.append([f])
        else:
            home.append(f)
    return [[f.number for f in g] for g in groups]


class Mixer:
    """The mix of a group's tracks, block by block, and who owns each frame."""

    def __init__(self, frames: Sequence[TrackFrames]) -> None:
        self.numbers = [f.number for f in frames]
        self.probs, rel = _aligned(frames)
        levels = np.array([f.level_db() for f in frames])
        gain_db = np.clip(levels.max() - MAX_LEVEL_SPREAD_DB - levels, 0.0, MAX_GAIN_DB)
        self.gains = (10 ** (gain_db / 20)).astype(np.float32)
        self.weights = (rel >= rel.max(axis=0) - CLOSE_DB).astype(np.float32)
        self.owner = self._owners(rel)

    def _owners(self, rel: np.ndarray) -> np.ndarray:
        """Index (into the group) of the track owning each frame, len(group) where no track hears
        speech; smoothed (ties: the lower index)."""
        heard = self.probs >= OWNER_PROB
        raw = np.where(heard.any(axis=0), np.argmax(np.where(heard, rel, -np.inf), axis=0), len(self.numbers))
        if raw.size == 0:
            return raw
        onehot = np.eye(len(self.numbers) + 1, dtype=np.int32)[raw]  # (n, tracks + none)
        half = OWNER_SMOOTH_FRAMES // 2
        c = np.cumsum(np.pad(onehot, ((half + 1, half), (0, 0))), axis=0)
        counts = c[OWNER_SMOOTH_FRAMES:] - c[:-OWNER_SMOOTH_FRAMES]
        return np.argmax(counts, axis=1)

    @property
    def probs_max(self) -> np.ndarray:
        """The group's speech probability per frame: the highest of its tracks'."""
        return self.probs.max(axis=0)

    def mix(self, blocks: Sequence[np.ndarray], pos: int) -> np.ndarray:
        """The mix of one block per track (same length; samples from `pos` on the timeline)."""
        n = len(blocks[0])
        if len(blocks) == 1:
            return blocks[0]
        nf = self.weights.shape[1]
        f0, f1 = max(0, pos // FRAME - 1), min(nf, (pos + n) // FRAME + 2)
        t = np.arange(pos, pos + n, dtype=np.float64)
        centres = np.arange(f0, f1, dtype=np.float64) * FRAME + FRAME / 2
        out = np.zeros(n, np.float64)
        total = np.zeros(n, np.float64)
        for k, block in enumerate(blocks):
            w = np.interp(t, centres, self.weights[k, f0:f1]) if f1 > f0 else np.zeros(n)
            out += w * self.gains[k] * block
            total += w
        return np.clip(out / np.maximum(total, 1.0), -1.0, 1.0).astype(np.float32)

    def owner_runs(self, start: int, end: int) -> tuple[tuple[float, float, int], ...]:
        """(start_s, end_s, track) runs of ownership over samples [start, end), relative to `start`; spans
        where no track hears speech are left out."""
        f0, f1 = start // FRAME, min(len(self.owner), -(-end // FRAME))
        runs: list[tuple[float, float, int]] = []
        k = f0
        while k < f1:
            j = k
            while j + 1 < f1 and self.owner[j + 1] == self.owner[k]:
                j += 1
            a, b = max(start, k * FRAME), min(end, (j + 1) * FRAME)
            if self.owner[k] == len(self.numbers):  # no one speaking
                k = j + 1
                continue
            track = self.numbers[int(self.owner[k])]
            runs.append((round((a - start) / SAMPLE_RATE, 3), round((b - start) / SAMPLE_RATE, 3), track))
            k = j + 1
        return tuple(runs)


def _owner_of(start: float, end: float, runs: Sequence[tuple[float, float, int]]) -> int:
    """The track owning most of [start, end] (the run under its midpoint when it has no length)."""
    best: dict[int, float] = {}
    for a, b, track in runs:
        best[track] = best.get(track, 0.0) + max(0.0, min(b, end) - max(a, start))
    if not runs:
        raise ValueError("a conversation chunk with no owned speech")
    if not best or max(best.values()) <= 0:
        mid = (start + end) / 2
        near = min(runs, key=lambda r: 0.0 if r[0] <= mid <= r[1] else min(abs(mid - r[0]), abs(mid - r[1])))
        return near[2]
    return sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def attribute(segments: Sequence[Segment], runs: Sequence[tuple[float, float, int]], *,
              keep_words: bool) -> list[Segment]:
    """Each segment on the track that owns it; a segment whose words change owner is split between
    its words (times relative to the chunk, as `runs`). Words are dropped unless `keep_words`."""
    out: list[Segment] = []
    for s in segments:
        words = s.words or ()
        owners = [_owner_of(w.start, w.end, runs) for w in words]
        if len(set(owners)) <= 1:
            track = owners[0] if owners else _owner_of(s.start, s.end, runs)
            out.append(replace(s, track=track, words=s.words if keep_words else None))
            continue
        groups: list[list[Word]] = []
        tracks: list[int] = []
        for w, o in zip(words, owners, strict=True):
            if tracks and tracks[-1] == o:
                groups[-1].append(w)
            else:
                groups.append([w])
                tracks.append(o)
        for ws, track in zip(groups, tracks, strict=True):
            text = "".join(w.text for w in ws)
            out.append(replace(s, start=ws[0].start, end=ws[-1].end, text=text, track=track,
                               words=tuple(ws) if keep_words else None))
    return out
