from django.urls import path

from objectives import views

app_name = "objectives"
urlpatterns = [
    path("initiatives/<int:pk>/status/", views.initiative_status, name="initiative_status"),
]
