"""The browser's import, step by step: upload → (mapping) → check → import, each step stored on the job so
the page survives a reload and a worker can do the long part. The work itself is ``services.okr_import``."""

from __future__ import annotations

import io
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from imports import columns as c
from imports.models import ImportJob, ImportMapping
from imports.reading import UnreadableFile, open_table
from imports.services import ImportReport, okr_import
from objectives.models import Cycle
from objectives.writability import require_writable

PREVIEW_FIRST_ROWS = 20
PREVIEW_MAX_PROBLEM_ROWS = 200
PROGRESS_TIMEOUT = 3600


def progress_key(job_id: int) -> str:
    return f"imports:progress:{job_id}"


def job_progress(job: ImportJob) -> tuple[int, int]:
    """(rows done, rows in all) of a running step; the cache is shared by web nodes and workers."""
    done, total = cache.get(progress_key(job.pk), (0, job.rows))
    return done, total or job.rows


@transaction.atomic
def import_job_create(*, user, cycle: Cycle, upload, draft: bool) -> ImportJob:
    """Store the upload and read its headers; the mapping is guessed, or remembered from an earlier file
    with the same headers. Raises ValidationError for a file we cannot read or one that is too large."""
    if upload.size > settings.IMPORT_MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(size)d MB.") % {"size": settings.IMPORT_MAX_BYTES // 1_000_000}
        )
    require_writable(cycle)
    content = upload.read()
    try:
        table = open_table(io.BytesIO(content))
    except UnreadableFile as error:
        raise ValidationError(str(error)) from error
    remembered = ImportMapping.objects.filter(
        signature=ImportMapping.signature_of(c.header_signature(table.headers))
    ).first()
    mapping = (
        {int(index): field for index, field in remembered.mapping.items()}
        if remembered
        else c.guess_mapping(table.headers)
    )
    rows = sum(1 for _number, values in table.rows() if not all(c.is_blank(value) for value in values))
    job = ImportJob.objects.create(
        created_by=user,
        cycle=cycle,
        draft=draft,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        file_name=upload.name[:255],
        content=content,
        headers=table.headers,
        mapping={str(index): field for index, field in mapping.items()},
        rows=rows,
    )
    # Our own headers, or headers mapped before: straight to the check. Anything else: the mapping step.
    recognised = remembered is not None or all(c.guess_field(header) for header in table.headers if header)
    if recognised and c.mapping_is_complete(mapping, team_given=False):
        import_job_start(job=job, step=ImportJob.State.CHECKING)
    return job


def mapping_validate(mapping: dict[int, str], *, width: int) -> None:
    fields = [field for field in mapping.values() if field]
    if any(index >= width or index < 0 for index in mapping) or any(f not in c.FIELDS for f in fields):
        raise ValidationError(_("Choose a field for each column from the list."))
    doubled = sorted({str(c.LABELS[field]) for field in fields if fields.count(field) > 1})
    if doubled:
        raise ValidationError(
            _("Each field can come from one column only: %(fields)s.") % {"fields": ", ".join(doubled)}
        )
    missing = [str(c.LABELS[field]) for field in (c.TEAM, *c.REQUIRED) if field not in fields]
    if missing:
        raise ValidationError(_("Choose the columns for: %(fields)s.") % {"fields": ", ".join(missing)})


@transaction.atomic
def import_job_set_mapping(*, job: ImportJob, mapping: dict[int, str], user) -> ImportJob:
    """Keep the chosen mapping, remember it for these headers, and check the file with it."""
    if job.is_busy or job.state == ImportJob.State.DONE:
        raise ValidationError(_("This import has moved on; reload the page."))
    mapping = {index: field for index, field in mapping.items() if field}
    mapping_validate(mapping, width=len(job.headers))
    job.mapping = {str(index): field for index, field in mapping.items()}
    job.save(update_fields=["mapping", "updated_at"])
    ImportMapping.objects.update_or_create(
        signature=ImportMapping.signature_of(c.header_signature(job.headers)),
        defaults={"headers": job.headers, "mapping": job.mapping, "updated_by": user},
    )
    return import_job_start(job=job, step=ImportJob.State.CHECKING)


def import_job_start(*, job: ImportJob, step: str) -> ImportJob:
    """Check (a dry run) or import: small files at once, large ones on a Celery worker after commit."""
    if step == ImportJob.State.RUNNING and (job.state != ImportJob.State.CHECKED or job.problems):
        raise ValidationError(_("Check the file and mend its problems before importing."))
    # Conditional: of two clicks (or two tabs) only one starts the step.
    started = (
        ImportJob.objects.filter(pk=job.pk)
        .exclude(state__in=[ImportJob.State.CHECKING, ImportJob.State.RUNNING, ImportJob.State.DONE])
        .update(state=step)
    )
    if not started:
        raise ValidationError(_("This import has moved on; reload the page."))
    job.state = step
    cache.delete(progress_key(job.pk))
    if job.rows <= settings.IMPORT_SYNC_ROWS:
        import_job_perform(job_id=job.pk)
        job.refresh_from_db()
    else:
        from imports.tasks import run_import_job

        transaction.on_commit(lambda: run_import_job.delay(job.pk))
    return job


def _preview(job: ImportJob, problem_rows: Iterable[int]) -> list[dict]:
    wanted = set(sorted(problem_rows)[:PREVIEW_MAX_PROBLEM_ROWS])
    mapping = job.column_mapping
    preview: list[dict] = []
    table = open_table(io.BytesIO(bytes(job.content)))
    shown = 0
    for number, values in table.rows():
        if all(c.is_blank(value) for value in values):
            continue
        shown += 1
        if shown <= PREVIEW_FIRST_ROWS or number in wanted:
            cells = {field: c.text(values[index]) for index, field in mapping.items() if index < len(values)}
            preview.append({"row": number, "cells": cells})
        elif shown > PREVIEW_FIRST_ROWS and number > max(wanted, default=0):
            break
    return preview


def _store(job: ImportJob, report: ImportReport, *, state: str) -> None:
    job.problems = [[p.row, p.column, str(p.message)] for p in report.problems]
    job.notes = [[p.row, p.column, str(p.message)] for p in report.notes]
    job.result = report.as_dict()
    job.state = state
    job.preview = (
        _preview(job, {p.row for p in report.problems if p.row}) if state == job.State.CHECKED else []
    )
    job.save(update_fields=["problems", "notes", "result", "state", "preview", "updated_at"])


def import_job_perform(*, job_id: int) -> None:
    """Do the step the job is in (checking or running); the Celery task and the small-file path call this."""
    job = ImportJob.objects.select_related("cycle", "created_by").get(pk=job_id)
    if not job.is_busy:
        return
    dry_run = job.state == ImportJob.State.CHECKING
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            report = okr_import(
                source=io.BytesIO(bytes(job.content)),
                file_name=job.file_name,
                cycle=Cycle.objects.get(pk=job.cycle_id),
                actor=job.created_by,
                mapping=job.column_mapping,
                draft=job.draft,
                dry_run=dry_run,
                max_rows=settings.IMPORT_MAX_ROWS,
                on_progress=lambda done, total: cache.set(
                    progress_key(job.pk), (done, total), PROGRESS_TIMEOUT
                ),
            )
        except Exception as error:  # the page must say it failed rather than spin forever
            ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.FAILED, error=repr(error)[:2000])
            raise
    if dry_run or not report.ok:
        _store(job, report, state=ImportJob.State.CHECKED)
    else:
        _store(job, report, state=ImportJob.State.DONE)
