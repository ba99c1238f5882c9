"""Reading an inbound email: who sent it, which reminder it answers, and the lines of the reply itself.

Nothing here touches the database; ``notifications/replies.py`` applies what this module reads.

- The message is parsed by Python's ``email`` package (``policy.default``); defects it reports in the MIME
  structure make the message *malformed* (refused with a reason, never half-read).
- The reply text is the plain-text part, else the HTML part turned into text without its quoted parts
  (Gmail's ``gmail_quote``, Outlook's ``divRplyFwdMsg``/``appendonsend``, any ``<blockquote>``).
- The latest reply is cut from the quoted original and the signature by ``mail-parser-reply`` (Gmail
  "On … wrote:", Outlook "From: … Sent: …", "-----Original Message-----", "Sent from my …"), with the Danish
  patterns for Norwegian ("Den … skrev …:", "Fra: … Sendt: … Til: … Emne:", "Mvh", "Hilsen" are the same
  words); every line still starting with ``>`` is quoted text and is left out too.
- A check-in line is ``K<id>`` (the key result's code), then the value, an optional confidence (1–10) and
  an optional note: ``K12: 1 268 8 God påmelding``. Done / not done key results take ``ferdig``/``done`` and
  ``ikke ferdig``/``not done``. Every other line is *not understood* and listed back, never guessed.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from email.message import EmailMessage
from html.parser import HTMLParser

from mailparser_reply.parser import EmailMessage as ReplyText

from okrhub.numbers import parse_number

# The code of a key result in a reminder and a reply: "K" and its id (stable, short, typed on a phone).
CODE_PREFIX = "K"
CODE = re.compile(r"^\s*(?:[-*•]\s*)?[Kk]\s?(\d{1,12})(?![\d])\s*[:.=–—-]?\s*(?P<rest>.*)$")
# A value token: digits with at most one decimal mark, maybe signed; groups of three may follow ("1 268").
_NUMBER_START = re.compile(r"^[+\-\u2212]?\d[\d.,]*$")
_GROUP = re.compile(r"^\d{3}(?:[.,]\d+)?$")
_CONFIDENCE = re.compile(r"^[+\-\u2212]?\d+(?:[.,]\d+)?(?:/10)?$")
# The reply words (``pgettext("reply word", …)`` in the reminder) and what the pages show ("fullført").
DONE_WORDS = ("ferdig", "fullført", "done")
NOT_DONE_WORDS = ("ikke ferdig", "ikke fullført", "not done")

# mail-parser-reply's languages for each of ours (Danish reply headers and signatures are Norwegian ones).
REPLY_LANGUAGES = {"nb": ["da", "en"], "en": ["en"]}


@dataclass
class Inbound:
    """What OKR Hub needs from a received message."""

    message_id: str  # without the angle brackets; "" when the message has none
    key: str  # the unique key of the record: SHA-256 of the Message-ID, else of the raw bytes
    sender: str  # the From address, lower-cased; "" when there is none
    subject: str
    size: int
    recipients: list[str] = field(default_factory=list)  # To, Cc, Delivered-To, X-Original-To
    references: list[str] = field(default_factory=list)  # In-Reply-To first, then References (newest first)
    text: str = ""  # the body as text (quoted parts of an HTML body already left out)
    automatic: bool = False  # an out-of-office or other automatic message: never answered
    too_large: bool = False
    malformed: bool = False


def _ids(value: str | None) -> list[str]:
    return [found.strip().lower() for found in re.findall(r"<([^<>\s]+)>", value or "")]


def _header(message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the parser cannot even represent
        return ""
    return str(value or "")


def _addresses(message, *names: str) -> list[str]:
    values = [_header(message, name) for name in names]
    return [address.lower() for _, address in email.utils.getaddresses(values) if "@" in address]


def _automatic(message) -> bool:
    """An auto-reply, a bounce or a list message: answering it would start a mail loop."""
    auto = _header(message, "Auto-Submitted").strip().lower()
    precedence = _header(message, "Precedence").strip().lower()
    return (
        (auto not in ("", "no"))
        or precedence in ("bulk", "junk", "list", "auto_reply")
        or bool(_header(message, "X-Autoreply") or _header(message, "X-Autorespond"))
        or message.get_content_type() == "multipart/report"
    )


def message_read(raw: bytes, *, max_bytes: int, size: int | None = None) -> Inbound:
    """Read ``raw`` (the whole message, or only its header when it was too large to fetch: pass ``size``)."""
    size = len(raw) if size is None else size
    too_large = size > max_bytes
    if too_large:
        # Only the header is read: the body of an oversized message is never parsed.
        raw = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0] + b"\n\n"
    message = email.message_from_bytes(raw, policy=email.policy.default)
    message_id = next(iter(_ids(_header(message, "Message-ID"))), "")
    key = hashlib.sha256(message_id.encode() if message_id else raw).hexdigest()
    senders = _addresses(message, "From")
    inbound = Inbound(
        message_id=message_id,
        key=key,
        sender=senders[0] if len(senders) == 1 else "",  # several From addresses: nobody to trust
        subject=" ".join(_header(message, "Subject").split())[:255],
        size=size,
        recipients=_addresses(message, "To", "Cc", "Delivered-To", "X-Original-To"),
        references=_ids(_header(message, "In-Reply-To"))
        + list(reversed(_ids(_header(message, "References")))),
        automatic=_automatic(message),
        too_large=too_large,
    )
    if too_large:
        return inbound
    try:
        inbound.malformed = _has_defects(message)
        if not inbound.malformed:
            inbound.text = body_text(message)
    except (LookupError, ValueError, TypeError, AttributeError):  # an unknown charset, broken encoding
        inbound.malformed = True
    return inbound


# Defects that mean the structure cannot be trusted (a lone header line without a colon is harmless).
_SERIOUS_DEFECTS = (
    email.errors.StartBoundaryNotFoundDefect,
    email.errors.CloseBoundaryNotFoundDefect,
    email.errors.MultipartInvariantViolationDefect,
    email.errors.NoBoundaryInMultipartDefect,
    email.errors.InvalidBase64CharactersDefect,
    email.errors.InvalidBase64LengthDefect,
    email.errors.InvalidBase64PaddingDefect,
    email.errors.MissingHeaderBodySeparatorDefect,
)


def _has_defects(message) -> bool:
    for part in message.walk():
        if any(isinstance(defect, _SERIOUS_DEFECTS) for defect in part.defects):
            return True
        if not part.is_multipart():
            part.get_content()  # decoding errors of the payload surface here
            if any(isinstance(defect, _SERIOUS_DEFECTS) for defect in part.defects):
                return True
    return False


def body_text(message: EmailMessage) -> str:
    """The plain-text body, else the HTML body as text (without its quoted parts); "" when there is none."""
    plain = message.get_body(preferencelist=("plain",))
    if plain is not None:
        return plain.get_content()
    html = message.get_body(preferencelist=("html",))
    if html is not None:
        return html_text(html.get_content())
    return ""


class _HtmlText(HTMLParser):
    """Visible text with a line break per block; quoted parts (and everything after Outlook's reply
    separator) are left out."""

    BLOCKS = {
        "p",
        "div",
        "br",
        "li",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "ul",
        "ol",
        "pre",
        "hr",
    }
    SKIP = {"script", "style", "head", "title"}
    QUOTE_CLASSES = {"gmail_quote", "gmail_attr", "yahoo_quoted", "moz-cite-prefix"}
    QUOTE_IDS = {"divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container"}
    VOID = {"br", "hr", "img", "meta", "link", "input", "col", "area", "base", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[bool] = []  # per open element: does it start a skipped region
        self.skipping = 0
        self.stopped = False

    def handle_starttag(self, tag, attrs):
        if self.stopped:
            return
        attributes = dict(attrs)
        classes = set((attributes.get("class") or "").lower().split())
        element_id = (attributes.get("id") or "").lower()
        if element_id in {"divrplyfwdmsg", "appendonsend"}:
            self.stopped = True  # Outlook: everything from here on is the quoted original
            return
        if tag in self.BLOCKS:
            self.parts.append("\n")
        if tag in self.VOID:
            return
        skip = tag in self.SKIP or tag == "blockquote" or bool(classes & self.QUOTE_CLASSES)
        skip = skip or element_id in self.QUOTE_IDS
        self.stack.append(skip)
        self.skipping += skip

    def handle_endtag(self, tag):
        if self.stopped or tag in self.VOID:
            return
        if self.stack:
            self.skipping -= self.stack.pop()
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.stopped and not self.skipping:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return "\n".join(line for line in lines if line)


def reply_lines(text: str, *, language: str) -> list[str]:
    """The non-empty lines of the latest reply in ``text``: quoted original, headers and signature cut."""
    text = text.replace("\r\n", "\n").replace("\u00a0", " ")
    parsed = ReplyText(
        text=text, languages=list(REPLY_LANGUAGES.get(language, ["en"])), keep_hyphen_lists=True
    )
    parsed.read()
    latest = parsed.replies[0].body if parsed.replies else ""
    return [
        line.strip() for line in latest.splitlines() if line.strip() and not line.lstrip().startswith(">")
    ]


# --- One check-in line ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """A line that starts with a code. ``error`` says why it cannot become a check-in (then value and
    confidence may be missing)."""

    text: str
    key_result_id: int
    value: Decimal | None = None
    confidence: int | None = None
    note: str = ""
    error: str = ""  # one of the ERROR_* keys below, translated where the line is answered
    done_word: bool = False  # the value was written as done / not done


ERROR_NO_VALUE = "no_value"
ERROR_NOT_A_NUMBER = "not_a_number"
ERROR_CONFIDENCE = "confidence"


def code_of(key_result_id: int) -> str:
    return f"{CODE_PREFIX}{key_result_id}"


def line_parse(text: str, *, language: str) -> Line | None:
    """The check-in a line asks for, or ``None`` when it does not start with a code (not understood)."""
    match = CODE.match(text)
    if match is None:
        return None
    key_result_id = int(match.group(1))
    rest = match.group("rest").strip()
    lowered = rest.lower()
    value: Decimal | None = None
    done_word = False
    tokens = rest.split()
    used = 0
    for words, meaning in ((NOT_DONE_WORDS, Decimal(0)), (DONE_WORDS, Decimal(1))):
        for word in words:
            if lowered == word or lowered.startswith(word + " ") or lowered.startswith(word + ","):
                value, used, done_word = meaning, len(word.split()), True
                break
        if value is not None:
            break
    if value is None:
        if not tokens:
            return Line(text=text, key_result_id=key_result_id, error=ERROR_NO_VALUE)
        if not _NUMBER_START.match(tokens[0]):
            return Line(text=text, key_result_id=key_result_id, error=ERROR_NOT_A_NUMBER)
        number_tokens = [tokens[0]]
        # Thousands written with spaces: "1 268" is one number; a group has exactly three digits, which a
        # confidence (1–10) never has, so "1 268 8" is 1268 with confidence 8.
        while (
            len(number_tokens) < len(tokens)
            and _GROUP.match(tokens[len(number_tokens)])
            and not re.search(r"[.,]", number_tokens[-1])
        ):
            number_tokens.append(tokens[len(number_tokens)])
        try:
            value = parse_number(" ".join(number_tokens), language=language)
        except ValueError:
            return Line(text=text, key_result_id=key_result_id, error=ERROR_NOT_A_NUMBER)
        used = len(number_tokens)
    confidence: int | None = None
    rest_tokens = tokens[used:]
    if rest_tokens and rest_tokens[0].strip(",") and _CONFIDENCE.match(rest_tokens[0].strip(",")):
        candidate = rest_tokens[0].strip(",").removesuffix("/10")
        try:
            number = parse_number(candidate, language=language)
        except ValueError:
            number = Decimal(-1)
        if number != number.to_integral_value() or not 1 <= number <= 10:
            return Line(text=text, key_result_id=key_result_id, value=value, error=ERROR_CONFIDENCE)
        confidence = int(number)
        rest_tokens = rest_tokens[1:]
    note = " ".join(rest_tokens).lstrip("-–—:,. ").strip()
    return Line(
        text=text,
        key_result_id=key_result_id,
        value=value,
        confidence=confidence,
        note=note,
        done_word=done_word,
    )
