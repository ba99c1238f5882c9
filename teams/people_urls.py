"""/organisation/people/… and /organisation/invitations/… (namespace ``people``)."""

from __future__ import annotations

from django.urls import path

from teams import people_views as views

app_name = "people"
urlpatterns = [
    path("people/", views.people_list, name="list"),
    path("people/<int:pk>/deactivate/", views.person_deactivate, name="deactivate"),
    path("people/<int:pk>/reactivate/", views.person_reactivate, name="reactivate"),
    path("people/<int:pk>/unlock/", views.person_unlock, name="unlock"),
    path("people/<int:pk>/anonymise/", views.person_anonymise, name="anonymise"),
    path("invitations/", views.invitation_list, name="invitations"),
    path("invitations/new/", views.invitation_create, name="invite"),
    path("invitations/<int:pk>/resend/", views.invitation_resend, name="resend"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="revoke"),
]
