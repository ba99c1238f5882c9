"""The words for the codes in ``objectives.progress``, defined once: every page, export, email and the API's
documentation show a health or a needs-attention reason through these (``progress`` stays free of Django)."""

from __future__ import annotations

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from objectives import progress as rules

HEALTH_LABELS = {
    rules.ON_TRACK: _("on track"),
    rules.AT_RISK: _("at risk"),
    rules.OFF_TRACK: _("off track"),
}

REASON_LABELS = {
    rules.OFF_TRACK: _("Off track"),
    rules.LOW_CONFIDENCE: _("Low confidence"),
    rules.STALE: format_lazy(_("Not updated for {days} days"), days=rules.STALE_DAYS),
    rules.BACK_LOADED: _("Back-loaded: progress is being left to the end"),
    rules.NO_OWNER: _("No owner"),
    rules.OWNER_DEACTIVATED: _("Owner deactivated"),
}


def health_label(health: str) -> str:
    return str(HEALTH_LABELS[health])


def reason_label(reason: str) -> str:
    return str(REASON_LABELS[reason])
