from django.urls import path

from meetings import views

# Mounted at /teams/<slug>/meetings/ by okrhub/urls.py.
app_name = "meetings"
urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("start/", views.meeting_start, name="start"),
    path("<int:pk>/", views.meeting_detail, name="detail"),
    path("<int:pk>/present/", views.meeting_present, name="present"),
    path("<int:pk>/notes/", views.note_add, name="note_add"),
    path("<int:pk>/decisions/", views.decision_add, name="decision_add"),
    path("<int:pk>/actions/", views.action_add, name="action_add"),
    path("<int:pk>/attend/", views.meeting_attend, name="attend"),
    path("<int:pk>/attendance/", views.meeting_attendance, name="attendance"),
    path("<int:pk>/end/", views.meeting_end, name="end"),
]
