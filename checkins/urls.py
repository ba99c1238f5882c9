from django.urls import path

from checkins import views

app_name = "checkins"
urlpatterns = [
    path("", views.my_week, name="my_week"),
    path("key-results/<int:pk>/", views.key_result_detail, name="key_result_detail"),
    path("key-results/<int:pk>/check-in/", views.checkin_create, name="checkin_create"),
    path("check-ins/<int:pk>/edit/", views.checkin_edit, name="checkin_edit"),
    path("check-ins/<int:pk>/delete/", views.checkin_remove, name="checkin_delete"),
    path("key-results/<int:pk>/feedback/", views.feedback_create, name="feedback_create"),
    path("feedback/<int:pk>/read/", views.feedback_read, name="feedback_read"),
    path("feedback/<int:pk>/reply/", views.feedback_reply, name="feedback_reply"),
]
