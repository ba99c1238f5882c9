"""Writes for data sources: configuring one, and fetching it (a changed value becomes a check-in).

A fetch never touches the key result's value unless it read a number that THE check-in service
(``checkins.services.checkin_submit``) accepts; every refusal — the destination, the HTTP status, a body cut
at the size limit, the parse, the range, a key result that takes no check-ins now — is stored on the source
as its last error and shown on the key result page and in the owner's reminder.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from checkins.models import CheckIn
from checkins.services import checkin_submit
from datasources.models import DataSource, DataSourceFetch
from datasources.parsing import ParseError, value_from_csv, value_from_json
from integrations import crypto, safe_http
from objectives.models import KeyResult
from objectives.writability import checkin_refusal, require_writable, writable_cycles_q

logger = logging.getLogger(__name__)

SYSTEM_USERNAME = "okrhub-data-sources"
# A key result never checked in has no confidence to keep; the middle of the scale, until the owner says.
DEFAULT_CONFIDENCE = 5
HEADER_NAME_FORBIDDEN = frozenset({"host", "content-length", "transfer-encoding", "connection", "cookie"})


def system_author():
    """The author of automatic check-ins: one inactive user without a password, made on first use."""
    user, created = get_user_model().objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"first_name": "OKR Hub", "is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def is_system_author(user) -> bool:
    return user is not None and user.get_username() == SYSTEM_USERNAME


def automatic_note(source: DataSource, *, language: str | None = None) -> str:
    """The note on an automatic check-in, in the owner's language (they read it first)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return _("Updated automatically from %(source)s") % {"source": source.label}


# --- Configuring --------------------------------------------------------------------------------------------


@transaction.atomic
def data_source_save(
    *,
    key_result: KeyResult,
    actor,
    format: str,
    url: str,
    path: str,
    header_name: str = "",
    header_value: str | None = None,
    enabled: bool = True,
) -> DataSource:
    """Link ``key_result`` to a data source, or change its link. ``header_value``: ``None`` keeps the stored
    secret, ``""`` removes it, anything else replaces it (stored encrypted, never shown again)."""
    require_writable(key_result)
    source = DataSource.objects.select_for_update().filter(key_result=key_result).first()
    if source is None:
        source = DataSource(key_result=key_result, created_by=actor)
    source.format, source.url, source.path = format, url.strip(), path.strip()
    source.header_name, source.enabled = header_name.strip(), enabled
    if header_value is not None:
        source.header_value_encrypted = crypto.encrypt(header_value) if header_value else ""
    if source.header_name.casefold() in HEADER_NAME_FORBIDDEN:
        raise ValidationError({"header_name": _("This header cannot be set here.")})
    if source.header_value_encrypted and not source.header_name:
        raise ValidationError({"header_name": _("Name the header the secret is sent in.")})
    source.full_clean(exclude=["key_result"])
    try:
        safe_http.check_url(source.url, allowed_hosts=settings.DATA_SOURCE_ALLOWED_HOSTS)
    except safe_http.UnsafeDestination as error:
        raise ValidationError({"url": str(error)}) from error
    source.save()
    return source


@transaction.atomic
def data_source_delete(*, source: DataSource) -> None:
    source.delete()


# --- Fetching -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchResult:
    outcome: str  # DataSourceFetch.Outcome
    value: Decimal | None = None
    error: str = ""
    transient: bool = False  # a timeout or a lost connection: worth another try soon

    @property
    def changed(self) -> bool:
        return self.outcome == DataSourceFetch.Outcome.UPDATED


class _Refused(Exception):
    def __init__(self, message: str, *, transient: bool = False):
        super().__init__(message)
        self.transient = transient


def _read(source: DataSource) -> Decimal:
    headers = {"Accept": "text/csv" if source.format == DataSource.Format.CSV else "application/json"}
    if source.header_name and source.header_value_encrypted:
        headers[source.header_name] = crypto.decrypt(source.header_value_encrypted)
    try:
        response = safe_http.request(
            "GET",
            source.url,
            allowed_hosts=settings.DATA_SOURCE_ALLOWED_HOSTS,
            headers=headers,
            timeout=settings.DATA_SOURCE_TIMEOUT,
            max_bytes=settings.DATA_SOURCE_MAX_BYTES,
            max_redirects=settings.DATA_SOURCE_MAX_REDIRECTS,
        )
    except safe_http.UnsafeDestination as error:
        raise _Refused(str(error)) from error
    except safe_http.FetchError as error:
        raise _Refused(str(error), transient=True) from error
    if not 200 <= response.status < 300:
        raise _Refused(
            _("The data source answered with HTTP status %(status)s.") % {"status": response.status},
            transient=response.status >= 500,
        )
    if response.truncated:
        raise _Refused(
            _("The data source's answer is larger than %(limit)s bytes.")
            % {"limit": settings.DATA_SOURCE_MAX_BYTES}
        )
    try:
        if source.format == DataSource.Format.CSV:
            return value_from_csv(response.body, source.path)
        return value_from_json(response.body, source.path)
    except ParseError as error:
        raise _Refused(str(error)) from error


def _record_error(source: DataSource, message: str, *, now: dt.datetime) -> None:
    # Only the error fields: a concurrent save of the configuration keeps its change.
    DataSource.objects.filter(pk=source.pk).update(last_error=message, last_error_at=now, last_fetched_at=now)
    source.last_error, source.last_error_at, source.last_fetched_at = message, now, now
    # The URL may carry a token in its query, so the log names the source by id and host only.
    logger.info("Data source %s (%s) failed: %s", source.pk, source.label, message)


def data_source_fetch(*, source: DataSource, now: dt.datetime | None = None) -> FetchResult:
    """Fetch ``source`` now; a reading that differs from the key result's value becomes a check-in by the
    system author, with the owner's last confidence. Outside a transaction: the HTTP request holds no lock,
    the check-in service takes its own."""
    now = now or timezone.now()
    key_result = KeyResult.objects.select_related("objective__cycle", "owner__profile").get(
        pk=source.key_result_id
    )
    refusal = checkin_refusal(key_result)
    if refusal is not None:
        _record_error(source, str(refusal), now=now)
        return FetchResult(outcome=DataSourceFetch.Outcome.FAILED, error=str(refusal))
    try:
        value = _read(source)
    except _Refused as error:
        _record_error(source, str(error), now=now)
        return FetchResult(
            outcome=DataSourceFetch.Outcome.FAILED, error=str(error), transient=error.transient
        )

    outcome = DataSourceFetch.Outcome.UNCHANGED
    checked_in_at = source.last_checkin_at
    if key_result.last_checkin_at is None or value != key_result.current_value:
        owner_language = getattr(getattr(key_result.owner, "profile", None), "language", "") or None
        try:
            checkin = checkin_submit(
                key_result=key_result,
                author=system_author(),
                value=value,
                confidence=key_result.confidence or DEFAULT_CONFIDENCE,
                note=automatic_note(source, language=owner_language),
                created_at=now,
                source=CheckIn.Source.DATA_SOURCE,
            )
        except ValidationError as error:
            # Out of range for the value field, not 0/1 for an "achieve" key result, or locked meanwhile.
            message = _("The data source's value %(value)s was not accepted: %(reason)s") % {
                "value": value,
                "reason": " ".join(error.messages),
            }
            _record_error(source, message, now=now)
            return FetchResult(outcome=DataSourceFetch.Outcome.FAILED, value=value, error=message)
        outcome, checked_in_at = DataSourceFetch.Outcome.UPDATED, checkin.created_at
    DataSource.objects.filter(pk=source.pk).update(
        last_fetched_at=now,
        last_value=value,
        last_error="",
        last_error_at=None,
        last_checkin_at=checked_in_at,
    )
    source.last_fetched_at, source.last_value, source.last_checkin_at = now, value, checked_in_at
    source.last_error, source.last_error_at = "", None
    return FetchResult(outcome=outcome, value=value)


# --- The daily run ------------------------------------------------------------------------------------------


def scheduled_fetch_claim(*, source_id: int, day: dt.date) -> DataSourceFetch | None:
    """Claim today's fetch of a source: the unique (source, day) row, then a conditional update of its
    attempt counter; ``None`` when it is done already or another worker got there first."""
    try:
        with transaction.atomic():
            row, _created = DataSourceFetch.objects.get_or_create(source_id=source_id, day=day)
    except IntegrityError:
        row = DataSourceFetch.objects.get(source_id=source_id, day=day)
    if row.finished_at is not None:
        return None
    claimed = DataSourceFetch.objects.filter(pk=row.pk, finished_at=None, attempts=row.attempts).update(
        attempts=F("attempts") + 1
    )
    if not claimed:
        return None  # another process got there first
    row.attempts += 1
    return row


def scheduled_fetch_finish(*, fetch: DataSourceFetch, result: FetchResult, final: bool) -> None:
    """Done for the day, unless a transient failure will be tried again (``final`` False)."""
    fields = {"outcome": result.outcome}
    if final or not result.transient:
        fields["finished_at"] = timezone.now()
    DataSourceFetch.objects.filter(pk=fetch.pk).update(**fields)


def sources_due() -> list[int]:
    """Enabled sources outside closed cycles (a closed cycle stays closed: no need to refuse it daily)."""
    return list(
        DataSource.objects.filter(enabled=True)
        .filter(writable_cycles_q(prefix="key_result__objective__cycle__"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
