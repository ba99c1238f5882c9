"""One import service for the command, the web flow and the tests: a spreadsheet of key results → OKRs.

Two passes over the file. The first parses and checks every row and resolves teams and people in a few
queries; any problem stops the import before anything is written. The second writes everything in one
transaction with the rules of the ordinary services (what they validate, the adjustment rule, the check-in
service, publishing), so an import means what the same edits on the workshop board mean; see ``_write``.
A problem found in the second pass rolls the whole import back. ``dry_run`` runs both and rolls back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from checkins import services as checkin_services
from checkins.models import CheckIn
from imports import columns as c
from imports.reading import UnreadableFile, open_table
from objectives import progress, quality
from objectives import services as objective_services
from objectives.models import Cycle, Initiative, KeyResult, Objective
from objectives.signals import figures_batch, figures_touched
from objectives.writability import checkin_refusal, cycle_refusal
from okrhub.conditions import violated_check_constraints
from teams.models import Team
from workshops import services as workshop_services

DEFAULT_CONFIDENCE = 5
BULK_BATCH = 500
_KEY_RESULT_COLUMNS = tuple(field for field in c.FIELDS if field not in (c.TEAM, c.OBJECTIVE))
PROGRESS_EVERY = 200  # rows between two progress reports
_LOOKUP_CHUNK = 500  # names per IN (…) clause: SQLite allows a few thousand parameters


@dataclass
class Row:
    number: int
    team_ref: str
    objective: str
    key_result: str
    kind: str
    start: Decimal
    target: Decimal
    unit: str
    owner_ref: str
    current: Decimal | None
    confidence: int | None
    initiative: str
    initiative_owner_ref: str
    # An objective without key results (as the dashboard export writes it): the row creates the objective.
    objective_only: bool = False


@dataclass
class ImportReport:
    file_name: str
    rows: int = 0
    problems: list[c.Problem] = field(default_factory=list)
    notes: list[c.Problem] = field(default_factory=list)
    objectives_created: int = 0
    key_results_created: int = 0
    key_results_updated: int = 0
    initiatives_created: int = 0
    checkins_created: int = 0
    dry_run: bool = False
    team_ids: set[int] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changed_anything(self) -> bool:
        return bool(
            self.objectives_created
            or self.key_results_created
            or self.key_results_updated
            or self.initiatives_created
            or self.checkins_created
        )

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "objectives_created": self.objectives_created,
            "key_results_created": self.key_results_created,
            "key_results_updated": self.key_results_updated,
            "initiatives_created": self.initiatives_created,
            "checkins_created": self.checkins_created,
            "team_ids": sorted(self.team_ids),
        }


class _Rollback(Exception):
    """Raised inside the write transaction to undo it (a dry run, or a problem found while writing)."""


def _key(text: str) -> str:
    """Titles match across imports however they are cased or spaced."""
    return " ".join(text.split()).casefold()


def _message(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


# --- Pass 1: parse and check ---------------------------------------------------------------------------


def _parse_row(number: int, cells: dict[str, object], problems: list[c.Problem], team_default: str) -> Row:
    def problem(column: str, message: str) -> None:
        problems.append(c.Problem(number, column, message))

    team_ref = c.text(cells.get(c.TEAM)) or team_default
    if not team_ref:
        problem(c.TEAM, _("Name the team (its slug or exact name)."))
    objective = c.text(cells.get(c.OBJECTIVE))
    key_result = c.text(cells.get(c.KEY_RESULT))
    if objective and all(c.is_blank(cells.get(column)) for column in _KEY_RESULT_COLUMNS):
        if len(objective) > 200:
            problem(c.OBJECTIVE, _("At most %(limit)d characters.") % {"limit": 200})
        empty = Decimal(0)
        return Row(number, team_ref, objective, "", progress.INCREASE_TO, empty, empty, "", "", None, None,
                   "", "", objective_only=True)  # fmt: skip
    for column, value, limit in ((c.OBJECTIVE, objective, 200), (c.KEY_RESULT, key_result, 200)):
        if not value:
            problem(column, _("This column is required."))
        elif len(value) > limit:
            problem(column, _("At most %(limit)d characters.") % {"limit": limit})
    unit = c.text(cells.get(c.UNIT))
    if len(unit) > 30:
        problem(c.UNIT, _("At most %(limit)d characters.") % {"limit": 30})
    initiative = c.text(cells.get(c.INITIATIVE))
    if len(initiative) > 200:
        problem(c.INITIATIVE, _("At most %(limit)d characters.") % {"limit": 200})

    kind = c.parse_kind(cells.get(c.KIND))
    if kind is None:
        problem(
            c.KIND,
            _("Unknown kind “%(value)s”: use increase, decrease, stay above, stay below or achieve.")
            % {"value": c.text(cells.get(c.KIND))},
        )
        kind = progress.INCREASE_TO

    numbers: dict[str, Decimal | None] = {}
    for column in (c.START, c.TARGET):
        raw = cells.get(column)
        numbers[column] = None if c.is_blank(raw) else c.parse_number(raw)
        if not c.is_blank(raw) and numbers[column] is None:
            problem(column, _("“%(value)s” is not a number.") % {"value": c.text(raw)})
    if kind == progress.ACHIEVE:
        start, target = Decimal(0), Decimal(1)
    else:
        for column in (c.START, c.TARGET):
            if c.is_blank(cells.get(column)):
                problem(column, _("A number is required for this kind of key result."))
        start, target = numbers[c.START] or Decimal(0), numbers[c.TARGET] or Decimal(0)
        if (
            numbers[c.START] is not None
            and numbers[c.TARGET] is not None
            and not quality.is_measurable(kind=kind, start=start, target=target)
        ):
            problem(c.TARGET, _("Start and target are equal: there is nothing to measure progress by."))

    current: Decimal | None = None
    raw_current = cells.get(c.CURRENT)
    if not c.is_blank(raw_current):
        current = c.parse_done(raw_current) if kind == progress.ACHIEVE else c.parse_number(raw_current)
        if current is None:
            if kind == progress.ACHIEVE:
                problem(c.CURRENT, _("Write done or not done (ferdig / ikke ferdig)."))
            else:
                problem(c.CURRENT, _("“%(value)s” is not a number.") % {"value": c.text(raw_current)})

    confidence: int | None = None
    raw_confidence = cells.get(c.CONFIDENCE)
    if not c.is_blank(raw_confidence):
        parsed = c.parse_number(raw_confidence)
        if parsed is None or parsed != parsed.to_integral_value() or not 1 <= parsed <= 10:
            problem(c.CONFIDENCE, _("Confidence is a whole number from 1 to 10."))
        else:
            confidence = int(parsed)

    return Row(
        number=number,
        team_ref=team_ref,
        objective=objective,
        key_result=key_result,
        kind=kind,
        start=start,
        target=target,
        unit=unit,
        owner_ref=c.text(cells.get(c.OWNER)),
        current=current,
        confidence=confidence,
        initiative=initiative,
        initiative_owner_ref=c.text(cells.get(c.INITIATIVE_OWNER)),
    )


def _build_key_result(row: Row, **fields) -> KeyResult:
    return KeyResult(
        title=row.key_result,
        kind=row.kind,
        unit=row.unit,
        start_value=row.start,
        target_value=row.target,
        current_value=row.start,
        **fields,
    )


_VALUE_COLUMNS = {"start_value": c.START, "target_value": c.TARGET, "current_value": c.CURRENT}


def _check_values(row: Row, problems: list[c.Problem]) -> None:
    """The key result's own rules — its fields and its check constraints, stated once on the model — read
    without a query per constraint (``okrhub.conditions``), so 10,000 rows are checked in seconds."""
    if row.objective_only:
        return
    probe = _build_key_result(row)
    errors: dict[str, list[str]] = {}
    try:
        probe.full_clean(exclude=["objective", "owner"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        errors = error.message_dict
    if not errors:
        violated = violated_check_constraints(probe)
        if violated is None:  # a constraint this reader cannot evaluate: ask the database, as Django does
            try:
                probe.validate_constraints(exclude=["objective", "owner"])
            except ValidationError as error:
                errors = error.message_dict
        else:
            fields = getattr(KeyResult, "constraint_fields", {})
            for constraint in violated:
                message = str(constraint.get_violation_error_message())
                errors.setdefault(fields.get(constraint.name, "target_value"), []).append(message)
    for name, messages in errors.items():
        problems.append(c.Problem(row.number, _VALUE_COLUMNS.get(name, c.KEY_RESULT), " ".join(messages)))


def _teams_by_ref(refs: set[str]) -> dict[str, Team]:
    """Teams by slug or by exact name (case forgiven); a name two teams share is left out (ambiguous)."""
    found: dict[str, Team] = {}
    lowered = sorted({ref.casefold() for ref in refs})
    names: dict[str, list[Team]] = {}
    for start in range(0, len(lowered), _LOOKUP_CHUNK):
        chunk = lowered[start : start + _LOOKUP_CHUNK]
        query = Team.objects.annotate(lower_name=Lower("name")).filter(
            Q(slug__in=chunk) | Q(lower_name__in=chunk)
        )
        for team in query:
            found[team.slug.casefold()] = team
            names.setdefault(team.lower_name, []).append(team)
    for name, teams in names.items():
        if len(teams) == 1:
            found.setdefault(name, teams[0])
    return found


def _users_by_ref(refs: set[str]) -> dict[str, object]:
    """People by username or email address (case forgiven); an address two people share is left out."""
    User = get_user_model()
    lowered = sorted({ref.casefold() for ref in refs})
    found: dict[str, object] = {}
    emails: dict[str, list] = {}
    for start in range(0, len(lowered), _LOOKUP_CHUNK):
        chunk = lowered[start : start + _LOOKUP_CHUNK]
        query = User.objects.annotate(lower_username=Lower("username"), lower_email=Lower("email")).filter(
            Q(lower_username__in=chunk) | Q(lower_email__in=chunk)
        )
        for user in query:
            found[user.lower_username] = user
            if user.lower_email:
                emails.setdefault(user.lower_email, []).append(user)
    for email, users in emails.items():
        if len(users) == 1:
            found.setdefault(email, users[0])
    return found


def _resolve(
    rows: list[Row], problems: list[c.Problem]
) -> tuple[dict[int, Team], dict[int, object], dict[int, object]]:
    """Team, owner and initiative owner of each row (by row number), with a problem for each unknown one."""
    team_refs = {row.team_ref for row in rows if row.team_ref}
    user_refs = {ref for row in rows for ref in (row.owner_ref, row.initiative_owner_ref) if ref}
    teams = _teams_by_ref(team_refs)
    users = _users_by_ref(user_refs)
    row_teams: dict[int, Team] = {}
    owners: dict[int, object] = {}
    initiative_owners: dict[int, object] = {}
    for row in rows:
        if row.team_ref:
            team = teams.get(row.team_ref.casefold())
            if team is None:
                problems.append(
                    c.Problem(row.number, c.TEAM, _("Unknown team “%(value)s”.") % {"value": row.team_ref})
                )
            elif team.is_archived:
                problems.append(
                    c.Problem(
                        row.number, c.TEAM, _("The team “%(value)s” is archived.") % {"value": team.name}
                    )
                )
            else:
                row_teams[row.number] = team
        for column, ref, target in (
            (c.OWNER, row.owner_ref, owners),
            (c.INITIATIVE_OWNER, row.initiative_owner_ref, initiative_owners),
        ):
            if not ref:
                continue
            user = users.get(ref.casefold())
            if user is None or not user.is_active:
                problems.append(
                    c.Problem(
                        row.number,
                        column,
                        _("No active person with the username or email address “%(value)s”.")
                        % {"value": ref},
                    )
                )
            else:
                target[row.number] = user
    return row_teams, owners, initiative_owners


def _duplicates(rows: list[Row], row_teams: dict[int, Team], problems: list[c.Problem]) -> None:
    seen: dict[tuple[int, str, str], int] = {}
    for row in rows:
        team = row_teams.get(row.number)
        if team is None or not row.objective or not row.key_result:
            continue
        key = (team.pk, _key(row.objective), _key(row.key_result))
        if key in seen:
            problems.append(
                c.Problem(
                    row.number,
                    c.KEY_RESULT,
                    _("The same key result is already in row %(row)d of this objective.")
                    % {"row": seen[key]},
                )
            )
        else:
            seen[key] = row.number


# --- Pass 2: write -----------------------------------------------------------------------------------------


def _write(
    *,
    rows: list[Row],
    row_teams: dict[int, Team],
    owners: dict[int, object],
    initiative_owners: dict[int, object],
    cycle: Cycle,
    actor,
    draft: bool,
    file_name: str,
    report: ImportReport,
    on_progress: Callable[[int, int], None] | None,
) -> None:
    """Changes to existing key results go through their services one by one (the adjustment rule, the
    check-in service). New objectives, key results, first check-ins and initiatives — the bulk of a first
    import — are validated as their services validate them (fields, ``clean()``, check constraints,
    ``checkin_build``) and inserted in bulk, key results with their history rows, as the synthetic
    organisation is (``okrhub/demo.py``): a query per row, not a dozen."""
    team_ids = {team.pk for team in row_teams.values()}
    objectives = {
        (objective.team_id, _key(objective.title)): objective
        for objective in Objective.objects.filter(cycle=cycle, team_id__in=team_ids).select_related("cycle")
    }
    key_results = {
        (("saved", key_result.objective_id), _key(key_result.title)): key_result
        for key_result in KeyResult.objects.filter(objective__in=list(objectives.values())).select_related(
            "objective__cycle"
        )
    }
    positions = Counter(objective for objective, _title in key_results)
    initiatives = {
        (("saved", key_result_id), _key(title))
        for key_result_id, title in Initiative.objects.filter(
            key_result__in=list(key_results.values())
        ).values_list("key_result_id", "title")
    }
    new_objectives: list[Objective] = []
    new_key_results: list[KeyResult] = []
    new_initiatives: list[tuple[Row, Initiative]] = []
    checkins: list[tuple[Row, KeyResult]] = []
    reason = _("Imported from %(file)s") % {"file": file_name}

    for index, row in enumerate(rows, start=1):
        team = row_teams[row.number]
        report.team_ids.add(team.pk)
        try:
            objective = objectives.get((team.pk, _key(row.objective)))
            if objective is None:
                objective = Objective(team=team, cycle=cycle, title=row.objective, position=len(objectives))
                _check_new(objective, exclude=["team", "cycle", "owner", "parent"])
                objectives[(team.pk, _key(row.objective))] = objective
                new_objectives.append(objective)
                report.objectives_created += 1
            if row.objective_only:
                continue
            key_result = key_results.get((_identity(objective), _key(row.key_result)))
            owner = owners.get(row.number)
            if key_result is None:
                key_result = _build_key_result(
                    row, objective=objective, owner=owner, position=positions[_identity(objective)]
                )
                positions[_identity(objective)] += 1
                key_results[(_identity(objective), _key(row.key_result))] = key_result
                new_key_results.append(key_result)
                report.key_results_created += 1
            else:
                data = {
                    "kind": row.kind,
                    "start_value": row.start,
                    "target_value": row.target,
                    "unit": row.unit,
                }
                if row.owner_ref:
                    data["owner"] = owner
                if objective_services.key_result_changed_fields(key_result, data):
                    objective_services.key_result_adjust(
                        key_result=key_result, actor=actor, data=data, reason=reason
                    )
                    report.key_results_updated += 1
            initiative_key = (_identity(key_result), _key(row.initiative))
            if row.initiative and initiative_key not in initiatives:
                initiative = Initiative(
                    objective=objective,
                    key_result=key_result,
                    title=row.initiative,
                    owner=initiative_owners.get(row.number),
                )
                new_initiatives.append((row, initiative))
                initiatives.add(initiative_key)
                report.initiatives_created += 1
            if row.current is not None:
                checkins.append((row, key_result))
        except ValidationError as error:
            report.problems.append(c.Problem(row.number, c.KEY_RESULT, _message(error)))
        if on_progress and index % PROGRESS_EVERY == 0:
            on_progress(index, len(rows))

    if report.problems:
        raise _Rollback
    if report.problems:
        raise _Rollback
    Objective.objects.bulk_create(new_objectives, batch_size=BULK_BATCH)
    for key_result in new_key_results:
        key_result.objective = key_result.objective  # now saved: the foreign key takes its id
    if new_objectives and not draft:
        ids = [objective.pk for objective in new_objectives]
        workshop_services.objectives_publish(objectives=Objective.objects.filter(pk__in=ids), cycle=cycle)
        statuses = dict(Objective.objects.filter(pk__in=ids).values_list("pk", "status"))
        for objective in new_objectives:
            objective.status = statuses[objective.pk]

    first_checkins: list[CheckIn] = []
    for row, key_result in checkins:
        refusal = checkin_refusal(key_result)
        if refusal is not None:
            # A draft, or a cycle still in planning: the value waits for the first real check-in.
            message = _("The current value is not imported: %(reason)s") % {"reason": refusal}
            report.notes.append(c.Problem(row.number, c.CURRENT, message))
            continue
        if key_result.current_value == row.current and (key_result.last_checkin_at or row.confidence is None):
            continue  # no news: the value it has (a new key result starts at its start value)
        confidence = row.confidence or key_result.confidence or DEFAULT_CONFIDENCE
        checkin = {
            "key_result": key_result,
            "author": actor,
            "value": row.current,
            "confidence": confidence,
            "note": reason,
            "source": CheckIn.Source.IMPORT,
        }
        try:
            if key_result.pk is None:  # saved in bulk with the new key results, then followed
                built = checkin_services.checkin_build(**checkin)
                checkin_services.key_result_follow(key_result, built)
                first_checkins.append(built)
            else:
                checkin_services.checkin_submit(**checkin)
        except ValidationError as error:
            report.problems.append(c.Problem(row.number, c.CURRENT, _message(error)))
        else:
            report.checkins_created += 1
    for row, initiative in new_initiatives:
        _check_initiative(row, initiative, report.problems)
    if report.problems:
        raise _Rollback

    bulk_create_with_history(new_key_results, KeyResult, batch_size=BULK_BATCH, default_user=actor)
    for checkin in first_checkins:
        checkin.key_result = checkin.key_result  # now saved: the foreign key takes its id
    CheckIn.objects.bulk_create(first_checkins, batch_size=BULK_BATCH)
    for _row, initiative in new_initiatives:
        initiative.objective, initiative.key_result = initiative.objective, initiative.key_result
    Initiative.objects.bulk_create(
        [initiative for _row, initiative in new_initiatives], batch_size=BULK_BATCH
    )


def _identity(instance) -> tuple:
    """Tells objectives and key results apart before they are saved (new ones have no id yet)."""
    return ("saved", instance.pk) if instance.pk is not None else ("new", id(instance))


def _check_new(instance, exclude: list[str]) -> None:
    """What the create service checks of a new row, without a query per constraint: its fields, ``clean()``
    and its check constraints (``okrhub.conditions``; the database's answer where that cannot read one).
    The foreign keys in ``exclude`` point at rows this import just found or made. Raises ValidationError."""
    instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    violated = violated_check_constraints(instance)
    if violated is None:
        instance.validate_constraints(exclude=exclude)
    elif violated:
        raise ValidationError([constraint.get_violation_error_message() for constraint in violated])


def _check_initiative(row: Row, initiative: Initiative, problems: list[c.Problem]) -> None:
    try:
        _check_new(initiative, exclude=["objective", "key_result", "owner"])
    except ValidationError as error:
        problems.append(c.Problem(row.number, c.INITIATIVE, _message(error)))


def okr_import(
    *,
    source: BinaryIO,
    file_name: str,
    cycle: Cycle,
    actor,
    mapping: dict[int, str] | None = None,
    team: Team | None = None,
    draft: bool = False,
    dry_run: bool = False,
    max_rows: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import the file's key results into ``cycle``; nothing is saved unless every row is right.

    ``mapping``: column index → field (``imports.columns.FIELDS``); guessed from the headers when None.
    ``team``: the team of rows that name none (and the only team a row may name).
    """
    report = ImportReport(file_name=file_name, dry_run=dry_run)
    problems = report.problems
    refusal = cycle_refusal(cycle)
    if refusal is not None:
        problems.append(c.Problem(0, "", str(refusal)))
        return report
    try:
        table = open_table(source)
    except UnreadableFile as error:
        problems.append(c.Problem(0, "", str(error)))
        return report
    if mapping is None:
        mapping = c.guess_mapping(table.headers)
    missing = [
        field_name
        for field_name in (*c.REQUIRED, *(() if team else (c.TEAM,)))
        if field_name not in mapping.values()
    ]
    for field_name in missing:
        problems.append(c.Problem(1, str(c.LABELS[field_name]), _("The column is missing.")))
    if problems:
        return report

    rows: list[Row] = []
    for number, values in table.rows():
        if all(c.is_blank(value) for value in values):
            continue
        if max_rows is not None and len(rows) >= max_rows:
            problems.append(
                c.Problem(number, "", _("The file has more than %(max)d rows; split it.") % {"max": max_rows})
            )
            break
        cells = {name: values[index] for index, name in mapping.items() if index < len(values)}
        rows.append(_parse_row(number, cells, problems, team.slug if team else ""))
    report.rows = len(rows)
    if not rows and not problems:
        problems.append(c.Problem(0, "", _("The file has no rows below its header.")))
    for row in rows:
        _check_values(row, problems)
    row_teams, owners, initiative_owners = _resolve(rows, problems)
    if team is not None:
        for row in rows:
            named = row_teams.get(row.number)
            if named is not None and named.pk != team.pk:
                problems.append(
                    c.Problem(
                        row.number,
                        c.TEAM,
                        _("This import is for the team “%(team)s” only.") % {"team": team.name},
                    )
                )
    _duplicates(rows, row_teams, problems)
    if problems:
        problems.sort(key=lambda problem: problem.row)
        return report

    try:
        with transaction.atomic(), figures_batch():
            _write(
                rows=rows,
                row_teams=row_teams,
                owners=owners,
                initiative_owners=initiative_owners,
                cycle=cycle,
                actor=actor,
                draft=draft,
                file_name=file_name,
                report=report,
                on_progress=on_progress,
            )
            if dry_run:
                raise _Rollback
            # Bulk inserts send no model signals: the teams' rollups are recomputed once, at the end.
            figures_touched((cycle.pk, team_id) for team_id in report.team_ids)
    except _Rollback:
        pass
    problems.sort(key=lambda problem: problem.row)
    return report
