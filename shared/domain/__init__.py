"""Domain objects: jobs, transcripts and their options. No I/O here."""

from shared.domain.access import AccessEntry
from shared.domain.job import Job, JobError, JobEvent, JobStatus, Notification, Progress, SourceRef, job_id_for
from shared.domain.transcript import (
    LanguageDetection,
    Segment,
    TranscriptionOptions,
    TranscriptionResult,
    Word,
)

__all__ = [
    "AccessEntry", "Job", "JobError", "JobEvent", "JobStatus", "LanguageDetection", "Notification", "Progress",
    "Segment", "SourceRef", "TranscriptionOptions", "TranscriptionResult", "Word", "job_id_for",
]
