from django.contrib import admin

from checkins.models import CheckIn, Feedback


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ["key_result", "author", "value", "confidence", "created_at"]
    list_filter = ["key_result__objective__cycle", "confidence"]
    search_fields = ["key_result__title", "author__username", "note"]
    autocomplete_fields = ["key_result", "author"]
    date_hierarchy = "created_at"
    list_select_related = ["key_result", "author"]


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["key_result", "author", "created_at", "read_at"]
    search_fields = ["body", "key_result__title", "author__username"]
    autocomplete_fields = ["key_result", "author"]
    raw_id_fields = ["checkin"]
    list_select_related = ["key_result", "author"]
