"""Forms for teams and user settings."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from okrhub.versioning import VersionedForm
from teams.models import CheckpointCadence, Membership, Profile, Team
from teams.pickers import PURPOSE_MOVE
from teams.search import TeamMatch, team_find, team_query_clean
from teams.tree import TREE_COLUMNS


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


# --- Choosing a team: a search, never a list of every team -------------------------------------------------

TEAM_FIELD_NONE = _("No team you may choose here matches “%(query)s”.")
TEAM_FIELD_SEVERAL = _("Several teams match “%(query)s”: choose one.")
TEAM_FIELD_MORE = _("Several teams match “%(query)s”: choose one, or type more of the name.")
TEAM_FIELD_REFUSED = _("You may not choose this team here.")
QUERY_SUFFIX = "_query"  # the typed name's field: "<name>_query"; "<name>" is the chosen team's slug
CHOICE_SUFFIX = "_choice"  # the radio buttons offered after a typed name several teams match


class TeamPickerWidget(forms.Widget):
    """A labelled text field for the team's name, a hidden value for its slug (set by static/js/team_picker.js
    when a match is chosen), and — after a typed name several teams match — those teams as radio buttons, so
    the choice works without JavaScript. Rendered by templates/teams/_team_field.html."""

    template = "teams/_team_field.html"

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.search_url = ""
        self.matches: list[TeamMatch] = []
        self.more = False

    def value_from_datadict(self, data, files, name):
        """(the radio button chosen, the hidden slug, the typed text: None when no text was sent)."""
        choice, slug = (data.get(name + suffix, "") or "" for suffix in (CHOICE_SUFFIX, ""))
        return (choice, slug, data.get(name + QUERY_SUFFIX))

    def value_omitted_from_data(self, data, files, name):
        return not any(name + suffix in data for suffix in (CHOICE_SUFFIX, "", QUERY_SUFFIX))

    def id_for_label(self, id_):
        return id_

    def render(self, name, value, attrs=None, renderer=None):
        slug, text = value[-2:] if isinstance(value, tuple) else ("", "")
        text = text or ""
        attrs = self.build_attrs(self.attrs, attrs)
        return render_to_string(
            self.template,
            {
                "name": name,
                "query_name": name + QUERY_SUFFIX,
                "choice_name": name + CHOICE_SUFFIX,
                "id": attrs.get("id") or f"id_{name}",
                "slug": slug,
                "text": text,
                "required": attrs.get("required", False),
                "describedby": attrs.get("aria-describedby", ""),
                "search_url": self.search_url,
                "matches": self.matches,
                "more": self.more,
            },
        )


class TeamField(forms.Field):
    """Chooses one team of ``queryset`` (the teams that form may choose: teams/pickers.py) by its slug (what
    the picker's script sets, or a radio button) or by a typed name or slug (``teams.search.team_find``).
    A team outside ``queryset`` is refused like an unknown one; several matches are offered to choose from.
    ``purpose`` and ``params`` name the search endpoint's set (``teams.pickers.pickable_teams``)."""

    widget = TeamPickerWidget
    default_error_messages = {"invalid_choice": TEAM_FIELD_REFUSED}

    def __init__(self, *, queryset=None, purpose: str = "", **kwargs):
        super().__init__(**kwargs)
        self.queryset = Team.objects.none() if queryset is None else queryset
        self.purpose = purpose
        self.params: dict[str, str] = {}

    def set_teams(self, queryset: QuerySet[Team], **params) -> None:
        self.queryset = queryset
        self.params = {key: str(value) for key, value in params.items()}

    def widget_attrs(self, widget):
        return {}

    def prepare_value(self, value):
        """(slug, text shown) for the widget: from the data sent, a team, or an initial pk or slug."""
        if isinstance(value, tuple):
            return value[-2:]
        if isinstance(value, Team):
            return (value.slug, value.name)
        if value in (None, ""):
            return ("", "")
        key = str(value)
        team = self.queryset.filter(**({"pk": int(key)} if key.isdigit() else {"slug": key})).first()
        return (team.slug, team.name) if team else ("", "")

    def clean(self, value):
        """A radio button chosen wins; then the slug (set by the script, or sent alone), while the text sent
        is still that team's name (typed over or emptied without the script, the text counts); then the
        text."""
        choice, slug, query = value if isinstance(value, tuple) else ("", "", str(value or ""))
        typed = query is not None
        choice, slug, query = (team_query_clean(part) for part in (choice, slug, query))
        if choice or slug:
            team = self.queryset.filter(slug=choice or slug).only(*TREE_COLUMNS).first()
            if team is None:
                raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
            if choice or not typed or team.name.casefold() == query.casefold():
                return team
        if not query:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return None
        team, search = team_find(query=query, teams=self.queryset)
        if team is not None:
            return team
        if not search.matches:
            raise forms.ValidationError(TEAM_FIELD_NONE, code="no_team", params={"query": query})
        self.widget.matches, self.widget.more = search.matches, search.more
        raise forms.ValidationError(
            TEAM_FIELD_MORE if search.more else TEAM_FIELD_SEVERAL, code="several", params={"query": query}
        )

    def search_url(self) -> str:
        return f"{reverse('organisation:team_pick')}?{urlencode({'purpose': self.purpose, **self.params})}"

    def get_bound_field(self, form, field_name):
        self.widget.search_url = self.search_url()
        return super().get_bound_field(form, field_name)


# --- The Organisation page ---------------------------------------------------------------------------------


class TeamCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=Team._meta.get_field("name").max_length)
    slug = forms.SlugField(
        label=_("Address (slug)"),
        max_length=Team._meta.get_field("slug").max_length,
        required=False,
        help_text=_("Letters, numbers and hyphens. Left empty, it is made from the name."),
    )


class TeamRenameForm(VersionedForm):
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

    def __init__(self, *args, is_section: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not is_section:
            # A team without teams below it has no checkpoints to hold (its stored cadence stays as it is,
            # for when it gets some).
            del self.fields["checkpoint_weeks"]


class TeamMoveForm(VersionedForm):
    parent = TeamField(label=_("New parent team"), purpose=PURPOSE_MOVE, required=False)

    def __init__(self, *args, team: Team, parents, allow_top_level: bool, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["parent"]
        field.set_teams(parents, team=team.pk)
        if allow_top_level:
            field.help_text = _("Type part of a team's name, then choose the team. Empty: the top level.")
        else:
            field.required = True
            field.help_text = _("Type part of a team's name, then choose the team.")


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


class MemberRoleForm(VersionedForm):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)


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
