"""Read-mostly admin for support: what was sent where. Encrypted URLs and secrets are not editable fields,
so they never appear here; endpoints are changed on their pages or through the API."""

from __future__ import annotations

from django.contrib import admin

from integrations.models import Attempt, Delivery, Endpoint, Event


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "team", "url_hint", "is_active", "consecutive_failures", "owner"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "url_hint"]
    readonly_fields = ["url_hint", "consecutive_failures", "created_at"]
    raw_id_fields = ["team", "owner"]


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "at", "status_code", "response_ms", "ok", "will_retry", "error"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["event", "endpoint", "status", "attempts", "next_attempt_at", "finished_at"]
    list_filter = ["status"]
    raw_id_fields = ["event", "endpoint"]
    inlines = [AttemptInline]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["type", "uuid", "team", "occurred_at"]
    list_filter = ["type"]
    readonly_fields = ["uuid", "key", "type", "team", "occurred_at", "data"]
