"""The one place that says who may do what with a team's meetings (views and the API both ask it).

- Members of the team (any role) run its meeting: start, note, decide, add actions, end.
- Leads above the team (section leads, ``Access.led_team_ids`` from the team tree) see the open meeting and
  comment: they add notes on key results, nothing else.
- Everyone else signed in reads the minutes of ended meetings (the transparency rule); minutes only ever
  hold published OKRs (meetings.selectors builds them from published objectives), never drafts.
"""

from __future__ import annotations

from django.db.models import Q

from objectives.permissions import Access, can_lead_team


def can_run_meeting(access: Access, team) -> bool:
    return access.is_staff or team.pk in access.member_team_ids


def can_comment_meeting(access: Access, team) -> bool:
    return can_run_meeting(access, team) or can_lead_team(access, team.pk)


def can_view_meeting(access: Access, meeting) -> bool:
    """The live meeting for its participants and leads; the ended meeting's minutes for everyone."""
    if not access.is_authenticated:
        return False
    return not meeting.is_open or can_comment_meeting(access, meeting.team)


def visible_meetings_q(access: Access) -> Q:
    """``can_view_meeting`` as a filter for lists: ended meetings, and the open ones of the teams the user
    belongs to or leads from above."""
    if access.is_staff:
        return Q()
    return Q(ended_at__isnull=False) | Q(team_id__in=access.team_ids)


def can_hold_checkpoint(access: Access, section) -> bool:
    """A section's checkpoint: its leads and the leads above it (they lead every team in it)."""
    return can_lead_team(access, section.pk)
