from __future__ import annotations

from django.urls import path

from datasources import views

app_name = "datasources"
urlpatterns = [
    path("key-results/<int:pk>/", views.data_source_edit, name="edit"),
    path("key-results/<int:pk>/delete/", views.data_source_delete, name="delete"),
    path("key-results/<int:pk>/fetch/", views.data_source_fetch, name="fetch"),
]
