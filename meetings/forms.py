"""Meeting forms: a note on a key result, a decision, an action (a new initiative with owner and due date),
who is present."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from objectives.validators import validate_sensible_date


class _KeyResultChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.title


class NoteForm(forms.Form):
    key_result = _KeyResultChoice(label=_("Key result"), queryset=None)
    body = forms.CharField(label=_("Note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, key_results, **kwargs):
        kwargs.setdefault("prefix", "note")
        super().__init__(*args, **kwargs)
        self.fields["key_result"].queryset = key_results


class DecisionForm(forms.Form):
    body = forms.CharField(label=_("Decision"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "decision")
        super().__init__(*args, **kwargs)


class _OwnerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class ActionForm(forms.Form):
    key_result = _KeyResultChoice(label=_("Key result"), queryset=None)
    title = forms.CharField(label=_("What"), max_length=200)
    owner = _OwnerChoice(label=_("Who"), queryset=None)
    due_date = forms.DateField(
        label=_("By when"),
        validators=[validate_sensible_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, key_results, owners, **kwargs):
        kwargs.setdefault("prefix", "action")
        super().__init__(*args, **kwargs)
        self.fields["key_result"].queryset = key_results
        self.fields["owner"].queryset = owners


class AssessmentForm(forms.Form):
    body = forms.CharField(label=_("Assessment"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class _MemberChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class AttendanceForm(forms.Form):
    """Who is present, ticked by whoever runs the meeting: the team's active members only."""

    attendees = _MemberChoices(
        label=_("Present"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, members, **kwargs):
        kwargs.setdefault("prefix", "attendance")
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = members
