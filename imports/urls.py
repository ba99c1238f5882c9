from django.urls import path

from imports import views

app_name = "imports"

urlpatterns = [
    path("", views.index, name="index"),
    path("template-<str:language>.xlsx", views.template_download, name="template"),
    path("<int:pk>/", views.job, name="job"),
    path("<int:pk>/mapping/", views.job_mapping, name="mapping"),
    path("<int:pk>/remap/", views.job_remap, name="remap"),
    path("<int:pk>/run/", views.job_run, name="run"),
]
