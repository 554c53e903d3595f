"""Diarization activities (run only for a job with the ``speakers`` option).

* ``diarize_chunk`` — per chunk, beside ``transcribe_chunk`` (fan-out): speaker windows of the chunk's
  FLAC blob (``shared.diarization.pipeline.chunk_speakers``) into a work blob.
* ``diarize`` — once, after ``merge_transcript`` and before ``plan_translation`` (the translation must
  see the segments cut at speaker changes): one clustering over all chunks' windows, the merged
  transcript's segments cut at speaker changes and labelled; the result goes to a work blob shaped
  like the merged transcript plus ``speakers``, ``speaker_count``, ``model`` and ``requested``, which
  ``shared.diarization.pipeline.transcript_fields`` turns into ``build_transcript``'s arguments.

Inputs and outputs are references and counts only: no audio, no text, no embeddings and no names
pass through orchestration history. The speaker count and whether words are kept in the output are
read from the job's options. A diarized job is transcribed with word timestamps
(``transcribe_chunk``); the words stay in the output only when the user asked for them.
Multi-track recordings: all chunks are clustered together (one voice heard on two microphones is
one speaker); a per-track diarization is not built yet.
"""

from __future__ import annotations

from typing import Any

from functions.activities import read_json, write_json
from functions.contracts import Diarize, DiarizeChunk, SpeakerWindows, TranscriptDiarized
from functions.guards import work_ref
from shared import media
from shared.diarization.clustering import SpeakerCount
from shared.diarization.pipeline import chunk_speakers, diarize_transcript
from shared.domain import Segment
from shared.job_updates import set_stage
from shared.media.vad import SileroVad
from shared.services import get_services

DIARIZED_KEY = "speaker_count"  # present in a work transcript blob once it is diarized


def is_diarized(transcript_blob: dict[str, Any]) -> bool:
    return DIARIZED_KEY in transcript_blob


def diarize_chunk(p: DiarizeChunk) -> SpeakerWindows:
    svc = get_services()
    chunk = media.ChunkPlan.from_dict(read_json(p.plan_ref)).chunks[p.index]
    windows = chunk_speakers(svc.blobs.download(chunk.ref), chunk.start_s, svc.speaker_embedder,
                             SileroVad(svc.vad_model))
    ref = write_json(work_ref(p, f"speakers-{chunk.index:05d}.json"), windows)
    return SpeakerWindows(ref=ref, windows=len(windows["starts"]), regions=len(windows["regions"]))


def diarize(p: Diarize) -> TranscriptDiarized:
    svc = get_services()
    job = set_stage(svc.jobs, p.force_id, p.job_id, "diarizing", events=svc.events)
    merged = read_json(p.merged_ref)
    segments = [Segment.from_dict(s) for s in merged["segments"]]
    parts = [read_json(ref) for ref in p.refs]
    count = SpeakerCount.parse(job.options.get("speakers"))
    result = diarize_transcript(segments, parts, count, keep_words=bool(job.options.get("word_timestamps")))
    ref = write_json(work_ref(p, "transcribe-diarized.json"), {**merged, **result})
    return TranscriptDiarized(ref=ref, segments=len(result["segments"]), language=merged["language"],
                              model=svc.stt.model_info, speaker_count=int(result[DIARIZED_KEY]))
