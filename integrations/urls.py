from django.urls import path

from integrations import views

app_name = "integrations"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.endpoint_new, name="new"),
    path("<int:pk>/", views.endpoint_detail, name="detail"),
    path("<int:pk>/edit/", views.endpoint_edit, name="edit"),
    path("<int:pk>/rotate-secret/", views.endpoint_rotate, name="rotate"),
    path("<int:pk>/test/", views.endpoint_test, name="test"),
    path("<int:pk>/enable/", views.endpoint_set_active, {"active": True}, name="enable"),
    path("<int:pk>/disable/", views.endpoint_set_active, {"active": False}, name="disable"),
    path("<int:pk>/delete/", views.endpoint_delete, name="delete"),
]
