"""Forms for teams and user settings."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from teams.models import Membership, Profile, Team


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["language", "reminders_enabled", "digests_enabled"]
        help_texts = {
            "language": _("Used for the pages and for the emails OKR Hub sends you."),
            "reminders_enabled": _(
                "An email once a week, after your team's reminder time, if a key result you own has no "
                "check-in yet that week."
            ),
            "digests_enabled": _(
                "Team leads: a summary of your teams every Monday morning — progress against pace, what "
                "needs attention and last week's check-in rate."
            ),
        }


class MemberAddForm(forms.Form):
    """A lead adds someone to the team by username or email (no list of every user in the organisation)."""

    user = forms.CharField(label=_("Username or email"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.MEMBER)

    def __init__(self, *args, team: Team, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team

    def clean_user(self):
        value = self.cleaned_data["user"].strip()
        users = list(
            get_user_model().objects.filter(
                Q(username__iexact=value) | Q(email__iexact=value), is_active=True
            )[:2]
        )
        if not users:
            raise forms.ValidationError(_("No active user has this username or email."))
        if len(users) > 1:
            raise forms.ValidationError(_("Several users have this email address; use the username."))
        if Membership.objects.filter(team=self.team, user=users[0]).exists():
            raise forms.ValidationError(_("This user is already a member of this team."))
        return users[0]


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)
    # The version the page was opened at (okrhub/versioning.py): a newer change is not overwritten.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
