"""Forms for teams and user settings."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from teams.models import Profile


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
