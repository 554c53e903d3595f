"""Diarization activities, ready for the orchestrator (not wired in yet).

* ``diarize_chunk`` — per chunk, beside ``transcribe_chunk`` (fan-out): speaker windows of the chunk's
  FLAC blob (``shared.diarization.pipeline.chunk_speakers``) into a work blob.
* ``diarize`` — once, after ``merge_transcript`` and before ``plan_translation`` (the translation must
  see the segments cut at speaker changes): one clustering over all chunks' windows, the merged
  transcript's segments cut at speaker changes and labelled; the result goes to a work blob shaped
  like the merged transcript plus ``speakers``, ``speaker_count``, ``model`` and ``requested``, which
  ``shared.diarization.pipeline.transcript_fields`` turns into ``build_transcript``'s arguments.

Inputs and outputs are references and counts only: no audio, no text, no embeddings and no names
pass through orchestration history. The transcription must run with word timestamps when the job is
diarized (``keep_words`` says whether the user asked for them in the output).
Multi-track recordings: all chunks are clustered together (one voice heard on two microphones is
one speaker); a per-track diarization is not built yet.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TypedDict

from functions.activities import read_json, write_json
from shared import blob_layout, media
from shared.assets import ensure_speaker_model
from shared.diarization.clustering import SpeakerCount
from shared.diarization.embeddings import SpeakerEncoder
from shared.diarization.pipeline import chunk_speakers, diarize_transcript
from shared.domain import Segment
from shared.media.vad import SileroVad
from shared.services import get_services


class DiarizeChunkInput(TypedDict):
    force_id: str
    job_id: str
    attempt: int
    plan_ref: str  # the ChunkPlan blob (plan_chunks)
    index: int  # the chunk's index in the plan


class DiarizeChunkOutput(TypedDict):
    ref: str  # work blob: toex-speaker-windows/1
    windows: int
    regions: int


class DiarizeInput(TypedDict):
    force_id: str
    job_id: str
    attempt: int
    merged_ref: str  # merge_transcript's blob (segments with word times)
    refs: list[str]  # every chunk's DiarizeChunkOutput.ref
    speakers: str  # "auto", "N" or "LOW-HIGH" (the job's --speakers)
    keep_words: bool  # the user asked for word timestamps in the output


class DiarizeOutput(TypedDict):
    ref: str  # work blob: the merged transcript's shape, segments labelled, plus the speaker table
    segments: int
    speaker_count: int


@lru_cache(maxsize=2)
def _encoder(package: Path) -> SpeakerEncoder:
    return SpeakerEncoder(package)


def speaker_package() -> Path:
    """The verified speaker-encoder package (exported once into the model cache by the tooling)."""
    return ensure_speaker_model()


def diarize_chunk(p: DiarizeChunkInput) -> DiarizeChunkOutput:
    svc = get_services()
    chunk = media.ChunkPlan.from_dict(read_json(p["plan_ref"])).chunks[p["index"]]
    windows = chunk_speakers(svc.blobs.download(chunk.ref), chunk.start_s, _encoder(speaker_package()),
                             SileroVad(svc.vad_model))
    ref = write_json(blob_layout.work_ref(p["job_id"], p["attempt"], f"speakers-{chunk.index:05d}.json"), windows)
    return {"ref": ref, "windows": len(windows["starts"]), "regions": len(windows["regions"])}


def diarize(p: DiarizeInput) -> DiarizeOutput:
    merged = read_json(p["merged_ref"])
    segments = [Segment.from_dict(s) for s in merged["segments"]]
    parts = [read_json(ref) for ref in p["refs"]]
    result = diarize_transcript(segments, parts, SpeakerCount.parse(p["speakers"]), keep_words=p["keep_words"])
    ref = write_json(blob_layout.work_ref(p["job_id"], p["attempt"], "transcribe-diarized.json"), {**merged, **result})
    return {"ref": ref, "segments": len(result["segments"]), "speaker_count": int(result["speaker_count"])}
