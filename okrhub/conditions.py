"""A model's CheckConstraints evaluated in Python, for checking many unsaved rows without a query each.

Django validates a ``CheckConstraint`` by asking the database (``Q.check``: one ``SELECT`` per constraint and
row), which is right for one form and slow for a 10,000-row import. ``condition_holds`` reads the same
``Q`` — the constraint stays the one statement of its rule — for the simple shapes our constraints have
(field lookups ``exact``, ``gt``, ``gte``, ``lt``, ``lte``, ``isnull`` and ``in`` against values or
``F()`` of other fields, joined with ``&``, ``|`` and ``~``). Anything else answers ``None``, and the caller
asks the database as Django does. SQL's three-valued logic is kept: a comparison with NULL is unknown, and a
CHECK passes unless its condition is false.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

from django.db.models import CheckConstraint, F, Q

_UNKNOWN = object()
_COMPARE: dict[str, Callable[[object, object], bool]] = {
    "exact": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


class _Unsupported(Exception):
    pass


def _value(instance, value):
    if isinstance(value, F):
        if "__" in value.name:
            raise _Unsupported
        return getattr(instance, value.name)
    if hasattr(value, "resolve_expression"):
        raise _Unsupported
    return value


def _lookup(instance, key: str, value) -> object:
    name, _sep, lookup = key.partition("__")
    lookup = lookup or "exact"
    if "__" in lookup:
        raise _Unsupported
    field = instance._meta.get_field(name)
    current = getattr(instance, field.attname)
    if lookup == "isnull":
        return (current is None) is bool(value)
    target = _value(instance, value)
    if lookup == "in":
        return _UNKNOWN if current is None else current in target
    if lookup not in _COMPARE:
        raise _Unsupported
    if current is None or target is None:
        return _UNKNOWN
    return _COMPARE[lookup](current, target)


def _evaluate(instance, node) -> object:
    if isinstance(node, Q):
        results = [_evaluate(instance, child) for child in node.children]
        if node.connector == Q.AND:
            result = False if False in results else (_UNKNOWN if _UNKNOWN in results else True)
        else:
            result = True if True in results else (_UNKNOWN if _UNKNOWN in results else False)
        if node.negated:
            result = _UNKNOWN if result is _UNKNOWN else not result
        return result
    if isinstance(node, tuple) and len(node) == 2:
        return _lookup(instance, *node)
    raise _Unsupported


def condition_holds(constraint: CheckConstraint, instance) -> bool | None:
    """Whether ``instance`` satisfies the constraint (an unknown condition passes, as in SQL), or ``None``
    when the condition has a shape this module does not read."""
    try:
        result = _evaluate(instance, constraint.condition)
    except (_Unsupported, TypeError):
        return None
    return result is not False


def violated_check_constraints(instance) -> list[CheckConstraint] | None:
    """The CheckConstraints of ``instance``'s model that it violates, or ``None`` when one of them cannot be
    read here (then validate with ``full_clean()`` as usual)."""
    violated = []
    for constraint in instance._meta.constraints:
        if not isinstance(constraint, CheckConstraint):
            continue
        holds = condition_holds(constraint, instance)
        if holds is None:
            return None
        if not holds:
            violated.append(constraint)
    return violated
