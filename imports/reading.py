"""Read a spreadsheet row by row: ``.xlsx`` through openpyxl's streaming reader, ``.csv`` as Excel writes it.

CSV: comma, semicolon or tab (``csv.Sniffer`` decides), UTF-8 with or without a byte order mark, or
Windows-1252 (what Norwegian Excel saves as "CSV (semikolondelt)"). Memory stays bounded: neither reader
holds the whole file; a second pass reads the file again.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from django.utils.translation import gettext as _

XLSX_MAGIC = b"PK\x03\x04"
SNIFF_BYTES = 64 * 1024
CHUNK = 64 * 1024


class UnreadableFile(Exception):
    """The file is not a spreadsheet we can read; the message says why, translated."""


@dataclass
class Table:
    """A header row and a way to iterate the rows below it, each with its row number (the header is 1)."""

    headers: list[str]
    source: BinaryIO
    kind: str  # "xlsx" or "csv"
    encoding: str = ""
    delimiter: str = ""

    def rows(self) -> Iterator[tuple[int, list[object]]]:
        width = len(self.headers)
        rows = _xlsx_rows(self.source) if self.kind == "xlsx" else self._csv_rows()
        for number, values in rows:
            if number == 1:
                continue
            cells = list(values[:width]) + [None] * (width - len(values))
            yield number, cells

    def _csv_rows(self) -> Iterator[tuple[int, list[object]]]:
        self.source.seek(0)
        text = io.TextIOWrapper(self.source, encoding=self.encoding, newline="")
        try:
            reader = csv.reader(text, delimiter=self.delimiter)
            yield from enumerate(reader, start=1)
        finally:
            text.detach()


def _csv_encoding(source: BinaryIO) -> str:
    """UTF-8 (with its BOM skipped) when every byte decodes as UTF-8, else Windows-1252."""
    source.seek(0)
    head = source.read(3)
    if head == codecs.BOM_UTF8:
        return "utf-8-sig"
    source.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := source.read(CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _csv_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        return max((";", ",", "\t"), key=first.count)


def _xlsx_rows(source: BinaryIO) -> Iterator[tuple[int, list[object]]]:
    from openpyxl import load_workbook

    source.seek(0)
    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise UnreadableFile(_("The file is not a spreadsheet (.xlsx or .csv).")) from error
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(values)
    finally:
        workbook.close()


def _looks_binary(sample: bytes) -> bool:
    return b"\x00" in sample


def open_table(source: BinaryIO) -> Table:
    """The file's header row and a row reader; raises ``UnreadableFile`` with a translated reason."""
    source.seek(0)
    sample = source.read(SNIFF_BYTES)
    if not sample.strip():
        raise UnreadableFile(_("The file is empty."))
    if sample.startswith(XLSX_MAGIC):
        table = Table(headers=[], source=source, kind="xlsx")
        first = next(_xlsx_rows(source), None)
    elif _looks_binary(sample):
        raise UnreadableFile(_("The file is not a spreadsheet (.xlsx or .csv)."))
    else:
        encoding = _csv_encoding(source)
        text_sample = sample.decode(encoding, errors="replace").lstrip("\ufeff")
        table = Table(
            headers=[], source=source, kind="csv", encoding=encoding, delimiter=_csv_delimiter(text_sample)
        )
        first = next(table._csv_rows(), None)
    if first is None:
        raise UnreadableFile(_("The file is empty."))
    headers = ["" if value is None else " ".join(str(value).split()) for value in first[1]]
    while headers and not headers[-1]:
        headers.pop()
    if not any(headers):
        raise UnreadableFile(_("The first row must hold the column headers."))
    table.headers = headers
    return table
