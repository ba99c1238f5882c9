"""People pages: invitations (invite, list, resend, revoke, accept), the People page (deactivate, reactivate,
anonymise) and one's own account. One URL and one short view per action; permissions from
``teams.permissions``."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_not_required, login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from teams import people_services as services
from teams.lockouts import account_unlock, locked_usernames
from teams.models import Invitation
from teams.oidc import invitation_login_context
from teams.people_forms import AccountForm, InvitationAcceptForm, InviteForm
from teams.people_selectors import PEOPLE_PAGE_SIZE, invitable_teams, invitations_open_for, people_search
from teams.permissions import access_for, can_invite, can_manage_people, forget_access
from teams.views import profile_context

User = get_user_model()

BACKEND = "teams.backends.EmailOrUsernameBackend"


def _get_invitation_for_user(request, pk: int) -> Invitation:
    invitation = get_object_or_404(Invitation.objects.select_related("team"), pk=pk)
    if not can_manage_people(access_for(request.user), invitation.team):
        raise PermissionDenied
    return invitation


def _get_person_for_admin(request, pk: int):
    if not can_manage_people(access_for(request.user)):
        raise PermissionDenied
    person = get_object_or_404(User, pk=pk)
    if person.pk == request.user.pk:
        raise PermissionDenied(_("You cannot do this to your own account."))
    return person


# --- Invitations ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def invitation_list(request):
    access = access_for(request.user)
    if not can_invite(access):
        raise PermissionDenied
    page = Paginator(invitations_open_for(access=access), PEOPLE_PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [(invitation, invitation.state_at(now)) for invitation in page.object_list]
    return render(
        request,
        "teams/invitation_list.html",
        {"page": page, "rows": rows, "may_manage_people": can_manage_people(access)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def invitation_create(request):
    access = access_for(request.user)
    if not can_invite(access):
        raise PermissionDenied
    teams = invitable_teams(access=access)
    form = InviteForm(
        request.POST or None, request.FILES or None, teams=teams, initial=_initial_team(request)
    )
    if request.method == "POST" and form.is_valid():
        try:
            invitations = services.invitations_create(requests=form.requests, inviter=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d invitation sent. Its link works once, for the next %(days)d days.",
                    "%(count)d invitations sent. Each link works once, for the next %(days)d days.",
                    len(invitations),
                )
                % {"count": len(invitations), "days": settings.INVITATION_DAYS},
            )
            return redirect("people:invitations")
    return render(
        request,
        "teams/invitation_form.html",
        {"form": form, "days": settings.INVITATION_DAYS, "may_manage_people": can_manage_people(access)},
        status=400 if form.errors else 200,
    )


def _initial_team(request) -> dict:
    team = request.GET.get("team")
    return {"team": team} if team and team.isdigit() else {}


@login_required
@require_POST
def invitation_resend(request, pk: int):
    invitation = _get_invitation_for_user(request, pk)
    try:
        services.invitation_resend(invitation=invitation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("A new link was sent to %(email)s.") % {"email": invitation.email})
    return redirect("people:invitations")


@login_required
@require_POST
def invitation_revoke(request, pk: int):
    invitation = _get_invitation_for_user(request, pk)
    try:
        services.invitation_revoke(invitation=invitation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The invitation to %(email)s was revoked; its link no longer works.")
            % {"email": invitation.email},
        )
    return redirect("people:invitations")


INVITATION_STATE_MESSAGES = {
    Invitation.State.ACCEPTED: _("This invitation has already been used. Sign in instead."),
    Invitation.State.REVOKED: _("This invitation was revoked. Ask the person who invited you for a new one."),
    Invitation.State.EXPIRED: _("This invitation has expired. Ask the person who invited you for a new one."),
}


@login_not_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request, token: str):
    """The page the email's link opens: new people choose name and password; people who have an account
    sign in and join. A used, revoked, expired or unknown link says so and offers nothing."""
    invitation = services.invitation_from_token(token)
    if invitation is None:
        return _invitation_gone(
            request, _("This invitation link is not valid. Check that you copied all of it.")
        )
    state = invitation.state_at(timezone.now())
    if state != Invitation.State.PENDING:
        return _invitation_gone(request, INVITATION_STATE_MESSAGES[state])
    existing = User.objects.filter(email__iexact=invitation.email).first()
    if existing is not None:
        return _accept_existing(request, invitation, existing)
    first, _sep, last = invitation.name.partition(" ")
    new_user = User(email=invitation.email)
    form = InvitationAcceptForm(
        new_user, request.POST or None, initial={"first_name": first, "last_name": last}
    )
    provider = invitation_login_context(token)
    # OIDC_ONLY: a new person joins by signing in with the provider; a password would never let them in.
    if request.method == "POST" and provider["password_form_shown"] and form.is_valid():
        try:
            user = services.invitation_accept_new_user(
                invitation=invitation,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                password=form.cleaned_data["new_password1"],
            )
        except ValidationError as error:
            return _invitation_gone(request, " ".join(error.messages))
        login(request, user, backend=BACKEND)
        messages.success(
            request, _("Welcome to %(team)s! This is your week.") % {"team": invitation.team.name}
        )
        return redirect("checkins:my_week")
    return render(
        request,
        "teams/invitation_accept.html",
        {"invitation": invitation, "form": form, **provider},
        status=400 if form.errors else 200,
    )


def _accept_existing(request, invitation: Invitation, existing):
    if not request.user.is_authenticated:
        messages.info(
            request,
            _("You already have an account with %(email)s. Sign in to join %(team)s.")
            % {"email": invitation.email, "team": invitation.team.name},
        )
        return redirect_to_login(request.get_full_path())
    if request.user.pk != existing.pk:
        return _invitation_gone(request, str(services.INVITATION_WRONG_ACCOUNT), status=403)
    if request.method == "POST":
        try:
            services.invitation_accept_existing_user(invitation=invitation, user=request.user)
        except ValidationError as error:
            return _invitation_gone(request, " ".join(error.messages))
        forget_access(request.user)
        messages.success(request, _("You joined %(team)s.") % {"team": invitation.team.name})
        return redirect("checkins:my_week")
    return render(request, "teams/invitation_join.html", {"invitation": invitation})


def _invitation_gone(request, message: str, *, status: int = 410):
    return render(request, "teams/invitation_gone.html", {"message": message}, status=status)


# --- People ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def people_list(request):
    if not can_manage_people(access_for(request.user)):
        raise PermissionDenied
    query = request.GET.get("q", "").strip()[:100]
    page = Paginator(people_search(query=query), PEOPLE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(person, services.is_anonymised(person)) for person in page.object_list]
    return render(
        request,
        "teams/people_list.html",
        {
            "page": page,
            "rows": rows,
            "locked": locked_usernames(person.get_username() for person in page.object_list),
            "query": query,
            "page_query": urlencode({"q": query}) + "&" if query else "",
        },
    )


@login_required
@require_POST
def person_deactivate(request, pk: int):
    person = _get_person_for_admin(request, pk)
    services.person_deactivate(user=person)
    messages.success(
        request, _("%(name)s can no longer sign in. Everything they did is kept.") % _names(person)
    )
    return redirect(_back_to_people(request))


@login_required
@require_POST
def person_reactivate(request, pk: int):
    person = _get_person_for_admin(request, pk)
    if services.is_anonymised(person):
        messages.error(request, _("An anonymised person cannot be reactivated."))
    else:
        services.person_reactivate(user=person)
        messages.success(request, _("%(name)s can sign in again.") % _names(person))
    return redirect(_back_to_people(request))


@login_required
@require_POST
def person_unlock(request, pk: int):
    """Lift a sign-in lockout (too many failed attempts) before it runs out by itself."""
    person = _get_person_for_admin(request, pk)
    account_unlock(user=person)
    messages.success(request, _("%(name)s can try to sign in again right away.") % _names(person))
    return redirect(_back_to_people(request))


@login_required
@require_http_methods(["GET", "POST"])
def person_anonymise(request, pk: int):
    person = _get_person_for_admin(request, pk)
    if services.is_anonymised(person):
        raise Http404
    if request.method == "POST":
        name = _names(person)
        services.person_anonymise(user=person)
        messages.success(
            request, _("%(name)s was anonymised. Their check-ins are kept without their name.") % name
        )
        return redirect("people:list")
    return render(request, "teams/person_anonymise.html", {"person": person})


def _names(person) -> dict[str, str]:
    return {"name": person.get_full_name() or person.get_username()}


def _back_to_people(request) -> str:
    # Back to the page and search the action was made from, never to another site.
    target = request.POST.get("next", "")
    return target if target.startswith("/organisation/people/") else "people:list"


# --- One's own account ----------------------------------------------------------------------------------


@login_required
@require_POST
def account_update(request):
    """Name and email from the profile page; errors re-render the profile with what was typed."""
    form = AccountForm(request.POST)
    if form.is_valid():
        try:
            services.account_update(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your name and email address were saved."))
            return redirect("profile")
    return render(request, "teams/profile.html", profile_context(request, account_form=form), status=400)
