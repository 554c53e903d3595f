"""WhisperEngine mechanics on the tiny random package (real ONNX Runtime, no weights faked)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from shared.domain.transcript import TranscriptionOptions
from shared.inference.decoding import DecodeConfig, apply_filters, beam_search, greedy
from shared.inference.whisper import WhisperEngine, compression_ratio, default_windows

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def engine(tiny_whisper_package) -> WhisperEngine:
    return WhisperEngine(tiny_whisper_package, intra_op_threads=1)


def tone(seconds: float, seed: int = 0) -> np.ndarray:
    t = np.arange(int(seconds * 16000)) / 16000
    rng = np.random.default_rng(seed)
    return (0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(t.shape)).astype(np.float32)


def _cfg(engine: WhisperEngine, max_new: int = 12) -> DecodeConfig:
    return engine._decode_config(3, TranscriptionOptions(max_new_tokens=max_new))


def test_greedy_and_beam_shapes(engine):
    enc = engine._encode([tone(3), tone(5, 1)])
    prefix = np.array([engine.tokenizer.sot_sequence("en")] * 2, dtype=np.int64)
    cfg = _cfg(engine)
    hyps, first = greedy(engine.decoder, prefix, enc, cfg)
    assert len(hyps) == 2 and first.shape == (2, 3, 51865)
    for h in hyps:
        assert 1 <= len(h.tokens) <= cfg.max_new_tokens
        assert len(h.logprobs) in (len(h.tokens), len(h.tokens) + 1)
        assert h.tokens[0] >= engine.tokenizer.timestamp_begin  # the first token is a timestamp
        assert all(lp <= 0 for lp in h.logprobs)
    k = 3
    host = engine.decoder.to_host(enc)
    beams, bfirst = beam_search(engine.decoder, np.repeat(prefix, k, axis=0),
                                engine.decoder.to_device(np.repeat(host, k, axis=0)), cfg, beam_size=k)
    assert len(beams) == 2 and bfirst.shape == (2, 3, 51865)
    assert np.allclose(bfirst, first, atol=1e-4)
    for g, b in zip(hyps, beams, strict=True):  # beam search never scores below greedy's ranked score
        rank = lambda h: h.sum_logprob / max(len(h.tokens), 1)  # noqa: E731
        assert rank(b) >= rank(g) - 1e-6 or len(b.tokens) == cfg.max_new_tokens


def test_io_binding_and_plain_run_give_identical_tokens(tiny_whisper_package, engine):
    plain = WhisperEngine(tiny_whisper_package, intra_op_threads=1, io_binding=False)
    audio = tone(12)
    for beam in (1, 3):
        opts = TranscriptionOptions(language="en", beam_size=beam, max_new_tokens=20,
                                    no_speech_threshold=1.0)
        a, b = engine.transcribe(audio, [(0, 6), (6, 12)], opts), plain.transcribe(audio, [(0, 6), (6, 12)], opts)
        assert [s.to_dict() for s in a.segments] == [s.to_dict() for s in b.segments]


def test_timestamp_rules():
    tb, eot = 100, 50
    cfg = DecodeConfig(eot=eot, timestamp_begin=tb, no_timestamps=99, max_initial_timestamp_index=5)
    logits = np.zeros((5, 200), dtype=np.float32)
    logits[:, 10] = 5.0  # a strong text token
    out = apply_filters(logits, [[], [tb + 3], [tb + 3, 10, tb + 7], [tb + 2, 11], [tb, 10, tb + 7, tb + 7]], cfg)
    assert np.isneginf(out[0, :tb]).all() and np.isneginf(out[0, tb + 6:]).all()  # initial ≤ index 5
    assert np.isneginf(out[1, tb:]).all() and np.isfinite(out[1, 10])  # text after the initial timestamp
    assert np.isneginf(out[3, tb:tb + 3]).all() and np.isfinite(out[3, tb + 3:]).all()  # never decrease
    assert np.isneginf(out[2, :eot]).all() and np.isfinite(out[2, tb + 7:]).all()  # open: close it or end
    assert np.isneginf(out[2, tb:tb + 7]).all()
    assert np.isneginf(out[4, tb:]).all() and np.isfinite(out[4, 10])  # a pair just closed: text next
    assert np.isneginf(out[2, 99])  # <|notimestamps|> always suppressed


def test_transcribe_segments_and_determinism(engine):
    audio = tone(40)
    opts = TranscriptionOptions(language="en", beam_size=2, max_new_tokens=24, no_speech_threshold=1.0,
                                compression_ratio_threshold=100.0, batch_size=2)
    r1 = engine.transcribe(audio, None, opts)
    r2 = engine.transcribe(audio, None, opts)
    j1 = json.dumps([s.to_dict() for s in r1.segments], sort_keys=True)
    assert j1 == json.dumps([s.to_dict() for s in r2.segments], sort_keys=True)
    assert r1.language == "en" and r1.language_probability == 1.0
    for s in r1.segments:
        assert 0.0 <= s.start <= s.end <= 40.0 and s.text == s.text.strip() and s.text
        assert s.language == "en" and s.temperature == 0.0 and s.avg_logprob <= 0
    # windows given by the caller: segments stay inside them
    r3 = engine.transcribe(audio, [(2.5, 9.0), (20.0, 31.0)], opts)
    for s in r3.segments:
        assert 2.5 <= s.start <= s.end <= 9.0 or 20.0 <= s.start <= s.end <= 31.0


def test_no_speech_guard_drops_window(engine):
    opts = TranscriptionOptions(language="en", beam_size=1, max_new_tokens=8, no_speech_threshold=-1.0,
                                log_prob_threshold=0.0)
    result = engine.transcribe(tone(5), None, opts)
    assert result.segments == () and result.skipped == ()  # silence is not a withheld passage


def test_refused_text_is_reported_as_a_skipped_window(engine):
    """Text the compression-ratio guard refuses leaves a named gap, never an unexplained one."""
    windows = [(2.5, 9.0), (20.0, 31.0)]
    base = dict(language="en", beam_size=1, max_new_tokens=24, no_speech_threshold=1.0, batch_size=2)
    kept = engine.transcribe(tone(40), windows, TranscriptionOptions(**base, compression_ratio_threshold=100.0))
    assert kept.segments and kept.skipped == ()
    refused = engine.transcribe(tone(40), windows, TranscriptionOptions(**base, compression_ratio_threshold=0.0))
    assert refused.segments == ()
    assert refused.skipped == ((2.5, 9.0, "repetition"), (20.0, 31.0, "repetition"))


def test_detect_language_and_candidates(engine):
    det = engine.detect_language(tone(8))
    assert det.language in engine.tokenizer.languages and 0 < det.probability <= 1
    assert len(det.per_window) == 1 and len(det.per_window[0]) == 5
    det2 = engine.detect_language(tone(20), windows=[(0, 10), (10, 20)], candidates=["fr", "de"])
    assert det2.language in ("fr", "de") and set(det2.per_window[0]) == {"fr", "de"}
    assert abs(sum(det2.per_window[1].values()) - 1.0) < 1e-3
    r = engine.transcribe(tone(10), None, TranscriptionOptions(language_candidates=("fr", "de"), beam_size=1,
                                                                max_new_tokens=8, no_speech_threshold=1.0))
    assert r.language in ("fr", "de")


def test_automatic_detection_never_picks_latin(engine):
    """Latin is left out of automatic detection (no recording is spoken in it; Whisper gives it to
    Romance speech it is unsure of): the other languages keep their relative odds, and naming Latin
    as a candidate still works."""
    audio = tone(10)
    encoded = engine._encode(engine._clips(audio, [(0.0, 10.0)]))
    every = engine._language_probs(encoded, 1, list(engine.tokenizer.languages))[0]
    default = engine._language_probs(encoded, 1, None)[0]
    assert "la" in every and "la" not in default and set(default) == set(every) - {"la"}
    rest = 1.0 - every["la"]
    assert all(abs(default[c] - every[c] / rest) < 1e-4 for c in default)
    assert "la" not in engine.detect_language(audio).per_window[0]
    assert set(engine.detect_language(audio, candidates=["la", "pt"]).per_window[0]) == {"la", "pt"}


def test_temperature_fallback_is_seeded_and_recorded(engine):
    opts = TranscriptionOptions(language="en", beam_size=1, temperatures=(0.0, 0.5, 1.0), best_of=2,
                                max_new_tokens=16, no_speech_threshold=1.0, log_prob_threshold=0.0)
    a, b = engine.transcribe(tone(6), None, opts), engine.transcribe(tone(6), None, opts)
    assert [s.to_dict() for s in a.segments] == [s.to_dict() for s in b.segments]
    assert all(s.temperature in (0.0, 0.5, 1.0) for s in a.segments)


def test_word_timestamps_inside_segments(engine):
    opts = TranscriptionOptions(language="en", beam_size=1, max_new_tokens=24, no_speech_threshold=1.0,
                                compression_ratio_threshold=100.0, word_timestamps=True)
    r = engine.transcribe(tone(10), [(1.0, 10.0)], opts)
    assert r.segments
    for s in r.segments:
        assert s.words is not None
        for w in s.words:
            assert s.start <= w.start <= w.end <= s.end and 0 <= w.probability <= 1


def test_helpers():
    assert default_windows(65.0) == [(0.0, 30.0), (30.0, 60.0), (60.0, 65.0)]
    assert compression_ratio("the " * 100) > 2.4 > compression_ratio("A quick brown fox jumps over it.")


def test_model_info(engine):
    info = engine.model_info
    assert set(info) == {"name", "sha256", "precision"} and len(info["sha256"]) == 64


def test_engine_imports_neither_torch_nor_transformers(tiny_whisper_package):
    code = textwrap.dedent(f"""
        import sys, numpy as np
        from pathlib import Path
        from shared.domain.transcript import TranscriptionOptions
        from shared.inference.whisper import WhisperEngine
        e = WhisperEngine(Path({str(tiny_whisper_package)!r}), intra_op_threads=1)
        a = np.random.default_rng(0).standard_normal(16000 * 3).astype(np.float32) * 0.1
        e.transcribe(a, None, TranscriptionOptions(beam_size=2, max_new_tokens=6, word_timestamps=True))
        e.detect_language(a)
        bad = [m for m in ("torch", "transformers") if m in sys.modules]
        assert not bad, bad
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("ok")


def _decoded(engine: WhisperEngine, tokens: list[int]):
    from shared.inference.decoded import Decoded
    from shared.inference.decoding import Hypothesis

    return Decoded(Hypothesis(tokens, [-0.1] * (len(tokens) + 1)), 0.0, 0.0, "en")


def test_seek_drops_the_unfinished_segment_and_resumes_at_the_last_closing_timestamp(engine):
    tb = engine.tokenizer.timestamp_begin
    text, more, rest = (engine.tokenizer.encode(w) for w in (" hello there", " the car", " was red"))
    opts = TranscriptionOptions(compression_ratio_threshold=100.0)
    # <|0.00|> text <|4.00|><|5.00|> text <|9.00|><|9.50|> text (cut by the window's end)
    toks = [tb, *text, tb + 200, tb + 250, *more, tb + 450, tb + 475, *rest]
    d = _decoded(engine, toks)
    pieces = engine._segments(d, 10.0, 40.0, opts)
    assert [(p[0].start, p[0].end) for p in pieces] == [(10.0, 14.0), (15.0, 19.0), (19.5, 40.0)]
    seek, kept, n = engine._seek(d, pieces, 10.0, 40.0)
    assert seek == 19.0 and [(p[0].start, p[0].end) for p in kept] == [(10.0, 14.0), (15.0, 19.0)]
    assert toks[:n] == [tb, *text, tb + 200, tb + 250, *more, tb + 450]  # the next window's prompt
    # a lone closing timestamp at the end: every segment finished, the whole window was read
    done = _decoded(engine, [tb, *text, tb + 200, tb + 250, *more, tb + 450])
    seek, kept, _ = engine._seek(done, engine._segments(done, 10.0, 40.0, opts), 10.0, 40.0)
    assert seek == 40.0 and len(kept) == 2
    # no timestamp pair: nothing to seek to, the text is kept to the window's end
    open_text = _decoded(engine, [tb, *text])
    seek, kept, _ = engine._seek(open_text, engine._segments(open_text, 10.0, 40.0, opts), 10.0, 40.0)
    assert seek == 40.0 and [(p[0].start, p[0].end) for p in kept] == [(10.0, 40.0)]


@pytest.mark.parametrize("batch", [1, 2])
def test_a_window_longer_than_30_s_is_sought_through(engine, batch):
    audio = tone(70)
    opts = TranscriptionOptions(language="en", beam_size=1, max_new_tokens=24, no_speech_threshold=1.0,
                                compression_ratio_threshold=100.0, batch_size=batch)
    windows = [(1.0, 52.0), (60.0, 68.0)]  # a planner's window joined across a forced cut, and a short one
    r = engine.transcribe(audio, windows, opts)
    assert r.segments == engine.transcribe(audio, windows, opts).segments
    for s in r.segments:
        assert 1.0 <= s.start <= s.end <= 52.0 or 60.0 <= s.start <= s.end <= 68.0
