"""Row versions, so an edit never silently overwrites a newer one.

Every save of a ``Versioned`` row increments its ``version``; the API sends it as the ``ETag`` and honours
``If-Match`` (``okrhub/api.py``: 412 Precondition Failed on a stale one), and the HTML edit forms carry the
version they were opened at (``stale_changes``). Bulk ``QuerySet.update()`` calls on these rows add
``version=F("version") + 1`` themselves (``bump``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.db import models
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from okrhub.lib import save_form
from okrhub.numbers import format_number


class Versioned(models.Model):
    version = models.PositiveIntegerField(gettext_lazy("version"), default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, update_fields=None, **kwargs):
        if not self._state.adding:
            self.version = (self.version or 0) + 1
            if update_fields is not None:
                update_fields = {*update_fields, "version"}
        super().save(*args, update_fields=update_fields, **kwargs)


def bump() -> dict:
    """For ``QuerySet.update(**bump(), …)``: the rows it changes get a new version too."""
    return {"version": F("version") + 1}


def etag(obj) -> str:
    return f'"{obj.version}"'


def if_match_allows(header: str | None, obj) -> bool:
    """RFC 9110 If-Match, strong comparison: no header, ``*`` or the current tag lets the write through."""
    if header is None:
        return True
    tags = [tag.strip() for tag in header.split(",")]
    return "*" in tags or etag(obj) in tags


def update_fields_for(instance, names) -> list[str]:
    """What a write of the fields ``names`` saves: those, plus the row's ``auto_now`` timestamps."""
    auto = {f.name for f in instance._meta.concrete_fields if getattr(f, "auto_now", False)}
    return sorted({*names, *auto})


# --- HTML edit forms: the version they were opened at ----------------------------------------------------


class StaleVersion(Exception):
    """The row moved past the version an edit was based on; ``current`` is the row as it is now (locked)."""

    def __init__(self, current):
        super().__init__(f"{type(current).__name__} {current.pk} is at version {current.version}")
        self.current = current


def lock_at_version(instance, *, expected: int | None):
    """Lock ``instance``'s row until the transaction ends; refuse with ``StaleVersion`` when it is no longer
    at ``expected`` (``None``: no check, the lock and a write of only the changed fields suffice)."""
    current = type(instance)._base_manager.select_for_update().get(pk=instance.pk)
    if expected is not None and current.version != expected:
        raise StaleVersion(current)
    instance.version = current.version
    return current


@dataclass(frozen=True)
class Change:
    label: str
    theirs: str
    yours: str


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        return format_number(value)
    return str(value)


def changes_between(current, data: dict, labels: dict[str, str]) -> list[Change]:
    """The fields of ``data`` (what the user typed) that differ from the row as it is now, for the message."""
    changes = []
    for name, yours in data.items():
        if name not in labels:
            continue
        theirs = getattr(current, name)
        if isinstance(theirs, Decimal) and yours is not None:
            same = theirs == Decimal(yours)
        else:
            same = theirs == yours
        if not same:
            changes.append(Change(label=str(labels[name]), theirs=_shown(theirs), yours=_shown(yours)))
    return changes


def stale_message(changes: list[Change]) -> str:
    """The refusal shown above the form, which keeps what the user typed and now carries the new version."""
    if not changes:
        return _("Someone else saved this since you opened it. Check it and save again to keep your version.")
    details = "; ".join(
        _("%(field)s: “%(theirs)s” now, “%(yours)s” yours")
        % {"field": change.label, "theirs": change.theirs, "yours": change.yours}
        for change in changes
    )
    return _(
        "Someone else saved a change since you opened this (%(details)s). Check it and save again to keep "
        "your version."
    ) % {"details": details}


class VersionedForm(forms.Form):
    """An HTML edit form that carries the version of the row it was opened at: the service refuses to save
    over a newer change (``lock_at_version``), and the form shows what changed (``changes_between``)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def service_data(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if name not in ("version", "reason")}

    def labels(self) -> dict[str, str]:
        return {name: field.label for name, field in self.fields.items() if name != "version"}

    def carry_version(self, version: int) -> None:
        """After a refused save: keep what was typed, now based on ``version``, so saving again keeps it."""
        self.data = self.data.copy()
        self.data[self.add_prefix("version")] = version

    def refuse_stale(self, stale: StaleVersion) -> None:
        """The save met a newer change: say what changed, field by field, and carry the new version."""
        changes = changes_between(stale.current, self.service_data(), self.labels())
        self.add_error(None, stale_message(changes))
        self.carry_version(stale.current.version)

    def save_with(self, save, *, invalid: int = 400) -> int | None:
        """Validate and ``save()``; None when saved, else the status to answer with (``invalid``, or 409 when
        the row moved past the version the form was opened at), the errors on the form and what was typed
        kept, with what changed, field by field."""
        try:
            saved = save_form(self, save)
        except StaleVersion as stale:
            self.refuse_stale(stale)
            return 409
        return None if saved else invalid
