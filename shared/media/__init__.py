"""Media step: probe, audio tracks, streamed decode to 16 kHz mono on the container timeline, Silero VAD,
chunk plan, FLAC chunks."""

from shared.media.chunking import plan_chunks
from shared.media.conversation import attribute
from shared.media.decode import iter_audio
from shared.media.errors import MediaError
from shared.media.flac import encode_flac, load_audio
from shared.media.plan import ChunkPlan, PlannedChunk, TrackPlan
from shared.media.probe import MediaInfo, StreamInfo, probe
from shared.media.spoken import NO_SPEECH_HEARD, refuse_unspoken, speech_probabilities
from shared.media.tracks import Track
from shared.media.vad import VadOptions

__all__ = [
    "NO_SPEECH_HEARD",
    "ChunkPlan",
    "MediaError",
    "MediaInfo",
    "PlannedChunk",
    "StreamInfo",
    "Track",
    "TrackPlan",
    "VadOptions",
    "attribute",
    "encode_flac",
    "iter_audio",
    "load_audio",
    "plan_chunks",
    "probe",
    "refuse_unspoken",
    "speech_probabilities",
]
