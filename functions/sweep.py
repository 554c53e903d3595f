"""The timer-triggered sweep: no job stays ``queued`` without an orchestration behind it.

A job whose record exists but whose current attempt's orchestration does not (a ``start_new`` that failed
after the record was written, and no redelivery) is started again after ``stuck_queued_minutes``; one
still stuck after ``stuck_give_up_hours``, or whose orchestration ended while the record says queued, is
failed with a reason (``intake.not_started``), so every file ends as a job that finishes or fails.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from functions.intake import UNASSIGNED_FORCE
from functions.lifecycle import DurableClient, runtime_status
from functions.orchestrator import NAME as ORCHESTRATOR
from shared.clock import parse_iso
from shared.domain import Job, JobError, JobStatus
from shared.job_updates import EVENT_FAILED, mutate_job, publish
from shared.logcontext import job_context
from shared.services import Services

log = logging.getLogger(__name__)

SWEEP_SCHEDULE = "0 */5 * * * *"  # every five minutes
ENDED = {"Completed", "Failed", "Terminated", "Canceled"}
PAGE = 200


@dataclass
class SweepReport:
    restarted: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _age(job: Job, now: datetime) -> timedelta:
    return now - parse_iso(job.updated_at)


def _fail(services: Services, job: Job, message: str) -> bool:
    error = JobError("intake.not_started", message)

    def change(j: Job) -> Job:
        still = j.status is JobStatus.QUEUED and j.attempt == job.attempt
        return j.with_changes(status=JobStatus.FAILED, error=error) if still else j

    updated = mutate_job(services.jobs, job.force_id, job.job_id, change)
    if updated.error != error:
        return False
    publish(services.events, EVENT_FAILED, updated, error={"code": error.code, "message": error.message})
    return True


async def sweep_stuck_jobs(client: DurableClient, services: Services, now: datetime | None = None) -> SweepReport:
    """Restart or fail every job of the served forces left ``queued`` without a live orchestration."""
    now = now or datetime.now(UTC)
    settings, report = services.settings, SweepReport()
    restart_after = timedelta(minutes=settings.stuck_queued_minutes)
    give_up_after = timedelta(hours=settings.stuck_give_up_hours)
    if not settings.forces:
        log.warning("the stuck-job sweep needs TOEX_FORCES (the forces to look at); nothing swept")
    for force in (f for f in settings.forces if f != UNASSIGNED_FORCE):
        for job in services.jobs.list_jobs(force, status=JobStatus.QUEUED, limit=PAGE):
            age = _age(job, now)
            if age < restart_after:
                continue
            with job_context(job.job_id):
                state = runtime_status(await client.get_status(job.instance_id))
                if state is None and age < give_up_after:
                    await client.start_new(ORCHESTRATOR, job.instance_id, job.orchestration_input())
                    report.restarted.append(job.job_id)
                    log.warning("job %s was queued without an orchestration; started it", job.job_id)
                elif state is None or state in ENDED:
                    why = "no orchestration could be started" if state is None else "its orchestration ended early"
                    if _fail(services, job, f"the job never started: {why}; submit or retry it"):
                        report.failed.append(job.job_id)
                        log.warning("job %s stuck in queued: failed", job.job_id)
    return report
