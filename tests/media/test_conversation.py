"""Tracks of one conversation (a mic per speaker) are planned together and each span is owned by the
speaker's own track; simultaneous different speech and duplicate tracks are planned as they must be."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from shared.domain import Segment
from shared.domain.transcript import Word
from shared.media import attribute, plan_chunks, probe
from shared.media.plan import ChunkPlan
from tests.fixtures import mediagen
from tests.fixtures.mediagen import AudioTrack

SR = 16000
LATE_S = 3.0


def _store(index: int, flac: bytes) -> str:
    return f"chunks/{index:04d}.flac"


def _mkv(path: Path, tracks: list[AudioTrack]) -> Path:
    return mediagen.write_tracks(path, tracks, fmt="matroska", codec="libopus", rate=48000)


def _per_speaker(pyannote_sample) -> tuple[np.ndarray, list[np.ndarray], list]:  # type: ignore[no-untyped-def]
    audio = mediagen.load_sample()
    turns = sorted(pyannote_sample.segments, key=lambda s: s.start)
    speakers = sorted({s.speaker for s in turns}, key=lambda w: min(s.start for s in turns if s.speaker == w))
    voices = []
    for who in speakers[:2]:
        mask = np.zeros(len(audio), bool)
        for s in turns:
            if s.speaker == who:
                mask[int(s.start * SR) : int(s.end * SR)] = True
        voices.append(np.where(mask, audio, 0.0).astype(np.float32))
    return audio, voices, [(speakers.index(s.speaker), s.start, s.end) for s in turns if s.speaker in speakers[:2]]


def _owner_at(plan: ChunkPlan, t: float) -> int | None:
    for c in plan.chunks:
        for a, b, track in c.owners:
            if c.start_s + a <= t < c.start_s + b:
                return track
    return None


def test_turns_on_two_mics_with_bleed_different_gains_and_a_late_start_are_one_conversation(
    pyannote_sample, vad_model_path: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _, (a, b), turns = _per_speaker(pyannote_sample)
    loud = a + 10 ** (-16 / 20) * b  # the first speaker's mic, set hot, also hears the second speaker
    src = _mkv(tmp_path / "room.mkv", [AudioTrack(mediagen.silence(5.0)), AudioTrack(loud, start_s=LATE_S),
                                       AudioTrack(0.3 * b, start_s=LATE_S)])  # fmt: skip
    blobs: list[dict[str, bytes]] = [{}, {}]
    plans = [plan_chunks(src, lambda i, flac, k=k: blobs[k].setdefault(f"c{i}", flac) and f"c{i}",  # type: ignore[misc]
                         vad_model=vad_model_path, tracks=probe(src).tracks) for k in (0, 1)]
    assert plans[0].to_dict() == plans[1].to_dict() and blobs[0] == blobs[1]  # the same file, the same mix
    plan = plans[0]
    assert plan.chunks and all(c.owners for c in plan.chunks), "the two mics were not planned as one conversation"
    assert {t for c in plan.chunks for t in c.tracks} == {2, 3}
    assert [t.chunks for t in plan.tracks] == [0, len(plan.chunks), len(plan.chunks)]
    # inside every turn (0.3 s off its edges) the span belongs to the mic of the one speaking
    probes = [(who + 2, x + LATE_S) for who, s, e in turns for x in np.arange(s + 0.3, e - 0.3, 0.1)
              if not any(w != who and s2 - 0.3 <= x <= e2 + 0.3 for w, s2, e2 in turns)]  # fmt: skip
    right = sum(_owner_at(plan, t) == track for track, t in probes)
    assert len(probes) > 100 and right / len(probes) >= 0.95, right / len(probes)
    # the mix is speech wherever either mic speaks: one window set, on the container's timeline
    first = min(s for _, s, _ in turns) + LATE_S
    assert plan.chunks[0].start_s + plan.chunks[0].windows[0][0] >= first - 0.6


def test_simultaneous_different_speech_stays_on_separate_tracks(vad_model_path: Path, tmp_path: Path) -> None:
    s = mediagen.speech_with_pauses(40.0, [0.8, 1.2])
    other = np.roll(s, 13 * SR)  # another part of the speech, at the same time: two conversations at once
    src = _mkv(tmp_path / "two.mkv", [AudioTrack(s), AudioTrack(other)])
    plan = plan_chunks(src, _store, vad_model=vad_model_path, tracks=probe(src).tracks)
    assert not any(c.owners for c in plan.chunks)
    assert sorted({c.track for c in plan.chunks}) == [1, 2]


def test_duplicate_tracks_are_planned_once(vad_model_path: Path, tmp_path: Path) -> None:
    s = mediagen.speech_with_pauses(30.0, [0.8, 1.2])
    one = mediagen.write_media(tmp_path / "one.wav", s, fmt="wav", codec="pcm_s16le")
    src = _mkv(tmp_path / "dup.mkv", [AudioTrack(s), AudioTrack(s)])
    plan = plan_chunks(src, _store, vad_model=vad_model_path, tracks=probe(src).tracks)
    ref = plan_chunks(one, _store, vad_model=vad_model_path)
    windows = [(c.start_s + x, c.start_s + y) for c in plan.chunks for x, y in c.windows]
    expected = [(c.start_s + x, c.start_s + y) for c in ref.chunks for x, y in c.windows]
    assert len(windows) == len(expected) and np.allclose(windows, expected, atol=0.1)


def test_a_segment_whose_words_change_owner_is_split_between_the_tracks() -> None:
    words = (Word(0.0, 0.4, " Where", 0.9), Word(0.4, 0.9, " were", 0.9), Word(0.9, 1.3, " you?", 0.9),
             Word(1.8, 2.2, " At", 0.9), Word(2.2, 2.6, " home.", 0.9))  # fmt: skip
    seg = Segment(0.0, 2.6, " Where were you? At home.", "en", -0.2, 0.01, 1.1, 0.0, words)
    lone = Segment(3.0, 3.5, " No.", "en", -0.3, 0.01, 1.0)
    runs = ((0.0, 1.5, 2), (1.5, 2.9, 3), (2.9, 4.0, 2))
    out = attribute([seg, lone], runs, keep_words=False)
    assert [(s.start, s.end, s.text, s.track, s.words) for s in out] == [
        (0.0, 1.3, " Where were you?", 2, None), (1.8, 2.6, " At home.", 3, None), (3.0, 3.5, " No.", 2, None)]
    kept = attribute([seg], runs, keep_words=True)
    assert [len(s.words or ()) for s in kept] == [3, 2]


def test_a_conversation_segment_is_translated_from_its_conversation_chunk() -> None:
    from shared.translation_routes import WHISPER_TRANSLATE, plan_parts

    chunks = [{"index": 0, "start_s": 0.0, "end_s": 10.0, "track": 2, "owners": [[0.0, 5.0, 2], [5.0, 10.0, 3]]},
              {"index": 1, "start_s": 5.0, "end_s": 20.0, "track": 4}]  # fmt: skip
    segments = [{"start": 9.5, "end": 11.5, "language": "fr", "track": 3},  # Whisper's end ran past the chunk
                {"start": 9.5, "end": 11.5, "language": "fr", "track": 4}]  # fmt: skip
    parts = plan_parts(segments, [WHISPER_TRANSLATE] * 2, chunks)
    assert [(p["chunk"], p["ids"]) for p in parts] == [(0, [0]), (1, [1])]


def test_turns_on_two_mics_are_windowed_as_the_one_track_recording(vad_model_path: Path, tmp_path: Path) -> None:
    """The mix's VAD edges move by a frame or two against one track's (levels, codec, two tracks'
    probabilities): the windows must not move with them. Before the cut rule took pauses within
    0.1 s as equals, the mix of this espeak dialogue was cut 29.4 s + 4.8 s where one track is cut
    22.4 s + 11.8 s, and read WER 0.125 against 0.034 (bench/conversation_tracks.py)."""
    from bench import dialogues

    d = dialogues.build("dialogue-2")
    one = mediagen.write_media(tmp_path / "one.wav", d.audio, fmt="wav", codec="pcm_s16le")
    voices = []
    for who in ("officer", "suspect"):
        mask = np.zeros(len(d.audio), bool)
        for t in d.turns:
            if t.speaker == who:
                mask[int(t.start * SR) : int(t.end * SR)] = True
        voices.append(np.where(mask, d.audio, 0.0).astype(np.float32))
    src = _mkv(tmp_path / "room.mkv", [AudioTrack(mediagen.silence(5.0)), AudioTrack(voices[0], start_s=LATE_S),
                                       AudioTrack(0.35 * voices[1], start_s=LATE_S)])  # fmt: skip
    mixed = plan_chunks(src, _store, vad_model=vad_model_path, tracks=probe(src).tracks)
    alone = plan_chunks(one, _store, vad_model=vad_model_path)
    assert all(c.owners for c in mixed.chunks)
    got = [(c.start_s + a - LATE_S, c.start_s + b - LATE_S) for c in mixed.chunks for a, b in c.windows]
    want = [(c.start_s + a, c.start_s + b) for c in alone.chunks for a, b in c.windows]
    assert len(got) == len(want) and np.allclose(got, want, atol=0.1), (got, want)


def test_two_mics_hearing_a_third_mics_talker_as_bleed_are_not_talking_over_each_other() -> None:
    """Three mics, a talker each, taking turns; every mic hears the other two talkers 20 dB down, and
    Silero calls that bleed speech. Judged pair by pair without the third mic, the first two 'talk
    over each other' in the third talker's turns (both 20 dB below their level, within 10 dB of each
    other) and the third mic was transcribed apart, every turn twice (dialogue-3 'room': WER 0.79)."""
    from shared.media.conversation import TrackFrames, conversation_groups, talk_over

    n, turn = 900, 100
    owner = (np.arange(n) // turn) % 3
    frames = []
    for k, level in enumerate((-8.0, -24.0, -28.0)):  # mics set differently
        energy = np.where(owner == k, level, level - 20.0).astype(np.float32)
        frames.append(TrackFrames(k + 2, np.ones(n, np.float32), energy))
    assert talk_over(frames[0], frames[1])[0] > 0.2  # the pair alone: the third talker's turns look like talk-over
    assert talk_over(frames[0], frames[1], [frames[2]])[0] == 0.0
    assert conversation_groups(frames) == [[2, 3, 4]]
    # simultaneous different speech on two of them is still kept apart
    rng = np.random.default_rng(0)  # two talkers at once, their energies independent
    both = [TrackFrames(2, np.ones(n, np.float32), (-10.0 + 3 * rng.standard_normal(n)).astype(np.float32)),
            TrackFrames(3, np.ones(n, np.float32), (-30.0 + 3 * rng.standard_normal(n)).astype(np.float32)),
            frames[2]]  # fmt: skip
    assert conversation_groups(both)[0] == [2]


def test_the_mix_sets_every_talker_to_the_loudest_talkers_level() -> None:
    """A mic set 15 dB down is raised 15 dB in Whisper's input (at 10 dB below, the bench lost words:
    pyannote room int8 0.333 against 0.259 level); its talker then reads as loud as the other."""
    from shared.media.conversation import FRAME, Mixer, TrackFrames, frame_energy_db

    n = 100
    turn = np.arange(n) < 50
    sine = np.sin(2 * np.pi * 220 * np.arange(n * FRAME) / SR)
    loud = np.where(np.repeat(turn, FRAME), 0.3 * sine, 0.0).astype(np.float32)
    quiet = np.where(np.repeat(~turn, FRAME), 0.3 * 10 ** (-15 / 20) * sine, 0.0).astype(np.float32)
    frames = [TrackFrames(1, turn.astype(np.float32), frame_energy_db(loud)),
              TrackFrames(2, (~turn).astype(np.float32), frame_energy_db(quiet))]  # fmt: skip
    mixer = Mixer(frames)
    assert np.allclose(20 * np.log10(mixer.gains), [0.0, 15.0], atol=0.05)
    out = mixer.mix([loud, quiet], 0)
    rms = [float(np.sqrt(np.mean(out[a * FRAME : b * FRAME] ** 2))) for a, b in ((2, 48), (52, 98))]
    assert abs(20 * np.log10(rms[1] / rms[0])) < 0.1, rms
