"""An import in the browser: the uploaded file, its column mapping, what the check found, and the result."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from objectives.models import Cycle


class ImportMapping(models.Model):
    """The column mapping chosen for one header row, offered again the next time a file has those headers
    (an export from Viva Goals or okr-tracker is mapped once, then reused)."""

    signature = models.CharField(_("header signature"), max_length=64, unique=True)  # sha256 of the headers
    headers = models.JSONField(_("headers"), default=list)
    mapping = models.JSONField(_("mapping"), default=dict)  # {"<column index>": "<field>"}
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("updated by"), null=True, on_delete=models.SET_NULL
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")

    def __str__(self) -> str:
        return ", ".join(str(header) for header in self.headers)[:100]

    @staticmethod
    def signature_of(header_signature: str) -> str:
        return hashlib.sha256(header_signature.encode("utf-8")).hexdigest()


class ImportJob(models.Model):
    class State(models.TextChoices):
        MAPPING = "mapping", _("choose the columns")
        CHECKING = "checking", _("checking")
        CHECKED = "checked", _("checked")
        RUNNING = "running", _("importing")
        DONE = "done", _("imported")
        FAILED = "failed", _("failed")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.CASCADE, related_name="+"
    )
    cycle = models.ForeignKey(Cycle, verbose_name=_("cycle"), on_delete=models.CASCADE, related_name="+")
    draft = models.BooleanField(_("as drafts"), default=False)
    # Problems are written in the language of the person who uploaded, also by a worker.
    language = models.CharField(_("language"), max_length=8, blank=True)
    file_name = models.CharField(_("file name"), max_length=255)
    # In the database rather than on a disk, so every web node and worker reads the same file.
    content = models.BinaryField(_("content"))
    headers = models.JSONField(_("headers"), default=list)
    mapping = models.JSONField(_("mapping"), default=dict)  # {"<column index>": "<field>"}
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.MAPPING)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    problems = models.JSONField(_("problems"), default=list)  # [[row, column, message], …]
    notes = models.JSONField(_("notes"), default=list)
    preview = models.JSONField(_("preview"), default=list)  # [{"row": n, "cells": {field: text}}, …]
    result = models.JSONField(_("result"), default=dict)  # ImportReport.as_dict()
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The upload page lists the user's recent imports: ImportJob.objects.filter(created_by=user)[:10]
            models.Index(fields=["created_by", "-created_at"], name="import_job_user_idx"),
        ]

    def __str__(self) -> str:
        return self.file_name

    @property
    def column_mapping(self) -> dict[int, str]:
        return {int(index): field for index, field in self.mapping.items()}

    @property
    def is_busy(self) -> bool:
        return self.state in (self.State.CHECKING, self.State.RUNNING)
