from django.urls import path

from teams import views as team_views

app_name = "checkins"
urlpatterns = [
    # My week replaces this as the landing page (issue: weekly check-ins).
    path("", team_views.team_list, name="my_week"),
]
