"""Import pages: upload, choose the columns, check (every problem at its row and cell), import, summary."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from imports import columns as c
from imports import jobs
from imports.forms import XLSX_TYPE, MappingForm, UploadForm
from imports.models import ImportJob
from imports.template import template_workbook
from objectives.permissions import access_for, can_import
from teams.models import Team

RECENT_JOBS = 10
MAX_TEAM_LINKS = 20


def _require_import(request: HttpRequest) -> None:
    if not can_import(access_for(request.user)):
        raise PermissionDenied


def _job_for_user(request: HttpRequest, pk: int) -> ImportJob:
    """Imports are the uploader's own (staff see every one); anyone else gets 404."""
    _require_import(request)
    job = ImportJob.objects.select_related("cycle").filter(pk=pk).first()
    if job is None or (job.created_by_id != request.user.pk and not request.user.is_staff):
        raise Http404
    return job


@login_required
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    _require_import(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = jobs.import_job_create(
                user=request.user,
                cycle=form.cleaned_data["cycle"],
                upload=form.cleaned_data["file"],
                draft=form.cleaned_data["draft"],
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            return redirect("imports:job", pk=job.pk)
    recent = ImportJob.objects.filter(created_by=request.user).select_related("cycle").defer("content")
    return render(
        request,
        "imports/index.html",
        {
            "form": form,
            "recent": recent[:RECENT_JOBS],
            "fields": [(c.LABELS[f], c.DESCRIPTIONS[f]) for f in c.FIELDS],
        },
        status=400 if form.errors else 200,
    )


def _job_context(job: ImportJob, *, mapping_form: MappingForm | None = None) -> dict:
    done, total = jobs.job_progress(job)
    problems_by_row: dict[int, dict[str, list[str]]] = {}
    for row, column, message in job.problems:
        problems_by_row.setdefault(row, {}).setdefault(column, []).append(message)
    preview = [
        {
            "row": entry["row"],
            "cells": [
                (entry["cells"].get(field, ""), problems_by_row.get(entry["row"], {}).get(field, []))
                for field in _preview_fields(job)
            ],
            "other": [
                message
                for column, messages_ in problems_by_row.get(entry["row"], {}).items()
                if column not in _preview_fields(job)
                for message in messages_
            ],
        }
        for entry in job.preview
    ]
    return {
        "job": job,
        "mapping_form": mapping_form or MappingForm(headers=job.headers, mapping=job.column_mapping),
        "file_problems": [message for row, _column, message in job.problems if row <= 1],
        "preview_fields": [c.LABELS[field] for field in _preview_fields(job)],
        "preview": preview,
        "problem_rows": len({row for row, _column, _message in job.problems if row > 1}),
        "done": done,
        "total": total,
        "teams": _result_teams(job),
    }


def _result_teams(job: ImportJob) -> list[Team]:
    if job.state != ImportJob.State.DONE:
        return []
    team_ids = job.result.get("team_ids", [])[:MAX_TEAM_LINKS]
    return list(Team.objects.filter(pk__in=team_ids).only("name", "slug"))


def _preview_fields(job: ImportJob) -> list[str]:
    mapped = set(job.mapping.values())
    return [field for field in c.FIELDS if field in mapped]


@login_required
@require_http_methods(["GET"])
def job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for_user(request, pk)
    template = "imports/job.html"
    if request.htmx:
        template += "#job-state"
    return render(request, template, _job_context(job))


@login_required
@require_POST
def job_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for_user(request, pk)
    form = MappingForm(request.POST, headers=job.headers, mapping=job.column_mapping)
    if form.is_valid():
        try:
            jobs.import_job_set_mapping(job=job, mapping=form.mapping(), user=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("imports:job", pk=job.pk)
    job.state = ImportJob.State.MAPPING  # show the mapping step again, with the errors
    return render(request, "imports/job.html", _job_context(job, mapping_form=form), status=400)


@login_required
@require_POST
def job_remap(request: HttpRequest, pk: int) -> HttpResponse:
    """Back from the preview to the mapping step, keeping the current choice."""
    job = _job_for_user(request, pk)
    updated = ImportJob.objects.filter(
        pk=job.pk, state__in=[ImportJob.State.CHECKED, ImportJob.State.FAILED]
    ).update(state=ImportJob.State.MAPPING)
    if not updated:
        messages.error(request, _("This import has moved on; reload the page."))
    return redirect("imports:job", pk=job.pk)


@login_required
@require_POST
def job_run(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for_user(request, pk)
    try:
        jobs.import_job_start(job=job, step=ImportJob.State.RUNNING)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("imports:job", pk=job.pk)


@login_required
@require_http_methods(["GET"])
def template_download(request: HttpRequest, language: str) -> HttpResponse:
    _require_import(request)
    if language not in ("nb", "en"):
        raise Http404
    with translation.override(language):
        content = template_workbook()
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="okr-import-{language}.xlsx"'
    return response
