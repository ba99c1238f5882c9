"""The import format: its columns, the header words we recognise, and values as people type them.

Pure functions (no database): the import service, the web preview and the tests share them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from objectives import progress

# The columns of the format, in the template's order. Only team (unless given for the whole file),
# objective and key result are required; see README "Import".
TEAM = "team"
OBJECTIVE = "objective"
KEY_RESULT = "key_result"
KIND = "kind"
START = "start"
TARGET = "target"
UNIT = "unit"
OWNER = "owner"
CURRENT = "current"
CONFIDENCE = "confidence"
INITIATIVE = "initiative"
INITIATIVE_OWNER = "initiative_owner"
FIELDS = (
    TEAM,
    OBJECTIVE,
    KEY_RESULT,
    KIND,
    START,
    TARGET,
    UNIT,
    OWNER,
    CURRENT,
    CONFIDENCE,
    INITIATIVE,
    INITIATIVE_OWNER,
)
REQUIRED = (OBJECTIVE, KEY_RESULT)

# What each column is called in the template and the mapping step, per language.
LABELS = {
    TEAM: pgettext_lazy("import column", "team"),
    OBJECTIVE: pgettext_lazy("import column", "objective"),
    KEY_RESULT: pgettext_lazy("import column", "key_result"),
    KIND: pgettext_lazy("import column", "kind"),
    START: pgettext_lazy("import column", "start"),
    TARGET: pgettext_lazy("import column", "target"),
    UNIT: pgettext_lazy("import column", "unit"),
    OWNER: pgettext_lazy("import column", "owner"),
    CURRENT: pgettext_lazy("import column", "current"),
    CONFIDENCE: pgettext_lazy("import column", "confidence"),
    INITIATIVE: pgettext_lazy("import column", "initiative"),
    INITIATIVE_OWNER: pgettext_lazy("import column", "initiative_owner"),
}
DESCRIPTIONS = {
    TEAM: _("Team slug or exact name."),
    OBJECTIVE: _("Objective title; rows with the same team and objective form one objective."),
    KEY_RESULT: _("Key result title."),
    KIND: _("increase, decrease, stay above, stay below or achieve (empty: increase)."),
    START: _("Start value, e.g. 1 400 or 12,5."),
    TARGET: _("Target value."),
    UNIT: _("Unit, e.g. courses or %."),
    OWNER: _("Email address or username of the key result's owner."),
    CURRENT: _("Current value (optional): becomes the first check-in."),
    CONFIDENCE: _("Confidence 1–10 for that check-in (default 5)."),
    INITIATIVE: _("An initiative on this key result (optional)."),
    INITIATIVE_OWNER: _("Email address or username of the initiative's owner."),
}


def normalise(text: object) -> str:
    """Lower case, accents kept (ø is not o), spacing, underscores, dashes and trailing marks forgiven."""
    value = unicodedata.normalize("NFC", str(text or "")).casefold()
    value = re.sub(r"\(.*?\)", " ", value)  # "Progress (%)", "Eier (brukernavn)" → the words
    value = re.sub(r"['’]", "", value)
    value = re.sub(r"[_\-–/:.*]+", " ", value)
    return " ".join(value.split())


# Header words we recognise, in English and Norwegian: our template's headers, the glossary's terms, the
# dashboard export's headers (so an export is a valid import file) and common spellings of other tools'
# exports. The number is a priority: when two columns claim one field, the higher one wins.
_ALIASES: dict[str, tuple[str, int]] = {}


def _alias(field: str, priority: int, *words: str) -> None:
    for word in words:
        _ALIASES[normalise(word)] = (field, priority)


_alias(TEAM, 2, "team", "team slug", "lag", "avdeling", "enhet team", "gruppe")
_alias(OBJECTIVE, 2, "objective", "objective title", "mål", "maal", "målsetting", "goal", "okr")
_alias(KEY_RESULT, 2, "key_result", "key result", "kr", "nøkkelresultat", "nokkelresultat", "resultatmål")
_alias(KIND, 2, "kind", "type", "key result type", "metric type", "målemetode")
_alias(START, 2, "start", "start value", "startverdi", "baseline", "utgangspunkt", "fra")
_alias(TARGET, 2, "target", "target value", "målverdi", "maalverdi", "mål verdi", "goal value", "til")
_alias(UNIT, 2, "unit", "enhet", "måleenhet", "unit of measure")
_alias(OWNER, 1, "owner", "eier", "ansvarlig", "owner name")
# The export's owner column holds the display name; the username column beside it identifies the person.
_alias(OWNER, 3, "owner username", "owners username", "owner email", "eier brukernavn", "eiers brukernavn")
_alias(CURRENT, 2, "current", "current value", "nå", "naa", "nåverdi", "nåværende verdi", "status value")
_alias(CONFIDENCE, 2, "confidence", "tillit", "tillit til måloppnåelse", "konfidens")
_alias(INITIATIVE, 2, "initiative", "tiltak", "aktivitet", "initiative title")
_alias(
    INITIATIVE_OWNER,
    2,
    "initiative_owner",
    "initiative owner",
    "tiltakseier",
    "tiltak eier",
    "eier av tiltak",
    "initiative owner username",
)


def guess_field(header: object) -> tuple[str, int] | None:
    """The field a header names, with its priority, or None."""
    return _ALIASES.get(normalise(header))


def guess_mapping(headers: list[object]) -> dict[int, str]:
    """Column index → field for the headers we recognise; a field claimed twice goes to the surer column."""
    best: dict[str, tuple[int, int]] = {}
    for index, header in enumerate(headers):
        guessed = guess_field(header)
        if guessed is None:
            continue
        field, priority = guessed
        if field not in best or priority > best[field][1]:
            best[field] = (index, priority)
    return {index: field for field, (index, _priority) in best.items()}


def header_signature(headers: list[object]) -> str:
    """The same header row, however it is spaced or cased, has the same signature (remembered mappings)."""
    return "|".join(normalise(header) for header in headers)


def mapping_is_complete(mapping: dict[int, str], *, team_given: bool) -> bool:
    fields = set(mapping.values())
    needed = set(REQUIRED) | (set() if team_given else {TEAM})
    return needed <= fields


# --- Values ------------------------------------------------------------------------------------------------

KIND_WORDS: dict[str, str] = {}


def _kind(kind: str, *words: str) -> None:
    for word in (kind, *words):
        KIND_WORDS[normalise(word)] = kind


_kind(progress.INCREASE_TO, "increase", "increase to", "øke", "øke til", "øk", "oke", "up", "opp")
_kind(progress.DECREASE_TO, "decrease", "decrease to", "redusere", "redusere til", "reduser", "ned", "down")
_kind(progress.STAY_ABOVE, "stay above", "holde over", "hold over", "over", "minimum", "at least")
_kind(progress.STAY_BELOW, "stay below", "holde under", "hold under", "under", "maksimum", "at most")
_kind(
    progress.ACHIEVE,
    "achieve",
    "oppnå",
    "oppnaa",
    "achieve done not done",  # the model's own label, "achieve (done / not done)", normalised
    "oppnå fullført ikke fullført",
    "done not done",
    "milestone",
    "binary",
)
# The kind words listed in the template, per kind (English and Norwegian).
KIND_EXAMPLES = {
    progress.INCREASE_TO: ("increase", "øke"),
    progress.DECREASE_TO: ("decrease", "redusere"),
    progress.STAY_ABOVE: ("stay above", "holde over"),
    progress.STAY_BELOW: ("stay below", "holde under"),
    progress.ACHIEVE: ("achieve", "oppnå"),
}

DONE_WORDS = {normalise(word) for word in ("done", "ferdig", "fullført", "ja", "yes", "true", "x")}
NOT_DONE_WORDS = {
    normalise(word) for word in ("not done", "ikke ferdig", "ikke fullført", "nei", "no", "false")
}


def parse_kind(value: object) -> str | None:
    """The kind code for a word in either language (empty: increase); None when not recognised."""
    text = normalise(value)
    if not text:
        return progress.INCREASE_TO
    return KIND_WORDS.get(text)


_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")


def parse_number(value: object) -> Decimal | None:
    """A number as people type it: ``1 400`` (space or no-break space thousands), ``12,5`` or ``12.5``,
    ``1,400.5`` or ``1.400,5`` (the later mark is the decimal one); spreadsheet numbers as they are.
    None when it is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = _SPACES.sub("", str(value or "")).replace("\u2212", "-").removesuffix("%")
    if not text:
        return None
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = "." if decimal_mark == "," else ","
        text = text.replace(thousands, "").replace(decimal_mark, ".")
    elif text.count(",") == 1:
        text = text.replace(",", ".")
    elif text.count(",") > 1 or text.count(".") > 1:
        # 1,400,000 or 1.400.000: thousands only.
        text = text.replace(",", "").replace(".", "")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", text):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parse_done(value: object) -> Decimal | None:
    """Done / not done for ``achieve`` key results: the words in either language, or 1 / 0."""
    text = normalise(value)
    if text in DONE_WORDS:
        return Decimal(1)
    if text in NOT_DONE_WORDS:
        return Decimal(0)
    number = parse_number(value)
    if number in (Decimal(0), Decimal(1)):
        return number
    return None


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: object) -> str:
    """A cell as text: numbers without a trailing ``.0`` (an XLSX cell typed 2027 is "2027")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


@dataclass(frozen=True)
class Problem:
    """One problem with the file: its row (the header is row 1; 0 for the whole file), column and message."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.row == 0:
            return str(self.message)
        return f"row {self.row}: {self.column}: {self.message}"
