"""A person's own data as JSON (GDPR access and portability): profile, memberships, check-ins, feedback.

It sits in ``checkins`` because it reads check-ins and feedback, the highest layer it needs.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from checkins.models import CheckIn, Feedback
from teams.models import Membership, Profile


def personal_data(*, user) -> dict[str, Any]:
    """Everything OKR Hub stores about ``user`` as them (five queries)."""
    profile = Profile.objects.filter(user=user).first()
    return {
        "exported_at": timezone.now(),
        "profile": {
            "username": user.get_username(),
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "language": profile.language if profile else "",
            "reminders_enabled": profile.reminders_enabled if profile else True,
            "digests_enabled": profile.digests_enabled if profile else True,
            "okr_ambassador": profile.is_ambassador if profile else False,
        },
        "memberships": [
            {"team": team, "role": role, "since": created_at}
            for team, role, created_at in Membership.objects.filter(user=user)
            .order_by("team__name")
            .values_list("team__name", "role", "created_at")
        ],
        "checkins": [
            {
                "key_result": title,
                "key_result_id": key_result_id,
                "value": value,
                "confidence": confidence,
                "note": note,
                "created_at": created_at,
            }
            for key_result_id, title, value, confidence, note, created_at in CheckIn.objects.filter(
                author=user
            )
            .order_by("created_at", "id")
            .values_list("key_result_id", "key_result__title", "value", "confidence", "note", "created_at")
        ],
        "feedback_given": [
            {"key_result": title, "key_result_id": key_result_id, "body": body, "created_at": created_at}
            for key_result_id, title, body, created_at in Feedback.objects.filter(author=user)
            .order_by("created_at", "id")
            .values_list("key_result_id", "key_result__title", "body", "created_at")
        ],
        "feedback_received": [
            {"key_result": title, "key_result_id": key_result_id, "body": body, "created_at": created_at}
            for key_result_id, title, body, created_at in Feedback.objects.filter(key_result__owner=user)
            .order_by("created_at", "id")
            .values_list("key_result_id", "key_result__title", "body", "created_at")
        ],
    }


@login_required
@require_GET
def personal_data_download(request):
    """The signed-in person's own data; there is no id in the URL, so nobody downloads another's."""
    body = json.dumps(personal_data(user=request.user), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="okrhub-{request.user.get_username()}.json"'
    return response
