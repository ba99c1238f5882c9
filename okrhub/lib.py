"""Small helpers the apps' services share; no business logic."""

from __future__ import annotations

from typing import Any


def assign_fields(instance, data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    """Set ``data`` on ``instance``; a field outside ``allowed`` is a programming error, not user input."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise TypeError(f"Cannot update {sorted(unknown)} on {type(instance).__name__}")
    for field, value in data.items():
        setattr(instance, field, value)


def apply_errors(form, error) -> None:
    """Show a service's ValidationError on the form: on its fields where the form has them, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
