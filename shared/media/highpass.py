"""A streaming high-pass filter for voice-activity detection (FFmpeg's ``highpass``, in process)."""

from __future__ import annotations

from fractions import Fraction

import av
import av.error
import numpy as np

from shared.domain.audio_format import SAMPLE_RATE

HIGHPASS_HZ = 150.0  # below the speech that VAD needs; above mains hum (50/60 Hz), DC offset and rumble


class HighPass:
    """Streaming 4th-order high-pass (two 2-pole Butterworth stages, FFmpeg's ``highpass``) over float32 mono
    blocks at `rate`: each call returns as many samples as it is given, continuing the filter's state.

    For voice-activity detection only: mains hum at -10 dBFS, a DC offset or car rumble blind Silero VAD
    (no speech found under the hum, bench/media_kinds.py ``wav_mains_hum_cctv``), while speech above
    150 Hz is what it listens to. Transcription hears the audio unfiltered."""

    def __init__(self, rate: int = SAMPLE_RATE, cutoff_hz: float = HIGHPASS_HZ) -> None:
        self.rate = rate
        self.graph = av.filter.Graph()
        src = self.graph.add_abuffer(format="flt", sample_rate=rate, layout="mono", time_base=Fraction(1, rate))
        a = self.graph.add("highpass", f"f={cutoff_hz}:p=2")
        b = self.graph.add("highpass", f"f={cutoff_hz}:p=2")
        sink = self.graph.add("abuffersink")
        src.link_to(a)
        a.link_to(b)
        b.link_to(sink)
        self.graph.configure()
        self.pts = 0

    def __call__(self, block: np.ndarray) -> np.ndarray:
        if not len(block):
            return block
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(block, np.float32).reshape(1, -1), format="flt",
                                           layout="mono")  # fmt: skip
        frame.sample_rate, frame.pts, frame.time_base = self.rate, self.pts, Fraction(1, self.rate)
        self.pts += len(block)
        self.graph.push(frame)
        out: list[np.ndarray] = []
        while True:
            try:
                out.append(self.graph.pull().to_ndarray().reshape(-1))
            except (av.error.BlockingIOError, av.error.EOFError):
                break
        y = np.concatenate(out) if out else np.zeros(0, np.float32)
        if len(y) != len(block):  # biquads filter in place, frame by frame: never buffered
            raise AssertionError(f"high-pass returned {len(y)} samples for {len(block)}")
        return y.astype(np.float32, copy=False)
