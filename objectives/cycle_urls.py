"""The cycles page under /organisation/cycles/: one URL and one short view per lifecycle action."""

from django.urls import path

from objectives import views

app_name = "cycles"
urlpatterns = [
    path("", views.cycle_index, name="index"),
    path("new/", views.cycle_new, name="new"),
    path("<int:pk>/start-planning/", views.cycle_start_planning_view, name="start_planning"),
    path("<int:pk>/activate/", views.cycle_activate_view, name="activate"),
    path("<int:pk>/close/", views.cycle_close_view, name="close"),
]
