"""Streaming voice-activity detection with Silero VAD (ONNX, run with ONNX Runtime).

The model (silero 5/6 `silero_vad.onnx`, inputs `input` [1, 64+512], `state` [2, 1, 128], `sr`)
is fed 512-sample frames at 16 kHz, each prefixed with the previous frame's last 64 samples.
`SpeechSegmenter` turns the per-frame probabilities into padded speech regions with the
semantics of faster-whisper's `get_speech_timestamps` (threshold / neg_threshold hysteresis,
min_silence, min_speech, speech_pad), incrementally, so audio of any length can stream through.
A region still going on after `max_piece` samples is cut at its lowest-probability frame, so
no piece handed on is longer than a Whisper window.

The model decides which audio is heard as speech, so it is evidence-bearing like the Whisper weights:
only a graph whose SHA-256 is pinned here runs (:data:`PINNED_SHA256`), and the session is built from
the bytes that were hashed, never from the path, which could change after the check.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shared.domain.audio_format import SAMPLE_RATE
from shared.media.highpass import HighPass

FRAME = 512  # samples per VAD frame at 16 kHz
CONTEXT = 64  # samples of left context per frame (silero v5/v6)
# silero-vad 6.2.3's data/silero_vad.onnx (the wheel pinned in shared/weights.txt): the graph every VAD
# figure in docs/benchmarks.md was measured with. Another graph needs its own measured pin here.
PINNED_SHA256 = frozenset({"1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3"})

_verified: dict[tuple[str, int, int, int, int], bytes] = {}
_lock = threading.Lock()


class VadModelError(ValueError):
    """The VAD graph is not the pinned Silero VAD (modified, replaced or another version): refused."""


def verified_vad_model(model_path: Path) -> bytes:
    """The VAD graph's bytes, hashed against :data:`PINNED_SHA256` (cached per path, size, mtime and
    ctime, which no user can set back after an in-place edit)."""
    path = Path(model_path).resolve()
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    with _lock:
        cached = _verified.get(key)
    if cached is not None:
        return cached
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest not in PINNED_SHA256:
        raise VadModelError(f"VAD model {path.name} has digest {digest[:12]}..., not the pinned Silero VAD: "
                            "refused")
    with _lock:
        _verified.clear()  # one model per process in practice; keep the cache from growing
        _verified[key] = data
    return data


@dataclass(frozen=True)
class VadOptions:
    """VAD options, as faster-whisper's VadOptions.

    min_silence_duration_ms: silence needed to end a speech region. 0.5 s, not faster-whisper's
      2 s: faster-whisper joins all speech and seeks through it, so its regions may run on; ours
      become Whisper windows, and a conversation with short pauses between turns must give regions
      that end between turns, else it is one long region cut at a forced point inside a sentence
      (bench.interview_accuracy). Windows still group regions up to 30 s (chunking).
    min_speech_duration_ms: regions this short are dropped; 0 (faster-whisper's default): with
      regions that end at half-second pauses, a short first word ("Yes", "No") stands alone.
    speech_pad_ms: padding added each side. neg_threshold: None means max(threshold - 0.15, 0.01).
    """

    threshold: float = 0.5
    neg_threshold: float | None = None
    min_speech_duration_ms: int = 0
    min_silence_duration_ms: int = 500
    speech_pad_ms: int = 400


@dataclass
class Piece:
    """A speech region (sample offsets on the source timeline). `cont` marks a forced cut inside speech."""

    start: int
    end: int
    cont: bool = False


class SileroVad:
    """Stateful Silero VAD: `probs(audio)` for consecutive 512-sample frames of one stream."""

    def __init__(self, model_path: Path) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.enable_cpu_mem_arena = False
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(verified_vad_model(model_path), sess_options=opts,
                                            providers=["CPUExecutionProvider"])
        names = {i.name for i in self.session.get_inputs()}
        if names != {"input", "state", "sr"}:
            raise ValueError(f"unexpected Silero VAD model inputs {sorted(names)} (need input, state, sr)")
        self.reset()

    def reset(self) -> None:
        self.state = np.zeros((2, 1, 128), np.float32)
        self.context = np.zeros(CONTEXT, np.float32)

    def probs(self, audio: np.ndarray) -> np.ndarray:
        """Speech probability of each 512-sample frame of `audio` (length a multiple of 512)."""
        if len(audio) % FRAME:
            raise ValueError("audio length must be a multiple of 512 samples")
        sr = np.array(SAMPLE_RATE, np.int64)
        out = np.empty(len(audio) // FRAME, np.float32)
        run = self.session.run
        x = np.empty((1, CONTEXT + FRAME), np.float32)
        for k in range(len(out)):
            x[0, :CONTEXT] = self.context
            x[0, CONTEXT:] = audio[k * FRAME : (k + 1) * FRAME]
            p, self.state = run(None, {"input": x, "state": self.state, "sr": sr})
            self.context = x[0, -CONTEXT:].copy()
            out[k] = p[0, 0]
        return out


def heard_probs(audio: np.ndarray, vad: SileroVad, block: int = 10 * SAMPLE_RATE) -> np.ndarray:
    """Speech probability of each 512-sample frame of `audio` (16 kHz mono, any length; the last frame
    zero-padded), heard as every VAD of a job hears it: through the 150 Hz high-pass
    (``shared.media.highpass``), from a fresh state. Planning's streamed pass (``chunking``) filters the
    same way, so the segment guard and the diarization never lose speech that planning found under
    mains hum or a DC offset, which blind Silero."""
    x = np.asarray(audio, np.float32).reshape(-1)
    highpass = HighPass()
    x = np.concatenate([np.zeros(0, np.float32), *(highpass(x[k : k + block]) for k in range(0, len(x), block))])
    vad.reset()
    return vad.probs(np.pad(x, (0, (-len(x)) % FRAME))) if len(x) else np.zeros(0, np.float32)


class SpeechSegmenter:
    """Frame probabilities in, final padded speech pieces out (each at most `max_piece` samples)."""

    def __init__(self, opts: VadOptions = VadOptions(), *, max_piece: int | None = None) -> None:
        self.opts = opts
        self.thr = opts.threshold
        self.neg = opts.neg_threshold if opts.neg_threshold is not None else max(opts.threshold - 0.15, 0.01)
        self.min_speech = SAMPLE_RATE * opts.min_speech_duration_ms / 1000
        self.min_silence = SAMPLE_RATE * opts.min_silence_duration_ms / 1000
        self.pad = int(SAMPLE_RATE * opts.speech_pad_ms / 1000)
        # raw regions are cut so that, padded on both sides, they still fit in max_piece
        self.max_raw = None if max_piece is None else max_piece - 2 * self.pad - 2 * FRAME
        if self.max_raw is not None and self.max_raw < 8 * FRAME:
            raise ValueError("max_piece too short for the speech padding")
        self.i = 0  # index of the next frame
        self.triggered = False
        self.start = 0
        self.temp_end = 0
        self.fresh = True  # the current region began in silence (not at a forced cut)
        self.probs: list[float] = []  # probabilities of the frames since self.start (while triggered)
        self.pending: Piece | None = None  # last raw piece, awaiting its right padding

    def push(self, probs: Iterable[float]) -> Iterator[Piece]:
        """Feed frame probabilities; yield pieces that can no longer change."""
        for p in probs:
            yield from self._step(float(p))
            self.i += 1

    @property
    def position(self) -> int:
        return self.i * FRAME

    def earliest_open(self) -> int:
        """No piece yielded later can start before this sample."""
        if self.pending is not None:
            return max(0, self.pending.start - self.pad)
        return max(0, (self.start if self.triggered else self.position) - self.pad)

    def _step(self, p: float) -> Iterator[Piece]:
        pos = self.i * FRAME
        if p >= self.thr and self.temp_end:
            self.temp_end = 0
        if p >= self.thr and not self.triggered:
            self.triggered, self.start, self.fresh, self.probs = True, pos, True, [p]
            return
        if not self.triggered:
            return
        self.probs.append(p)
        if self.max_raw is not None and pos - self.start > self.max_raw:
            yield from self._force_cut()
        if p < self.neg:
            if not self.temp_end:
                self.temp_end = pos
            if pos - self.temp_end >= self.min_silence:
                yield from self._close(self.temp_end)

    def _force_cut(self) -> Iterator[Piece]:
        """Cut the ongoing region at its least speech-like frame in the second half of the allowed span."""
        assert self.max_raw is not None
        lo = max(1, (self.max_raw // 2) // FRAME)
        hi = min(len(self.probs) - 1, self.max_raw // FRAME)
        k = lo + int(np.argmin(np.asarray(self.probs[lo : hi + 1])))
        cut = self.start + k * FRAME
        yield from self._emit(Piece(self.start, cut, cont=True))
        self.start, self.fresh = cut, False
        self.probs = self.probs[k:]
        if self.temp_end and self.temp_end < cut:
            self.temp_end = cut

    def _close(self, end: int) -> Iterator[Piece]:
        length = end - self.start
        if length > self.min_speech or (not self.fresh and length > 0):
            yield from self._emit(Piece(self.start, end))
        elif not self.fresh and self.pending is not None:
            self.pending.cont = False  # the forced cut turned out to be the region's end
        self.triggered, self.temp_end, self.probs = False, 0, []

    def _emit(self, raw: Piece) -> Iterator[Piece]:
        """Pad `raw`'s left side against the pending piece, then release the pending one."""
        prev = self.pending
        if prev is None:
            raw.start = max(0, raw.start - self.pad)
        elif prev.cont and prev.end == raw.start:
            pass  # a forced cut: the two pieces stay adjacent, neither is padded at the joint
        else:
            gap = raw.start - prev.end
            if gap < 2 * self.pad:
                prev.end += gap // 2
                raw.start -= gap // 2
            else:
                prev.end += self.pad
                raw.start -= self.pad
        if prev is not None:
            yield prev
        self.pending = Piece(raw.start, raw.end, raw.cont)

    def finish(self, total: int) -> Iterator[Piece]:
        """End of stream at sample `total`: close any open region and release the last piece."""
        if self.triggered:
            length = total - self.start
            if length > self.min_speech or (not self.fresh and length > 0):
                yield from self._emit(Piece(self.start, total))
            elif not self.fresh and self.pending is not None:
                self.pending.cont = False
        self.triggered = False
        if self.pending is not None:
            last = self.pending
            last.end = min(total, last.end + self.pad)
            last.cont = False
            self.pending = None
            yield last


def speech_pieces(
    audio: np.ndarray, vad_model: Path, opts: VadOptions = VadOptions(), *, max_piece: int | None = None
) -> list[Piece]:
    """All padded speech pieces of an in-memory 16 kHz mono signal (convenience for short audio)."""
    vad = SileroVad(vad_model)
    seg = SpeechSegmenter(opts, max_piece=max_piece)
    padded = np.pad(audio.astype(np.float32), (0, (-len(audio)) % FRAME))
    return [*seg.push(vad.probs(padded)), *seg.finish(len(audio))]
