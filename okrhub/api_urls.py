"""REST API v1: each app's api.py registers its ViewSets on this router."""

from __future__ import annotations

from rest_framework.routers import DefaultRouter

router = DefaultRouter()

urlpatterns = router.urls
