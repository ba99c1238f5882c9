"""Large imports run on a worker; the job row says how far it got and what came of it."""

from __future__ import annotations

from celery import shared_task

from imports import jobs


# An import of 10,000 rows takes well under a minute; the limits only stop a runaway.
@shared_task(name="imports.run_import_job", soft_time_limit=600, time_limit=660, acks_late=True)
def run_import_job(job_id: int) -> None:
    jobs.import_job_perform(job_id=job_id)
