"""python manage.py bootstrap --org "Name" --admin-email you@org.no — how a real installation starts."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from teams.emails import first_admin_email_send, password_set_url
from teams.services import organisation_bootstrap


class Command(BaseCommand):
    help = (
        "Set up an empty installation: the top team of the organisation and its first organisation admin, "
        "who gets a one-time link (printed here and emailed) to choose a password."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="The organisation's name, e.g. “Norsk Fagforbund”.")
        parser.add_argument("--admin-email", required=True, help="The first organisation admin's address.")

    def handle(self, *args, org: str, admin_email: str, **options):
        org, admin_email = org.strip(), admin_email.strip()
        if not org:
            raise CommandError(_("Give the organisation's name with --org."))
        try:
            validate_email(admin_email)
        except ValidationError as error:
            raise CommandError(
                _("“%(email)s” is not a valid email address.") % {"email": admin_email}
            ) from error
        try:
            user = organisation_bootstrap(name=org, admin_email=admin_email)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        link = password_set_url(user)
        self.stdout.write(
            _("Created the team “%(org)s” and its organisation admin %(username)s (%(email)s).")
            % {"org": org, "username": user.get_username(), "email": user.email}
        )
        self.stdout.write(_("Set the password (the link works once): %(link)s") % {"link": link})
        try:
            first_admin_email_send(user=user, organisation=org, link=link)
        except OSError as error:  # smtplib's errors are OSErrors: the link above still works
            self.stderr.write(
                _("The email could not be sent (%(error)s); use the link above.") % {"error": error}
            )
        else:
            self.stdout.write(_("The link was also sent to %(email)s.") % {"email": user.email})
