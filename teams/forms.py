"""Forms for teams and user settings."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from teams.models import CheckpointCadence, Membership, Profile, Team


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

    def __init__(self, *args, leads_a_team: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not leads_a_team:
            # The digest goes to leads only: nobody else is offered a switch that does nothing.
            del self.fields["digests_enabled"]


# --- The Organisation page ---------------------------------------------------------------------------------


class TeamCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=Team._meta.get_field("name").max_length)
    slug = forms.SlugField(
        label=_("Address (slug)"),
        max_length=Team._meta.get_field("slug").max_length,
        required=False,
        help_text=_("Letters, numbers and hyphens. Left empty, it is made from the name."),
    )


class TeamRenameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=Team._meta.get_field("name").max_length)
    slug = forms.SlugField(
        label=_("Address (slug)"),
        max_length=Team._meta.get_field("slug").max_length,
        help_text=_("Letters, numbers and hyphens; the team page's address. Old links stop working."),
    )
    checkpoint_weeks = forms.TypedChoiceField(
        label=_("Leader checkpoint"),
        choices=[("", _("No checkpoints"))] + CheckpointCadence.choices,
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("For a section: how often its leader reviews the teams in it (a checkpoint)."),
    )


class TeamMoveForm(forms.Form):
    parent = forms.ModelChoiceField(
        label=_("New parent team"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=None,
    )

    def __init__(self, *args, parents, allow_top_level: bool, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["parent"]
        field.queryset = parents
        if allow_top_level:
            field.empty_label = _("(top level: no parent team)")
        else:
            field.required = True


class PersonLookupForm(forms.Form):
    """Find one active person by username or email (the same rule as adding a member)."""

    user = forms.CharField(label=_("Username or email"), max_length=254)

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
        return users[0]


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)
    # The version the page was opened at (okrhub/versioning.py): a newer change is not overwritten.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)


class MemberAddForm(PersonLookupForm):
    """A lead adds someone to the team by username or email (no list of every user in the organisation)."""

    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.MEMBER)

    def __init__(self, *args, team: Team, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team

    def clean_user(self):
        user = super().clean_user()
        if Membership.objects.filter(team=self.team, user=user).exists():
            raise forms.ValidationError(_("This user is already a member of this team."))
        return user
