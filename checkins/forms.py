"""Check-in forms: the same form inline on My week (over htmx) and as a plain POST without JavaScript."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from checkins.models import CheckIn
from objectives.models import VALUE_DECIMALS, VALUE_DIGITS, KeyResult
from okrhub.numbers import DecimalField

ACHIEVE_CHOICES = [("1", _("done")), ("0", _("not done"))]


class CheckInForm(forms.Form):
    value = DecimalField(label=_("Value"), max_digits=VALUE_DIGITS, decimal_places=VALUE_DECIMALS)
    confidence = forms.IntegerField(
        label=_("Confidence"),
        min_value=1,
        max_value=10,
        help_text=_("1–10: how sure you are of reaching the target"),
        widget=forms.NumberInput(attrs={"min": 1, "max": 10, "step": 1}),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, key_result: KeyResult, checkin: CheckIn | None = None, **kwargs):
        # Field ids must be unique when many rows share one page: id_kr42_value.
        kwargs.setdefault("auto_id", f"id_kr{key_result.pk}_%s")
        if checkin is not None:
            kwargs.setdefault(
                "initial", {"value": checkin.value, "confidence": checkin.confidence, "note": checkin.note}
            )
        elif key_result.confidence is not None:
            kwargs.setdefault("initial", {"confidence": key_result.confidence})
        super().__init__(*args, **kwargs)
        self.key_result = key_result
        if key_result.kind == KeyResult.Kind.ACHIEVE:
            self.fields["value"] = forms.TypedChoiceField(
                label=_("Value"),
                choices=ACHIEVE_CHOICES,
                coerce=Decimal,
                widget=forms.RadioSelect,
            )
            if checkin is not None:
                self.initial["value"] = "1" if checkin.value >= 1 else "0"
        elif key_result.unit:
            self.fields["value"].label = _("Value (%(unit)s)") % {"unit": key_result.unit}


class FeedbackForm(forms.Form):
    """A lead's comment; ``checkin`` picks one of the key result's latest check-ins, or none for the whole."""

    body = forms.CharField(label=_("Feedback"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    checkin = forms.TypedChoiceField(label=_("About"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, key_result, checkins=(), **kwargs):
        kwargs.setdefault("auto_id", f"id_feedback{key_result.pk}_%s")
        super().__init__(*args, **kwargs)
        self.checkins = {checkin.pk: checkin for checkin in checkins}
        self.fields["checkin"].choices = [("", _("The key result as a whole"))] + [
            (
                checkin.pk,
                _("Check-in of %(date)s (confidence %(confidence)s)")
                % {
                    "date": date_format(timezone.localtime(checkin.created_at), "SHORT_DATE_FORMAT"),
                    "confidence": checkin.confidence,
                },
            )
            for checkin in checkins
        ]

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError(_("Write some feedback first."))
        return body

    def clean_checkin(self):
        pk = self.cleaned_data.get("checkin")
        return self.checkins.get(pk) if pk is not None else None


class FeedbackReplyForm(forms.Form):
    """A reply in a feedback thread; field ids are unique per thread, as many threads share a page."""

    body = forms.CharField(
        label=_("Reply"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Write a reply first.")},
    )

    def __init__(self, *args, parent, **kwargs):
        kwargs.setdefault("auto_id", f"id_reply{parent.pk}_%s")
        super().__init__(*args, **kwargs)
        self.parent = parent

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError(_("Write a reply first."))
        return body
