from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from integrations.models import Endpoint
from integrations.services import URL_MAX_LENGTH, events_offered
from okrhub.versioning import VersionedForm
from teams.forms import TeamField
from teams.models import Profile
from teams.pickers import PURPOSE_INTEGRATION


class EndpointForm(VersionedForm):
    """Create or edit an endpoint; the service validates the URL (SSRF rule) and the events."""

    name = forms.CharField(label=_("Name"), max_length=120)
    url = forms.CharField(
        label=_("Address (URL)"),
        max_length=URL_MAX_LENGTH,
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("https:// is recommended. Internal addresses are refused unless the server allows them."),
    )
    events = forms.MultipleChoiceField(label=_("Events"), widget=forms.CheckboxSelectMultiple)
    language = forms.ChoiceField(
        label=_("Language of the posts"), choices=Profile.Language.choices, required=False
    )

    def __init__(self, *args, kind: str, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["events"].choices = [(str(event), event.label) for event in events_offered(kind)]
        if kind == Endpoint.Kind.WEBHOOK:
            del self.fields["language"]
        if editing:
            self.fields["url"].required = False
            self.fields["url"].help_text = _("Leave empty to keep the stored address; it is not shown again.")
        else:
            del self.fields["version"]
        if kind == Endpoint.Kind.SLACK:
            self.fields["url"].help_text = _(
                "The incoming-webhook URL of the channel (https://hooks.slack.com/…)."
            )
        elif kind == Endpoint.Kind.TEAMS:
            self.fields["url"].help_text = _(
                "The URL of a Workflows “Post to a channel when a webhook request is received” flow, "
                "or of an incoming webhook."
            )

    def labels(self) -> dict[str, str]:
        # The stored address is a secret, never shown again: a refused save does not name it either.
        return {name: label for name, label in super().labels().items() if name != "url"}


class TeamEndpointStartForm(forms.Form):
    """The integrations page's "Add" for a team: which team (a search among the teams one may add an
    integration for: teams.pickers.integration_teams) and which kind; sent, it opens the endpoint's form."""

    team = TeamField(label=_("Team"), purpose=PURPOSE_INTEGRATION)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (Endpoint.Kind.WEBHOOK, _("Webhook")),
            (Endpoint.Kind.TEAMS, _("Microsoft Teams channel")),
            (Endpoint.Kind.SLACK, _("Slack channel")),
        ],
    )

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].set_teams(teams)
