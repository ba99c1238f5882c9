"""Channel posts: an event as a Microsoft Teams Adaptive Card or a Slack Block Kit message.

Teams: the body a Workflows ("Post to a channel when a webhook request is received") or an incoming-webhook
URL takes — ``{"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
"content": <AdaptiveCard 1.4>}]}``. Slack: an incoming-webhook body, ``{"text": <fallback>, "blocks": […]}``.

Rendered when sent, in the endpoint's language (set on the team's integrations page); the event's data holds
codes and numbers, never words, so the same event reads right in any language. Links go back to OKR Hub.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from integrations.models import Endpoint, Event, EventType
from objectives.labels import HEALTH_LABELS, REASON_LABELS

ADAPTIVE_CARD_VERSION = "1.4"  # what Teams renders in channels
SLACK_SECTION_MAX = 3000  # characters in one section's text (Block Kit limit)
ITEMS_SHOWN = 10


def _percent(value: float | None) -> str:
    if value is None:
        return "–"
    return _("%(percent)s%%") % {"percent": round(value * 100)}


def _reasons(codes: list[str]) -> str:
    return ", ".join(str(REASON_LABELS[code]) for code in codes if code in REASON_LABELS)


def _escape_slack(text: str) -> str:
    # Slack's mrkdwn treats these three as control characters.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- What to say: one neutral outline per event, rendered for each platform below ------------------------


def _outline(event: Event) -> dict[str, Any]:
    """{"title", "lines": [text], "facts": [(label, value)], "items": [(text, url)], "link": (label, url)}"""
    data = event.data
    team = data.get("_team") or {}
    if event.type == EventType.WEEKLY_SUMMARY:
        facts = [
            (_("Cycle"), data["cycle"]["name"]),
            (_("Expected progress by now"), _percent(data["expected_progress"])),
        ]
        for row in data["teams"]:
            health = ", ".join(
                f"{HEALTH_LABELS[code]}: {count}"
                for code, count in row["health"].items()
                if code in HEALTH_LABELS
            )
            facts.append(
                (
                    row["name"],
                    _(
                        "%(progress)s progress, %(checked)s of %(total)s key results checked in last week "
                        "(%(health)s)"
                    )
                    % {
                        "progress": _percent(row["progress"]),
                        "checked": row["checked_in_last_week"],
                        "total": row["key_results"],
                        "health": health,
                    },
                )
            )
        lines = []
        if data["not_checked_in"]:
            lines.append(
                _("Not checked in last week: %(names)s") % {"names": ", ".join(data["not_checked_in"][:25])}
            )
        items = [
            (f"{item['title']} — {_percent(item['progress'])} — {_reasons(item['reasons'])}", item["url"])
            for item in data["attention"][:ITEMS_SHOWN]
        ]
        if data["attention_total"]:
            lines.append(_("%(count)s key results need attention.") % {"count": data["attention_total"]})
        else:
            lines.append(_("No key result needs attention."))
        return {
            "title": _("Weekly summary for %(team)s") % {"team": team.get("name", "")},
            "lines": lines,
            "facts": facts,
            "items": items,
            "link": (_("Open the dashboard"), data["dashboard_url"]),
        }
    if event.type == EventType.KEY_RESULT_NEEDS_ATTENTION:
        key_result = data["key_result"]
        owner = (key_result.get("owner") or {}).get("name") or _("nobody")
        return {
            "title": _("Needs attention: %(title)s") % {"title": key_result["title"]},
            "lines": [_reasons(key_result["attention_reasons"])],
            "facts": [
                (_("Objective"), key_result["objective"]["title"]),
                (_("Owner"), owner),
                (_("Progress"), _percent(key_result["progress"])),
                (_("Expected progress by now"), _percent(key_result["expected_progress"])),
            ],
            "items": [],
            "link": (_("Open the key result"), key_result["url"]),
        }
    if event.type == EventType.MEETING_ENDED:
        meeting = data.get("meeting", {})
        return {
            "title": _("Meeting minutes: %(title)s") % {"title": meeting.get("title", "")},
            "lines": [meeting.get("minutes", "")] if meeting.get("minutes") else [],
            "facts": [],
            "items": [],
            "link": (_("Open the minutes"), meeting.get("url") or settings.SITE_URL),
        }
    return {
        "title": _("Test message from OKR Hub")
        if event.type == EventType.TEST
        else str(event.get_type_display()),
        "lines": [_("If you can read this, the channel is connected.")]
        if event.type == EventType.TEST
        else [],
        "facts": [],
        "items": [],
        "link": (_("Open OKR Hub"), team.get("url") or settings.SITE_URL),
    }


# --- Microsoft Teams ---------------------------------------------------------------------------------------


def adaptive_card(outline: dict[str, Any]) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": outline["title"], "weight": "Bolder", "size": "Medium", "wrap": True}
    ]
    body += [{"type": "TextBlock", "text": line, "wrap": True} for line in outline["lines"] if line]
    if outline["facts"]:
        body.append(
            {
                "type": "FactSet",
                "facts": [{"title": str(title), "value": str(value)} for title, value in outline["facts"]],
            }
        )
    for text, url in outline["items"]:
        body.append({"type": "TextBlock", "text": f"[{text}]({url})", "wrap": True, "spacing": "Small"})
    label, url = outline["link"]
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": ADAPTIVE_CARD_VERSION,
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": str(label), "url": url}],
    }


def teams_message(outline: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": adaptive_card(outline),
            }
        ],
    }


# --- Slack -------------------------------------------------------------------------------------------------


def slack_message(outline: dict[str, Any]) -> dict[str, Any]:
    title = _clip(outline["title"], 150)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title, "emoji": False}}
    ]
    for line in outline["lines"]:
        if line:
            blocks.append(
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": _clip(_escape_slack(line), SLACK_SECTION_MAX)},
                }
            )
    if outline["facts"]:
        # A section shows at most 10 fields of 2000 characters each.
        fields = [
            {
                "type": "mrkdwn",
                "text": _clip(f"*{_escape_slack(str(title))}*\n{_escape_slack(str(value))}", 2000),
            }
            for title, value in outline["facts"][:10]
        ]
        blocks.append({"type": "section", "fields": fields})
    if outline["items"]:
        text = "\n".join(f"• <{url}|{_escape_slack(item)}>" for item, url in outline["items"])
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, SLACK_SECTION_MAX)}})
    label, url = outline["link"]
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": _clip(str(label), 75)}, "url": url}
            ],
        }
    )
    return {"text": title, "blocks": blocks}


def channel_message(*, endpoint: Endpoint, event: Event) -> dict[str, Any]:
    """The JSON body for this endpoint's platform, in its language."""
    with translation.override(endpoint.language or settings.LANGUAGE_CODE):
        outline = _outline(event)
        if endpoint.kind == Endpoint.Kind.TEAMS:
            return teams_message(outline)
        return slack_message(outline)
