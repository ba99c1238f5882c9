"""Forms about people: inviting (addresses or a CSV/XLSX file), accepting, one's account, password reset."""

from __future__ import annotations

import csv
import io
import re

from django import forms
from django.contrib.auth import forms as auth_forms
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from teams.forms import TeamField
from teams.models import Membership, Team
from teams.people_services import InvitationRequest, invitations_check
from teams.pickers import PURPOSE_INVITE

MAX_ROWS = 1000
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
# Header names accepted in an uploaded file (English and Norwegian), lower-case.
COLUMNS = {
    "email": {"email", "e-mail", "e-post", "epost"},
    "name": {"name", "navn"},
    "team": {"team"},
    "role": {"role", "rolle"},
}
ADDRESS_SEPARATORS = re.compile(r"[\s,;]+")


ROLE_WORDS = {
    "member": Membership.Role.MEMBER,
    "medlem": Membership.Role.MEMBER,
    "lead": Membership.Role.LEAD,
    "team lead": Membership.Role.LEAD,
    "teamleder": Membership.Role.LEAD,
    "leder": Membership.Role.LEAD,
}


def role_from_text(text: str) -> str | None:
    """The role a file's cell names (English or Norwegian); None when it names none."""
    return ROLE_WORDS.get(text.strip().lower())


def _cells(upload) -> list[list[str]]:
    """The rows of an uploaded CSV or XLSX file as text cells."""
    name = (upload.name or "").lower()
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise forms.ValidationError(_("The file is larger than 2 MB."))
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
            raise forms.ValidationError(_("The file could not be read as an Excel workbook.")) from error
        sheet = workbook.worksheets[0]
        return [
            ["" if cell is None else str(cell).strip() for cell in row]
            for row in sheet.iter_rows(values_only=True)
        ]
    if name.endswith(".csv") or name.endswith(".txt"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from error
        delimiter = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    raise forms.ValidationError(_("Upload a .csv or .xlsx file."))


def _columns(first_row: list[str]) -> tuple[dict[str, int], bool]:
    """Column positions from a header row, or the default order (email, name, team, role) without one."""
    header = [cell.strip().lower() for cell in first_row]
    found = {key: header.index(word) for key, words in COLUMNS.items() for word in words if word in header}
    if "email" in found:
        return found, True
    return {"email": 0, "name": 1, "team": 2, "role": 3}, False


class InviteForm(forms.Form):
    """Invite one or many people: addresses pasted into the box, or a file with one person per row. Every
    row is checked before anything is saved; the errors name their row."""

    team = TeamField(
        label=_("Team"),
        purpose=PURPOSE_INVITE,
        help_text=_("For a file: the team of the rows that name none."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.MEMBER)
    emails = forms.CharField(
        label=_("Email addresses"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One or more addresses, separated by commas or new lines."),
    )
    file = forms.FileField(
        label=_("Or upload a file (CSV or XLSX)"),
        required=False,
        help_text=_("Columns: email, name, team, role (a header row is optional; team by name or slug)."),
    )

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].set_teams(teams)
        self.requests: list[InvitationRequest] = []
        self.row_errors: list[str] = []

    def clean(self):
        cleaned = super().clean()
        team, role = cleaned.get("team"), cleaned.get("role")
        if team is None or role is None:
            return cleaned
        if not cleaned.get("emails", "").strip() and not cleaned.get("file"):
            raise forms.ValidationError(_("Enter at least one email address or upload a file."))
        rows: list[tuple[str, InvitationRequest | None, list[str]]] = []
        for address in ADDRESS_SEPARATORS.split(cleaned.get("emails", "").strip()):
            if address:
                rows.append((address, InvitationRequest(email=address, team=team, role=role), []))
        if cleaned.get("file"):
            rows += self._file_rows(cleaned["file"], team=team, role=role)
        if len(rows) > MAX_ROWS:
            raise forms.ValidationError(_("At most %(max)d people at once.") % {"max": MAX_ROWS})
        checked = invitations_check([request for _label, request, _p in rows if request is not None])
        problems_of = iter(checked)
        for label, request, problems in rows:
            if request is not None:
                problems = problems + next(problems_of)
            self.row_errors += [f"{label}: {problem}" for problem in problems]
            if request is not None and not problems:
                self.requests.append(request)
        if self.row_errors:
            raise forms.ValidationError(
                _("Nothing was saved. Correct these and try again: %(errors)s")
                % {"errors": " · ".join(self.row_errors)}
            )
        return cleaned

    def _file_rows(self, upload, *, team: Team, role: str):
        cells = _cells(upload)
        if not cells:
            raise forms.ValidationError(_("The file is empty."))
        columns, has_header = _columns(cells[0])
        allowed = list(self.fields["team"].queryset)
        by_key = {t.slug.lower(): t for t in allowed} | {t.name.lower(): t for t in allowed}
        rows = []
        for number, row in enumerate(cells, start=1):
            if number == 1 and has_header or not any(row):
                continue

            def cell(key: str, row=row) -> str:
                index = columns.get(key)
                return row[index].strip() if index is not None and index < len(row) else ""

            label = gettext("Row %(row)d") % {"row": number}
            problems: list[str] = []
            row_team = team
            if cell("team"):
                row_team = by_key.get(cell("team").lower())
                if row_team is None:
                    problems.append(
                        gettext("you may not invite people to “%(team)s”, or there is no such team.")
                        % {"team": cell("team")}
                    )
            row_role = role_from_text(cell("role")) if cell("role") else role
            if row_role is None:
                problems.append(gettext("“%(role)s” is not a role.") % {"role": cell("role")})
            request = None
            if row_team is not None and row_role is not None:
                request = InvitationRequest(
                    email=cell("email"), team=row_team, role=row_role, name=cell("name")
                )
            rows.append((label, request, problems))
        return rows


class InvitationAcceptForm(auth_forms.SetPasswordForm):
    """Name and password for the invited person's new account (Django's password fields and validators)."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)

    field_order = ["first_name", "last_name", "new_password1", "new_password2"]

    def clean(self):
        cleaned = super().clean()
        # The password validators compare with the names being chosen.
        self.user.first_name = cleaned.get("first_name", "")
        self.user.last_name = cleaned.get("last_name", "")
        return cleaned


class AccountForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email address"), required=False)


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, sending through the app's mail path (a Celery task, after commit). Known and
    unknown addresses get the same answer: the view redirects to the same page either way."""

    def save(self, **kwargs) -> None:
        from teams.tasks import send_password_reset

        for user in self.get_users(self.cleaned_data["email"]):
            transaction.on_commit(lambda user_id=user.pk: send_password_reset.delay(user_id))
