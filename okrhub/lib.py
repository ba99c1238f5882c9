"""Small helpers the apps' services share; no business logic."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, models, router

logger = logging.getLogger(__name__)


def assign_fields(instance, data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    """Set ``data`` on ``instance``; a field outside ``allowed`` is a programming error, not user input."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise TypeError(f"Cannot update {sorted(unknown)} on {type(instance).__name__}")
    for field, value in data.items():
        setattr(instance, field, value)


class ConstraintFieldsMixin:
    """A model whose CheckConstraints are the one statement of their rules: ``full_clean()`` reports each
    violation on the field it concerns (``constraint_fields``: constraint name → field) instead of
    ``clean()`` restating the condition. Constraints not listed stay non-field errors, as Django has them."""

    constraint_fields: ClassVar[dict[str, str]] = {}

    @classmethod
    def constraint_field_map(cls) -> dict[str, str]:
        return cls.constraint_fields

    def validate_constraints(self, exclude=None) -> None:
        fields = self.constraint_field_map()
        using = router.db_for_write(self.__class__, instance=self)
        errors: dict = {}
        for model_class, constraints in self.get_constraints():
            for constraint in constraints:
                try:
                    constraint.validate(model_class, self, exclude=exclude, using=using)
                except ValidationError as error:
                    field = fields.get(constraint.name)
                    if field is None and getattr(error, "code", None) == "unique":
                        field = constraint.fields[0] if len(constraint.fields) == 1 else None
                    if field is not None:
                        errors.setdefault(field, []).append(error)
                    else:
                        errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


MANY = 100  # rows: from here on the PostgreSQL paths below pay off (fewer take Django's own)
# Columns whose Python value PostgreSQL's COPY takes as it is (psycopg adapts it); any other field's value
# goes through its ``get_db_prep_save`` first (JSON, for instance).
_PLAIN_FIELDS = (
    models.IntegerField,
    models.ForeignKey,
    models.CharField,
    models.TextField,
    models.DecimalField,
    models.DateField,  # and DateTimeField
    models.BooleanField,
    models.FloatField,
)


def bulk_insert(model: type[models.Model], objs, *, batch_size: int = 2000) -> int:
    """Insert many new rows whose ids (and instances) nothing reads back: the rows ``bulk_create`` would
    insert (defaults and ``auto_now`` included, no signals). On PostgreSQL ``MANY`` rows or more go in with
    ``COPY``, several times faster for a bulk seed or a recomputation of every rollup; fewer rows, and
    the other databases, take ``bulk_create`` (a write's statements stay the ones its tests count)."""
    objs = list(objs)
    if connection.vendor != "postgresql" or len(objs) < MANY:
        model._default_manager.bulk_create(objs, batch_size=batch_size)
        return len(objs)
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not (f.primary_key and f.db_returning) and not f.generated]
    plain = [isinstance(f, _PLAIN_FIELDS) for f in fields]
    quote = connection.ops.quote_name
    sql = f"COPY {quote(opts.db_table)} ({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for obj in objs:
            copy.write_row(
                [
                    f.pre_save(obj, True) if fast else f.get_db_prep_save(f.pre_save(obj, True), connection)
                    for f, fast in zip(fields, plain, strict=True)
                ]
            )
    return len(objs)


def bulk_set(model: type[models.Model], objs, fields: list[str]) -> None:
    """``bulk_update(objs, fields)``: the same rows get the same values, in one statement. On PostgreSQL,
    from ``MANY`` rows on, an ``UPDATE … FROM (VALUES …)`` instead of Django's ``CASE WHEN`` for every row
    and field, whose expressions take about a millisecond a row to build."""
    objs = list(objs)
    if connection.vendor != "postgresql" or len(objs) < MANY:
        model._default_manager.bulk_update(objs, fields)
        return
    opts = model._meta
    targets = [opts.get_field(name) for name in fields]
    columns = [opts.pk, *targets]
    quote = connection.ops.quote_name
    row = "(" + ", ".join(f"CAST(%s AS {f.db_type(connection)})" for f in columns) + ")"
    names = ", ".join(quote(f.column) for f in columns)
    sql = (
        f"UPDATE {quote(opts.db_table)} AS t SET "
        + ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in targets)
        + f" FROM (VALUES {', '.join([row] * len(objs))}) AS v ({names})"
        + f" WHERE t.{quote(opts.pk.column)} = v.{quote(opts.pk.column)}"
    )
    params = [f.get_db_prep_save(getattr(obj, f.attname), connection) for obj in objs for f in columns]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def apply_errors(form, error) -> None:
    """Show a service's ValidationError on the form: on its fields where the form has them, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def save_form(form, save) -> bool:
    """Validate ``form`` and ``save()`` what it holds; False when either refuses, the errors on the form."""
    if not form.is_valid():
        return False
    try:
        save()
    except ValidationError as error:
        apply_errors(form, error)
        return False
    return True


# --- The cache as an optimisation ---------------------------------------------------------------------------


def cache_read(keys: list[str]) -> dict[str, Any]:
    """What the cache holds of ``keys``; nothing while the cache does not answer (a Redis outage makes the
    pages that only speed up with it slower, not unavailable)."""
    from okrhub.outages import OUTAGE_ERRORS  # (it imports views: not at the top of this helpers' module)

    try:
        return cache.get_many(keys)
    except OUTAGE_ERRORS:
        logger.warning("The cache did not answer; computing instead", exc_info=True)
        return {}


def cache_write(values: dict[str, Any], timeout: int) -> None:
    """Store ``values``; skipped while the cache does not answer (see ``cache_read``)."""
    from okrhub.outages import OUTAGE_ERRORS

    try:
        cache.set_many(values, timeout)
    except OUTAGE_ERRORS:
        logger.warning("The cache did not answer; not storing", exc_info=True)
