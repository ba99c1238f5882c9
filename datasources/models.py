"""Data sources: a key result that updates itself from a URL returning JSON or CSV."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from objectives.models import KeyResult, value_field


class DataSource(models.Model):
    """Where a key result's value comes from, and how the last fetch went.

    ``header_value`` is stored encrypted (``integrations.crypto``) and never shown again after saving.
    """

    class Format(models.TextChoices):
        JSON = "json", _("JSON")
        CSV = "csv", _("CSV")

    key_result = models.OneToOneField(
        KeyResult, verbose_name=_("key result"), on_delete=models.CASCADE, related_name="data_source"
    )
    format = models.CharField(_("format"), max_length=4, choices=Format.choices, default=Format.JSON)
    url = models.URLField(_("URL"), max_length=2000)
    path = models.CharField(
        _("path or column"),
        max_length=200,
        help_text=_("JSON: the path to the number, such as data.members.active. CSV: the column's name."),
    )
    header_name = models.CharField(_("header name"), max_length=100, blank=True)
    header_value_encrypted = models.TextField(_("header value (encrypted)"), blank=True, editable=False)
    enabled = models.BooleanField(_("fetch daily"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # How the last fetch went: a reading, or an error that left the value alone.
    last_fetched_at = models.DateTimeField(_("last fetched"), null=True, blank=True, editable=False)
    last_value = value_field(_("last reading"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True, editable=False)
    # The check-in the source last made: while it is the key result's latest, the owner is asked for a
    # fresh confidence (notifications' reminder).
    last_checkin_at = models.DateTimeField(
        _("last automatic check-in"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("data source")
        verbose_name_plural = _("data sources")
        indexes = [
            # The daily run: DataSource.objects.filter(enabled=True)
            models.Index(fields=["enabled"], name="datasource_enabled_idx"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The host only: a URL's path and query may carry tokens, so they are not shown beyond the form."""
        return urlsplit(self.url).hostname or self.url

    @property
    def has_header_secret(self) -> bool:
        return bool(self.header_value_encrypted)

    @property
    def awaits_confidence(self) -> bool:
        """The key result's latest check-in is still the automatic one (needs ``key_result`` loaded)."""
        return self.last_checkin_at is not None and self.key_result.last_checkin_at == self.last_checkin_at


class DataSourceFetch(models.Model):
    """One scheduled fetch per data source and day: the unique row makes the daily run safe to repeat."""

    class Outcome(models.TextChoices):
        UPDATED = "updated", _("updated")
        UNCHANGED = "unchanged", _("unchanged")
        FAILED = "failed", _("failed")

    source = models.ForeignKey(
        DataSource, verbose_name=_("data source"), on_delete=models.CASCADE, related_name="fetches"
    )
    day = models.DateField(_("day"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("data source fetch")
        verbose_name_plural = _("data source fetches")
        constraints = [
            models.UniqueConstraint(fields=["source", "day"], name="datasource_fetch_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.day}: {self.outcome or '…'}"
