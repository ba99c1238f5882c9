"""Row versions, so an edit never silently overwrites a newer one.

Every save of a ``Versioned`` row increments its ``version``; the API sends it as the ``ETag`` and honours
``If-Match`` (``okrhub/api.py``: 412 Precondition Failed on a stale one), and the HTML edit forms carry the
version they were opened at (``stale_changes``). Bulk ``QuerySet.update()`` calls on these rows add
``version=F("version") + 1`` themselves (``bump``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _


class Versioned(models.Model):
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, update_fields=None, **kwargs):
        if not self._state.adding:
            self.version = (self.version or 0) + 1
            if update_fields is not None:
                update_fields = {*update_fields, "version"}
        super().save(*args, update_fields=update_fields, **kwargs)


def bump() -> dict:
    """For ``QuerySet.update(**bump(), …)``: the rows it changes get a new version too."""
    return {"version": F("version") + 1}


def etag(obj) -> str:
    return f'"{obj.version}"'


def if_match_allows(header: str | None, obj) -> bool:
    """RFC 9110 If-Match, strong comparison: no header, ``*`` or the current tag lets the write through."""
    if header is None:
        return True
    tags = [tag.strip() for tag in header.split(",")]
    return "*" in tags or etag(obj) in tags


def update_fields_for(instance, names) -> list[str]:
    """What a write of the fields ``names`` saves: those, plus the row's ``auto_now`` timestamps."""
    auto = {f.name for f in instance._meta.concrete_fields if getattr(f, "auto_now", False)}
    return sorted({*names, *auto})
