"""Forms for the workshop board. They only validate input; the services write."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from objectives.models import VALUE_DECIMALS, VALUE_DIGITS, KeyResult, Kpi, Objective
from okrhub.numbers import DecimalField
from okrhub.versioning import VersionedForm
from teams.selectors import user_display_name
from workshops.services import REASON_MAX_LENGTH


def value_form_field(label, *, required: bool = False) -> DecimalField:
    return DecimalField(
        label=label, required=required, max_digits=VALUE_DIGITS, decimal_places=VALUE_DECIMALS
    )


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return user_display_name(obj)

    def set_owners(self, owners) -> None:
        """Validate against ``owners``, render from its cached rows: the three forms share one query."""
        self.queryset = owners
        self.choices = [("", self.empty_label)] + [
            (user.pk, self.label_from_instance(user)) for user in owners
        ]


class ObjectiveDraftForm(forms.Form):
    title = forms.CharField(label=_("Objective"), max_length=200)
    owner = OwnerChoiceField(label=_("Owner"), queryset=None, required=False, empty_label=_("No owner yet"))
    parent = forms.ModelChoiceField(
        label=_("Aligned to (objective of a team above)"),
        queryset=Objective.objects.none(),
        required=False,
        empty_label=_("Not aligned"),
    )

    def __init__(self, *args, owners, parents, prefix_id: str = "objective", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].set_owners(owners)
        self.fields["parent"].queryset = Objective.objects.filter(pk__in=[p.pk for p in parents])
        self.fields["parent"].label_from_instance = lambda o: f"{o.team.name}: {o.title}"
        self.fields["parent"].choices = [("", _("Not aligned"))] + [
            (p.pk, f"{p.team.name}: {p.title}") for p in parents
        ]


class DraftUnderObjectiveForm(forms.Form):
    """A draft that belongs to one of the board's objectives (chosen in the form, or fixed when editing)."""

    def __init__(self, *args, owners, objectives=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].set_owners(owners)
        if objectives is None:
            del self.fields["objective"]
        else:
            self.fields["objective"].queryset = Objective.objects.filter(pk__in=[o.pk for o in objectives])
            self.fields["objective"].choices = [(o.pk, o.title) for o in objectives]


class KeyResultDraftForm(DraftUnderObjectiveForm):
    objective = forms.ModelChoiceField(label=_("Objective"), queryset=Objective.objects.none())
    title = forms.CharField(label=_("Key result"), max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=KeyResult.Kind.choices, initial=KeyResult.Kind.INCREASE_TO
    )
    unit = forms.CharField(label=_("Unit"), max_length=30, required=False)
    start_value = value_form_field(_("Start value"))
    target_value = value_form_field(_("Target value"))
    owner = OwnerChoiceField(label=_("Owner"), queryset=None, required=False, empty_label=_("No owner yet"))

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") == KeyResult.Kind.ACHIEVE:
            # Done / not done: 0 → 1, whatever was typed.
            data["start_value"], data["target_value"] = Decimal(0), Decimal(1)
        else:
            for name in ("start_value", "target_value"):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, _("Enter a number."))
        return data

    def service_data(self) -> dict:
        names = ("title", "kind", "unit", "start_value", "target_value", "owner")
        return {name: self.cleaned_data[name] for name in names}


class KeyResultEditForm(KeyResultDraftForm):
    """Adjusting a published key result (a reason for the tracked fields); see KeyResultAdjustForm."""

    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=REASON_MAX_LENGTH,
        required=False,
        help_text=_(
            "Required when you change the title, kind, start, target or unit of a published key result."
        ),
    )


class InitiativeDraftForm(DraftUnderObjectiveForm):
    objective = forms.ModelChoiceField(label=_("Objective"), queryset=Objective.objects.none())
    title = forms.CharField(label=_("Initiative"), max_length=200)
    owner = OwnerChoiceField(label=_("Owner"), queryset=None, required=False, empty_label=_("No owner yet"))


# --- Edit forms: they carry the version of the row they were opened at (okrhub/versioning.py) -------------


class ObjectiveEditForm(VersionedForm, ObjectiveDraftForm):
    pass


class KeyResultDraftEditForm(VersionedForm, KeyResultDraftForm):
    def service_data(self) -> dict:
        return KeyResultDraftForm.service_data(self)


class InitiativeEditForm(VersionedForm, InitiativeDraftForm):
    pass


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX_LENGTH)


class RetrospectiveForm(forms.Form):
    what_worked = forms.CharField(
        label=_("What worked"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    what_to_change = forms.CharField(
        label=_("What to change"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class KpiPromoteForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    unit = forms.CharField(label=_("Unit"), max_length=30, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=Kpi.Kind.choices)
    target_value = value_form_field(_("Target or threshold"), required=True)


class KpiCheckInForm(forms.Form):
    value = value_form_field(_("Value"), required=True)
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MilestoneForm(forms.Form):
    """One row of a key result's planned path; a row left empty is no milestone."""

    date = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    planned_value = value_form_field(_("Planned value"))

    def clean(self) -> dict:
        data = super().clean()
        day, value = data.get("date"), data.get("planned_value")
        if day is None and value is not None and "date" not in self.errors:
            self.add_error("date", _("Give the date of this milestone."))
        if value is None and day is not None and "planned_value" not in self.errors:
            self.add_error("planned_value", _("Give the value planned by this date."))
        return data


class BaseMilestoneFormSet(forms.BaseFormSet):
    def plan(self) -> list[tuple]:
        """The (date, planned value) rows that were filled in and not marked for removal."""
        return [
            (form.cleaned_data["date"], form.cleaned_data["planned_value"])
            for form in self.forms
            if form.cleaned_data.get("date") and not form.cleaned_data.get("DELETE")
        ]


MilestoneFormSet = forms.formset_factory(
    MilestoneForm, formset=BaseMilestoneFormSet, extra=2, can_delete=True, max_num=24, validate_max=True
)


def milestone_formset(key_result: KeyResult, data=None) -> BaseMilestoneFormSet:
    """The plan editor of a key result, prefilled with its milestones (prefetch ``milestones`` for lists)."""
    initial = [{"date": day, "planned_value": value} for day, value in key_result.plan]
    return MilestoneFormSet(data, initial=initial, prefix="plan")


class KeyResultAdjustForm(VersionedForm, KeyResultEditForm):
    def service_data(self) -> dict:
        return KeyResultEditForm.service_data(self)
