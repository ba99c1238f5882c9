"""Finding a team by what was typed: a search, never a list of every team (thousands in a municipality).

One rule for every picker: the dashboard's scope (templates/dashboards/_team_picker.html) and every form
field that chooses a team (``teams.forms.TeamField``). Each searches only the teams it may offer."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import QuerySet

from teams.models import Team
from teams.tree import TREE_COLUMNS, TeamTree

TEAM_SEARCH_LIMIT = 20  # matches shown; the picker says when there are more
TEAM_QUERY_MAX = 100  # characters of a typed name that are searched for (no team name is longer)


@dataclass(frozen=True)
class TeamMatch:
    team: Team
    path: list[Team]  # the teams above it, the top first: tells two teams of the same name apart

    @property
    def path_text(self) -> str:
        return " › ".join(team.name for team in self.path)


@dataclass(frozen=True)
class TeamSearch:
    query: str  # as searched for: stripped and cut to TEAM_QUERY_MAX
    matches: list[TeamMatch]
    more: bool  # more teams match than are shown

    @property
    def only_team(self) -> Team | None:
        """The team the query names: the one team whose name it is, else the one team matching at all."""
        named = [match.team for match in self.matches if match.team.name.casefold() == self.query.casefold()]
        if len(named) == 1:
            return named[0]
        return self.matches[0].team if len(self.matches) == 1 and not self.more else None


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def team_query_clean(query: str | None) -> str:
    """What is searched for: no control characters (PostgreSQL refuses NUL), no outer spaces, not too long."""
    return _CONTROL_CHARACTERS.sub("", query or "").strip()[:TEAM_QUERY_MAX]


def _matches(found: list[Team]) -> list[TeamMatch]:
    tree = TeamTree.load()
    return [TeamMatch(team=team, path=tree.ancestors(team.pk)) for team in found]


def team_search(
    *, query: str | None, teams: QuerySet[Team] | None = None, limit: int = TEAM_SEARCH_LIMIT
) -> TeamSearch:
    """Teams of ``teams`` (default: every team) whose name contains ``query`` (case-insensitive), in name
    order, each with its path; at most ``limit``. One query for the matches; the paths from the process's
    team tree (``TeamTree.load``)."""
    query = team_query_clean(query)
    if not query:
        return TeamSearch(query="", matches=[], more=False)
    teams = Team.objects.all() if teams is None else teams
    found = list(teams.filter(name__icontains=query).only(*TREE_COLUMNS).order_by("name", "pk")[: limit + 1])
    return TeamSearch(query=query, matches=_matches(found[:limit]), more=len(found) > limit)


def team_find(*, query: str | None, teams: QuerySet[Team]) -> tuple[Team | None, TeamSearch]:
    """The team of ``teams`` that a typed text names, for a form: the one team with that name or slug
    (case-insensitive), else the one team whose name contains it. Without one team, the search to choose
    from (no match, or several)."""
    query = team_query_clean(query)
    if not query:
        return None, TeamSearch(query="", matches=[], more=False)
    exact = list(
        teams.filter(name__iexact=query).only(*TREE_COLUMNS).order_by("name", "pk")[: TEAM_SEARCH_LIMIT + 1]
    ) or list(teams.filter(slug=query.lower()).only(*TREE_COLUMNS)[:1])
    if len(exact) == 1:
        return exact[0], TeamSearch(query=query, matches=_matches(exact), more=False)
    if exact:
        return None, TeamSearch(
            query=query, matches=_matches(exact[:TEAM_SEARCH_LIMIT]), more=len(exact) > TEAM_SEARCH_LIMIT
        )
    search = team_search(query=query, teams=teams)
    return search.only_team, search
