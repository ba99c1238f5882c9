"""Zero-downtime migrations (docs/operations.md): every model change has its migration, committed.

A model edited without its migration would be migrated by nobody, or by whoever runs makemigrations next, in
someone else's release; CI stops it here.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_makemigrations_finds_nothing_missing():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit_:  # --check exits 1 when a migration is missing
        pytest.fail(f"makemigrations --check exited {exit_.code}; missing migrations:\n{out.getvalue()}")
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db
def test_the_check_notices_a_missing_migration(monkeypatch):
    # The check is not a formality: a model field without its migration fails it.
    from django.db import models

    from notifications.models import EmailDelivery

    field = models.CharField("probe", max_length=5, default="")
    field.set_attributes_from_name("ops_probe")
    monkeypatch.setattr(EmailDelivery._meta, "local_fields", [*EmailDelivery._meta.local_fields, field])
    EmailDelivery._meta._expire_cache()
    out = io.StringIO()
    try:
        with pytest.raises(SystemExit) as exit_:
            call_command("makemigrations", "notifications", "--check", "--dry-run", stdout=out, stderr=out)
    finally:
        monkeypatch.undo()
        EmailDelivery._meta._expire_cache()
    assert exit_.value.code == 1
    assert "ops_probe" in out.getvalue()
