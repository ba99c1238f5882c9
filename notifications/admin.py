from django.contrib import admin

from notifications.models import EmailDelivery


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "iso_year", "iso_week", "sent_at", "attempts"]
    list_filter = ["kind", "iso_year", "iso_week"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]
