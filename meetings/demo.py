"""Meeting demo data for the courses team: last week's meeting, ended (minutes with a note, a decision and an
action that became an initiative), and this week's meeting, open. Called once from ``okrhub.demo.seed_demo``;
running it again changes nothing."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model

from meetings import services
from meetings.models import Meeting
from meetings.selectors import meeting_key_results
from teams.models import Team

COURSES_SLUG = "kurs-og-arrangementer"
NOTE = "Påmeldingen til høstkursene går tregere enn planlagt; vi prøver nyhetsbrev i stedet for plakater."
DECISION = "Vi flytter fagdagen i Bergen til november, så den ikke kolliderer med tariffoppgjøret."
ACTION = "Sende nyhetsbrev om høstkursene"


def seed_meetings(*, now: dt.datetime) -> None:
    team = Team.objects.filter(slug=COURSES_SLUG).first()
    if team is None or Meeting.objects.filter(team=team).exists():
        return
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["kari", "member", "ole"])}
    key_results = meeting_key_results(team=team)
    if len(users) < 3 or not key_results:
        return
    last_week = now - dt.timedelta(days=7)
    past = services.meeting_start(team=team, user=users["kari"], now=last_week)
    services.meeting_attend(meeting=past, user=users["member"])
    services.meeting_note_add(meeting=past, key_result=key_results[0], author=users["member"], body=NOTE)
    services.meeting_decision_add(meeting=past, author=users["kari"], body=DECISION)
    services.meeting_action_add(
        meeting=past,
        key_result=key_results[0],
        title=ACTION,
        owner=users["ole"],
        due_date=(now + dt.timedelta(days=3)).date(),
    )
    services.meeting_end(
        meeting=past, user=users["kari"], now=last_week + dt.timedelta(hours=1), send_minutes=False
    )
    services.meeting_start(team=team, user=users["kari"], now=now)
