from django.contrib import admin

from meetings.models import Meeting, MeetingAction, MeetingItem


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["team", "iso_year", "iso_week", "started_at", "ended_at"]
    list_filter = ["iso_year"]
    list_select_related = ["team"]
    search_fields = ["team__name"]


@admin.register(MeetingItem)
class MeetingItemAdmin(admin.ModelAdmin):
    list_display = ["meeting", "kind", "key_result", "author", "created_at"]
    list_select_related = ["meeting__team", "key_result", "author"]


@admin.register(MeetingAction)
class MeetingActionAdmin(admin.ModelAdmin):
    list_display = ["meeting", "initiative", "created_at"]
    list_select_related = ["meeting__team", "initiative"]
