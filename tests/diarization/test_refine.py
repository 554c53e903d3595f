"""Resegmentation inside speech regions (``refine``), on real espeak-ng voices through the real encoder."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bench import dialogues
from bench.der import der
from shared.diarization import timbre
from shared.diarization.clustering import SpeakerCount
from shared.diarization.diarize import diarize
from shared.diarization.embeddings import SpeakerEncoder, SpeakerWindows, embed_chunk
from shared.diarization.refine import RefineOptions, unit_loglik
from shared.diarization.units import STATS, chunk_units
from shared.media.vad import SileroVad

QUICK_SEEDS = (42, 43, 44, 45, 46, 47)


@pytest.fixture(scope="module")
def quick_exchanges() -> list[dialogues.Dialogue]:
    """Short replies ("At home.", "About nine.", "No.") 0.05-0.15 s after the question: one speech region
    holds several turns, so the windows alone cannot place the changes. Several seeds (pauses and
    levels): on one recording a few tens of milliseconds of region edge move every window and the
    DER by points either way, so what is asserted is the kind's behaviour, not one layout's."""
    return [dialogues.build_quick("quick-2", seed=s, voices=dialogues.ALT_VOICES) for s in QUICK_SEEDS]


def test_short_replies_inside_a_speech_region_get_their_speaker(quick_exchanges: list[dialogues.Dialogue],
                                                                encoder: SpeakerEncoder, vad: SileroVad) -> None:
    count = SpeakerCount(2, 2)  # the replies total 4 s: too little for the automatic count (docs/benchmarks.md)
    before, after = [], []
    for d in quick_exchanges:
        w = SpeakerWindows.from_dict(embed_chunk(d.audio, 0.0, encoder, vad).to_dict())  # through the blob
        assert w.units is not None and w.units.starts.size > 50
        turns_per_region = [sum(1 for t in d.turns if rs - 0.05 <= t.start < re_) for rs, re_ in w.regions]
        assert max(turns_per_region) >= 3  # the kind of input this is for: several turns in one region
        before.append(der(list(d.turns), diarize([w], count, refine=RefineOptions(enabled=False)).turns).der)
        refined = diarize([w], count)
        assert refined.count == 2
        after.append(der(list(d.turns), refined.turns).der)
    assert np.mean(before) > 0.04, before  # the 1.5 s windows give many replies to the officer
    assert np.mean(after) <= 0.045 and np.mean(after) < np.mean(before) - 0.005, (before, after)


def test_units_score_frames_exactly_and_older_blobs_are_unchanged(monologue: dialogues.Dialogue,
                                                                  encoder: SpeakerEncoder, vad: SileroVad) -> None:
    audio = monologue.audio
    units = chunk_units(audio, np.array([[0.6, 3.1]]), offset_s=10.0)
    assert units.stats.shape == (10, STATS) and np.allclose(units.starts[0], 10.6)
    # the log-likelihood from a unit's statistics equals the sum over its frames
    bands, centre = timbre.frame_bands(audio)
    ceps = np.log(np.maximum(bands, 1e-12)) @ timbre.dct().T
    energy = bands.sum(axis=1)
    loud = energy > energy.max() * 1e-4
    i = int(np.argmax(units.stats[:, 0]))
    a, b = np.searchsorted(centre, [units.starts[i] - 10.0, units.ends[i] - 10.0])
    frames = ceps[a:b][loud[a:b]]
    assert frames.shape[0] == units.stats[i, 0]
    rng = np.random.default_rng(0)
    mean = frames.mean(0) + rng.normal(0, 1, timbre.N_CEPS)
    m = rng.normal(0, 1, (timbre.N_CEPS, timbre.N_CEPS))
    cov = m @ m.T + np.eye(timbre.N_CEPS) * 5
    prec, logdet = np.linalg.inv(cov), float(np.linalg.slogdet(cov)[1])
    dev = frames - mean
    direct = -0.5 * (frames.shape[0] * (timbre.N_CEPS * np.log(2 * np.pi) + logdet)
                     + np.einsum("ij,jk,ik->", dev, prec, dev))
    assert unit_loglik(units.stats[i : i + 1], mean, prec, logdet)[0] == pytest.approx(direct, rel=1e-4)
    # a blob written before units existed diarizes as before
    w = embed_chunk(audio, 0.0, encoder, vad)
    old = {k: v for k, v in w.to_dict().items() if not k.startswith("unit_")}
    assert SpeakerWindows.from_dict(old).units is None
    plain = diarize([dataclasses.replace(w, units=None)], SpeakerCount(2, 2))
    assert diarize([SpeakerWindows.from_dict(old)], SpeakerCount(2, 2)).turns == plain.turns
