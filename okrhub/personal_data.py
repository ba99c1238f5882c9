"""A person's own data as JSON (GDPR access and portability): profile, memberships, check-ins, feedback,
and the emails sent to them and received from them.

It sits in ``okrhub``, which wires the apps together, because it reads from several of them (the
notifications app's messages are above the check-ins in the layers).
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
from notifications.models import EmailDelivery, InboundMessage
from teams.models import Membership, Profile

# A comment on a key result, given or received.
FEEDBACK = {
    "key_result": "key_result__title",
    "key_result_id": "key_result_id",
    "body": "body",
    "created_at": "created_at",
}


def _rows(queryset, **columns: str) -> list[dict[str, Any]]:
    """The queryset's rows as objects: each name of ``columns`` holds the value of its field."""
    return [dict(zip(columns, row, strict=True)) for row in queryset.values_list(*columns.values())]


def personal_data(*, user) -> dict[str, Any]:
    """Everything OKR Hub stores about ``user`` as them (seven queries)."""
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
        "memberships": _rows(
            Membership.objects.filter(user=user).order_by("team__name"),
            team="team__name",
            role="role",
            since="created_at",
        ),
        "checkins": _rows(
            CheckIn.objects.filter(author=user).order_by("created_at", "id"),
            key_result="key_result__title",
            key_result_id="key_result_id",
            value="value",
            confidence="confidence",
            note="note",
            source="source",
            created_at="created_at",
        ),
        "feedback_given": _rows(
            Feedback.objects.filter(author=user).order_by("created_at", "id"), **FEEDBACK
        ),
        "feedback_received": _rows(
            Feedback.objects.filter(key_result__owner=user).order_by("created_at", "id"), **FEEDBACK
        ),
        "emails_sent_to_you": [
            {"kind": kind, "week": f"{year}-W{week:02}", "sent_at": sent_at, "to": sent_to}
            for kind, year, week, sent_at, sent_to in EmailDelivery.objects.filter(
                user=user, sent_at__isnull=False
            )
            .order_by("sent_at", "id")
            .values_list("kind", "iso_year", "iso_week", "sent_at", "sent_to")
        ],
        # The replies to reminders: what was received, and what each line became.
        "emails_received_from_you": _rows(
            InboundMessage.objects.filter(user=user).order_by("received_at", "id"),
            received_at="received_at",
            **{"from": "sender"},
            subject="subject",
            status="status",
            reason="reason",
            outcome="outcome",
        ),
    }


@login_required
@require_GET
def personal_data_download(request):
    """The signed-in person's own data; there is no id in the URL, so nobody downloads another's."""
    body = json.dumps(personal_data(user=request.user), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="okrhub-{request.user.get_username()}.json"'
    return response
