"""Small helpers the apps' services share; no business logic."""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import router


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


def apply_errors(form, error) -> None:
    """Show a service's ValidationError on the form: on its fields where the form has them, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
