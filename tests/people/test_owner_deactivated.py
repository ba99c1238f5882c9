"""A deactivated owner's open key results need attention: "owner deactivated", wherever reasons are listed,
and on the workshop board."""

from __future__ import annotations

import pytest
from django.urls import reverse

from notifications.digest import leader_digest_build
from objectives import progress
from objectives.labels import REASON_LABELS
from teams import people_services as services

pytestmark = pytest.mark.django_db


def test_the_rule_needs_an_owner_who_is_deactivated():
    common = {
        "progress": 0.5,
        "expected": 0.5,
        "confidence": 8,
        "last_checkin": None,
        "cycle_start": progress.date.today(),
        "today": progress.date.today(),
        "cycle_active": True,
    }
    assert progress.attention_reasons(**common, has_owner=True) == ()
    assert progress.attention_reasons(**common, has_owner=True, owner_active=False) == (
        progress.OWNER_DEACTIVATED,
    )
    # Nobody owns it: that is "no owner", not a deactivated one.
    assert progress.attention_reasons(**common, has_owner=False, owner_active=False) == (progress.NO_OWNER,)


def test_the_dashboard_the_team_page_and_the_digest_say_owner_deactivated(client, org):
    services.person_deactivate(user=org.member)
    client.force_login(org.lead)
    dashboard = client.get(reverse("dashboards:index"))
    reasons = {line.key_result.pk: line.reasons for line in dashboard.context["dashboard"].attention}
    assert progress.OWNER_DEACTIVATED in reasons[org.key_result.pk]
    assert str(REASON_LABELS[progress.OWNER_DEACTIVATED]) in dashboard.text
    assert progress.OWNER_DEACTIVATED not in reasons.get(org.other_key_result.pk, ())
    team_page = client.get(reverse("teams:detail", args=[org.team.slug]))
    assert str(REASON_LABELS[progress.OWNER_DEACTIVATED]) in team_page.text
    digest = leader_digest_build(user=org.lead)
    (item,) = [item for item in digest.attention if item.key_result.pk == org.key_result.pk]
    assert str(REASON_LABELS[progress.OWNER_DEACTIVATED]) in item.reasons


def test_the_workshop_board_shows_it(client, org):
    services.person_deactivate(user=org.member)
    client.force_login(org.lead)
    board = client.get(reverse("workshops:board", args=[org.team.slug, org.cycle.pk]))
    assert board.status_code == 200
    assert f'id="kr-{org.key_result.pk}"' in board.text
    assert "reason-owner_deactivated" in board.text
    services.person_reactivate(user=org.member)
    board = client.get(reverse("workshops:board", args=[org.team.slug, org.cycle.pk]))
    assert "reason-owner_deactivated" not in board.text
