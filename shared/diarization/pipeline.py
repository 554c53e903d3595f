"""The two steps diarization adds to the pipeline, shaped for the activities (not wired in yet).

* per chunk, next to ``transcribe_chunk`` (fan-out): ``chunk_speakers(flac, offset_s, ...)`` →
  a JSON-safe dict for the chunk's work blob (speaker windows on the recording's timeline; holds
  no audio and no text, only region times, 256-d embeddings, the 0.25 s units' cepstral statistics
  and pitch (``units``, for the resegmentation in ``refine``) and the times of two-voice stretches,
  ``two_voice``, and of short pauses, ``pauses``: the overlap cues of ``overlap``; blobs without
  them read as having none);
* once, in the merge: ``diarize_transcript(segments, parts, count)`` → the merged segments cut at
  speaker changes, each with ``speaker`` (and each word too when words are kept), plus the
  per-recording speaker table. Segments keep their decoding fields (avg_logprob, ...) from the
  segment they were cut from. Words heard during an overlap (``overlap``: two speakers at once,
  at a change without a pause) form their own segment with ``speaker`` None, ``overlap`` True and
  ``speakers`` [both labels]. Labels S1, S2, ... follow first appearance over the whole recording,
  so a speaker keeps one label across chunks. Only the blob reference and the counts need to pass
  through orchestration history;
* ``transcript_fields(diarized)`` → ``(segments, speakers, diarization)``, the three arguments
  ``shared.outputs.build_transcript`` takes (schema 1.4: an overlap segment's label is the tuple of
  its speakers, and the diarization block lists the overlaps).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from shared.domain.transcript import Segment
from shared.media import load_audio
from shared.media.vad import SileroVad

from .clustering import SpeakerCount
from .diarize import diarize
from .embeddings import EmbeddingOptions, SpeakerEmbedder, SpeakerWindows, embed_chunk
from .overlap import mark_overlaps, overlap_cues
from .resegment import resegment

FORMAT = "toex-speaker-windows/1"


def chunk_speakers(audio_flac: bytes, offset_s: float, encoder: SpeakerEmbedder, vad: SileroVad,
                   opts: EmbeddingOptions | None = None) -> dict[str, Any]:
    """Speaker windows of one FLAC chunk starting at `offset_s` on the recording, as a blob dict."""
    audio = load_audio(audio_flac)
    windows = embed_chunk(audio, offset_s, encoder, vad, opts or EmbeddingOptions(), flac=audio_flac)
    two_voice, pauses = overlap_cues(audio, windows.regions - offset_s, offset_s)
    model = encoder.model
    return {"format": FORMAT, "model": model.name, "model_sha256": model.sha256, **windows.to_dict(),
            "two_voice": two_voice.round(3).tolist(), "pauses": pauses.round(3).tolist()}


def diarize_transcript(segments: Sequence[Segment], parts: Sequence[dict[str, Any]],
                       count: SpeakerCount | None = None, keep_words: bool = True) -> dict[str, Any]:
    """{"segments": [segment dicts with speaker], "speakers": [table rows], "speaker_count": k,
    "model": {name, sha256} | None, "requested": "auto" | "N" | "LOW-HIGH"}. Segments get speaker
    None when no voice was found at all (k = 0).

    `segments` are the merged transcript's (with word times: diarization needs them); `parts` the
    chunks' ``chunk_speakers`` dicts. With ``keep_words=False`` the words are dropped from the
    output (the user did not ask for word timestamps), after they served to cut the segments."""
    if any(p.get("format") != FORMAT for p in parts):
        raise ValueError(f"speaker windows must be {FORMAT}")
    if len({p["model_sha256"] for p in parts}) > 1:
        raise ValueError("speaker windows come from different speaker models")
    count = count or SpeakerCount()
    two_voice, pauses = (np.array([se for p in parts for se in p.get(key, ())], np.float64).reshape(-1, 2)
                         for key in ("two_voice", "pauses"))
    result = diarize([SpeakerWindows.from_dict(p) for p in parts], count, two_voice=two_voice, pauses=pauses)
    model = {"name": parts[0]["model"], "sha256": parts[0]["model_sha256"]} if parts else None
    out = []
    for piece in mark_overlaps(resegment(segments, result.turns, result.regions), result.overlaps):
        d = segments[piece.source_index].to_dict()
        speaker = piece.speaker if result.count and not piece.overlap else None  # no voice: no label invented
        d.update(start=piece.start, end=piece.end, text=piece.text, speaker=speaker)
        d["words"] = [dict(w.to_dict(), speaker=speaker) for w in piece.words] if keep_words else None
        if piece.overlap:
            d.update(overlap=True, speakers=list(piece.overlap))
        out.append(d)
    return {"segments": out, "speakers": [s.to_dict() for s in result.speakers], "speaker_count": result.count,
            "overlaps": [o.to_dict() for o in result.overlaps], "model": model, "requested": count.spec}


def transcript_fields(diarized: dict[str, Any]) -> tuple[list[Segment], list[str | tuple[str, ...] | None],
                                                        dict[str, Any] | None]:
    """``diarize_transcript``'s result as ``build_transcript(segments=, speakers=, diarization=)``: a
    segment's label is its speaker, or the tuple of speakers of an overlap segment.

    With no speech (no chunk windows, so no model either) the transcript is not diarized: (segments,
    all None, None)."""
    segments = [Segment.from_dict(d) for d in diarized["segments"]]
    if diarized.get("model") is None:
        return segments, [None] * len(segments), None
    table = [{"id": r["id"], "speaking_time": r["speaking_time"], "first_appearance": r["first_appearance"]}
             for r in diarized["speakers"]]
    labels: list[str | tuple[str, ...] | None] = [tuple(d["speakers"]) if d.get("overlap") else d["speaker"]
                                                 for d in diarized["segments"]]
    return segments, labels, {"model": diarized["model"], "requested": diarized["requested"], "speakers": table,
                              "overlaps": diarized.get("overlaps", [])}
