from django.contrib import admin

from notifications.models import EmailDelivery, InboundMessage


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "iso_year", "iso_week", "sent_at", "attempts"]
    list_filter = ["kind", "iso_year", "iso_week"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ["received_at", "sender", "subject", "status", "user"]
    list_filter = ["status"]
    search_fields = ["sender", "subject", "message_id"]
    list_select_related = ["user"]
    readonly_fields = ["message_key", "message_id", "outcome"]
