"""Reading and writing CSV files with the line number of every row kept for error messages."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lti_tool.adapters.importers.drafts import ImportProblem
from lti_tool.adapters.importers.validation import decode_text

DELIMITERS = ",;\t"


@dataclass(frozen=True)
class CsvRow:
    """The cells of one record and the line it starts on (quoted newlines counted)."""

    line: int
    cells: list[str]

    def cell(self, index: int | None) -> str:
        """The trimmed cell at `index`, or "" for a missing column or a short row."""
        if index is None or index >= len(self.cells):
            return ""
        return self.cells[index].strip()


@dataclass(frozen=True)
class CsvTable:
    """A header row and the non-blank records after it."""

    header: CsvRow
    rows: list[CsvRow]

    @property
    def columns(self) -> list[str]:
        """Header cells, trimmed."""
        return [name.strip() for name in self.header.cells]


def read_csv(data: bytes, problems: list[ImportProblem]) -> CsvTable | None:
    """Decode and split a CSV file; None (with problems recorded) when it cannot be read."""
    text = decode_text(data, problems)
    if text is None:
        return None
    records = _records(text, problems)
    if not records:
        problems.append(ImportProblem(reason="the file is empty"))
        return None
    header, *rows = records
    if not rows and not problems:
        problems.append(
            ImportProblem(reason="the file has a header row but no standards", line=header.line)
        )
    return CsvTable(header=header, rows=rows)


def _records(text: str, problems: list[ImportProblem]) -> list[CsvRow]:
    """Every non-blank record with its starting line; stops at the first broken quote."""
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=_delimiter(first_line), strict=True
    )
    records: list[CsvRow] = []
    last_line = 0
    try:
        for cells in reader:
            start = last_line + 1
            last_line = reader.line_num
            if any(cell.strip() for cell in cells):
                records.append(CsvRow(line=start, cells=cells))
    except csv.Error as error:
        problems.append(
            ImportProblem(reason=f"the CSV cannot be read from here on: {error}", line=last_line + 1)
        )
    return records


def _delimiter(header_line: str) -> str:
    """Comma unless the header is clearly split by semicolons or tabs (European spreadsheets)."""
    try:
        dialect = csv.Sniffer().sniff(header_line, delimiters=DELIMITERS)
    except csv.Error:
        return ","
    return dialect.delimiter if dialect.delimiter in header_line else ","


def write_csv(rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 CSV with CRLF line ends, quoting only where needed (RFC 4180)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")
