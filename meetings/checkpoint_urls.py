from django.urls import path

from meetings import checkpoint_views

# Mounted at /dashboards/checkpoints/ by okrhub/urls.py (before the dashboards' own URLs).
app_name = "checkpoints"
urlpatterns = [
    path("", checkpoint_views.checkpoints, name="index"),
    path("<int:section_id>/teams/<int:team_id>/assess/", checkpoint_views.assess, name="assess"),
]
